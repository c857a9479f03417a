import Foundation
import PodlabCore
import PodlabSyscalls
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// PodlabCore's OS layer against the real kernel: files, locks, mountinfo, teardown logs.
@Suite struct OSLayerTests {
    /// A fresh directory under /tmp, removed by the caller.
    static func scratch(_ label: String) throws -> String {
        let path = "/tmp/podlabcore-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileSystem.makeDirectories(path, mode: 0o700)
        return path
    }

    @Test("mkdir -p makes every missing parent, accepts an existing directory, and names the path it could not make")
    func makeDirectories() throws {
        let root = try Self.scratch("mkdir")
        defer { try? FileSystem.removeTree(root) }
        try FileSystem.makeDirectories("\(root)/a/b/c", mode: 0o700)
        try FileSystem.makeDirectories("\(root)/a/b/c")
        var info = stat()
        #expect(stat("\(root)/a/b/c", &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR)
        try "x".write(toFile: "\(root)/file", atomically: false, encoding: .utf8)
        let error = #expect(throws: PodlabError.self) { try FileSystem.makeDirectories("\(root)/file/sub") }
        #expect(error?.code == .syscall)
        #expect(error?.message == "mkdir(\(root)/file/sub)", "\(String(describing: error))")
    }

    @Test("removeTree removes a symlink, never its target, and treats a missing path as done")
    func removeTreeKeepsSymlinkTargets() throws {
        let root = try Self.scratch("rmtree")
        defer { try? FileSystem.removeTree(root) }
        let outside = try Self.scratch("outside")
        defer { try? FileSystem.removeTree(outside) }
        try "keep".write(toFile: "\(outside)/precious", atomically: false, encoding: .utf8)
        try FileSystem.makeDirectories("\(root)/tree/deep")
        #expect(symlink(outside, "\(root)/tree/deep/link") == 0)
        try FileSystem.removeTree("\(root)/tree")
        #expect(!FileSystem.exists("\(root)/tree"))
        #expect(FileSystem.readText("\(outside)/precious") == "keep")
        try FileSystem.removeTree("\(root)/never-existed")
    }

    @Test("removeTree does not descend into a mount point below it: the tmpfs's file survives, and EBUSY names the mount point",
          .enabled(if: getuid() == 0))
    func removeTreeStopsAtMounts() throws {
        let root = try Self.scratch("mounts")
        let mountPoint = "\(root)/pod/volume with space"
        try FileSystem.makeDirectories(mountPoint)
        try #require(mount("tmpfs", mountPoint, "tmpfs", 0, "size=1m") == 0, "mount tmpfs: \(String(cString: strerror(errno)))")
        defer {
            umount2(mountPoint, Int32(MNT_DETACH))
            try? FileSystem.removeTree(root)
        }
        try "data".write(toFile: "\(mountPoint)/file", atomically: false, encoding: .utf8)
        // The one mountinfo parser decodes `\040`: the mount point is found by its real name.
        #expect(MountTable.mountPoints(under: root) == [mountPoint])
        #expect(MountTable.isMountPoint(mountPoint))
        #expect(!MountTable.isMountPoint("\(root)/pod"), "the directory holding the mount is not one")
        #expect(!MountTable.isMountPoint("\(root)/no-such-dir"))
        let error = #expect(throws: PodlabError.self) { try FileSystem.removeTree("\(root)/pod") }
        #expect(error?.message == "rmdir(\(mountPoint))", "\(String(describing: error))")
        #expect(FileSystem.readText("\(mountPoint)/file") == "data", "removeTree emptied a mounted file system")
    }

    @Test("mountinfo: optional fields, the separator, and octal escapes for space, tab, newline and backslash")
    func mountInfoParsing() throws {
        let text = """
            36 35 98:0 /mnt1 /mnt/with\\040space\\011tab rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue
            37 25 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
            38 25 0:31 / /back\\134slash rw - tmpfs tmpfs rw
            not a mountinfo line
            """
        let entries = MountInfoEntry.parse(text)
        #expect(entries.count == 3)
        #expect(entries[0].mountPoint == "/mnt/with space\ttab")
        #expect(entries[0].root == "/mnt1")
        #expect(entries[0].fileSystemType == "ext3")
        #expect(entries[1].superOptions == ["rw", "memory"])
        #expect(entries[2].mountPoint == "/back\\slash")
        #expect(MountTable.mountPoints(under: "/mnt/with space\ttab", mountinfo: text) == ["/mnt/with space\ttab"])
        #expect(MountTable.mountPoints(under: "/mnt/with", mountinfo: text).isEmpty, "a prefix that is not a path component matched")
    }

