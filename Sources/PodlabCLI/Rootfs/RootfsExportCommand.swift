import ArgumentParser
import PodlabCore
import RootfsKit

/// `podlab rootfs export NAME -o FILE [--format oci|docker-archive]`.
struct RootfsExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a catalog image as an OCI layout archive or a docker-archive (for skopeo, podman load, docker load).",
        discussion: "One uncompressed layer (the rootfs as podlab unpacks it) and a config with the image's Entrypoint/Cmd/Env. `skopeo copy oci-archive:FILE docker://HOST/REPO:TAG` pushes it.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case oci, dockerArchive = "docker-archive" }

    @Argument(help: "The catalog image (NAME[:TAG]).")
    var image: String

    @Option(name: .shortAndLong, help: "The archive to write.")
    var output: String

    @Option(help: "oci (OCI image layout) or docker-archive (docker save).")
    var format: Format = .oci

    @Option(help: "os/arch[/variant] written into the config (default this machine's).")
    var platform: String?

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let record = try ImageCatalog(paths: paths).resolve(image)
        var exporter = ImageExporter(paths: paths)
        if let platform { exporter.platform = try PlatformSelector(parsing: platform) }
        let digest = try exporter.export(record, to: output, format: format == .oci ? .oci : .dockerArchive)
        print("\(record.reference)  \(digest)  \(output)")
    }
}
