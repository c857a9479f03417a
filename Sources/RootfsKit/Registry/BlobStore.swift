import Foundation
import PodlabCore

/// Registry blobs (layers, configs), content-addressed under `<rootfsDir>/blobs/sha256/<hex>` and
/// shared by every pulled image, like containerd's content store (`content/local/store.go`).
///
/// A blob enters the store only after its bytes hashed to its digest and its length matched the
/// descriptor: it is streamed into `<hex>.partial` while hashed, and renamed into place once both
/// match. A transfer cut short leaves the partial file, and the next pull asks only for the rest
/// (`Range: bytes=N-`, re-hashing the N bytes it has), like containerd's resumable ingest; a
/// mismatch deletes the partial file, so a bad download never poisons the next one. An flock on
/// `<hex>.lock` keeps two pulls from writing the same blob.
public struct BlobStore {
    /// `<rootfsDir>/blobs/sha256`.
    public let directory: String

    public init(paths: PodlabPaths) {
        directory = paths.rootfsDir + "/blobs/sha256"
    }

    /// The path of a stored blob (present or not).
    public func path(of digest: String) -> String { directory + "/" + digest.dropFirst("sha256:".count) }

    /// True when the blob is stored (it was verified when it was written).
    public func contains(_ digest: String) -> Bool { lstatMode(path(of: digest)).map { $0 & S_IFMT == S_IFREG } ?? false }

    /// Digests (`sha256:<hex>`) of every stored blob.
    public func storedDigests() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.count == 64 }.map { "sha256:" + $0 }.filter(RegistryReference.isSHA256Digest).sorted()
    }

    /// What a download did, for progress lines and tests.
    struct Fetched {
        var path: String
        /// Bytes already present (0: fetched whole; the blob size: it was stored already).
        var resumedFrom: Int64
        var downloaded: Int64
    }

    /// The blob `descriptor` names, from the store or downloaded through `client`.
    ///
    /// - Parameter progress: called with (bytes so far, total) as data arrives.
    /// - Throws: `.archive` on a digest or length mismatch (nothing stored), `.notFound` for a
    ///   404, `.badInput` for other HTTP errors.
    func fetch(_ descriptor: ContentDescriptor, with client: RegistryClient, cancellation: Cancellation,
               progress: (Int64, Int64) -> Void = { _, _ in }) throws -> Fetched {
        guard RegistryReference.isSHA256Digest(descriptor.digest) else {
            throw PodlabError(.unsupported, "blob \(descriptor.digest): podlab verifies sha256 digests only")
        }
        guard descriptor.size >= 0 else { throw PodlabError(.badInput, "blob \(descriptor.digest): negative size \(descriptor.size)") }
        let final = path(of: descriptor.digest)
        if contains(descriptor.digest) { return Fetched(path: final, resumedFrom: descriptor.size, downloaded: 0) }
        try FileSystem.makeDirectories(directory, mode: 0o700)
        return try FileLock.withExclusiveLock(final + ".lock") {
            if contains(descriptor.digest) { return Fetched(path: final, resumedFrom: descriptor.size, downloaded: 0) }
            return try download(descriptor, to: final, with: client, cancellation: cancellation, progress: progress)
        }
    }

    private func download(_ descriptor: ContentDescriptor, to final: String, with client: RegistryClient, cancellation: Cancellation,
                          progress: (Int64, Int64) -> Void) throws -> Fetched {
        let partial = final + ".partial"
        let fd = try checkedSyscall("open(\(partial))") { Glibc.open(partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600) }
        defer { close(fd) }
        var st = stat()
        try checkedSyscall("fstat(\(partial))") { fstat(fd, &st) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw PodlabError(.invalidState, "\(partial) is not a regular file") }
        // Re-hash what an interrupted pull left; a partial file longer than the blob is junk.
        var hasher = SHA256()
        var have = Int64(st.st_size)
        if have > descriptor.size {
            try checkedSyscall("ftruncate(\(partial))") { ftruncate(fd, 0) }
            have = 0
        }
        if have > 0 { try rehash(fd, length: have, into: &hasher, path: partial) }
        let resumedFrom = have
        var written = have
        var headers: [String: String] = [:]
        if have > 0 { headers["Range"] = "bytes=\(have)-" }
        let url = client.url("blobs/\(descriptor.digest)")
        let response = try client.get("blobs/\(descriptor.digest)", headers: headers, begin: { status, responseHeaders in
            // A server that ignores Range answers 200 with the whole blob: start over.
            let resumes = status == 206 && responseHeaders["content-range"]?.hasPrefix("bytes \(have)-") == true
            if !resumes && written > 0 {
                try checkedSyscall("ftruncate(\(partial))") { ftruncate(fd, 0) }
                hasher = SHA256()
                written = 0
            }
            _ = try checkedSyscall("lseek(\(partial))") { lseek(fd, off_t(written), SEEK_SET) }
        }) { chunk in
            try cancellation.check("GET \(url)")
            guard written + Int64(chunk.count) <= descriptor.size else {
                throw PodlabError(.archive, "GET \(url): the registry sends more than the \(descriptor.size) bytes the manifest says; refused")
            }
            try writeFully(fd, chunk, path: partial)
            hasher.update(chunk)
            written += Int64(chunk.count)
            progress(written, descriptor.size)
        }
        guard (200..<300).contains(response.status) else {
            if response.status == 416 { unlink(partial) }  // our Range was wrong: start over next time
            let code: PodlabError.Code = response.status == 404 ? .notFound : .badInput
            throw PodlabError(code, "GET \(url): HTTP \(response.status)\(response.bodySnippet)")
        }
        let actual = "sha256:" + hasher.finalizeHex()
        guard written == descriptor.size, actual == descriptor.digest else {
            unlink(partial)
            throw PodlabError(.archive, "GET \(url): blob is \(written) bytes with digest \(actual), the manifest says \(descriptor.size) bytes with \(descriptor.digest) (digest mismatch: refused, nothing stored)")
        }
        try checkedSyscall("fsync(\(partial))") { fsync(fd) }
        try checkedSyscall("rename(\(partial), \(final))") { rename(partial, final) }
        return Fetched(path: final, resumedFrom: resumedFrom, downloaded: written - resumedFrom)
    }

    private func rehash(_ fd: Int32, length: Int64, into hasher: inout SHA256, path: String) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Int64(buffer.count), length - offset))
            let n = try checkedSyscall("pread(\(path))") { pread(fd, buffer.baseAddress, want, off_t(offset)) }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
        }
    }

    /// Removes every stored blob whose digest is not in `keep`, and stale partial downloads;
    /// returns what was removed and the bytes freed.
    func prune(keeping keep: Set<String>) throws -> (removed: [String], bytes: Int64) {
        var removed: [String] = []
        var bytes: Int64 = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let digest = "sha256:" + (name.hasSuffix(".partial") ? String(name.dropLast(".partial".count)) : name)
            guard RegistryReference.isSHA256Digest(digest), !keep.contains(digest) || name.hasSuffix(".partial") else { continue }
            let file = directory + "/" + name
            let lockPath = self.path(of: digest) + ".lock"
            // Skip a blob another pull is writing right now (it holds the lock).
            let lock = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard lock >= 0 else { continue }
            defer { close(lock) }
            guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue }
            var st = stat()
            if lstat(file, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && unlink(file) == 0 {
                removed.append(name)
                bytes += Int64(st.st_size)
            }
            if !contains(digest) { unlink(lockPath) }
        }
        return (removed.sorted(), bytes)
    }
}