    @Test("FileLock excludes a second open file description (another thread or process) until the body returns")
    func fileLockExcludes() throws {
        let root = try Self.scratch("lock")
        defer { try? FileSystem.removeTree(root) }
        let path = "\(root)/lock"
        var contended: Int32 = 0
        try FileLock.withExclusiveLock(path) {
            let other = open(path, O_RDWR | O_CLOEXEC)
            defer { close(other) }
            contended = flock(other, LOCK_EX | LOCK_NB) == 0 ? 0 : errno
        }
        #expect(contended == EWOULDBLOCK)
        let after = open(path, O_RDWR | O_CLOEXEC)
        defer { close(after) }
        #expect(flock(after, LOCK_EX | LOCK_NB) == 0, "the lock outlived its body")
        let error = #expect(throws: PodlabError.self) { try FileLock.withExclusiveLock("\(root)/missing/lock") {} }
        #expect(error?.message == "open(\(root)/missing/lock)")
    }

    @Test("TeardownLog goes on past a failure and keeps each failed step with its error")
    func teardownLog() {
        var log = TeardownLog()
        var ran: [String] = []
        log.attempt("unmount shm") { ran.append("shm"); throw PodlabError.syscall("umount2(/x/shm)", errnoValue: EBUSY) }
        log.attempt("remove cgroup") { ran.append("cgroup") }
        log.record("veth v1 still exists")
        #expect(ran == ["shm", "cgroup"])
        #expect(log.failures.count == 2)
        #expect(log.failures[0].hasPrefix("unmount shm: umount2(/x/shm): "))
        #expect(log.failures[1] == "veth v1 still exists")
    }

    @Test("StateFile.replace writes exactly the mode asked, whatever the umask, and leaves no temporary file")
    func stateFileMode() throws {
        let root = try Self.scratch("state")
        defer { try? FileSystem.removeTree(root) }
        let old = umask(0o077)
        defer { umask(old) }
        try StateFile.replace("\(root)/pod.json", with: Data("{}".utf8), permissions: 0o644)
        var info = stat()
        #expect(stat("\(root)/pod.json", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o644)
        #expect(try FileSystem.list(root) == ["pod.json"])
    }

    @Test("pollUntil returns as soon as the condition holds, and false after the timeout")
    func polling() {
        var calls = 0
        #expect(pollUntil(timeout: 5) { calls += 1; return calls == 3 })
        #expect(calls == 3)
        let start = monotonicSeconds()
        #expect(!pollUntil(timeout: 0.05) { false })
        let elapsed = monotonicSeconds() - start
        #expect(elapsed >= 0.05 && elapsed < 1, "\(elapsed)")
    }

    @Test("readWholeText reads a procfs file to its end, past the 4 KiB Foundation stops at")
    func readWholeProcfsFile() throws {
        // This test process maps far more than 4 KiB of /proc/self/maps lines (libraries, stacks).
        let maps = try #require(FileSystem.readWholeText("/proc/self/maps"))
        #expect(maps.utf8.count > 4096, "\(maps.utf8.count) bytes")
        #expect(maps.hasSuffix("\n"), "the last line is whole")
        let foundation = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        #expect(maps.utf8.count > foundation.utf8.count, "Foundation read \(foundation.utf8.count) bytes; if it reads whole files now, readWholeText can go")
        #expect(FileSystem.readWholeText("/proc/self/no-such-file") == nil)
    }

    @Test("isMountPoint sees a bind mount on the same file system (statx STATX_ATTR_MOUNT_ROOT), which a device comparison would miss",
          .enabled(if: getuid() == 0))
    func bindMountIsAMountPoint() throws {
        let root = try Self.scratch("bind")
        let source = "\(root)/source", target = "\(root)/target"
        try FileSystem.makeDirectories(source)
        try FileSystem.makeDirectories(target)
        defer {
            umount2(target, Int32(MNT_DETACH))
            try? FileSystem.removeTree(root)
        }
        #expect(!MountTable.isMountPoint(target))
        try #require(mount(source, target, nil, UInt(MS_BIND), nil) == 0, "bind mount: \(String(cString: strerror(errno)))")
        #expect(MountTable.isMountPoint(target))
        #expect(!MountTable.isMountPoint(source))
        #expect(MountTable.mountPoints(under: root) == [target], "mountinfo agrees")
    }

    @Test("mountinfo: a type filter keeps only those lines, and parses them like the full parse")
    func filteredParse() {
        let text = """
            22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
            30 22 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:12 - cgroup cgroup rw,memory
            31 22 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate
            74 27 0:42 / /run/podlab/pods/a/shm rw,nosuid - tmpfs shm rw,size=65536k
            """
        let cgroups = MountInfoEntry.parse(text, fileSystemTypes: ["cgroup", "cgroup2"])
        #expect(cgroups.map(\.mountPoint) == ["/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"])
        #expect(cgroups == MountInfoEntry.parse(text).filter { $0.fileSystemType.hasPrefix("cgroup") })
        #expect(cgroups.first?.superOptions == ["rw", "memory"])
    }
}
