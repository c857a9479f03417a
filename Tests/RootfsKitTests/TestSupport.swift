import CLibArchive
import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

/// A temp directory removed (recursively, without following symlinks) when the test ends.
final class TempDir {
    let path: String

    init(_ label: String = "rootfs") throws {
        var template = Array("/tmp/podlab-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        guard let made else { throw PodlabError.syscall("mkdtemp(\(label))", .init(rawValue: errno)) }
        path = made
    }

    /// podlab paths confined to this temp dir (never the real /var/lib/podlab).
    var paths: PodlabPaths {
        PodlabPaths(
            stateDir: path + "/state", dataDir: path + "/data", rootfsDir: path + "/rootfs",
            labsDir: path + "/labs", reportsDir: path + "/reports")
    }

    func sub(_ name: String) throws -> String {
        let dir = path + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    deinit { try? removeTree(path) }
}

/// Writes test archives with libarchive directly, so tests can produce what podlab's own writer
/// refuses to (absolute paths, `..`, device nodes).
final class TestArchive {
    enum Filter { case none, gzip, xz, zstd }
    private var handle: OpaquePointer?
    let path: String

    init(_ path: String, filter: Filter = .none) throws {
        self.path = path
        guard let a = archive_write_new() else { throw PodlabError(.archive, "archive_write_new") }
        handle = a
        archive_write_set_format_pax_restricted(a)
        switch filter {
        case .none: break
        case .gzip: archive_write_add_filter_gzip(a)
        case .xz: archive_write_add_filter_xz(a)
        case .zstd: archive_write_add_filter_zstd(a)
        }
        guard archive_write_open_filename(a, path) == ARCHIVE_OK else { throw ArchiveReader.error(a, "open \(path)") }
    }

    @discardableResult
    func file(_ name: String, _ content: String = "", mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0, mtime: Int = 1_700_000_000,
              xattrs: [String: String] = [:]) throws -> TestArchive {
        try entry(name, type: S_IFREG, mode: mode, uid: uid, gid: gid, mtime: mtime, data: Array(content.utf8), xattrs: xattrs)
    }

    @discardableResult
    func data(_ name: String, _ bytes: [UInt8], mode: UInt32 = 0o644) throws -> TestArchive {
        try entry(name, type: S_IFREG, mode: mode, data: bytes)
    }

    @discardableResult
    func dir(_ name: String, mode: UInt32 = 0o755, uid: Int = 0, gid: Int = 0, mtime: Int = 1_700_000_000) throws -> TestArchive {
        try entry(name, type: S_IFDIR, mode: mode, uid: uid, gid: gid, mtime: mtime)
    }

    @discardableResult
    func symlink(_ name: String, to target: String, uid: Int = 0) throws -> TestArchive {
        try entry(name, type: S_IFLNK, mode: 0o777, uid: uid, symlink: target)
    }

    @discardableResult
    func hardlink(_ name: String, to target: String) throws -> TestArchive {
        try entry(name, type: S_IFREG, mode: 0o644, hardlink: target)
    }

    @discardableResult
    func device(_ name: String, type: mode_t, major: UInt32, minor: UInt32) throws -> TestArchive {
        try entry(name, type: type, mode: 0o666, rdev: (major, minor))
    }

    @discardableResult
    func fifo(_ name: String) throws -> TestArchive {
        try entry(name, type: S_IFIFO, mode: 0o600)
    }

    func finish() throws {
        guard let a = handle else { return }
        handle = nil
        defer { archive_write_free(a) }
        guard archive_write_close(a) == ARCHIVE_OK else { throw ArchiveReader.error(a, "close \(path)") }
    }

    deinit { if let a = handle { archive_write_free(a) } }

    private func entry(_ name: String, type: mode_t, mode: UInt32, uid: Int = 0, gid: Int = 0, mtime: Int = 1_700_000_000, data: [UInt8] = [],
                       symlink: String? = nil, hardlink: String? = nil, rdev: (UInt32, UInt32)? = nil, xattrs: [String: String] = [:]) throws -> TestArchive {
        guard let a = handle, let e = archive_entry_new() else { throw PodlabError(.archive, "archive closed") }
        defer { archive_entry_free(e) }
        archive_entry_set_pathname(e, name)
        archive_entry_set_filetype(e, UInt32(type))
        archive_entry_set_perm(e, mode_t(mode))
        archive_entry_set_uid(e, la_int64_t(uid))
        archive_entry_set_gid(e, la_int64_t(gid))
        archive_entry_set_mtime(e, time_t(mtime), 0)
        if let symlink { archive_entry_set_symlink(e, symlink) }
        if let hardlink { archive_entry_set_hardlink(e, hardlink) }
        if let rdev {
            archive_entry_set_rdevmajor(e, dev_t(rdev.0))
            archive_entry_set_rdevminor(e, dev_t(rdev.1))
        }
        for (key, value) in xattrs.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(value.utf8)
            bytes.withUnsafeBytes { archive_entry_xattr_add_entry(e, key, $0.baseAddress, $0.count) }
        }
        archive_entry_set_size(e, la_int64_t(type == S_IFREG && hardlink == nil ? data.count : 0))
        guard archive_write_header(a, e) == ARCHIVE_OK else { throw ArchiveReader.error(a, "header \(name)") }
        if !data.isEmpty {
            let written = data.withUnsafeBytes { archive_write_data(a, $0.baseAddress, $0.count) }
            guard written == data.count else { throw ArchiveReader.error(a, "data \(name)") }
        }
        return self
    }
}

/// Every path below `root` (relative, sorted), without following symlinks.
func treeListing(_ root: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    return enumerator.compactMap { $0 as? String }.sorted()
}

func lstatOf(_ path: String) -> stat? {
    var st = stat()
    return lstat(path, &st) == 0 ? st : nil
}

func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

func sha256(ofFile path: String) throws -> String {
    try FileDigest.sha256(ofFile: path).digest
}

/// Runs `body` on its own thread and waits at most `seconds`. On a timeout, `unblock` is called
/// (e.g. opening a FIFO's write end so a reader stuck in open/read returns), the thread is given
/// a few more seconds, and the timeout is recorded as a test failure: a hang on the old code
/// becomes a failing test instead of a stuck run.
func withTimeout<T>(_ seconds: Double, unblock: @escaping @Sendable () -> Void, sourceLocation: Testing.SourceLocation = #_sourceLocation,
                    _ body: @escaping @Sendable () throws -> T) -> Result<T, any Error>? {
    let result = Locked<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        let outcome = Result { try body() }
        result.mutate { $0 = outcome }
        done.signal()
    }
    thread.start()
    if done.wait(timeout: .now() + seconds) == .timedOut {
        Issue.record("did not finish within \(seconds) s (blocked?)", sourceLocation: sourceLocation)
        for _ in 0..<50 {
            unblock()
            if done.wait(timeout: .now() + 0.1) == .success { break }
        }
    }
    return result.value
}

