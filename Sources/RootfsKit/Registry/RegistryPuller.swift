import Foundation
import PodlabCore

/// `podlab rootfs pull REF`: an image from an OCI distribution registry (API v2) into the catalog.
///
/// Resolves the tag or digest to a manifest (an index / manifest list picks the `platform`'s
/// entry, as containerd's `images.Manifest` does), verifies every document against its digest,
/// fetches config and layers into the shared `BlobStore` (digest and size verified while
/// streaming, resumed with `Range` after an interruption), then flattens the layers with the
/// same extraction policy as `rootfs import` (`LayerFlattener`) into one rootfs tarball. Any
/// error leaves the catalog as it was; verified blobs stay in the store for the next try.
public struct RegistryPuller {
    public var paths: PodlabPaths
    public var transport: any RegistryTransport
    /// Which entry of an index to take; default this machine's (`linux/amd64` here).
    public var platform: PlatformSelector = .host
    /// Hosts (as written in references) that may be reached over plain HTTP. Loopback always may.
    public var insecureRegistries: Set<String> = []
    /// The credential to use; nil: looked up in `REGISTRY_AUTH_FILE` / `$HOME/.docker/config.json`
    /// as `environment` names them.
    public var credential: RegistryCredential?
    /// Where `REGISTRY_AUTH_FILE` and `HOME` are read from.
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Caps for the flattened image; nil: `ExtractionLimits.fromEnvironment()`.
    public var limits: ExtractionLimits?
    /// Called as blobs download: (short digest, bytes so far, total); and with a finished line.
    public var progress: (@Sendable (PullEvent) -> Void)?
    var cancellation: Cancellation = .signals

    /// What a pull reports as it goes.
    public enum PullEvent: Sendable {
        case resolved(manifestDigest: String, platform: String, layers: Int)
        case blob(digest: String, received: Int64, total: Int64)
        case blobDone(digest: String, size: Int64, cached: Bool, resumedFrom: Int64)
        case flattening
    }

    public init(paths: PodlabPaths, transport: any RegistryTransport) {
        self.paths = paths
        self.transport = transport
    }

    /// Pulls `reference` (`[HOST[:PORT]/]REPO[:TAG][@sha256:…]`) into the catalog as `name`
    /// (default: the reference's name and tag, Docker Hub prefixes dropped).
    @discardableResult
    public func pull(_ reference: String, as name: String? = nil) throws -> ImageRecord {
        let ref = try RegistryReference(parsing: reference)
        let catalogName = try ImageReference(parsing: name ?? ref.catalogName)
        let limits = try self.limits ?? ExtractionLimits.fromEnvironment()
        let credential = try self.credential ?? RegistryCredential.lookup(host: ref.host, environment: environment)
        let client = RegistryClient(transport: transport, reference: ref, insecure: insecureRegistries.contains(ref.host), credential: credential)
        let store = BlobStore(paths: paths)

        // 1. The manifest, through an index when the reference names one.
        var (manifest, manifestDigest) = try fetchManifest(ref.manifestReference, client: client, expected: ref.digest)
        var indexDigest: String?
        if let type = manifest.mediaType, ManifestMediaType.indexes.contains(type) || (manifest.manifests != nil && manifest.layers == nil) {
            indexDigest = manifestDigest
            let entries = manifest.manifests ?? []
            guard let chosen = entries.first(where: { $0.platform.map(platform.matches) ?? false }) else {
                let offered = entries.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" + ($0.variant.map { "/\($0)" } ?? "") } }
                throw PodlabError(.notFound, "\(ref): no image for platform \(platform) in index \(manifestDigest) (it has: \(offered.isEmpty ? "none" : offered.joined(separator: ", "))); choose one with --platform")
            }
            (manifest, manifestDigest) = try fetchManifest(chosen.digest, client: client, expected: chosen.digest)
        }
        guard manifest.schemaVersion == 2, let configDescriptor = manifest.config, let layers = manifest.layers else {
            throw PodlabError(.unsupported, "\(ref): manifest \(manifestDigest) is not an image manifest (schema 2 / OCI with config and layers); schema 1 images are not supported")
        }
        for layer in layers where !Self.layerTypes.contains(layer.mediaType ?? "") {
            throw PodlabError(.unsupported, "\(ref): layer \(layer.digest) has media type \(layer.mediaType ?? "(none)"); podlab reads tar, tar+gzip and tar+zstd layers")
        }
        progress?(.resolved(manifestDigest: manifestDigest, platform: platform.description, layers: layers.count))

        // Pulling what the catalog already holds under this name is a no-op.
        let catalog = ImageCatalog(paths: paths)
        if let existing = try catalog.load().first(where: { $0.name == catalogName.name && $0.tag == catalogName.tag }),
            existing.pulled?.manifestDigest == manifestDigest, lstatMode(existing.tarballPath) != nil {
            return existing
        }

        // 2. Config and layers into the blob store, verified.
        let config = try fetchBlob(configDescriptor, store: store, client: client, quiet: true)
        let imageConfig = try Self.readConfig(config, descriptor: configDescriptor, ref: ref)
        if indexDigest == nil, let os = imageConfig.os, let arch = imageConfig.architecture,
            !platform.matches(.init(architecture: arch, os: os, variant: imageConfig.variant)) {
            throw PodlabError(.notFound, "\(ref): the image is \(os)/\(arch)\(imageConfig.variant.map { "/\($0)" } ?? ""), not \(platform); pull it anyway with --platform \(os)/\(arch)")
        }
        var files: [LayerFlattener.Layer] = []
        for layer in layers {
            files.append(.init(name: "\(ref) layer \(layer.digest)", path: try fetchBlob(layer, store: store, client: client, quiet: false)))
        }

        // 3. Flatten with the import policy, in scratch beside the catalog, then record.
        progress?(.flattening)
        try FileSystem.makeDirectories(paths.rootfsDir)
        let lease = try ScratchLeftovers.ImportLease(rootfsDir: paths.rootfsDir)
        defer { lease.release() }
        let scratch = paths.rootfsDir + "/" + ScratchLeftovers.newImportScratchName()
        try checkedSyscall("mkdir(\(scratch))") { mkdir(scratch, 0o700) }
        defer { try? removeTree(scratch) }
        let rootfs = scratch + "/rootfs", output = scratch + "/image.tar.gz"
        try checkedSyscall("mkdir(\(rootfs))") { mkdir(rootfs, 0o755) }
        let flat = try LayerFlattener(limits: limits, cancellation: cancellation).flatten(files, rootfs: rootfs, output: output)
        try cancellation.check("pull(\(ref))")
        var record = ImageRecord(name: catalogName.name, tag: catalogName.tag, digest: "", tarballPath: output, size: 0,
                                 fileCount: flat.entries, source: "pulled from \(ref.host)/\(ref.repository)@\(manifestDigest)")
        record.unpackedBytes = flat.unpackedBytes
        record.config = imageConfig.config ?? ImageConfig()
        record.pulled = PulledImage(reference: ref.description, indexDigest: indexDigest, manifestDigest: manifestDigest,
                                    platform: platform.description, config: configDescriptor, layers: layers)
        return try catalog.add(record, movingTarballFrom: output)
    }

