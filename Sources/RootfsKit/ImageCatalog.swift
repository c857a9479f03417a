import Foundation
import PodlabCore

/// The image catalog: names such as `busybox` or `alpine:3.20` mapped to rootfs tarballs.
///
/// Lives in `PodlabPaths.rootfsDir` as `catalog.json` next to the tarballs (both generated and
/// git-ignored). Reads are lock-free (the file is replaced atomically); changes hold an flock on
/// `.catalog.lock`, so concurrent imports don't lose each other's entries.
public struct ImageCatalog {
    public let paths: PodlabPaths

    public init(paths: PodlabPaths) {
        self.paths = paths
    }

    /// `<rootfsDir>/catalog.json`.
    public var catalogPath: String { paths.rootfsDir + "/catalog.json" }

    /// Every image, sorted by `name:tag`.
    public func list() throws -> [ImageRecord] {
        try load().sorted { $0.reference < $1.reference }
    }

    /// The image a manifest's `image:` names (`busybox` == `busybox:latest`, like docker).
    ///
    /// - Throws: `.notFound` listing the images available and how to add one.
    public func resolve(_ reference: String) throws -> ImageRecord {
        let wanted = try ImageReference(parsing: reference)
        let records = try list()
        guard let record = records.first(where: { $0.name == wanted.name && $0.tag == wanted.tag }) else {
            let available = records.isEmpty ? "none" : records.map(\.reference).joined(separator: ", ")
            let fix = wanted.name == "busybox" && wanted.tag == "latest"
                ? "build it with `podlab rootfs build busybox`"
                : "add it with `podlab rootfs import PATH --name \(wanted.name):\(wanted.tag)` (a rootfs tarball or a docker/podman save archive), or use busybox (`podlab rootfs build busybox`)"
            throw PodlabError(.notFound, "image \(wanted.name):\(wanted.tag) is not in the catalog \(catalogPath) (available: \(available)); \(fix)")
        }
        if let digest = wanted.digest, digest != record.digest {
            throw PodlabError(.conflict, "image \(record.reference) has digest sha256:\(record.digest), not sha256:\(digest)")
        }
        guard FileManager.default.fileExists(atPath: record.tarballPath) else {
            throw PodlabError(.notFound, "image \(record.reference): tarball \(record.tarballPath) is missing; re-import it or run `podlab rootfs build busybox`")
        }
        return record
    }

    /// The default `busybox:latest`, built from `/bin/busybox` first if the catalog lacks it.
    public func ensureDefaultImage() throws -> ImageRecord {
        if let record = try? resolve("busybox:latest") { return record }
        return try buildBusybox()
    }

    /// Builds `busybox:latest` (reproducibly) and records it with the official image's config
    /// (`CMD ["sh"]`, #99), or another name and config for images that differ only in config.
    @discardableResult
    public func buildBusybox(busyboxPath: String = "/bin/busybox", reference: ImageReference = ImageReference(name: "busybox"),
                             config: ImageConfig = BusyboxRootfsBuilder.imageConfig) throws -> ImageRecord {
        try FileSystem.makeDirectories(paths.rootfsDir)
        let path = paths.rootfsDir + "/" + reference.fileStem + ".tar.gz"
        return try FileLock.withExclusiveLock(paths.rootfsDir + "/.catalog.lock") {
            let result = try BusyboxRootfsBuilder(busyboxPath: busyboxPath).build(to: path)
            let (digest, size) = try FileDigest.sha256(ofFile: path)
            var record = ImageRecord(
                name: reference.name, tag: reference.tag, digest: digest, tarballPath: path, size: size,
                fileCount: result.entryCount, source: "built from \(busyboxPath) (\(result.version))")
            record.config = config
            try save(replacing: record, in: try load())
            return record
        }
    }

    /// Imports a rootfs tarball or a `docker save`/`podman save` archive under `reference`
    /// (`NAME[:TAG]`; when nil, the name stored in the image archive is used).
    ///
    /// The archive is checked and unpacked with the extraction policy and `limits` here (see
    /// `ImageArchiveImporter`), so a hostile, damaged or oversized archive fails now, naming the
    /// entry, and nothing is added to the catalog. The work happens in a scratch dir
    /// `.import-<pid>-<n>` beside the catalog, removed on every error and on SIGINT/SIGTERM (once
    /// `ImportInterruption.installSignalHandlers()` ran); the import holds `.scratch.lock` shared
    /// meanwhile, so `ScratchLeftovers.remove` never takes a live import's scratch.
    ///
    /// - Parameter limits: caps on unpacked bytes and entries; nil: `ExtractionLimits.fromEnvironment()`.
    @discardableResult
    public func importImage(from path: String, as reference: String?, limits: ExtractionLimits? = nil) throws -> ImageRecord {
        try importImage(from: path, as: reference, limits: limits, cancellation: .signals)
    }

