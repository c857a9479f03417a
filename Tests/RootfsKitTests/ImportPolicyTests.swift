import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

/// `podlab rootfs import` applies the extraction policy itself: a hostile archive is refused at
/// import (not at the first unpack, in someone's `apply`), naming the entry; non-regular files
/// never block it; and no scratch is left behind, whatever stopped the import.
@Suite("Import applies the extraction policy")
struct ImportPolicyTests {
    @Test("every hostile archive of the corpus is refused at import, entry named, nothing recorded or left", arguments: HostileArchiveTests.cases)
    func hostileRefusedAtImport(_ testCase: HostileArchiveTests.Case) throws {
        let tmp = try TempDir("hostile-import")
        let outside = try tmp.sub("outside")
        try "keep".write(toFile: outside + "/secret", atomically: false, encoding: .utf8)
        let archivePath = tmp.path + "/hostile.tar"
        let archive = try TestArchive(archivePath)
        try testCase.build(archive, outside)
        try archive.finish()

        let catalog = ImageCatalog(paths: tmp.paths)
        let error = #expect(throws: PodlabError.self) { try catalog.importImage(from: archivePath, as: "hostile:1") }
        #expect(error?.code == .archive)
        let entry = testCase.offendingEntry == "ABS" ? outside + "/evil" : testCase.offendingEntry
        #expect(error?.message.contains("entry \(entry)") == true, "error should name \(entry): \(error?.message ?? "")")
        #expect(error?.message.contains(archivePath) == true, "error names the user's file, not a scratch copy: \(error?.message ?? "")")
        #expect(try catalog.list().isEmpty, "nothing lands in the catalog")
        #expect(scratchLeftovers(tmp.paths).isEmpty, "left: \(scratchLeftovers(tmp.paths))")
        #expect(contents(outside + "/secret") == "keep")
        #expect(lstatOf(outside + "/evil") == nil && lstatOf(tmp.path + "/evil") == nil)
    }

    @Test("a FIFO given as the path is refused at once, naming it")
    func fifoPath() throws {
        let tmp = try TempDir("fifo-path")
        let fifo = tmp.path + "/image.tar"
        #expect(mkfifo(fifo, 0o600) == 0)
        let paths = tmp.paths
        let outcome = withTimeout(10, unblock: { Self.openWriteEnd(fifo) }) {
            try ImageCatalog(paths: paths).importImage(from: fifo, as: "fifo:1")
        }
        let error = try #require(podlabFailure(outcome), "import of a FIFO must fail with a PodlabError")
        #expect(error.message.contains(fifo) && error.message.contains("FIFO"), "\(error.message)")
        #expect(scratchLeftovers(tmp.paths).isEmpty)
        #expect(try ImageCatalog(paths: tmp.paths).list().isEmpty)
    }

    enum FifoRole: String, CaseIterable, Sendable { case layer, manifest }

