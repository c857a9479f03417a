import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

/// Caps on what an archive may unpack to, free space, OCI "later layer wins" semantics, and
/// scratch that never poisons a later unpack.
@Suite("Archive limits and layer semantics")
struct ArchiveLimitTests {
    /// A bomb-like tarball: `count` files of `size` zero bytes each, gzip'ed (about 1000:1).
    static func bomb(_ path: String, files count: Int, size: Int) throws {
        let archive = try TestArchive(path, filter: .gzip)
        let zeros = [UInt8](repeating: 0, count: size)
        for i in 0..<count { try archive.data("zeros\(i)", zeros) }
        try archive.finish()
    }

    @Test("a gzip bomb is refused at import before its data is written: limit, entry and the way to raise it named")
    func gzipBomb() throws {
        let tmp = try TempDir("bomb")
        let path = tmp.path + "/bomb.tar.gz"
        try Self.bomb(path, files: 1, size: 64 << 20)  // 64 MiB of zeros, ~64 kB compressed
        let compressed = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(compressed < 1 << 20)
        let limits = ExtractionLimits(maxBytes: 16 << 20, maxEntries: 1000)
        let catalog = ImageCatalog(paths: tmp.paths)
        let error = #expect(throws: PodlabError.self) { try catalog.importImage(from: path, as: "bomb", limits: limits) }
        let message = error?.message ?? ""
        #expect(error?.code == .archive)
        #expect(message.contains("entry zeros0") && message.contains("16 MiB") && message.contains("declares 67108864"), "\(message)")
        #expect(message.contains("--max-unpack-bytes") && message.contains("PODLAB_MAX_UNPACK_BYTES"), "\(message)")
        #expect(try catalog.list().isEmpty)
        #expect(scratchLeftovers(tmp.paths).isEmpty)

        // Raised, it imports, and the catalog remembers the size so the cache allows it later.
        let record = try catalog.importImage(from: path, as: "bomb", limits: ExtractionLimits(maxBytes: 128 << 20, maxEntries: 1000))
        #expect(record.unpackedBytes == 64 << 20)
        let small = ImageCache(paths: tmp.paths, limits: limits)
        let rootfs = try small.rootfs(for: record)
        #expect(lstatOf(rootfs + "/zeros0")?.st_size == 64 << 20)
    }

    @Test("gzip data hidden after the tar end marker (never read by libarchive) is not inflated without bound")
    func bombAfterTarEnd() throws {
        let tmp = try TempDir("bomb-tail")
        let plain = tmp.path + "/small.tar"
        try ImageCatalogTests.alpineTarball(plain, filter: .none)
        let tar = [UInt8](try Data(contentsOf: URL(fileURLWithPath: plain)))
        let path = tmp.path + "/tail.tar.gz"
        try Data(try gzip(tar + [UInt8](repeating: 0, count: 64 << 20))).write(to: URL(fileURLWithPath: path))
        let start = Date()
        let error = #expect(throws: PodlabError.self) { try ImageCatalog(paths: tmp.paths).importImage(from: path, as: "tail") }
        #expect(error?.message.contains("goes on past the tar archive") == true, "\(error?.message ?? "")")
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(scratchLeftovers(tmp.paths).isEmpty)
    }

    @Test("many files each under the cap still stop at the cap, across every layer of an image")
    func capIsPerImage() throws {
        let tmp = try TempDir("cap-layers")
        // Three gzip'ed layers of 6 MiB of zeros each (a few kB each): every layer alone fits a
        // 16 MiB cap, the image does not.
        let layers = try (0..<3).map { n in
            (name: "l\(n)/layer.tar.gz",
             bytes: try layerBytes(tmp, "l\(n)", filter: .gzip) { try $0.data("big\(n)", [UInt8](repeating: 0, count: 6 << 20)) })
        }
        let path = tmp.path + "/save.tar"
        try dockerSaveArchive(path, layers: layers)
        let limits = ExtractionLimits(maxBytes: 16 << 20, maxEntries: 1000)
        let error = #expect(throws: PodlabError.self) { try ImageCatalog(paths: tmp.paths).importImage(from: path, as: "layers", limits: limits) }
        #expect(error?.message.contains("layer l2/layer.tar.gz") == true && error?.message.contains("entry big2") == true, "\(error?.message ?? "")")
        #expect(scratchLeftovers(tmp.paths).isEmpty)
    }

