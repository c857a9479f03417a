import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

@Suite("Content-addressed image cache")
struct ImageCacheTests {
    static func smallImage(_ tmp: TempDir) throws -> ImageRecord {
        let source = tmp.path + "/small.tar.gz"
        let a = try TestArchive(source, filter: .gzip)
        try a.dir("bin").data("bin/tool", Array(repeating: 0x90, count: 300_000), mode: 0o755)
        for i in 0..<200 { try a.file("etc/conf\(i)", "value \(i)\n") }
        try a.finish()
        return try ImageCatalog(paths: tmp.paths).importImage(from: source, as: "small:1")
    }

    @Test("two threads unpacking the same image produce one cache entry, unpacked once")
    func concurrentUnpack() throws {
        let tmp = try TempDir("concurrent")
        let record = try Self.smallImage(tmp)
        let cache = ImageCache(paths: tmp.paths)
        let results = Locked<[(path: String, unpacked: Bool)]>([])
        let errors = Locked<[String]>([])
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                do {
                    let (path, report) = try cache.rootfs(tarball: record.tarballPath, digest: record.digest)
                    results.mutate { $0.append((path, report != nil)) }
                } catch {
                    errors.mutate { $0.append("\(error)") }
                }
            }
        }
        group.wait()
        #expect(errors.value.isEmpty, "\(errors.value)")
        #expect(results.value.count == 2)
        #expect(Set(results.value.map(\.path)).count == 1)
        #expect(results.value.filter(\.unpacked).count == 1, "exactly one thread unpacked")
        let entries = treeListing(tmp.paths.imageCacheDir).filter { !$0.contains("/") && !$0.hasSuffix(".lock") }
        #expect(entries == [record.digest], "one entry, no temp dirs: \(entries)")
        #expect(try cache.cachedDigests() == [record.digest])
        #expect(treeListing(cache.entryPath(digest: record.digest) + "/rootfs").count == 203)
    }

    @Test("a cache hit costs well under a millisecond")
    func cacheHitCost() throws {
        let tmp = try TempDir("hit")
        let record = try Self.smallImage(tmp)
        let cache = ImageCache(paths: tmp.paths)
        let first = try cache.rootfs(for: record)
        let iterations = 1000
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { #expect(try cache.rootfs(for: record) == first) }
        let perHit = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations) / 1e6
        #expect(perHit < 0.5, "cache hit took \(perHit) ms")
    }

    @Test("a half-unpacked leftover from a crash is never used and is cleaned up")
    func crashLeftover() throws {
        let tmp = try TempDir("leftover")
        let record = try Self.smallImage(tmp)
        let cache = ImageCache(paths: tmp.paths)
        // Simulate a crash mid-unpack: a temp dir and an entry without its completion marker.
        try FileManager.default.createDirectory(atPath: tmp.paths.imageCacheDir + "/.tmp-\(record.digest)-1-2/rootfs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cache.entryPath(digest: record.digest) + "/rootfs/partial", withIntermediateDirectories: true)
        let rootfs = try cache.rootfs(for: record)
        #expect(lstatOf(rootfs + "/partial") == nil)
        #expect(lstatOf(rootfs + "/bin/tool") != nil)
        #expect(treeListing(tmp.paths.imageCacheDir).filter { $0.hasPrefix(".tmp-") }.isEmpty)
        try cache.removeAll()
        #expect(lstatOf(tmp.paths.imageCacheDir) == nil)
    }

    @Test("a tarball changed after import is refused instead of cached under the old digest")
    func tamperedTarball() throws {
        let tmp = try TempDir("tamper")
        let record = try Self.smallImage(tmp)
        try Data("x".utf8).write(to: URL(fileURLWithPath: record.tarballPath))
        let error = #expect(throws: PodlabError.self) { try ImageCache(paths: tmp.paths).rootfs(for: record) }
        #expect(error?.code == .conflict)
        #expect(try ImageCache(paths: tmp.paths).cachedDigests().isEmpty)
    }

    @Test("owners, setuid modes, times, hard links and xattrs are preserved as root", .enabled(if: getuid() == 0))
    func metadataAsRoot() throws {
        let tmp = try TempDir("meta")
        let target = try tmp.sub("target")
        let source = tmp.path + "/meta.tar"
        let a = try TestArchive(source)
        try a.dir("srv", mode: 0o750, uid: 33, gid: 33, mtime: 1_500_000_000)
        try a.file("srv/suid", "#!/bin/sh\n", mode: 0o4755, uid: 1234, gid: 5678, mtime: 1_600_000_000, xattrs: ["user.podlab": "yes"])
        try a.hardlink("srv/suid-link", to: "srv/suid")
        try a.symlink("srv/link", to: "suid", uid: 42)
        try a.finish()

        let report = try SafeExtractor().extract(archive: source, into: target)
        let file = try #require(lstatOf(target + "/srv/suid"))
        #expect(file.st_uid == 1234 && file.st_gid == 5678)
        #expect(file.st_mode & 0o7777 == 0o4755, "setuid survives chown")
        #expect(file.st_mtim.tv_sec == 1_600_000_000)
        #expect(lstatOf(target + "/srv/suid-link")?.st_ino == file.st_ino)
        let dir = try #require(lstatOf(target + "/srv"))
        #expect(dir.st_uid == 33 && dir.st_mode & 0o7777 == 0o750)
        #expect(dir.st_mtim.tv_sec == 1_500_000_000, "directory mtime is set after its children")
        #expect(lstatOf(target + "/srv/link")?.st_uid == 42)
        let fd = open(target + "/srv/suid", O_RDONLY)
        defer { close(fd) }
        let xattrs = Xattr.all(fd: fd)
        // Some filesystems lack user xattrs; then the extractor must have said so.
        if xattrs.isEmpty {
            #expect(report.warnings.contains { $0.contains("user.podlab") })
        } else {
            #expect(xattrs.first { $0.name == "user.podlab" }?.value == Array("yes".utf8))
        }
    }
}

/// A tiny lock-protected box for collecting results from threads in tests.
final class Locked<T>: @unchecked Sendable {
    private var storage: T
    private let lock = NSLock()
    init(_ value: T) { storage = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return storage }
    func mutate(_ body: (inout T) -> Void) { lock.lock(); defer { lock.unlock() }; body(&storage) }
}