    func importImage(from path: String, as reference: String?, limits: ExtractionLimits?, cancellation: Cancellation) throws -> ImageRecord {
        let limits = try limits ?? ExtractionLimits.fromEnvironment()
        // Before any scratch exists: a bad name costs nothing.
        let parsedReference = try reference.map { try ImageReference(parsing: $0) }
        try FileSystem.makeDirectories(paths.rootfsDir)
        let lease = try ScratchLeftovers.ImportLease(rootfsDir: paths.rootfsDir)
        defer { lease.release() }
        let scratch = paths.rootfsDir + "/" + ScratchLeftovers.newImportScratchName()
        try checkedSyscall("mkdir(\(scratch))") { mkdir(scratch, 0o700) }
        defer { try? removeTree(scratch) }  // runs before the lease is released
        let output = scratch + "/image.tar"
        let imported = try ImageArchiveImporter(scratch: scratch, limits: limits, cancellation: cancellation).importArchive(at: path, output: output)
        let parsed: ImageReference
        if let parsedReference {
            parsed = parsedReference
        } else if let embedded = imported.embeddedReference {
            parsed = try ImageReference(parsing: embedded)
        } else {
            throw PodlabError(.invalidArgument, "import(\(path)): the archive carries no image name; give one with --name NAME[:TAG]")
        }
        let layout = [ImageArchiveImporter.Layout.rootfs: "rootfs tarball", .dockerManifest: "docker save archive", .ociLayout: "OCI layout archive"][imported.layout] ?? ""
        let layers = imported.layout == .rootfs ? "" : ", \(imported.layerCount) layer\(imported.layerCount == 1 ? "" : "s") flattened"
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        try cancellation.check("import(\(path))")
        return try FileLock.withExclusiveLock(paths.rootfsDir + "/.catalog.lock") {
            let destination = paths.rootfsDir + "/" + parsed.fileStem + imported.fileExtension
            let (digest, size) = try imported.digest ?? FileDigest.sha256(ofFile: output)
            try checkedSyscall("rename(\(output), \(destination))") { rename(output, destination) }
            var record = ImageRecord(
                name: parsed.name, tag: parsed.tag, digest: digest, tarballPath: destination, size: size,
                fileCount: imported.entryCount, source: "imported from \(absolute) (\(layout)\(layers))")
            record.unpackedBytes = imported.unpackedBytes
            record.config = imported.config
            try self.record(record)
            return record
        }
    }

    // MARK: storage

    /// On-disk form: tarball paths relative to the catalog, so the checkout can move.
    private struct CatalogFile: Codable {
        var version = 1
        var images: [ImageRecord]
    }

    func load() throws -> [ImageRecord] {
        guard let data = FileManager.default.contents(atPath: catalogPath) else { return [] }
        let file: CatalogFile
        do { file = try JSONDecoder().decode(CatalogFile.self, from: data) } catch {
            throw PodlabError(.badInput, "\(catalogPath): not a podlab image catalog (\(error)); delete it and re-run `podlab rootfs build busybox` / `podlab rootfs import`")
        }
        return file.images.map { record in
            var record = record
            if !record.tarballPath.hasPrefix("/") { record.tarballPath = paths.rootfsDir + "/" + record.tarballPath }
            // busybox:latest built before podlab kept configs: the tarball is the same, the config is the image's.
            if record.config == nil, record.reference == "busybox:latest", record.source.hasPrefix("built from") {
                record.config = BusyboxRootfsBuilder.imageConfig
            }
            return record
        }
    }

    func save(replacing record: ImageRecord, in records: [ImageRecord]) throws {
        var all = records.filter { $0.reference != record.reference }
        all.append(record)
        try write(all)
    }

    /// Replaces the catalog with `records` (atomically); the caller holds `.catalog.lock`.
    func write(_ records: [ImageRecord]) throws {
        let all = records.sorted { $0.reference < $1.reference }
        let prefix = paths.rootfsDir + "/"
        let stored = all.map { record -> ImageRecord in
            var record = record
            if record.tarballPath.hasPrefix(prefix) { record.tarballPath = String(record.tarballPath.dropFirst(prefix.count)) }
            return record
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(CatalogFile(images: stored))
        let temporary = catalogPath + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data + Data("\n".utf8)) else {
            throw PodlabError(.invalidState, "write(\(temporary)): cannot create the catalog file")
        }
        try checkedSyscall("rename(\(temporary), \(catalogPath))") { rename(temporary, catalogPath) }
    }
}

/// Removes a directory tree without following symlinks (works on read-only dirs as root, and on
/// trees deeper than the descriptor limit: see `AnchoredDirectory.removeTree`).
func removeTree(_ path: String) throws {
    let parent = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    let fd = try checkedSyscall("open(\(parent))") { Glibc.open(parent.isEmpty ? "." : parent, AnchoredDirectory.directoryFlags) }
    defer { close(fd) }
    try AnchoredDirectory.removeTree(name, in: fd, display: parent)
}

extension ImageCatalog {
    /// Saves `record`, replacing the entry of the same reference. A re-import or rebuild that
    /// wrote another tarball leaves the old file unreferenced: it is removed unless another
    /// reference still uses it. Call with the catalog lock held.
    func record(_ record: ImageRecord) throws {
        let previous = try load()
        for old in previous where old.reference == record.reference && old.tarballPath != record.tarballPath
            && !previous.contains(where: { $0.reference != record.reference && $0.tarballPath == old.tarballPath }) {
            unlink(old.tarballPath)
        }
        try save(replacing: record, in: previous)
    }
}

