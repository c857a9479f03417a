import PodKit
import PodlabCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Written by the signal handler, read by the guard's thread (the self-pipe trick: `write` is
/// async-signal-safe, Swift code is not).
nonisolated(unsafe) private var interruptPipe: [Int32] = [-1, -1]
nonisolated(unsafe) private var interruptCount: Int32 = 0

/// Ctrl-C and SIGTERM handling for lab runs: kill running host scripts, delete every running
/// lab's pods via `deleteAll(namespace:)`, then exit 130.
///
/// A real handler (not `SIG_IGN`) is used on purpose: ignored signals are inherited across
/// `exec`, so ignoring SIGTERM here would make every container the backend starts immune to
/// `kill -TERM`. Caught signals reset to the default on exec. A second Ctrl-C exits at once.
public final class InterruptGuard: @unchecked Sendable {
    public static let shared = InterruptGuard()

    /// The exit status after an interrupt (128 + SIGINT, what shells report for Ctrl-C).
    public static let exitStatus: Int32 = 130

    private let lock = NSLock()
    private var installed = false
    private var cleanups: [UUID: () -> Void] = [:]
    private var processGroups: Set<pid_t> = []
    /// Set when the first signal is handled: from then on nothing new may start.
    private var interrupting = false
    /// Set by `finishCommand`: the command's result stands, a late signal is ignored.
    private var finished = false

    private init() {}

    /// Installs the SIGINT/SIGTERM handlers once per process.
    public func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        guard pipe(&interruptPipe) == 0 else { return }
        for fd in interruptPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let handler: @convention(c) (Int32) -> Void = { signal in
            interruptCount += 1
            if interruptCount > 1 { _exit(InterruptGuard.exitStatus) }
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(interruptPipe[1], &byte, 1)
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may have started us with these blocked (Foundation's Process blocks most
        // signals in its children): unblock them, or Ctrl-C/kill -TERM would never clean up.
        var handled = sigset_t()
        sigemptyset(&handled)
        sigaddset(&handled, SIGINT)
        sigaddset(&handled, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        let thread = Thread { [weak self] in
            var byte: UInt8 = 0
            while read(interruptPipe[0], &byte, 1) < 0 && errno == EINTR {}
            self?.interrupted(signal: Int32(byte))
        }
        thread.name = "podlab-interrupt"
        thread.start()
    }

    /// Registers work to do on interrupt (deleting a lab's pods). Returns a token for `unregister`.
    public func register(_ cleanup: @escaping () -> Void) -> UUID {
        let token = UUID()
        lock.lock()
        cleanups[token] = cleanup
        lock.unlock()
        return token
    }

    /// For a one-shot command (`apply`): its work is done and about to be reported, so its
    /// cleanup must no longer run and a signal from now on is ignored (the process exits with
    /// the command's own result a moment later). If an interrupt is already being handled, its
    /// cleanup wins: this never returns and the handler exits 130. So the command either
    /// reports everything it did or undoes all of it, never half of each.
    public func finishCommand(_ token: UUID) {
        lock.lock()
        if interrupting {
            lock.unlock()
            while true { pause() }
        }
        finished = true
        cleanups[token] = nil
        lock.unlock()
    }

    /// For a long command (`run`) about to exit with its own status: if an interrupt is being
    /// handled, its handler deletes the pods and exits 130, so this waits for it instead of
    /// racing it with the command's status (an interrupted run exited 1 under load).
    public func yieldToInterrupt() {
        lock.lock()
        let interrupted = interrupting
        lock.unlock()
        if interrupted { while true { pause() } }
    }

    public func unregister(_ token: UUID) {
        lock.lock()
        cleanups[token] = nil
        lock.unlock()
    }

    /// Whether an interrupt is being handled: callers must not start anything new.
    public var isInterrupted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return interrupting
    }

    /// Tracks a host command's process group, to kill it on interrupt. One started while the
    /// interrupt is handled (it raced the check in `HostCommand.run`) is killed at once.
    func trackProcessGroup(_ pgid: pid_t) {
        lock.lock()
        let late = interrupting
        if !late { processGroups.insert(pgid) }
        lock.unlock()
        if late { kill(-pgid, SIGKILL) }
    }

    func untrackProcessGroup(_ pgid: pid_t) {
        lock.lock()
        processGroups.remove(pgid)
        lock.unlock()
    }

    private func interrupted(signal: Int32) {
        lock.lock()
        if finished {
            lock.unlock()
            return
        }
        interrupting = true
        let groups = processGroups
        let work = Array(cleanups.values)
        lock.unlock()
        StandardStreams.error("\npodlab: \(signal == SIGTERM ? "terminated" : "interrupted"): stopping and deleting the pods it started…\n")
        // No pod is created from here on; one being created is finished first, so the
        // cleanups below see it (a pod is either started and listed, or gone).
        PodLaunchGate.shared.close()
        for group in groups { kill(-group, SIGKILL) }
        for cleanup in work { cleanup() }
        exit(InterruptGuard.exitStatus)
    }
}