    @Test("the entry-count cap names the first entry past it and how to raise it")
    func entryCap() throws {
        let tmp = try TempDir("entries")
        let path = tmp.path + "/many.tar"
        let archive = try TestArchive(path)
        for i in 0..<150 { try archive.file("f\(i)", "") }
        try archive.finish()
        let limits = ExtractionLimits(maxBytes: 1 << 30, maxEntries: 100)
        let error = #expect(throws: PodlabError.self) { try ImageCatalog(paths: tmp.paths).importImage(from: path, as: "many", limits: limits) }
        let message = error?.message ?? ""
        #expect(message.contains("entry f100") && message.contains("more than 100 entries"), "\(message)")
        #expect(message.contains("--max-unpack-entries") && message.contains("PODLAB_MAX_UNPACK_ENTRIES"), "\(message)")
        #expect(scratchLeftovers(tmp.paths).isEmpty)
        // The same caps apply to a plain unpack, not only to imports.
        let target = try tmp.sub("target")
        #expect(throws: PodlabError.self) { try SafeExtractor(options: ExtractionOptions(limits: limits)).extract(archive: path, into: target) }
    }

    @Test("limits come from PODLAB_MAX_UNPACK_BYTES / _ENTRIES; bad values name the variable")
    func environment() throws {
        #expect(try ExtractionLimits.fromEnvironment([:]) == .standard)
        #expect(ExtractionLimits.standard == ExtractionLimits(maxBytes: 8 << 30, maxEntries: 1_000_000))
        let raised = try ExtractionLimits.fromEnvironment(["PODLAB_MAX_UNPACK_BYTES": "16G", "PODLAB_MAX_UNPACK_ENTRIES": "2000000"])
        #expect(raised == ExtractionLimits(maxBytes: 16 << 30, maxEntries: 2_000_000))
        for (text, value) in [("512", Int64(512)), ("4k", 4096), ("3MiB", 3 << 20), ("2 GB", -1), ("1T", 1 << 40)] where value > 0 {
            #expect(try ExtractionLimits.parseSize(text, what: "x") == value)
        }
        for bad in ["", "0", "-1", "12X", "1.5G", "99999999999T", "2 GB"] {
            let error = #expect(throws: PodlabError.self) { try ExtractionLimits.fromEnvironment(["PODLAB_MAX_UNPACK_BYTES": bad]) }
            #expect(error?.message.hasPrefix("PODLAB_MAX_UNPACK_BYTES: ") == true, "\(bad): \(error?.message ?? "")")
        }
        let error = #expect(throws: PodlabError.self) { try ExtractionLimits.fromEnvironment(["PODLAB_MAX_UNPACK_ENTRIES": "lots"]) }
        #expect(error?.message.hasPrefix("PODLAB_MAX_UNPACK_ENTRIES: ") == true)
    }

