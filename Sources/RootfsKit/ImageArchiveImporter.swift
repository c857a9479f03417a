import Foundation
import PodlabCore

/// Turns what users bring into one flat rootfs tarball.
///
/// - A plain rootfs tarball (`.tar`, `.tar.gz`, `.tar.xz`, `.tar.zst`, e.g. Alpine's minirootfs)
///   is checked (read through completely) and copied as is.
/// - An image archive from `docker save` / `podman save` is unpacked into a temp dir, its layers are
///   applied in order with whiteouts (OCI image spec, layer.md "Whiteouts"), and the result is
///   packed into one tarball. Both layouts are understood: the legacy `manifest.json` (`Layers`),
///   and the OCI layout (`oci-layout`, `index.json`, `blobs/sha256/…`). OCI blobs are checked
///   against their digests.
struct ImageArchiveImporter {
    enum Layout: Equatable { case rootfs, dockerManifest, ociLayout }

    /// The outcome: a tarball at `output`, and what the archive said about itself.
    struct Imported {
        var layout: Layout
        var entryCount: Int
        /// The image name the archive carries (`RepoTags`, OCI ref annotations), if any.
        var embeddedReference: String?
        /// File extension matching the compression of `output` (`.tar.gz`…).
        var fileExtension: String
        var layerCount: Int
    }

    /// A scratch directory (on the same filesystem as the catalog), removed by the caller.
    let scratch: String

    func importArchive(at path: String, output: String) throws -> Imported {
        let scan = try Self.scan(path)
        switch scan.layout {
        case .rootfs:
            let ext = [
                "gzip": ".tar.gz", "xz": ".tar.xz", "zstd": ".tar.zst", "bzip2": ".tar.bz2", "lz4": ".tar.lz4", "none": ".tar",
            ][scan.filter] ?? ".tar"
            _ = try FileDigest.copy(path, to: output)
            return Imported(layout: .rootfs, entryCount: scan.entries, embeddedReference: nil, fileExtension: ext, layerCount: 1)
        case .dockerManifest, .ociLayout:
            let unpacked = scratch + "/archive"
            let rootfs = scratch + "/rootfs"
            for dir in [unpacked, rootfs] {
                try checkedSyscall("mkdir(\(dir))") { mkdir(dir, 0o755) }
            }
            try SafeExtractor(options: ExtractionOptions(preserveOwners: false)).extract(archive: path, into: unpacked)
            let (layers, reference) = scan.layout == .ociLayout
                ? try ociLayers(in: unpacked, archive: path) : try dockerLayers(in: unpacked, archive: path)
            let layerExtractor = SafeExtractor(options: ExtractionOptions(applyWhiteouts: true))
            for layer in layers {
                try layerExtractor.extract(archive: layer, into: rootfs)
            }
            let writer = try ArchiveWriter(path: output, compression: .gzip)
            let count = try DirectoryTarWriter.write(root: rootfs, to: writer)
            try writer.finish()
            return Imported(
                layout: scan.layout, entryCount: count, embeddedReference: reference, fileExtension: ".tar.gz", layerCount: layers.count)
        }
    }

    // MARK: detection

    struct Scan {
        var layout: Layout
        var entries: Int
        var filter: String
    }

    /// Reads the whole archive once: detects the layout from top-level names and proves it is
    /// readable to the end (a truncated download fails here, with libarchive's message).
    static func scan(_ path: String) throws -> Scan {
        let reader = try ArchiveReader(path: path)
        defer { reader.close() }
        var topLevel: Set<String> = []
        var count = 0
        while let entry = try reader.nextEntry() {
            count += 1
            var name = entry.pathname
            while name.hasPrefix("./") { name.removeFirst(2) }
            if !name.contains("/") { topLevel.insert(name) }
            try reader.skipData()
        }
        guard count > 0 else { throw PodlabError(.archive, "import(\(path)): the archive has no entries") }
        let layout: Layout =
            topLevel.contains("oci-layout") && topLevel.contains("index.json") ? .ociLayout
            : topLevel.contains("manifest.json") ? .dockerManifest : .rootfs
        return Scan(layout: layout, entries: count, filter: reader.filterName)
    }

    // MARK: docker save (legacy manifest.json)

    private struct DockerManifestEntry: Decodable {
        var Config: String?
        var RepoTags: [String]?
        var Layers: [String]
    }

    private func dockerLayers(in dir: String, archive: String) throws -> ([String], String?) {
        let data = try readJSON(dir, "manifest.json", archive: archive)
        let manifests: [DockerManifestEntry]
        do { manifests = try JSONDecoder().decode([DockerManifestEntry].self, from: data) } catch {
            throw PodlabError(.archive, "import(\(archive)): manifest.json: \(error)")
        }
        guard let manifest = manifests.first else { throw PodlabError(.archive, "import(\(archive)): manifest.json lists no image") }
        if manifests.count > 1 {
            StandardStreams.error("podlab: \(archive) holds \(manifests.count) images; importing the first\n")
        }
        let layers = try manifest.Layers.map { try confined(dir, $0, archive: archive) }
        return (layers, manifest.RepoTags?.first)
    }