    @Test("a docker-save archive whose layer or manifest entry is a FIFO is refused, naming the entry", arguments: FifoRole.allCases)
    func fifoEntryInDockerSave(_ role: FifoRole) throws {
        let tmp = try TempDir("fifo-entry")
        let archivePath = tmp.path + "/save.tar"
        let archive = try TestArchive(archivePath)
        switch role {
        case .layer:
            try archive.file("cfg.json", "{}").file("manifest.json", #"[{"Config":"cfg.json","RepoTags":["x:1"],"Layers":["aaa/layer.tar"]}]"#)
            try archive.dir("aaa").fifo("aaa/layer.tar")
        case .manifest:
            try archive.fifo("manifest.json").file("cfg.json", "{}")
        }
        try archive.finish()
        let paths = tmp.paths
        // The old code blocked opening the FIFO the outer archive had created in the scratch dir.
        let outcome = withTimeout(10, unblock: {
            for scratch in (try? FileManager.default.contentsOfDirectory(atPath: paths.rootfsDir)) ?? [] where scratch.hasPrefix(".import-") {
                Self.openWriteEnd(paths.rootfsDir + "/" + scratch + "/archive/aaa/layer.tar")
                Self.openWriteEnd(paths.rootfsDir + "/" + scratch + "/archive/manifest.json")
            }
        }) {
            try ImageCatalog(paths: paths).importImage(from: archivePath, as: nil)
        }
        let error = try #require(podlabFailure(outcome), "import must fail with a PodlabError")
        let entry = role == .layer ? "aaa/layer.tar" : "manifest.json"
        #expect(error.code == .archive)
        #expect(error.message.contains("entry \(entry)") && error.message.contains("FIFO"), "\(error.message)")
        #expect(scratchLeftovers(tmp.paths).isEmpty, "left: \(scratchLeftovers(tmp.paths))")
    }

    enum GzipDamage: String, CaseIterable, Sendable { case crcField, sizeField, storedBlockData }

    /// A gzip tarball written by podlab's own writer (no padding after the gzip trailer), holding
    /// random bytes: zlib stores incompressible data in "stored" blocks, where a flipped byte is
    /// not noticed by the deflate decoder itself, only by the CRC.
    static func storedGzipTarball(_ path: String) throws {
        var generator = SystemRandomNumberGenerator()
        let payload = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let writer = try ArchiveWriter(path: path, compression: .gzip)
        var header = TarEntryHeader(path: "blob", kind: .regular, permissions: 0o644)
        header.size = Int64(payload.count)
        try payload.withUnsafeBytes { try writer.write(header, data: $0) }
        try writer.finish()
    }

    @Test("a gzip tarball whose CRC-32 or size does not match its data is refused at import", arguments: GzipDamage.allCases)
    func damagedGzipTrailer(_ damage: GzipDamage) throws {
        let tmp = try TempDir("gzcrc")
        let path = tmp.path + "/image.tar.gz"
        try Self.storedGzipTarball(path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        switch damage {
        case .crcField: bytes[bytes.count - 8] ^= 0xff  // trailer: CRC-32 (4 bytes LE), then ISIZE
        case .sizeField: bytes[bytes.count - 4] ^= 0x01
        case .storedBlockData: bytes[bytes.count / 2] ^= 0x01
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // libarchive alone reads it without complaint: that is the gap being closed.
        #expect(throws: Never.self) { try SafeExtractor().extract(archive: path, into: try tmp.sub("plain")) }

        let catalog = ImageCatalog(paths: tmp.paths)
        let error = #expect(throws: PodlabError.self) { try catalog.importImage(from: path, as: "damaged:1") }
        #expect(error?.code == .archive)
        #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
        let expected = damage == .sizeField ? "incorrect length check" : "incorrect data check"
        #expect(error?.message.contains("gzip member 1 is damaged: \(expected)") == true, "\(error?.message ?? "")")
        #expect(try catalog.list().isEmpty)
        #expect(scratchLeftovers(tmp.paths).isEmpty)
    }

    @Test("intact gzip files import: padded, multi-member, and a truncated one is refused")
    func intactGzipVariants() throws {
        let tmp = try TempDir("gzok")
        // Padded: libarchive's writer pads gzip output with zeros to its block size by default.
        let padded = tmp.path + "/padded.tar.gz"
        try ImageCatalogTests.alpineTarball(padded, filter: .gzip)
        try ImageCatalog(paths: tmp.paths).importImage(from: padded, as: "padded")
        // Two gzip members (`cat a.gz b.gz`): the tar stream continues across them.
        let plain = tmp.path + "/plain.tar"
        try ImageCatalogTests.alpineTarball(plain, filter: .none)
        let tar = [UInt8](try Data(contentsOf: URL(fileURLWithPath: plain)))
        let half = tar.count / 2
        let multi = tmp.path + "/multi.tar.gz"
        try Data(try gzip(Array(tar[..<half])) + gzip(Array(tar[half...]))).write(to: URL(fileURLWithPath: multi))
        let record = try ImageCatalog(paths: tmp.paths).importImage(from: multi, as: "multi")
        #expect(record.fileCount == 16)
        // Truncated inside the last member.
        let stored = tmp.path + "/stored.tar.gz"
        try Self.storedGzipTarball(stored)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stored)))
        try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: stored))
        let error = #expect(throws: PodlabError.self) { try ImageCatalog(paths: tmp.paths).importImage(from: stored, as: "cut") }
        #expect(error?.message.contains(stored) == true)
        #expect(scratchLeftovers(tmp.paths).isEmpty)
    }

    @Test("an import cancelled mid-unpack removes its scratch and records nothing")
    func cancelledImport() throws {
        let tmp = try TempDir("cancel")
        let source = tmp.path + "/many.tar"
        let archive = try TestArchive(source)
        for i in 0..<10_000 { try archive.file("d\(i % 50)/f\(i)") }
        try archive.finish()
        let cancellation = Cancellation()
        let paths = tmp.paths
        // Cancel once the unpack into scratch has visibly started.
        let watcher = Thread {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let scratch = ((try? FileManager.default.contentsOfDirectory(atPath: paths.rootfsDir)) ?? []).first { $0.hasPrefix(".import-") }
                if let scratch, lstatOf(paths.rootfsDir + "/" + scratch + "/archive/d0") != nil { break }
                usleep(1000)
            }
            cancellation.cancel("interrupted by the test")
        }
        watcher.start()
        let error = #expect(throws: PodlabError.self) {
            try ImageCatalog(paths: paths).importImage(from: source, as: "many", limits: nil, cancellation: cancellation)
        }
        #expect(error?.message.contains("interrupted by the test") == true, "\(error?.message ?? "")")
        #expect(scratchLeftovers(tmp.paths).isEmpty, "left: \(scratchLeftovers(tmp.paths))")
        #expect(try ImageCatalog(paths: tmp.paths).list().isEmpty)
    }

    @Test("SIGINT during `podlab rootfs import` removes the scratch and exits by the signal")
    func sigintDuringImport() throws {
        let podlab = Self.podlabExecutable
        try #require(FileManager.default.isExecutableFile(atPath: podlab), "\(podlab) is missing: run `swift build --build-tests` first")
        let tmp = try TempDir("sigint")
        let source = tmp.path + "/many.tar.gz"
        let archive = try TestArchive(source, filter: .gzip)
        for i in 0..<60_000 { try archive.file("d\(i % 100)/f\(i)", "x") }
        try archive.finish()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: podlab)
        process.arguments = ["rootfs", "import", source, "--name", "many"]
        process.environment = tmp.paths.environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Interrupt it like Ctrl-C does as soon as its scratch dir exists (60k entries take seconds).
        let deadline = Date().addingTimeInterval(60)
        var started = false
        while Date() < deadline && process.isRunning && !started {
            started = ((try? FileManager.default.contentsOfDirectory(atPath: tmp.paths.rootfsDir)) ?? []).contains { $0.hasPrefix(".import-") }
            if !started { usleep(1000) }
        }
        #expect(started, "the import should have made its scratch dir")
        kill(process.processIdentifier, SIGINT)
        let exitDeadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < exitDeadline { usleep(5000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT,
                "exit: \(process.terminationReason == .uncaughtSignal ? "signal" : "status") \(process.terminationStatus)")
        #expect(scratchLeftovers(tmp.paths).isEmpty, "left: \(scratchLeftovers(tmp.paths))")
        #expect(try ImageCatalog(paths: tmp.paths).list().isEmpty)
    }

    /// The `podlab` executable built next to the test bundle.
    static var podlabExecutable: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("podlab").path
    }

    /// Opens and closes a FIFO's write end without blocking: a reader stuck in open returns.
    static func openWriteEnd(_ path: String) {
        let fd = open(path, O_WRONLY | O_NONBLOCK)
        if fd >= 0 { close(fd) }
    }
}

/// gzip-compresses `bytes` with /bin/gzip (one member).
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let tmp = try TempDir("gz")
    let path = tmp.path + "/data"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", path]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw PodlabError(.invalidState, "gzip -n \(path): exit \(process.terminationStatus)") }
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
}