/// The scratch podlab may leave beside the catalog and in the image cache (`.import-*`,
/// `*.tmp-*`, `.tmp-*`), relative to `tmp`'s rootfs and cache dirs.
func scratchLeftovers(_ paths: PodlabPaths) -> [String] {
    let rootfs = ((try? FileManager.default.contentsOfDirectory(atPath: paths.rootfsDir)) ?? [])
        .filter { $0.hasPrefix(".import-") || $0.contains(".tmp-") }
    let cache = ((try? FileManager.default.contentsOfDirectory(atPath: paths.imageCacheDir)) ?? [])
        .filter { $0.hasPrefix(".tmp-") }
    return (rootfs.map { "rootfs/" + $0 } + cache.map { "images/" + $0 }).sorted()
}

/// Builds a `docker save` archive: `manifest.json` listing `layers` (name → tar bytes) in order,
/// a config and RepoTags. `extra` adds entries of the outer archive after the layers.
func dockerSaveArchive(_ path: String, tag: String = "demo:1", layers: [(name: String, bytes: [UInt8])],
                       extra: (TestArchive) throws -> Void = { _ in }) throws {
    let manifest = #"[{"Config":"cfg.json","RepoTags":["\#(tag)"],"Layers":[\#(layers.map { "\"\($0.name)\"" }.joined(separator: ","))]}]"#
    let archive = try TestArchive(path)
    try archive.file("cfg.json", "{}").file("manifest.json", manifest)
    for layer in layers { try archive.data(layer.name, layer.bytes) }
    try extra(archive)
    try archive.finish()
}

/// A layer tarball built by `build`, returned as bytes.
func layerBytes(_ tmp: TempDir, _ name: String, filter: TestArchive.Filter = .none, _ build: (TestArchive) throws -> Void) throws -> [UInt8] {
    let path = tmp.path + "/" + name
    let archive = try TestArchive(path, filter: filter)
    try build(archive)
    try archive.finish()
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The PodlabError an outcome of `withTimeout` failed with, if it failed with one.
func podlabFailure<T>(_ outcome: Result<T, any Error>?) -> PodlabError? {
    guard let outcome else { return nil }
    switch outcome {
    case .success: return nil
    case .failure(let error): return error as? PodlabError
    }
}
