import CPodlab
import PodlabCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One process, held through a pidfd (Linux 5.3+): signals reach exactly that process even if
/// its pid is reused, and `waitForExit` sleeps in poll(2) until it exits instead of polling
/// `/proc`. It need not be our child (the supervisor is init's).
public final class WatchedProcess {
    public let pid: pid_t
    private let pidfd: Int32

    /// Opens a pidfd for `pid`; throws `pidfd_open(<pid>)` with ESRCH if it is gone.
    public init(pid: pid_t) throws {
        var fd: Int32 = -1
        var err = pl_error()
        guard pl_pidfd_open(pid, &fd, &err) == 0 else { throw err.podlabError }
        self.pid = pid
        self.pidfd = fd
    }

    deinit { close(pidfd) }

    /// The pidfd, for callers that sleep in poll(2) on it together with other descriptors
    /// (readable once the process has exited); owned by this object.
    public var descriptor: Int32 { pidfd }

    /// Sends `signal`; false if the process has already exited.
    @discardableResult
    public func send(_ signal: Int32) -> Bool {
        var err = pl_error()
        return pl_pidfd_send_signal(pidfd, signal, &err) == 0
    }

    /// Waits until the process has exited or `timeout` seconds passed; returns whether it exited.
    @discardableResult
    public func waitForExit(timeout: TimeInterval) -> Bool {
        waitUntilReady(pidfd, events: Int16(POLLIN), deadline: monotonicSeconds() + max(0, timeout))
    }
}
