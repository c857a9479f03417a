import ArgumentParser
import Foundation
import PodlabCore

/// `podlab rootfs pull REF`: execs `podlab-pull` (beside this binary), the only program that
/// loads the HTTP stack, so other commands keep their start-up time.
struct RootfsPullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull an image from an OCI distribution registry (API v2) into the catalog.",
        discussion: """
            REF is [HOST[:PORT]/]REPO[:TAG][@sha256:DIGEST]; without a host, Docker Hub. An image index picks \
            --platform (default this machine's, linux/amd64 here). Credentials come from REGISTRY_AUTH_FILE or \
            ~/.docker/config.json (the `auths` map); otherwise the registry's anonymous bearer token is used. \
            Every manifest, config and layer is checked against its sha256 as it streams: a mismatch is an error \
            and nothing enters the catalog. Blobs are kept, content-addressed, under ROOTFS_DIR/blobs/sha256 and \
            shared by images; an interrupted pull resumes where it stopped. The layers are flattened with the same \
            checks as `rootfs import`. Plain HTTP is used for loopback registries, and for hosts given with \
            --insecure-registry; every other registry must speak HTTPS.
            """)

    @Argument(help: "The image reference.")
    var reference: String

    @Option(name: .long, help: "Catalog name, NAME[:TAG] (default: the reference's repository and tag).")
    var name: String?

    @Option(name: .long, help: "os/arch[/variant] to take from an image index.")
    var platform: String?

    @Option(name: .long, help: "A registry host[:port] that may be reached over plain HTTP (repeatable).")
    var insecureRegistry: [String] = []

    @Option(name: .long, help: UnpackLimitOptions.bytesHelp)
    var maxUnpackBytes: String?

    @Option(name: .long, help: UnpackLimitOptions.entriesHelp)
    var maxUnpackEntries: String?

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func run() throws {
        var arguments = [reference]
        if let name { arguments += ["--name", name] }
        if let platform { arguments += ["--platform", platform] }
        for host in insecureRegistry { arguments += ["--insecure-registry", host] }
        if let maxUnpackBytes { arguments += ["--max-unpack-bytes", maxUnpackBytes] }
        if let maxUnpackEntries { arguments += ["--max-unpack-entries", maxUnpackEntries] }
        if quiet { arguments.append("--quiet") }
        let helper = Self.helperPath()
        guard access(helper, X_OK) == 0 else {
            throw PodlabError(.notFound, "\(helper): podlab-pull is missing (build it with `swift build --product podlab-pull`, next to podlab)")
        }
        let argv = ([helper] + arguments).map { strdup($0) } + [nil]
        execv(helper, argv)
        throw PodlabError.syscall("execv(\(helper))", .init(rawValue: errno))
    }

    /// `podlab-pull` in the directory of the running `podlab` (or `PODLAB_PULL`).
    static func helperPath() -> String {
        if let override = ProcessInfo.processInfo.environment["PODLAB_PULL"], !override.isEmpty { return override }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent + "/podlab-pull"
    }
}
