import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

@Suite("busybox image")
struct BusyboxRootfsTests {
    /// CI installs busybox-static; a missing binary is a broken environment, not a reason to skip.
    static func requireBusybox() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: "/bin/busybox"),
            "/bin/busybox is missing: install Debian's busybox-static (apt-get install busybox-static)")
    }

    @Test("building twice gives the same sha256")
    func reproducible() throws {
        try Self.requireBusybox()
        let one = try TempDir("bb1"), two = try TempDir("bb2")
        let first = try ImageCatalog(paths: one.paths).buildBusybox()
        let second = try ImageCatalog(paths: two.paths).buildBusybox()
        #expect(first.digest == second.digest)
        #expect(try sha256(ofFile: first.tarballPath) == first.digest)
        #expect(try sha256(ofFile: second.tarballPath) == first.digest)
        #expect(first.fileCount > 250)
        #expect(first.source.contains("BusyBox"))
    }

    @Test("the image has busybox, every applet as a link to it, and the usual files")
    func layout() throws {
        try Self.requireBusybox()
        let tmp = try TempDir("bblayout")
        let record = try ImageCatalog(paths: tmp.paths).ensureDefaultImage()
        #expect(record.reference == "busybox:latest")
        let rootfs = try ImageCache(paths: tmp.paths).rootfs(for: record)

        let busybox = try #require(lstatOf(rootfs + "/bin/busybox"))
        let sh = try #require(lstatOf(rootfs + "/bin/sh"))
        #expect(sh.st_ino == busybox.st_ino, "applets are hard links to /bin/busybox")
        #expect(busybox.st_mode & 0o7777 == 0o755)
        #expect(Int(busybox.st_nlink) > 250)
        #expect(contents(rootfs + "/etc/passwd")?.hasPrefix("root:x:0:0:") == true)
        #expect(contents(rootfs + "/etc/group")?.contains("root:x:0:") == true)
        #expect(contents(rootfs + "/etc/hosts")?.contains("localhost") == true)
        #expect(contents(rootfs + "/etc/os-release")?.contains("ID=busybox") == true)
        #expect(lstatOf(rootfs + "/tmp").map { $0.st_mode & 0o7777 } == 0o1777)
        #expect(lstatOf(rootfs + "/root").map { $0.st_mode & 0o7777 } == 0o700)
        for dir in ["proc", "sys", "dev", "usr/bin", "sbin", "var"] {
            #expect(lstatOf(rootfs + "/" + dir).map { $0.st_mode & S_IFMT } == S_IFDIR, "/\(dir) exists")
        }
        // ensureDefaultImage does not rebuild once present.
        #expect(try ImageCatalog(paths: tmp.paths).ensureDefaultImage() == record)
    }

    @Test("the unpacked busybox rootfs runs a shell (chroot)", .enabled(if: getuid() == 0))
    func runsInChroot() throws {
        try Self.requireBusybox()
        let tmp = try TempDir("bbrun")
        let record = try ImageCatalog(paths: tmp.paths).ensureDefaultImage()
        let rootfs = try ImageCache(paths: tmp.paths).rootfs(for: record)
        #expect(lstatOf(rootfs + "/bin/busybox").map { $0.st_uid == 0 && $0.st_gid == 0 } == true, "owned by root")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/chroot")
        process.arguments = [rootfs, "/bin/sh", "-c", "echo hello from $(cat /etc/os-release | grep ^ID=)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output == "hello from ID=busybox\n")
    }
}
