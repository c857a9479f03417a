import Foundation
import PodlabCore

/// Finds the `podlab-cri` executable, podlab's CRI client shim (Runtimes/CRI).
///
/// The gRPC client is a separate program so that `podlab` itself never links SwiftNIO/gRPC:
/// processes that do not speak CRI pay nothing for it at start-up (see BENCHMARKS.md figures in
/// the h-cri report). Search order: `PODLAB_CRI`, beside the running podlab, then the
/// sub-package's build folders of the source tree podlab was built from.
public enum CRIShim {
    /// The executable's name.
    public static let name = "podlab-cri"

    /// Where podlab-cri was looked for, in order (for the error when none is there).
    public static func candidates(environment: [String: String] = ProcessInfo.processInfo.environment,
                                  executable: String = currentExecutable()) -> [String] {
        if let explicit = environment["PODLAB_CRI"], !explicit.isEmpty { return [explicit] }
        let binDir = (executable as NSString).deletingLastPathComponent
        var result = [binDir + "/" + name]
        // <tree>/.build/<triple>/debug/podlab → <tree>/Runtimes/CRI/.build/{debug,release}/podlab-cri
        let components = binDir.split(separator: "/", omittingEmptySubsequences: false)
        if let build = components.lastIndex(where: { $0.hasPrefix(".build") }) {
            let tree = components[..<build].joined(separator: "/")
            for configuration in ["release", "debug"] {
                result.append(tree + "/Runtimes/CRI/.build/" + configuration + "/" + name)
            }
        }
        return result
    }

    /// The first executable candidate.
    /// - Throws: `.notFound` listing where it looked and how to build it.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let places = candidates(environment: environment)
        if let found = places.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw PodlabError(.notFound, "podlab-cri (the CRI client) not found at \(places.joined(separator: ", ")); "
            + "build it with `swift build --package-path Runtimes/CRI` (scripts/deps does) or set PODLAB_CRI")
    }

    /// The running executable (`/proc/self/exe`).
    public static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
