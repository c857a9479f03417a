import ArgumentParser
import PodlabCore
import RootfsKit

/// `podlab rootfs import PATH --name NAME[:TAG]`.
struct RootfsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a rootfs tarball (.tar, .tar.gz, .tar.xz, .tar.zst) or a docker/podman save archive.",
        discussion: """
            Image archives (legacy manifest.json or OCI layout) are flattened: layers applied in order, whiteouts honoured. \
            Every archive is checked here with the same extraction policy as unpacking (no '..', absolute paths, writes \
            through symlinks or links outside the image; gzip CRCs verified) and capped in size and entry count, so a \
            hostile or damaged archive fails now, naming the entry, and nothing is added to the catalog. Ctrl-C removes \
            the scratch dir before exiting.
            """)

    @Argument(help: "The tarball or image archive.")
    var path: String

    @Option(name: .long, help: "Catalog name, NAME[:TAG] (tag defaults to latest). Optional for image archives that carry a name.")
    var name: String?

    @Option(name: .long, help: UnpackLimitOptions.bytesHelp)
    var maxUnpackBytes: String?

    @Option(name: .long, help: UnpackLimitOptions.entriesHelp)
    var maxUnpackEntries: String?

    func run() throws {
        let limits = try UnpackLimitOptions.limits(maxBytes: maxUnpackBytes, maxEntries: maxUnpackEntries)
        let record = try ImportInterruption.run {
            try ImageCatalog(paths: .fromEnvironment()).importImage(from: path, as: name, limits: limits)
        }
        print("\(record.reference)  sha256:\(record.digest)  \(record.fileCount) entries  \(record.tarballPath)")
    }
}
