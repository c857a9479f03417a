import CPodlab
import Foundation
import PodlabCore
import PodlabSyscalls
import SystemPackage

/// `exec -t`: a new pseudo-terminal for the command (as containerd gives `crictl exec -t`),
/// with this terminal in raw mode and bytes copied both ways until the command exits.
/// Taking over the user's own terminal instead would detach their shell from it.
struct TerminalSession {
    let primary: FileDescriptor
    let replica: FileDescriptor

    /// Opens a pty pair sized like stdin's terminal.
    static func open() throws -> TerminalSession {
        var primary: Int32 = -1, replica: Int32 = -1
        var error = pl_error()
        guard pl_open_pty(0, &primary, &replica, &error) == 0 else { throw error.podlabError }
        return TerminalSession(primary: FileDescriptor(rawValue: primary), replica: FileDescriptor(rawValue: replica))
    }

    /// Runs `body` (which starts the process on the replica and waits for it) on its own thread
    /// while this thread copies stdin → pty and pty → stdout, with stdin in raw mode.
    func run(_ body: @escaping @Sendable () throws -> Int32) throws -> Int32 {
        var saved = termios()
        let isTerminal = tcgetattr(0, &saved) == 0
        if isTerminal {
            var raw = saved
            cfmakeraw(&raw)
            tcsetattr(0, TCSANOW, &raw)
        }
        defer { if isTerminal { tcsetattr(0, TCSANOW, &saved) } }
        let outcome = ExitBox()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            outcome.set(Result { try body() })
            done.signal()
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var stdinOpen = true
        while true {
            var fds = [pollfd(fd: primary.rawValue, events: Int16(POLLIN), revents: 0)]
            if stdinOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            if ready > 0 {
                if fds[0].revents & Int16(POLLIN) != 0 {
                    let count = read(primary.rawValue, &buffer, buffer.count)
                    if count > 0 { _ = write(1, buffer, count) }
                }
                if stdinOpen, fds[1].revents & Int16(POLLIN | POLLHUP) != 0 {
                    let count = read(0, &buffer, buffer.count)
                    if count > 0 { _ = write(primary.rawValue, buffer, count) } else { stdinOpen = false }
                }
            }
            // The command ended: drain what is left in the pty, then stop.
            if done.wait(timeout: .now()) == .success {
                while true {
                    var pending = [pollfd(fd: primary.rawValue, events: Int16(POLLIN), revents: 0)]
                    guard poll(&pending, 1, 0) > 0, pending[0].revents & Int16(POLLIN) != 0 else { break }
                    let count = read(primary.rawValue, &buffer, buffer.count)
                    guard count > 0 else { break }
                    _ = write(1, buffer, count)
                }
                break
            }
        }
        try? replica.close()
        try? primary.close()
        return try outcome.get()
    }
}

/// The exec thread's result, handed to the proxy thread.
private final class ExitBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Int32, any Error> = .success(255)
    func set(_ value: Result<Int32, any Error>) { lock.lock(); result = value; lock.unlock() }
    func get() throws -> Int32 { lock.lock(); defer { lock.unlock() }; return try result.get() }
}
