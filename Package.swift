// swift-tools-version: 6.0
import PackageDescription

/// podlab: Kubernetes pod internals, reproducible on one Linux machine.
///
/// Module map (see README "Architecture"): each target has one job.
let package = Package(
    name: "podlab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "podlab", targets: ["podlab"]),
        .executable(name: "pause", targets: ["pause"]),
        // For the libFuzzer harness in Fuzz/ (its own package): the untrusted-input parsers.
        .library(name: "PodKit", targets: ["PodKit"]),
        .library(name: "LabKit", targets: ["LabKit"]),
        .library(name: "RootfsKit", targets: ["RootfsKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // Thin entry point; internal modes (supervisor) are hidden subcommands.
        .executableTarget(
            name: "podlab",
            dependencies: ["PodlabCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // The pod sandbox's pause process, in C like Kubernetes' build/pause/linux/pause.c.
        .executableTarget(
            name: "pause",
            path: "Sources/pause"),
        // One file per command (swift-argument-parser).
        .target(
            name: "PodlabCLI",
            dependencies: [
                "PodlabCore", "RootfsKit", "PodKit", "LabKit", "Reports", "Cgroups", "PodNetwork", "ContainerdKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Shared error type, paths, syscall error helpers. No other podlab dependency.
        .target(
            name: "PodlabCore",
            dependencies: ["CPodlab", .product(name: "SystemPackage", package: "swift-system")]),
        // libarchive unpacking, image catalog, content-addressed cache, OCI/docker archives.
        .target(
            name: "RootfsKit",
            dependencies: ["PodlabCore", "CLibArchive", "CArchiveLoader", "CPodlab"]),
        // rtnetlink in Swift: links, veth, bridges, addresses, routes.
        .target(
            name: "Netlink",
            dependencies: ["PodlabCore"]),
        // The pod network: pinned netns, bridge, veth, IPAM.
        .target(
            name: "PodNetwork",
            dependencies: ["PodlabCore", "Netlink", "CPodlab"]),
        // cgroup v1 and v2 drivers behind one interface (CPodlab: bpf(2) for v2 device filters).
        .target(
            name: "Cgroups",
            dependencies: ["PodlabCore", "CPodlab"]),
        // Pods: manifests -> pod spec, sandbox, containers, supervisor, state dir.
        .target(
            name: "PodKit",
            dependencies: [
                "PodlabCore", "RootfsKit", "PodNetwork", "Cgroups", "CPodlab",
                .product(name: "Yams", package: "Yams"),
            ]),
        // containerd as a second runtime: the CRI client (execs Runtimes/CRI's podlab-cri, so this
        // binary links no NIO/gRPC), a containerd of podlab's own, OCI image archives for it.
        .target(
            name: "ContainerdKit",
            dependencies: ["PodlabCore", "RootfsKit", "Netlink"]),
        // Lab files: model, strict parser, linter, runner.
        .target(
            name: "LabKit",
            dependencies: ["PodlabCore", "PodKit", "Reports", .product(name: "Yams", package: "Yams")]),
        // Report model -> Markdown, JSON, JUnit XML, TAP, SVG.
        .target(
            name: "Reports",
            dependencies: ["PodlabCore"]),
        // libarchive's headers only: the library itself is dlopen()ed on first use by
        // CArchiveLoader, so processes that never unpack do not load it (1.8 ms per start).
        .systemLibrary(
            name: "CLibArchive",
            providers: [.apt(["libarchive-dev"])]),
        // Forwarders for the archive_* functions podlab calls, resolving them with dlopen/dlsym.
        .target(
            name: "CArchiveLoader"),
        // C shim: the fork/clone child side and syscalls glibc's module hides. pl_ prefixed.
        .target(
            name: "CPodlab"),
        .testTarget(name: "RootfsKitTests", dependencies: ["RootfsKit", "CLibArchive"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "PodNetwork"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups"]),
        .testTarget(name: "PodKitTests", dependencies: ["PodKit"]),
        .testTarget(name: "LabKitTests", dependencies: ["LabKit", "Reports"]),
        .testTarget(name: "ContainerdKitTests", dependencies: ["ContainerdKit", "RootfsKit", "PodlabCore"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["PodKit", "PodNetwork", "Cgroups", "RootfsKit", "PodlabCore", "ContainerdKit"]),
    ],
    swiftLanguageModes: [.v5]
)
