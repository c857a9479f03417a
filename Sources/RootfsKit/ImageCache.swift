import Foundation
import PodlabCore

/// Unpacked images, content-addressed: `<imageCacheDir>/<sha256>/rootfs`, unpacked once per digest.
///
/// Pods mount `rootfs` read-only as an overlay lower layer, so a second pod costs no unpack. An
/// entry appears atomically: unpack into `.tmp-<digest>-<pid>-<random>` beside it, write the
/// `complete` marker, then `rename` the whole directory into place. A half-unpacked image (crash,
/// corrupt archive) is never visible under the final name, and an flock on `<digest>.lock`
/// serialises concurrent unpacks of the same image. A hit is one `stat` of the marker.
///
/// Unpacks are capped by `ExtractionLimits` (`limits`, else `PODLAB_MAX_UNPACK_BYTES` /
/// `PODLAB_MAX_UNPACK_ENTRIES`, else 8 GiB / 1M entries), raised for a catalog image to what it
/// was measured to unpack to at import.
public struct ImageCache {
    public let paths: PodlabPaths
    /// Caps for unpacks; nil: `ExtractionLimits.fromEnvironment()` at each unpack.
    public var limits: ExtractionLimits?
    var cancellation: Cancellation = .signals

    public init(paths: PodlabPaths, limits: ExtractionLimits? = nil) {
        self.paths = paths
        self.limits = limits
    }

    /// The directory holding the unpacked entry for `digest` (parent of `rootfs`).
    public func entryPath(digest: String) -> String { paths.imageCacheDir + "/" + digest }

    /// The unpacked rootfs of `record` (read-only lower dir), unpacking it on first use.
    public func rootfs(for record: ImageRecord) throws -> String {
        try rootfs(tarball: record.tarballPath, digest: record.digest, allowing: (record.unpackedBytes, record.fileCount)).path
    }

    /// `rootfs(for:)`, also saying whether it unpacked (and what the extraction reported).
    public func unpack(_ record: ImageRecord) throws -> (path: String, report: ExtractionReport?) {
        try rootfs(tarball: record.tarballPath, digest: record.digest, allowing: (record.unpackedBytes, record.fileCount))
    }

    /// Like `rootfs(for:)` for any tarball whose sha256 is known; says whether it unpacked.
    public func rootfs(tarball: String, digest: String) throws -> (path: String, report: ExtractionReport?) {
        try rootfs(tarball: tarball, digest: digest, allowing: (nil, nil))
    }

    /// - Parameter allowing: bytes and entries the caps must allow at least (a catalog image's
    ///   measured size: the sha256 check below proves the tarball is the one measured).
    private func rootfs(tarball: String, digest: String, allowing: (bytes: Int64?, entries: Int?)) throws -> (path: String, report: ExtractionReport?) {
        guard digest.count == 64, digest.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw PodlabError(.invalidArgument, "image cache: digest \(digest) is not 64 lowercase hex characters")
        }
        let entry = entryPath(digest: digest)
        let marker = entry + "/complete"
        var st = stat()
        if stat(marker, &st) == 0 { return (entry + "/rootfs", nil) }

        try FileSystem.makeDirectories(paths.imageCacheDir, mode: 0o700)
        return try FileLock.withExclusiveLock(paths.imageCacheDir + "/\(digest).lock") {
            // Another thread or process may have finished while we waited for the lock.
            if stat(marker, &st) == 0 { return (entry + "/rootfs", nil) }
            try removeLeftovers(digest: digest, entry: entry)
            let (actual, _) = try FileDigest.sha256(ofFile: tarball, cancellation: cancellation)
            guard actual == digest else {
                throw PodlabError(.conflict, "image cache: \(tarball) has sha256 \(actual) but the catalog says \(digest); re-import the image")
            }
            let temporary = paths.imageCacheDir + "/.tmp-\(digest)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            // On any error (a cap, ENOSPC, Ctrl-C) the temp dir goes; if even that fails, the next
            // unpack of this digest or `podlab clean` removes it (ScratchLeftovers).
            do {
                try checkedSyscall("mkdir(\(temporary))") { mkdir(temporary, 0o755) }
                try checkedSyscall("mkdir(\(temporary)/rootfs)") { mkdir(temporary + "/rootfs", 0o755) }
                var options = ExtractionOptions(limits: try (limits ?? ExtractionLimits.fromEnvironment()).allowing(bytes: allowing.bytes, entries: allowing.entries))
                options.cancellation = cancellation
                let report = try SafeExtractor(options: options).extract(archive: tarball, into: temporary + "/rootfs")
                let summary = "sha256:\(digest)\nsource: \(tarball)\nentries: \(report.entries)\nwarnings:\n"
                    + report.warnings.map { "  \($0)\n" }.joined()
                guard FileManager.default.createFile(atPath: temporary + "/complete", contents: Data(summary.utf8)) else {
                    throw PodlabError(.invalidState, "write(\(temporary)/complete): cannot create the completion marker")
                }
                try checkedSyscall("rename(\(temporary), \(entry))") { rename(temporary, entry) }
                return (entry + "/rootfs", report)
            } catch {
                try? removeTree(temporary)
                throw error
            }
        }
    }

    /// The sha256 (hex) of a tarball file: the digest that names its cache entry.
    public static func digest(ofTarball path: String) throws -> String {
        try FileDigest.sha256(ofFile: path).digest
    }

    /// Removes every unpacked image (`podlab clean --images`). Pods using one must be gone first.
    public func removeAll() throws {
        guard FileManager.default.fileExists(atPath: paths.imageCacheDir) else { return }
        try removeTree(paths.imageCacheDir)
    }

    /// Digests with a complete cache entry.
    public func cachedDigests() throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.imageCacheDir)) ?? []
        return names.filter { $0.count == 64 && FileManager.default.fileExists(atPath: paths.imageCacheDir + "/" + $0 + "/complete") }.sorted()
    }

    /// Under the digest's lock nobody else is unpacking it: temp dirs for it are crash leftovers,
    /// and an entry without its marker is not ours (the marker is written before the rename).
    ///
    /// A leftover that cannot be removed must not fail this unpack (a failed unpack of a digest
    /// used to make every later one fail): temp dirs have unique names and are left to `podlab
    /// clean`; an unmarked entry is renamed aside first, so the name is free either way.
    private func removeLeftovers(digest: String, entry: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.imageCacheDir)) ?? []
        for name in names where name.hasPrefix(".tmp-\(digest)-") {
            try? removeTree(paths.imageCacheDir + "/" + name)
        }
        guard lstatMode(entry) != nil else { return }
        let aside = paths.imageCacheDir + "/.tmp-\(digest)-stale-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try checkedSyscall("rename(\(entry), \(aside))") { rename(entry, aside) }
        try? removeTree(aside)
    }
}
