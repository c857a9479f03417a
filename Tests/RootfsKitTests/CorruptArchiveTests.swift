import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

@Suite("Corrupt and truncated archives")
struct CorruptArchiveTests {
    /// A gzip'ed tarball big enough that truncating it cuts file data, not just the trailer. The
    /// content is compressible text, so corrupting the Huffman-coded deflate stream is detected by
    /// libarchive itself; damage that only the gzip CRC reveals (libarchive does not check it) is
    /// covered by ImportPolicyTests.damagedGzipTrailer.
    static func makeTarball(_ path: String) throws {
        let archive = try TestArchive(path, filter: .gzip)
        for i in 0..<8 {
            let text = (0..<4000).map { "line \($0) of file \(i): \(String(repeating: "abc", count: $0 % 7))\n" }.joined()
            try archive.file("file\(i)", text)
        }
        try archive.finish()
    }

    enum Damage: String, CaseIterable, Sendable { case truncated, corrupted }

    @Test("damaged gz fails with file name and libarchive's message, leaving no cache entry", arguments: Damage.allCases)
    func damaged(_ damage: Damage) throws {
        let tmp = try TempDir("corrupt")
        let path = tmp.path + "/image.tar.gz"
        try Self.makeTarball(path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        switch damage {
        case .truncated: bytes = Array(bytes.prefix(bytes.count / 2))
        case .corrupted: for i in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { bytes[i] ^= 0x5a }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let cache = ImageCache(paths: tmp.paths)
        let digest = try sha256(ofFile: path)
        let error = #expect(throws: PodlabError.self) { try cache.rootfs(tarball: path, digest: digest) }
        #expect(error?.code == .archive)
        #expect(error?.message.contains(path) == true, "error names the file: \(error?.message ?? "")")
        // libarchive's own words follow the file name, e.g. "truncated gzip input" / "Damaged tar archive".
        let libarchiveMessage = error?.message.components(separatedBy: "): ").last ?? ""
        #expect(libarchiveMessage.count > 5)
        // No cache entry and no temp dir left behind.
        let leftovers = treeListing(tmp.paths.imageCacheDir).filter { !$0.hasSuffix(".lock") }
        #expect(leftovers.isEmpty, "left in cache: \(leftovers)")
        #expect(try cache.cachedDigests().isEmpty)

        // Importing it fails the same way and records nothing.
        let catalog = ImageCatalog(paths: tmp.paths)
        #expect(throws: PodlabError.self) { try catalog.importImage(from: path, as: "broken:1") }
        #expect(try catalog.list().isEmpty)
        #expect(treeListing(tmp.paths.rootfsDir).filter { $0.hasPrefix(".import") }.isEmpty)
    }

    @Test("a file that is not an archive is refused by name")
    func notAnArchive() throws {
        let tmp = try TempDir("notarchive")
        let path = tmp.path + "/notes.txt"
        try "just text, not a tarball\n".write(toFile: path, atomically: false, encoding: .utf8)
        let error = #expect(throws: PodlabError.self) { try ImageCatalog(paths: tmp.paths).importImage(from: path, as: "notes") }
        #expect(error?.code == .archive)
        #expect(error?.message.contains(path) == true)
    }
}
