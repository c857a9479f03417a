import Foundation
import PodKit
import PodlabCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the spawn integration tests: temp dirs, the pause binary, a busybox image, and
/// waiting for processes with a deadline so a broken spawner fails a test instead of hanging it.
enum SpawnFixtures {
    static var isRoot: Bool { getuid() == 0 }

    /// A fresh directory under /tmp; the caller removes it with `removeTree`.
    static func makeTempDir(_ label: String) throws -> String {
        let path = "/tmp/podlab-spawn-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Detaches anything still mounted below `path` (deepest first), then deletes it.
    static func removeTree(_ path: String) {
        for mountPoint in mounts(under: path).sorted(by: { $0.count > $1.count }) {
            _ = umount2(mountPoint, Int32(MNT_DETACH))
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Mount points of this process' mount namespace at or below `path` (/proc/self/mountinfo).
    static func mounts(under path: String) -> [String] { MountTable.mountPoints(under: path) }

    /// The `pause` executable built next to the test bundle (`swift build` puts every product in
    /// the same directory).
    static func pauseBinary() throws -> String {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let candidate = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("pause").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw PodlabError(.notFound, "pause binary \(candidate): run `swift build --product pause` first")
        }
        return candidate
    }

    /// A minimal busybox image: bin/busybox from the host's busybox-static plus one symlink per
    /// applet (what `busybox --install -s` makes), and the etc/ files a shell expects.
    static func makeBusyboxImage(at dir: String) throws {
        let fm = FileManager.default
        for sub in ["bin", "etc", "proc", "sys", "dev", "tmp", "root"] {
            try fm.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: "/bin/busybox", toPath: dir + "/bin/busybox")
        let list = try run("/bin/busybox", ["--list"])
        for applet in list.split(separator: "\n") where applet != "busybox" {
            try fm.createSymbolicLink(atPath: dir + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: dir + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\n".write(toFile: dir + "/etc/group", atomically: true, encoding: .utf8)
    }

    /// Runs a host program and returns its stdout.
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Opens (creating) a file to hand to a spawned process as stdout/stderr.
    static func openOutput(_ path: String) throws -> FileDescriptor {
        try FileDescriptor.open(
            FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite])
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// `readlink /proc/<pid>/ns/<kind>`, e.g. `net:[4026532508]`.
    static func namespace(_ kind: String, of pid: pid_t) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)")
    }

    /// Waits for a child (or an orphan re-parented to us as subreaper) to exit, polling until
    /// `timeout`; SIGKILLs and reaps it if it does not, and returns nil then.
    static func wait(for pid: pid_t, timeout: Duration = .seconds(10)) -> SpawnResult.Exit? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return SpawnResult.Exit(waitStatus: status) }
            if r < 0 && errno != EINTR { return nil }
            usleep(5_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return nil
    }

    /// The `SigCgt` mask of /proc/<pid>/status: the signals the process has handlers for.
    static func caughtSignals(of pid: pid_t) -> UInt64 {
        for line in read("/proc/\(pid)/status").split(separator: "\n") where line.hasPrefix("SigCgt:") {
            return UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
        }
        return 0
    }

    /// Polls `condition` every 5 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    /// Kills and reaps `pid` if it is still around (cleanup in `defer`).
    static func killAndReap(_ pid: pid_t) {
        guard kill(pid, 0) == 0 else { return }
        kill(pid, SIGKILL)
        _ = wait(for: pid, timeout: .seconds(5))
    }
}

/// A running pause process holding a fresh sandbox: new pid, ipc, uts and mnt namespaces plus a
/// network namespace of its own, with the pod hostname set.
struct PauseSandbox {
    let pid: pid_t
    let stderrPath: String

    static func start(hostname: String, in dir: String) throws -> PauseSandbox {
        try ProcessSpawner.makeChildSubreaper()  // so pause is re-parented to us and we can reap it
        let stderrPath = dir + "/pause.stderr"
        let err = try SpawnFixtures.openOutput(stderrPath)
        defer { try? err.close() }
        var request = SpawnRequest(arguments: ["/pause"])
        request.executable = try SpawnFixtures.pauseBinary()
        request.newNamespaces = SpawnRequest.Namespaces.sandbox.union(.network)
        request.hostname = hostname
        request.stderr = err
        let result = try ProcessSpawner().spawn(request)
        return PauseSandbox(pid: result.pid, stderrPath: stderrPath)
    }
}