    @Test("a file larger than the free space is refused before writing, naming the entry", .enabled(if: getuid() == 0))
    func freeSpace() throws {
        let tmp = try TempDir("space")
        let small = try tmp.sub("small")
        let mounted = "size=2m".withCString { mount("tmpfs", small, "tmpfs", 0, $0) }
        try #require(mounted == 0, "mount tmpfs: \(String(cString: strerror(errno)))")
        defer { umount2(small, Int32(MNT_DETACH)) }
        let path = tmp.path + "/big.tar.gz"
        let archive = try TestArchive(path, filter: .gzip)
        try archive.file("small-first", "fits")
        try archive.data("big", [UInt8](repeating: 1, count: 8 << 20))
        try archive.finish()
        let error = #expect(throws: PodlabError.self) { try SafeExtractor().extract(archive: path, into: small) }
        #expect(error?.message.contains("entry big needs 8388608 bytes") == true && error?.message.contains("fstatvfs(\(small))") == true,
                "\(error?.message ?? "")")
        #expect(error?.description.contains("No space left on device") == true, "\(error?.description ?? "")")
        #expect(lstatOf(small + "/small-first") != nil)
        #expect(lstatOf(small + "/big") == nil, "nothing of the big file was written")
    }

    @Test("a later layer replacing a directory with a file or a symlink wins (OCI layer semantics)")
    func directoryReplacedByFile() throws {
        let tmp = try TempDir("dir2file")
        let lower = try layerBytes(tmp, "lower") { a in
            try a.dir("opt").dir("opt/app").file("opt/app/bin", "old").dir("opt/app/lib").file("opt/app/lib/x.so", "x")
            try a.dir("etc").dir("etc/conf.d").file("etc/conf.d/a", "a")
        }
        let upper = try layerBytes(tmp, "upper") { a in
            try a.file("opt/app", "now a file")
            try a.symlink("etc/conf.d", to: "/usr/share/conf.d")
        }
        let path = tmp.path + "/save.tar"
        try dockerSaveArchive(path, layers: [("a/layer.tar", lower), ("b/layer.tar", upper)])
        let record = try ImageCatalog(paths: tmp.paths).importImage(from: path, as: nil)
        let rootfs = try ImageCache(paths: tmp.paths).rootfs(for: record)
        #expect(contents(rootfs + "/opt/app") == "now a file")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/etc/conf.d")) == "/usr/share/conf.d")
        #expect(lstatOf("/usr/share/conf.d/a") == nil, "the old directory's content was not moved through the link")
    }

    @Test("a directory replaced by a file inside one plain tarball is replaced too")
    func directoryReplacedInOneArchive() throws {
        let tmp = try TempDir("dir2file-plain")
        let path = tmp.path + "/t.tar"
        let archive = try TestArchive(path)
        try archive.dir("x").dir("x/y").file("x/y/z", "deep").file("x", "file wins")
        try archive.finish()
        let target = try tmp.sub("target")
        try SafeExtractor().extract(archive: path, into: target)
        #expect(contents(target + "/x") == "file wins")
    }

    /// Nested directories deeper than the descriptor limit, made directly (as a crash leftover).
    static func deepTree(_ root: String, depth: Int) throws {
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        try #require(fd >= 0)
        for _ in 0..<depth {
            _ = mkdirat(fd, "d", 0o755)
            let next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            close(fd)
            try #require(next >= 0, "openat: \(String(cString: strerror(errno)))")
            fd = next
        }
        _ = openat(fd, "leaf", O_WRONLY | O_CREAT, 0o644) >= 0
        close(fd)
    }

    /// The soft RLIMIT_NOFILE, lowered to 4096 if higher so the tree stays small.
    static func descriptorLimit() -> Int {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur > 4096 {
            limit.rlim_cur = 4096
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    @Test("a leftover deeper than the descriptor limit neither poisons the next unpack of its digest nor survives clean")
    func deepLeftoverDoesNotPoison() throws {
        let tmp = try TempDir("deep")
        let source = tmp.path + "/img.tar"
        try ImageCatalogTests.alpineTarball(source, filter: .none)
        let record = try ImageCatalog(paths: tmp.paths).importImage(from: source, as: "img")
        let cache = ImageCache(paths: tmp.paths)
        let depth = Self.descriptorLimit() + 64
        // A crashed unpack's temp dir and an entry without its marker, both deep.
        let leftover = tmp.paths.imageCacheDir + "/.tmp-\(record.digest)-1-2"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        try Self.deepTree(leftover, depth: depth)
        try FileManager.default.createDirectory(atPath: cache.entryPath(digest: record.digest), withIntermediateDirectories: true)
        try Self.deepTree(cache.entryPath(digest: record.digest), depth: depth)

        let rootfs = try cache.rootfs(for: record)
        #expect(contents(rootfs + "/etc/alpine-release") == "3.20.3\n")
        #expect(scratchLeftovers(tmp.paths).isEmpty, "left: \(scratchLeftovers(tmp.paths))")

        // The same for the remover used by whiteouts, `clean` and the cache.
        let other = try tmp.sub("other")
        try Self.deepTree(other, depth: depth)
        try removeTree(other)
        #expect(lstatOf(other) == nil)
    }

    @Test("a failed unpack (cap too small) leaves nothing; the retry with a raised cap succeeds")
    func failedUnpackThenRetry() throws {
        let tmp = try TempDir("retry")
        let path = tmp.path + "/img.tar.gz"
        try Self.bomb(path, files: 3, size: 4 << 20)
        let digest = try ImageCache.digest(ofTarball: path)
        let tight = ImageCache(paths: tmp.paths, limits: ExtractionLimits(maxBytes: 6 << 20, maxEntries: 100))
        let error = #expect(throws: PodlabError.self) { try tight.rootfs(tarball: path, digest: digest) }
        #expect(error?.message.contains("entry zeros1") == true, "\(error?.message ?? "")")
        #expect(scratchLeftovers(tmp.paths).isEmpty)
        #expect(try tight.cachedDigests().isEmpty)
        let roomy = ImageCache(paths: tmp.paths, limits: ExtractionLimits(maxBytes: 64 << 20, maxEntries: 100))
        let (rootfs, report) = try roomy.rootfs(tarball: path, digest: digest)
        #expect(report?.bytes == 12 << 20)
        #expect(lstatOf(rootfs + "/zeros2")?.st_size == 4 << 20)
    }

    @Test("entry paths of PATH_MAX bytes or more are refused")
    func pathMax() throws {
        let tmp = try TempDir("pathmax")
        let path = tmp.path + "/long.tar"
        let archive = try TestArchive(path)
        try archive.file(String(repeating: "d/", count: 2100) + "f", "x")
        try archive.finish()
        let error = #expect(throws: PodlabError.self) { try SafeExtractor().extract(archive: path, into: try tmp.sub("t")) }
        #expect(error?.message.contains("PATH_MAX") == true, "\(error?.message ?? "")")
    }
}

@Suite("Scratch leftovers (podlab clean)")
struct ScratchLeftoverTests {
    @Test("dead imports' and unpacks' scratch is removed; live ones and everything else are kept")
    func sweep() throws {
        let tmp = try TempDir("sweep")
        let paths = tmp.paths
        let source = tmp.path + "/img.tar"
        try ImageCatalogTests.alpineTarball(source, filter: .none)
        let record = try ImageCatalog(paths: paths).importImage(from: source, as: "img")
        let complete = try ImageCache(paths: paths).rootfs(for: record)
        let other = String(repeating: "ab", count: 32)
        let fm = FileManager.default
        // A live import holds .scratch.lock shared (taken before it makes its scratch dir); a live
        // unpack of `other` holds that digest's lock.
        let importLease = try ScratchLeftovers.ImportLease(rootfsDir: paths.rootfsDir)
        guard case .held(let unpackLock) = ScratchLeftovers.tryExclusiveLock(paths.imageCacheDir + "/\(other).lock") else {
            Issue.record("could not take the digest lock")
            return
        }
        for dir in [".import-111-222/archive/etc", ".import-333-444"] {
            try fm.createDirectory(atPath: paths.rootfsDir + "/" + dir, withIntermediateDirectories: true)
        }
        try "x".write(toFile: paths.rootfsDir + "/.import-111-222/archive/etc/passwd", atomically: false, encoding: .utf8)
        try "{}".write(toFile: paths.rootfsDir + "/catalog.json.tmp-999", atomically: false, encoding: .utf8)
        try "mine".write(toFile: paths.rootfsDir + "/.import-notes", atomically: false, encoding: .utf8)  // not podlab's naming
        try fm.createDirectory(atPath: paths.imageCacheDir + "/.tmp-\(record.digest)-5-6/rootfs/bin", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: paths.imageCacheDir + "/\(other)/rootfs", withIntermediateDirectories: true)  // no marker
        try fm.createDirectory(atPath: paths.imageCacheDir + "/.tmp-\(other)-7-8", withIntermediateDirectories: true)

        let whileLive = ScratchLeftovers.remove(paths: paths)
        #expect(whileLive.failed.isEmpty, "\(whileLive.failed)")
        #expect(Set(whileLive.busy) == Set([
            paths.rootfsDir + "/.import-111-222", paths.rootfsDir + "/.import-333-444",
            paths.imageCacheDir + "/\(other)", paths.imageCacheDir + "/.tmp-\(other)-7-8",
        ]))
        #expect(Set(whileLive.removed) == Set([paths.rootfsDir + "/catalog.json.tmp-999", paths.imageCacheDir + "/.tmp-\(record.digest)-5-6"]))
        #expect(lstatOf(paths.rootfsDir + "/.import-111-222/archive/etc/passwd") != nil, "a live import's scratch is kept")

        importLease.release()
        close(unpackLock)
        let afterwards = ScratchLeftovers.remove(paths: paths)
        #expect(afterwards.failed.isEmpty && afterwards.busy.isEmpty, "\(afterwards)")
        #expect(Set(afterwards.removed) == Set(whileLive.busy))
        #expect(scratchLeftovers(paths) == ["rootfs/.import-notes"], "left: \(scratchLeftovers(paths))")
        #expect(lstatOf(paths.imageCacheDir + "/\(other)") == nil)
        // Kept: the complete cache entry, the catalog, its tarball, and files not named like podlab's scratch.
        #expect(contents(complete + "/etc/alpine-release") == "3.20.3\n")
        #expect(try ImageCatalog(paths: paths).resolve("img") == record)
        #expect(contents(paths.rootfsDir + "/.import-notes") == "mine")
        #expect(ScratchLeftovers.remove(paths: paths) == ScratchCleanupReport())
    }

    @Test("an import sweeps dead imports' scratch when no other import is running")
    func importSweeps() throws {
        let tmp = try TempDir("import-sweep")
        try FileManager.default.createDirectory(atPath: tmp.paths.rootfsDir + "/.import-1-2/archive", withIntermediateDirectories: true)
        let source = tmp.path + "/img.tar"
        try ImageCatalogTests.alpineTarball(source, filter: .none)
        try ImageCatalog(paths: tmp.paths).importImage(from: source, as: "img")
        #expect(scratchLeftovers(tmp.paths).isEmpty, "left: \(scratchLeftovers(tmp.paths))")
    }
}
