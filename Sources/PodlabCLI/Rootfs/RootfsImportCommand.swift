import ArgumentParser
import PodlabCore
import RootfsKit

/// `podlab rootfs import PATH --name NAME[:TAG]`.
struct RootfsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a rootfs tarball (.tar, .tar.gz, .tar.xz, .tar.zst) or a docker/podman save archive.",
        discussion: "Image archives (legacy manifest.json or OCI layout) are flattened: layers applied in order, whiteouts honoured.")

    @Argument(help: "The tarball or image archive.")
    var path: String

    @Option(name: .long, help: "Catalog name, NAME[:TAG] (tag defaults to latest). Optional for image archives that carry a name.")
    var name: String?

    func run() throws {
        let record = try ImageCatalog(paths: .fromEnvironment()).importImage(from: path, as: name)
        print("\(record.reference)  sha256:\(record.digest)  \(record.fileCount) entries  \(record.tarballPath)")
    }
}