    // MARK: OCI image layout

    private struct OCIDescriptor: Decodable {
        struct Platform: Decodable { var architecture: String?; var os: String? }
        var mediaType: String?
        var digest: String
        var annotations: [String: String]?
        var platform: Platform?
    }
    private struct OCIIndex: Decodable { var manifests: [OCIDescriptor] }
    private struct OCIManifest: Decodable { var mediaType: String?; var layers: [OCIDescriptor] }

    private static let indexTypes: Set<String> = [
        "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ]

    private func ociLayers(in dir: String, archive: String) throws -> ([String], String?) {
        var index: OCIIndex = try decode(try readJSON(dir, "index.json", archive: archive), "index.json", archive: archive)
        var reference: String?
        for _ in 0..<4 {  // an index may point to an index (multi-platform images); bounded.
            guard let descriptor = pick(index.manifests) else {
                throw PodlabError(.archive, "import(\(archive)): index.json lists no image manifest")
            }
            let annotations = descriptor.annotations ?? [:]
            reference = reference ?? annotations["io.containerd.image.name"] ?? annotations["org.opencontainers.image.ref.name"]
            let blob = try readBlob(dir, descriptor.digest, archive: archive)
            if let type = descriptor.mediaType, Self.indexTypes.contains(type) {
                index = try decode(blob, descriptor.digest, archive: archive)
                continue
            }
            let manifest: OCIManifest = try decode(blob, descriptor.digest, archive: archive)
            let layers = try manifest.layers.map { layer -> String in
                let path = try blobPath(dir, layer.digest, archive: archive)
                let actual = try FileDigest.sha256(ofFile: path).digest
                guard "sha256:" + actual == layer.digest else {
                    throw PodlabError(.archive, "import(\(archive)): layer \(layer.digest) has sha256:\(actual) (corrupt blob)")
                }
                return path
            }
            // `org.opencontainers.image.ref.name` is often just the tag; it is not a full name then.
            if let ref = reference, !ref.contains(":") && !ref.contains("/") { reference = nil }
            return (layers, reference)
        }
        throw PodlabError(.archive, "import(\(archive)): index.json nests indexes too deeply")
    }

    /// The linux manifest for this machine's architecture if the index says, else the first.
    private func pick(_ descriptors: [OCIDescriptor]) -> OCIDescriptor? {
        #if arch(x86_64)
        let arch = "amd64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = ""
        #endif
        return descriptors.first { $0.platform?.os == "linux" && $0.platform?.architecture == arch } ?? descriptors.first
    }

    private func blobPath(_ dir: String, _ digest: String, archive: String) throws -> String {
        let hex = digest.dropFirst("sha256:".count)
        guard digest.hasPrefix("sha256:"), hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw PodlabError(.archive, "import(\(archive)): unsupported digest \(digest) (podlab reads sha256 blobs)")
        }
        return try confined(dir, "blobs/sha256/\(hex)", archive: archive)
    }

    private func readBlob(_ dir: String, _ digest: String, archive: String) throws -> Data {
        let path = try blobPath(dir, digest, archive: archive)
        guard let data = FileManager.default.contents(atPath: path) else { throw PodlabError(.archive, "import(\(archive)): cannot read \(digest)") }
        guard "sha256:" + SHA256.hex(of: [UInt8](data)) == digest else { throw PodlabError(.archive, "import(\(archive)): blob \(digest) does not match its digest") }
        return data
    }

    private func decode<T: Decodable>(_ data: Data, _ what: String, archive: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw PodlabError(.archive, "import(\(archive)): \(what): invalid JSON: \(error)")
        }
    }

    private func readJSON(_ dir: String, _ name: String, archive: String) throws -> Data {
        let path = try confined(dir, name, archive: archive)
        guard let data = FileManager.default.contents(atPath: path) else { throw PodlabError(.archive, "import(\(archive)): cannot read \(name)") }
        return data
    }

    /// `relative` inside the unpacked image dir, after resolving symlinks (docker save links shared
    /// layers), refusing anything that resolves outside it — a layer must never be a host file.
    private func confined(_ dir: String, _ relative: String, archive: String) throws -> String {
        _ = try ArchivePath.components(of: relative, entry: relative, archive: archive)
        guard let base = realpath(dir, nil) else { throw PodlabError.syscall("realpath(\(dir))", .init(rawValue: errno)) }
        defer { free(base) }
        guard let resolved = realpath(dir + "/" + relative, nil) else {
            throw PodlabError(.archive, "import(\(archive)): \(relative) is missing from the archive")
        }
        defer { free(resolved) }
        let root = String(cString: base), path = String(cString: resolved)
        guard path.hasPrefix(root + "/") else {
            throw PodlabError(.archive, "import(\(archive)): \(relative) resolves outside the archive")
        }
        return path
    }
}
