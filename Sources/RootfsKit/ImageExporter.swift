import Foundation
import PodlabCore

/// `podlab rootfs export NAME -o FILE`: a catalog image as an archive other tools read: an OCI
/// image layout (image-spec `image-layout.md`, what `skopeo copy oci-archive:` and
/// `podman load` take) or a docker-archive (`docker save`'s legacy `manifest.json` form).
///
/// The image has one uncompressed layer: the rootfs as podlab unpacks it (through the image
/// cache, so with the extraction policy), written by `DirectoryTarWriter`. Uncompressed, the
/// layer's digest is its `diff_id`, so the config is right without a second pass; tools that
/// push it compress it themselves (`skopeo copy --dest-compress-format`). The config carries
/// the record's `ImageConfig` and the platform.
public struct ImageExporter {
    public enum Format: String, Sendable, CaseIterable { case oci, dockerArchive = "docker-archive" }

    public var paths: PodlabPaths
    /// The platform written into the config (and the OCI index entry).
    public var platform: PlatformSelector = .host

    public init(paths: PodlabPaths) {
        self.paths = paths
    }

    /// Writes `record` to `output` (replaced atomically) in `format`; returns the manifest digest
    /// (OCI) or the config digest (docker-archive, whose image ID that is).
    @discardableResult
    public func export(_ record: ImageRecord, to output: String, format: Format) throws -> String {
        let rootfs = try ImageCache(paths: paths).rootfs(for: record)
        let scratch = output + ".tmp-\(getpid())"
        if lstatMode(scratch) != nil { try removeTree(scratch) }
        try checkedSyscall("mkdir(\(scratch))") { mkdir(scratch, 0o700) }
        defer { try? removeTree(scratch) }
        let content = scratch + "/image"
        try FileSystem.makeDirectories(content + "/blobs/sha256")

        // The layer.
        let layerTemp = content + "/layer.tar"
        let writer = try ArchiveWriter(path: layerTemp, compression: .none)
        _ = try DirectoryTarWriter.write(root: rootfs, to: writer)
        try writer.finish()
        let (layerHex, layerSize) = try FileDigest.sha256(ofFile: layerTemp)
        let layer = ContentDescriptor(mediaType: "application/vnd.oci.image.layer.v1.tar", digest: "sha256:" + layerHex, size: layerSize)

        // The config (image-spec config.md).
        struct RootFS: Encodable { var type = "layers"; var diff_ids: [String] }
        struct ConfigFile: Encodable {
            var architecture: String
            var os: String
            var variant: String?
            var config: ImageConfig
            var rootfs: RootFS
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let configBytes = [UInt8](try encoder.encode(ConfigFile(
            architecture: platform.architecture, os: platform.os, variant: platform.variant,
            config: record.config ?? ImageConfig(), rootfs: RootFS(diff_ids: [layer.digest]))))
        let configHex = SHA256.hex(of: configBytes)

        switch format {
        case .oci:
            try checkedSyscall("rename(\(layerTemp))") { rename(layerTemp, content + "/blobs/sha256/" + layerHex) }
            try write(configBytes, to: content + "/blobs/sha256/" + configHex)
            let config = ContentDescriptor(mediaType: "application/vnd.oci.image.config.v1+json", digest: "sha256:" + configHex, size: Int64(configBytes.count))
            struct Manifest: Encodable {
                var schemaVersion = 2
                var mediaType = ManifestMediaType.ociManifest
                var config: ContentDescriptor
                var layers: [ContentDescriptor]
            }
            let manifestBytes = [UInt8](try encoder.encode(Manifest(config: config, layers: [layer])))
            let manifestHex = SHA256.hex(of: manifestBytes)
            try write(manifestBytes, to: content + "/blobs/sha256/" + manifestHex)
            struct IndexEntry: Encodable {
                var mediaType = ManifestMediaType.ociManifest
                var digest: String
                var size: Int
                var platform: ContentDescriptor.Platform
                var annotations: [String: String]
            }
            struct Index: Encodable { var schemaVersion = 2; var mediaType = ManifestMediaType.ociIndex; var manifests: [IndexEntry] }
            let entry = IndexEntry(
                digest: "sha256:" + manifestHex, size: manifestBytes.count,
                platform: .init(architecture: platform.architecture, os: platform.os, variant: platform.variant),
                annotations: ["org.opencontainers.image.ref.name": record.tag, "io.containerd.image.name": record.reference])
            try write([UInt8](try encoder.encode(Index(manifests: [entry]))), to: content + "/index.json")
            try write(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: content + "/oci-layout")
            try pack(content, to: output, scratch: scratch)
            return "sha256:" + manifestHex
        case .dockerArchive:
            try FileSystem.makeDirectories(content + "/" + layerHex)
            try checkedSyscall("rename(\(layerTemp))") { rename(layerTemp, content + "/\(layerHex)/layer.tar") }
            try removeTree(content + "/blobs")
            try write(configBytes, to: content + "/\(configHex).json")
            struct Entry: Encodable { var Config: String; var RepoTags: [String]; var Layers: [String] }
            try write([UInt8](try encoder.encode([Entry(Config: "\(configHex).json", RepoTags: [record.reference], Layers: ["\(layerHex)/layer.tar"])])),
                      to: content + "/manifest.json")
            try pack(content, to: output, scratch: scratch)
            return "sha256:" + configHex
        }
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        let fd = try checkedSyscall("open(\(path))") { Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { try writeFully(fd, $0, path: path) }
    }

    private func pack(_ content: String, to output: String, scratch: String) throws {
        let temporary = scratch + "/out.tar"
        let writer = try ArchiveWriter(path: temporary, compression: .none)
        _ = try DirectoryTarWriter.write(root: content, to: writer)
        try writer.finish()
        try FileDigest.sync(temporary)
        try checkedSyscall("rename(\(temporary), \(output))") { rename(temporary, output) }
    }
}