    static let layerTypes: Set<String> = [
        "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.diff.tar",
    ]

    /// GET a manifest by tag or digest, checking its bytes against `expected` (a digest
    /// reference or an index entry) or, for a tag, against `Docker-Content-Digest` when sent.
    private func fetchManifest(_ reference: String, client: RegistryClient, expected: String?) throws -> (RegistryManifest, String) {
        let response = try client.fetch("manifests/\(reference)", headers: ["Accept": ManifestMediaType.accept])
        guard response.status == 200 else {
            let code: PodlabError.Code = response.status == 404 ? .notFound : .badInput
            throw PodlabError(code, "GET \(client.url("manifests/\(reference)")): HTTP \(response.status)\(response.bodySnippet)")
        }
        let digest = "sha256:" + SHA256.hex(of: response.body)
        if let expected, digest != expected {
            throw PodlabError(.archive, "GET \(client.url("manifests/\(reference)")): manifest has digest \(digest), not \(expected) (digest mismatch: refused)")
        }
        if expected == nil, let sent = response.headers["docker-content-digest"], sent.hasPrefix("sha256:"), sent != digest {
            throw PodlabError(.archive, "GET \(client.url("manifests/\(reference)")): manifest has digest \(digest), the registry says \(sent) (digest mismatch: refused)")
        }
        var manifest = try RegistryManifest.decode(response.body, what: client.url("manifests/\(reference)"))
        if manifest.mediaType == nil, let type = response.headers["content-type"]?.split(separator: ";").first {
            manifest.mediaType = type.trimmingCharacters(in: .whitespaces)
        }
        return (manifest, digest)
    }

    private func fetchBlob(_ descriptor: ContentDescriptor, store: BlobStore, client: RegistryClient, quiet: Bool) throws -> String {
        let progress = quiet ? nil : self.progress
        let fetched = try store.fetch(descriptor, with: client, cancellation: cancellation) { received, total in
            progress?(.blob(digest: descriptor.digest, received: received, total: total))
        }
        progress?(.blobDone(digest: descriptor.digest, size: descriptor.size, cached: fetched.downloaded == 0 && fetched.resumedFrom == descriptor.size,
                            resumedFrom: fetched.resumedFrom == descriptor.size ? 0 : fetched.resumedFrom))
        return fetched.path
    }

    /// The image config blob (OCI image-spec `config.md`): platform fields and `config`.
    struct ConfigFile: Decodable {
        var architecture: String?
        var os: String?
        var variant: String?
        var config: ImageConfig?
    }

    static func readConfig(_ path: String, descriptor: ContentDescriptor, ref: RegistryReference) throws -> ConfigFile {
        guard descriptor.size <= 4 << 20 else { throw PodlabError(.badInput, "\(ref): config \(descriptor.digest) is \(descriptor.size) bytes; limit 4 MiB") }
        guard let data = FileManager.default.contents(atPath: path) else { throw PodlabError(.notFound, "read(\(path)): config blob missing") }
        do { return try JSONDecoder().decode(ConfigFile.self, from: data) } catch {
            throw PodlabError(.badInput, "\(ref): config \(descriptor.digest) is not an image config (\(error))")
        }
    }
}
