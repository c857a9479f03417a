import Foundation
import PodlabCore

/// The signal that interrupted this process (0: none). Written only by the handler below; a
/// 32-bit aligned store, read back by `Cancellation.signals` between entries.
nonisolated(unsafe) private var receivedSignal: Int32 = 0

/// Lets a long import or unpack stop between two entries (or two data blocks) so its `catch`
/// and `defer` blocks remove the scratch directory before the process exits.
///
/// Why not just die on Ctrl-C: an interrupted 60k-file import used to leave 30 MB of
/// `.import-*` scratch behind. The signal handler only records the signal (async-signal-safe);
/// the extraction loops call `check`, which throws, the callers clean up, and the command then
/// re-raises the signal with `exitIfInterrupted()` so the exit status is still 128+signal.
final class Cancellation: @unchecked Sendable {
    /// Set by SIGINT/SIGTERM/SIGHUP once `installSignalHandlers()` ran (the CLI commands do).
    static let signals = Cancellation(followsSignals: true)

    private let followsSignals: Bool
    private let lock = NSLock()
    private var reason: String?

    /// A token cancelled only by `cancel(_:)` (tests, or a caller's own deadline).
    convenience init() { self.init(followsSignals: false) }

    private init(followsSignals: Bool) {
        self.followsSignals = followsSignals
    }

    /// Requests the operation to stop at its next check.
    func cancel(_ why: String) {
        lock.lock()
        reason = reason ?? why
        lock.unlock()
    }

    /// Throws `.invalidState` "`operation`: interrupted (SIGINT)" once cancelled.
    func check(_ operation: @autoclosure () -> String) throws {
        if followsSignals {
            let signal = receivedSignal
            guard signal != 0 else { return }
            throw PodlabError(.invalidState, "\(operation()): interrupted by \(Self.name(of: signal))")
        }
        lock.lock()
        let why = reason
        lock.unlock()
        if let why { throw PodlabError(.invalidState, "\(operation()): \(why)") }
    }

    private static func name(of signal: Int32) -> String {
        [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][signal] ?? "signal \(signal)"
    }
}

/// Signal handling for the commands that import or unpack images (`podlab rootfs import|unpack`).
public enum ImportInterruption {
    /// Makes SIGINT, SIGTERM and SIGHUP stop a running import or unpack at the next entry (its
    /// scratch is then removed) instead of killing the process mid-write. A second signal exits
    /// at once, like `InterruptGuard` in LabKit does for lab runs.
    public static func installSignalHandlers() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if receivedSignal != 0 { _exit(128 + signal) }
            receivedSignal = signal
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            sigaction(signal, &action, nil)
            sigaddset(&handled, signal)
        }
        // Foundation's Process starts children with most signals blocked; unblock ours.
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    }

    /// After the failed operation cleaned up: if a signal interrupted it, print `error` and die of
    /// that signal (default action) so the shell sees 130 for Ctrl-C; otherwise return.
    public static func exitIfInterrupted(reporting error: any Error) {
        let signal = receivedSignal
        guard signal != 0 else { return }
        StandardStreams.error("podlab: \(error)\n")
        Glibc.signal(signal, SIG_DFL)
        raise(signal)
        _exit(128 + signal)
    }

    /// Runs an import, unpack or pull with the handlers installed; if it fails because a signal
    /// interrupted it (its scratch already removed), dies of that signal, else rethrows.
    public static func run<T>(_ operation: () throws -> T) throws -> T {
        installSignalHandlers()
        do {
            return try operation()
        } catch {
            exitIfInterrupted(reporting: error)
            throw error
        }
    }
}
