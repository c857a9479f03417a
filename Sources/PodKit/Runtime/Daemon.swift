import CPodlab
import PodlabCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Detaching into the background, for the per-pod supervisor that must outlive the CLI call that
/// started it (the containerd-shim/conmon role).
public enum Daemon {
    /// Which side of `detach` this process is on.
    public enum Side: Hashable, Sendable {
        /// The original process; the daemon runs as `pid`.
        case original(daemonPid: pid_t)
        /// The daemon itself (new session, stdin /dev/null, stdout+stderr appended to the log).
        case daemon(pid: pid_t)
    }

    /// fork, setsid, fork: returns twice, once in each process. The daemon keeps the working
    /// directory. Call it before any threads exist (only the calling thread survives a fork).
    /// - Parameter logPath: file the daemon's stdout and stderr are appended to (created 0644).
    public static func detach(logPath: String) throws -> Side {
        var isDaemon: Int32 = 0
        var pid: pid_t = 0
        var err = pl_error()
        guard pl_daemonize(logPath, &isDaemon, &pid, &err) == 0 else { throw err.podlabError }
        return isDaemon != 0 ? .daemon(pid: pid) : .original(daemonPid: pid)
    }
}
