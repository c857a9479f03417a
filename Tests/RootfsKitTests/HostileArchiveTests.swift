import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

/// The hostile corpus: each archive tries to write outside the target; each must be refused with
/// an error naming the offending entry, and nothing may appear outside the target.
@Suite("Untrusted archives")
struct HostileArchiveTests {
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        /// The entry the error must name.
        let offendingEntry: String
        /// Builds the archive; `outside` is an absolute directory next to the target.
        let build: @Sendable (TestArchive, String) throws -> Void
    }

    static let cases: [Case] = [
        Case(description: "dot-dot path", offendingEntry: "../evil") { a, _ in
            try a.file("ok", "fine").file("../evil", "pwned")
        },
        Case(description: "dot-dot in the middle", offendingEntry: "a/../../evil") { a, _ in
            try a.dir("a").file("a/../../evil", "pwned")
        },
        Case(description: "absolute path", offendingEntry: "ABS") { a, outside in
            try a.file(outside + "/evil", "pwned")
        },
        Case(description: "write through a symlink to an absolute outside dir", offendingEntry: "link/evil") { a, outside in
            try a.symlink("link", to: outside).file("link/evil", "pwned")
        },
        Case(description: "write through a relative symlink climbing out", offendingEntry: "up/outside/evil") { a, _ in
            try a.symlink("up", to: "../").file("up/outside/evil", "pwned")
        },
        Case(description: "directory entry through a symlink", offendingEntry: "link/newdir") { a, outside in
            try a.symlink("link", to: outside).dir("link/newdir")
        },
        Case(description: "symlink planted deeper, then written through", offendingEntry: "etc/cfg/evil") { a, outside in
            try a.dir("etc").symlink("etc/cfg", to: outside).file("etc/cfg/evil", "pwned")
        },
        Case(description: "hard link to a path outside", offendingEntry: "hl") { a, _ in
            try a.hardlink("hl", to: "../outside/secret")
        },
        Case(description: "hard link to an absolute path", offendingEntry: "hl") { a, outside in
            try a.hardlink("hl", to: outside + "/secret")
        },
        Case(description: "hard link through a symlinked dir", offendingEntry: "hl") { a, outside in
            try a.symlink("d", to: outside).hardlink("hl", to: "d/secret")
        },
    ]

    @Test("hostile archive is refused, entry named, nothing written outside", arguments: cases)
    func refused(_ testCase: Case) throws {
        let tmp = try TempDir("hostile")
        let target = try tmp.sub("target")
        let outside = try tmp.sub("outside")
        try "keep".write(toFile: outside + "/secret", atomically: false, encoding: .utf8)
        let archivePath = tmp.path + "/hostile.tar"
        let archive = try TestArchive(archivePath)
        try testCase.build(archive, outside)
        try archive.finish()
        let before = treeListing(tmp.path).filter { !$0.hasPrefix("target") }

        let error = #expect(throws: PodlabError.self) { try SafeExtractor().extract(archive: archivePath, into: target) }
        #expect(error?.code == .archive)
        let entry = testCase.offendingEntry == "ABS" ? outside + "/evil" : testCase.offendingEntry
        #expect(error?.message.contains("entry \(entry)") == true, "error should name \(entry): \(error?.message ?? "")")

        // Nothing appeared or changed outside the target.
        let after = treeListing(tmp.path).filter { !$0.hasPrefix("target") }
        #expect(after == before)
        #expect(contents(outside + "/secret") == "keep")
        #expect(lstatOf(tmp.path + "/evil") == nil)
        #expect(lstatOf(outside + "/evil") == nil)
        #expect(lstatOf(outside + "/newdir") == nil)
        #expect(lstatOf("/tmp/evil") == nil)
    }

    @Test("symlinks pointing outside are kept as links but never followed")
    func outsideSymlinkIsInert() throws {
        let tmp = try TempDir("symlink")
        let target = try tmp.sub("target")
        let outside = try tmp.sub("outside")
        try "keep".write(toFile: outside + "/secret", atomically: false, encoding: .utf8)
        let archivePath = tmp.path + "/a.tar"
        let archive = try TestArchive(archivePath)
        // A later regular-file entry with the link's name replaces the link instead of writing through it.
        try archive.symlink("passwd", to: outside + "/secret").file("passwd", "inside")
        try archive.symlink("shadow", to: outside + "/secret")
        try archive.hardlink("hl", to: "shadow")
        try archive.finish()

        try SafeExtractor().extract(archive: archivePath, into: target)
        #expect(contents(outside + "/secret") == "keep")
        #expect(contents(target + "/passwd") == "inside")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: target + "/shadow")) == outside + "/secret")
        // The hard link is to the symlink itself (linkat without AT_SYMLINK_FOLLOW).
        #expect(lstatOf(target + "/hl").map { $0.st_mode & S_IFMT } == S_IFLNK)
    }

    @Test("device nodes are skipped with a warning; FIFOs are kept")
    func devicePolicy() throws {
        let tmp = try TempDir("devices")
        let target = try tmp.sub("target")
        let archivePath = tmp.path + "/dev.tar"
        let archive = try TestArchive(archivePath)
        try archive.dir("dev").device("dev/null", type: S_IFCHR, major: 1, minor: 3).device("dev/sda", type: S_IFBLK, major: 8, minor: 0)
        try archive.fifo("run-fifo")
        try archive.finish()

        let report = try SafeExtractor().extract(archive: archivePath, into: target)
        #expect(lstatOf(target + "/dev/null") == nil)
        #expect(lstatOf(target + "/dev/sda") == nil)
        #expect(report.warnings.contains { $0.contains("character device dev/null") })
        #expect(report.warnings.contains { $0.contains("block device dev/sda") })
        #expect(lstatOf(target + "/run-fifo").map { $0.st_mode & S_IFMT } == S_IFIFO)
    }
}
