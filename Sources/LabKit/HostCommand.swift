import Foundation
import PodlabCore
import PodlabSyscalls
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs a host command with `posix_spawn` (so no Swift runs in the child), captures its output,
/// and kills its whole process group when the timeout expires (bats-core #1020: killing only
/// the shell leaves its children holding the pipes open).
public enum HostCommand {
    /// What the command did.
    public struct Result: Sendable {
        public var exitCode: Int32
        public var stdout: String
        public var stderr: String
        /// True when the timeout killed it (the exit code is then 137).
        public var timedOut: Bool
    }

    /// Runs `argv` with `environment`, stdin from /dev/null.
    /// - Throws: `PodlabError` when the command cannot be started.
    public static func run(_ argv: [String], environment: [String: String], timeout: Double) throws -> Result {
        // After Ctrl-C/SIGTERM nothing new starts (the next step's script would outlive podlab).
        if InterruptGuard.shared.isInterrupted { throw PodlabError(.invalidState, "interrupted: \(argv.first ?? "") not started") }
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        try makePipe(&outPipe, "stdout")
        defer { closeAll(outPipe) }
        try makePipe(&errPipe, "stderr")
        defer { closeAll(errPipe) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group (killable as a whole), default signal dispositions and an empty
        // mask whatever the runner has installed.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgs = argv.map { strdup($0) }
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let spawnResult = (cArgs + [nil]).withUnsafeBufferPointer { args in
            (cEnv + [nil]).withUnsafeBufferPointer { env -> Int32 in
                guard let argsBase = args.baseAddress, let envBase = env.baseAddress else { return EINVAL }
                return posix_spawn(&pid, argv.first ?? "/bin/sh", &actions, &attributes, argsBase, envBase)
            }
        }
        guard spawnResult == 0 else {
            throw PodlabError.syscall("posix_spawn(\(argv.first ?? ""))", Errno(rawValue: spawnResult))
        }
        InterruptGuard.shared.trackProcessGroup(pid)
        defer { InterruptGuard.shared.untrackProcessGroup(pid) }
        close(outPipe[1]); outPipe[1] = -1
        close(errPipe[1]); errPipe[1] = -1

        let deadline = Date().addingTimeInterval(timeout)
        var stdout = Data(), stderr = Data()
        var open = [outPipe[0], errPipe[0]]
        var timedOut = false
        var status: Int32 = 0
        var exited = false
        var drainUntil: Date?
        while !open.isEmpty {
            if !exited, waitpid(pid, &status, WNOHANG) == pid {
                exited = true
                // Background children may keep the pipes open forever; drain briefly, then stop.
                drainUntil = Date().addingTimeInterval(0.2)
            }
            if let drainUntil, Date() > drainUntil { break }
            if !timedOut, Date() > deadline {
                timedOut = true
                kill(-pid, SIGKILL)
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            if ready <= 0 { continue }
            for descriptor in fds where descriptor.revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let count = read(descriptor.fd, &buffer, buffer.count)
                if count > 0 {
                    if descriptor.fd == outPipe[0] { stdout.append(contentsOf: buffer[0..<count]) } else { stderr.append(contentsOf: buffer[0..<count]) }
                } else {
                    open.removeAll { $0 == descriptor.fd }
                }
            }
        }
        if !exited {
            if Date() > deadline && !timedOut { timedOut = true; kill(-pid, SIGKILL) }
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        // Anything the script left behind in its group goes too.
        kill(-pid, SIGKILL)
        let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(exitCode: exitCode, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self), timedOut: timedOut)
    }

    /// A pipe whose ends are close-on-exec (the child gets copies via dup2 only).
    private static func makePipe(_ fds: inout [Int32], _ name: String) throws {
        let pipe = try makeCloseOnExecPipe(name)
        fds = [pipe.readEnd.rawValue, pipe.writeEnd.rawValue]
    }

    private static func closeAll(_ fds: [Int32]) {
        for fd in fds where fd >= 0 { close(fd) }
    }
}
