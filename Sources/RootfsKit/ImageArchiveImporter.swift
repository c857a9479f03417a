import Foundation
import PodlabCore

/// Turns what users bring into one flat rootfs tarball.
///
/// Every input goes through the same steps, so a hostile or broken archive fails at import,
/// naming the entry, and nothing reaches the catalog:
/// 1. it is copied into the scratch dir (`RegularFile.open`: a FIFO or device is refused, never
///    waited on), so the bytes checked are the bytes stored, whatever happens to the user's file;
/// 2. it is unpacked with `SafeExtractor`, the one extraction policy the cache uses too, under
///    the caller's `ExtractionLimits`;
/// 3. a gzip file then has every member's CRC-32 and size checked (`GzipTrailer`; libarchive
///    skips that), after the caps had their chance to stop a bomb cheaply.
///
/// Then, by what the unpacked top level holds:
/// - a plain rootfs tarball (`.tar`, `.tar.gz`, `.tar.xz`, `.tar.zst`, e.g. Alpine's minirootfs)
///   is stored as is (the scratch copy is renamed into place);
/// - an image archive from `docker save` / `podman save` has its layers applied in order with
///   whiteouts (OCI image spec, layer.md "Whiteouts"), each layer checked and capped the same
///   way, and the result is packed into one tarball. Both layouts are understood: the legacy
///   `manifest.json` (`Layers`), and the OCI layout (`oci-layout`, `index.json`,
///   `blobs/sha256/…`). OCI blobs are checked against their digests. Layers, manifests, configs
///   and blobs must be regular files.
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
        /// Regular-file bytes the rootfs unpacks to (what the cache will write).
        var unpackedBytes: Int64
        /// sha256 and size of `output` when already known (a rootfs tarball is hashed as it is copied).
        var digest: (digest: String, size: Int64)?
        /// The image config's runtime part (Entrypoint, Cmd, Env…) from a docker-save or OCI
        /// archive; nil for a plain rootfs tarball or an image whose config sets none (#100).
        var config: ImageConfig? = nil
    }

    /// A scratch directory (on the same filesystem as the catalog), removed by the caller.
    let scratch: String
    /// Caps for the archive itself and, separately, for the image its layers add up to.
    var limits: ExtractionLimits = .standard
    var cancellation: Cancellation = .signals

    func importArchive(at path: String, output: String) throws -> Imported {
        let input = scratch + "/input"
        let copied = try FileDigest.copyChecked(path, to: input, name: path, cancellation: cancellation)
        let unpacked = scratch + "/archive"
        try checkedSyscall("mkdir(\(unpacked))") { mkdir(unpacked, 0o755) }
        let report = try extractor(applyWhiteouts: false).extract(archive: input, into: unpacked, name: path, budget: ExtractionBudget(limits))
        guard report.entries > 0 else { throw PodlabError(.archive, "import(\(path)): the archive has no entries") }
        try GzipTrailer.verify(input, name: path, maxOutput: GzipTrailer.maxOutput(for: report), cancellation: cancellation)

        switch Self.layout(of: unpacked) {
        case .rootfs:
            let ext = [
                "gzip": ".tar.gz", "xz": ".tar.xz", "zstd": ".tar.zst", "bzip2": ".tar.bz2", "lz4": ".tar.lz4", "none": ".tar",
            ][report.compression] ?? ".tar"
            try FileDigest.sync(input)
            try checkedSyscall("rename(\(input), \(output))") { rename(input, output) }
            return Imported(
                layout: .rootfs, entryCount: report.entries, embeddedReference: nil, fileExtension: ext, layerCount: 1,
                unpackedBytes: report.bytes, digest: copied)
        case let layout:
            unlink(input)  // the unpacked copy is what is read from now on
            let rootfs = scratch + "/rootfs"
            try checkedSyscall("mkdir(\(rootfs))") { mkdir(rootfs, 0o755) }
            let (layers, reference, config) = layout == .ociLayout
                ? try ociLayers(in: unpacked, archive: path) : try dockerLayers(in: unpacked, archive: path)
            let budget = ExtractionBudget(limits)
            let layerExtractor = extractor(applyWhiteouts: true)
            for layer in layers {
                let name = "\(path) layer \(layer.name)"
                let report = try layerExtractor.extract(archive: layer.path, into: rootfs, name: name, budget: budget)
                try GzipTrailer.verify(layer.path, name: name, maxOutput: GzipTrailer.maxOutput(for: report), cancellation: cancellation)
            }
            let writer = try ArchiveWriter(path: output, compression: .gzip)
            let count = try DirectoryTarWriter.write(root: rootfs, to: writer, cancellation: cancellation)
            try writer.finish()
            return Imported(
                layout: layout, entryCount: count, embeddedReference: reference, fileExtension: ".tar.gz", layerCount: layers.count,
                unpackedBytes: budget.bytes, config: config)
        }
    }

    private func extractor(applyWhiteouts: Bool) -> SafeExtractor {
        var options = ExtractionOptions(applyWhiteouts: applyWhiteouts, limits: limits)
        options.cancellation = cancellation
        return SafeExtractor(options: options)
    }

    // MARK: detection

    /// The layout from the unpacked top level: `oci-layout` + `index.json`, else
    /// `manifest.json`, else a plain rootfs.
    static func layout(of unpacked: String) -> Layout {
        func exists(_ name: String) -> Bool { lstatMode(unpacked + "/" + name) != nil }
        return exists("oci-layout") && exists("index.json") ? .ociLayout : exists("manifest.json") ? .dockerManifest : .rootfs
    }

    // MARK: docker save (legacy manifest.json)

    private struct DockerManifestEntry: Decodable {
        var Config: String?
        var RepoTags: [String]?
        var Layers: [String]
    }

    /// A layer file inside the unpacked archive, and its name there (for messages).
    struct Layer {
        var name: String
        var path: String
    }

    private func dockerLayers(in dir: String, archive: String) throws -> ([Layer], String?, ImageConfig?) {
        let data = try readJSON(dir, "manifest.json", archive: archive)
        let manifests: [DockerManifestEntry]
        do { manifests = try JSONDecoder().decode([DockerManifestEntry].self, from: data) } catch {
            throw PodlabError(.archive, "import(\(archive)): manifest.json: \(error)")
        }
        guard let manifest = manifests.first else { throw PodlabError(.archive, "import(\(archive)): manifest.json lists no image") }
        if manifests.count > 1 {
            StandardStreams.error("podlab: \(archive) holds \(manifests.count) images; importing the first\n")
        }
        var config: ImageConfig?
        if let name = manifest.Config {
            let file = try regularFile(dir, name, archive: archive, what: "config")
            config = try imageConfig(try readSmall(file, name: name, archive: archive), name, archive: archive)
        }
        let layers = try manifest.Layers.map { Layer(name: $0, path: try regularFile(dir, $0, archive: archive, what: "layer")) }
        return (layers, manifest.RepoTags?.first, config)
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
    private struct OCIManifest: Decodable { var mediaType: String?; var config: OCIDescriptor?; var layers: [OCIDescriptor] }
    /// An image config blob (docker `Config` file or OCI `config` descriptor): only its runtime part.
    private struct ConfigBlob: Decodable { var config: ImageConfig? }

    /// The runtime config from a config blob (OCI image-spec config.md, `config` object).
    /// An all-empty config is nil, like a tarball without one.
    private func imageConfig(_ data: Data, _ name: String, archive: String) throws -> ImageConfig? {
        let blob: ConfigBlob = try decode(data, "config \(name)", archive: archive)
        return blob.config == ImageConfig() ? nil : blob.config
    }

    private static let indexTypes: Set<String> = [
        "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ]

    private func ociLayers(in dir: String, archive: String) throws -> ([Layer], String?, ImageConfig?) {
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
            let layers = try manifest.layers.map { layer -> Layer in
                let path = try blobPath(dir, layer.digest, archive: archive)
                let actual = try FileDigest.sha256(ofFile: path, cancellation: cancellation).digest
                guard "sha256:" + actual == layer.digest else {
                    throw PodlabError(.archive, "import(\(archive)): layer \(layer.digest) has sha256:\(actual) (corrupt blob)")
                }
                return Layer(name: layer.digest, path: path)
            }
            let config = try manifest.config.map { try imageConfig(try readBlob(dir, $0.digest, archive: archive), $0.digest, archive: archive) } ?? nil
            // `org.opencontainers.image.ref.name` is often just the tag; it is not a full name then.
            if let ref = reference, !ref.contains(":") && !ref.contains("/") { reference = nil }
            return (layers, reference, config)
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
        return try regularFile(dir, "blobs/sha256/\(hex)", archive: archive, what: "blob")
    }

    private func readBlob(_ dir: String, _ digest: String, archive: String) throws -> Data {
        let data = try readSmall(try blobPath(dir, digest, archive: archive), name: digest, archive: archive)
        guard "sha256:" + SHA256.hex(of: [UInt8](data)) == digest else { throw PodlabError(.archive, "import(\(archive)): blob \(digest) does not match its digest") }
        return data
    }

    private func decode<T: Decodable>(_ data: Data, _ what: String, archive: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw PodlabError(.archive, "import(\(archive)): \(what): invalid JSON: \(error)")
        }
    }

    private func readJSON(_ dir: String, _ name: String, archive: String) throws -> Data {
        try readSmall(try regularFile(dir, name, archive: archive, what: "manifest"), name: name, archive: archive)
    }

    /// Manifests, indexes and configs are a few kB; 64 MiB is a generous bound that keeps a
    /// hostile `manifest.json` from being read into memory whole.
    private func readSmall(_ path: String, name: String, archive: String) throws -> Data {
        let fd = try RegularFile.open(path, what: "import(\(archive)): \(name)")
        defer { close(fd) }
        let size = try RegularFile.size(of: fd, path: path)
        guard size <= 64 << 20 else { throw PodlabError(.archive, "import(\(archive)): \(name) is \(size) bytes; manifests and indexes are limited to 64 MiB") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var offset = 0
        while offset < bytes.count {
            let n = try bytes.withUnsafeMutableBytes { buffer in
                try checkedSyscall("read(\(path))") { read(fd, buffer.baseAddress.unsafelyUnwrapped + offset, buffer.count - offset) }
            }
            if n == 0 { break }
            offset += n
        }
        return Data(bytes[0..<offset])
    }

    /// `relative` inside the unpacked image dir, after resolving symlinks (docker save links shared
    /// layers), refusing anything that resolves outside it — a layer must never be a host file —
    /// and anything that is not a regular file: a FIFO named as a layer used to block the import
    /// forever when it was opened.
    private func regularFile(_ dir: String, _ relative: String, archive: String, what: String) throws -> String {
        _ = try ArchivePath.components(of: relative, entry: relative, archive: archive)
        guard let base = realpath(dir, nil) else { throw PodlabError.syscall("realpath(\(dir))", .init(rawValue: errno)) }
        defer { free(base) }
        guard let resolved = realpath(dir + "/" + relative, nil) else {
            throw PodlabError(.archive, "import(\(archive)): \(what) \(relative) is missing from the archive")
        }
        defer { free(resolved) }
        let root = String(cString: base), path = String(cString: resolved)
        guard path.hasPrefix(root + "/") else {
            throw PodlabError(.archive, "import(\(archive)): \(what) \(relative) resolves outside the archive")
        }
        // realpath resolved every symlink, so this lstat sees the file itself.
        guard let mode = lstatMode(path), mode & S_IFMT == S_IFREG else {
            let type = lstatMode(path).map { RegularFile.typeName($0 & S_IFMT) } ?? "missing file"
            throw PodlabError(.archive, "import(\(archive)): entry \(relative): the \(what) is a \(type), not a regular file")
        }
        return path
    }
}

/// `st_mode` of `path` without following a final symlink; nil if it does not exist.
func lstatMode(_ path: String) -> mode_t? {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode : nil
}
