// swift-tools-version: 6.0
import PackageDescription

/// libFuzzer targets for the parsers podlab runs as root on strangers' input: manifests, lab
/// files and archives. A package of its own so the main build never links libFuzzer.
///
/// Build and run with `scripts/fuzz [SECONDS]`, which builds
///
///     swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address \
///         -Xcc -fsanitize=fuzzer-no-link,address
///
/// Each executable's main.swift hands its entry point to libFuzzer's `LLVMFuzzerRunDriver`
/// instead of relying on libFuzzer's own `main`: SwiftPM links executables with
/// `--defsym main=<module>_main`, which a `-parse-as-library` target with only
/// `@_cdecl("LLVMFuzzerTestOneInput")` does not define. lld links them; gold 2.40 stops with an
/// internal error (`format_file_lineno`) on the sanitizer runtime.
let linkWithLLD: [LinkerSetting] = [.unsafeFlags(["-use-ld=lld"])]

let package = Package(
    name: "podlab-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        // `name:` because a path dependency is otherwise named after its directory.
        .package(name: "podlab", path: ".."),
    ],
    targets: [
        // The prototype of libFuzzer's `LLVMFuzzerRunDriver` (compiler-rt lib/fuzzer/FuzzerDriver.cpp).
        .target(name: "CFuzzer"),
        // The entry points (one per target, shared with nothing but the regression tests' copies).
        .target(
            name: "FuzzTargets",
            dependencies: [
                "CFuzzer",
                .product(name: "PodKit", package: "podlab"),
                .product(name: "LabKit", package: "podlab"),
                .product(name: "RootfsKit", package: "podlab"),
            ]),
        .executableTarget(name: "fuzz-manifest", dependencies: ["FuzzTargets"], linkerSettings: linkWithLLD),
        .executableTarget(name: "fuzz-lab", dependencies: ["FuzzTargets"], linkerSettings: linkWithLLD),
        .executableTarget(name: "fuzz-archive", dependencies: ["FuzzTargets"], linkerSettings: linkWithLLD),
    ],
    swiftLanguageModes: [.v5]
)
