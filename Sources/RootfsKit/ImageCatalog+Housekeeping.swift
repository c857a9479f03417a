import Foundation
import PodlabCore

/// `rootfs rm`, `rootfs prune`, and recording images made outside `importImage` (pulls).
extension ImageCatalog {
    /// Records `record` with its tarball moved from `scratchTarball` (same filesystem) to
    /// `<rootfsDir>/<name>_<tag>.tar.gz`, filling in digest and size, replacing an image of the
    /// same name (whose old tarball is removed when no other image uses it).
    func add(_ record: ImageRecord, movingTarballFrom scratchTarball: String) throws -> ImageRecord {
        let (digest, size) = try FileDigest.sha256(ofFile: scratchTarball)
        try FileDigest.sync(scratchTarball)
        let stem = ImageReference(name: record.name, tag: record.tag).fileStem
        return try FileLock.withExclusiveLock(paths.rootfsDir + "/.catalog.lock") {
            let destination = paths.rootfsDir + "/" + stem + ".tar.gz"
            try checkedSyscall("rename(\(scratchTarball), \(destination))") { rename(scratchTarball, destination) }
            var record = record
            record.digest = digest
            record.size = size
            record.tarballPath = destination
            try self.record(record)
            return record
        }
    }

    /// Removes `reference` from the catalog and deletes its tarball unless another image uses
    /// it. Its unpacked cache entry and blobs stay until `prune`.
    ///
    /// - Throws: `.notFound` when the catalog has no such image.
    @discardableResult
    public func remove(_ reference: String) throws -> ImageRecord {
        let wanted = try ImageReference(parsing: reference)
        return try FileLock.withExclusiveLock(paths.rootfsDir + "/.catalog.lock") {
            let records = try load()
            guard let record = records.first(where: { $0.name == wanted.name && $0.tag == wanted.tag }) else {
                let available = records.isEmpty ? "none" : records.map(\.reference).joined(separator: ", ")
                throw PodlabError(.notFound, "rm(\(wanted.name):\(wanted.tag)): no such image in \(catalogPath) (available: \(available))")
            }
            let rest = records.filter { $0.reference != record.reference }
            try write(rest)
            if !rest.contains(where: { $0.tarballPath == record.tarballPath }) { unlink(record.tarballPath) }
            return record
        }
    }

    /// What `prune` removed.
    public struct PruneReport: Sendable, Equatable {
        /// Unpacked cache entries (sha256 of the tarball they came from).
        public var cacheEntries: [String] = []
        /// Blob files (`<hex>` or `<hex>.partial`).
        public var blobs: [String] = []
        /// Bytes freed in the blob store (cache entries are not measured).
        public var blobBytes: Int64 = 0
        /// Cache entries kept because a pod uses them.
        public var inUse: [String] = []
    }

    /// Removes image-cache entries no catalog image's tarball hashes to, and blobs no pulled image
    /// lists, sparing cache entries whose digest is in `inUse` (pods' images: their containers
    /// have the entry mounted as overlay lowerdir).
    public func prune(inUse: Set<String>) throws -> PruneReport {
        try FileLock.withExclusiveLock(paths.rootfsDir + "/.catalog.lock") {
            let records = try load()
            var report = PruneReport()
            let cache = ImageCache(paths: paths)
            let wanted = Set(records.map(\.digest))
            for digest in try cache.cachedDigests() where !wanted.contains(digest) {
                if inUse.contains(digest) { report.inUse.append(digest); continue }
                // Renamed aside first, so no half-removed entry is ever visible under its name.
                let entry = cache.entryPath(digest: digest)
                let aside = paths.imageCacheDir + "/.tmp-\(digest)-prune-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                _ = try FileLock.withExclusiveLock(paths.imageCacheDir + "/\(digest).lock") {
                    try checkedSyscall("rename(\(entry), \(aside))") { rename(entry, aside) }
                }
                try removeTree(aside)
                unlink(paths.imageCacheDir + "/\(digest).lock")
                report.cacheEntries.append(digest)
            }
            let blobs = try BlobStore(paths: paths).prune(keeping: Set(records.flatMap { $0.pulled?.blobDigests ?? [] }))
            report.blobs = blobs.removed
            report.blobBytes = blobs.bytes
            return report
        }
    }
}
