import CPodlab
import PodlabCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Starts processes in namespaces, with a container's filesystem, through the C spawner
/// (`pl_spawn`): fork an intermediate, join/create namespaces, fork the process, put it in its
/// cgroups, then let it mount, pivot_root, drop capabilities and exec.
///
/// Failures anywhere, including inside the child, throw `PodlabError.syscall` whose message names
/// the failing call and its argument (`execve(/bin/nope)`, `setns(/proc/4242/ns/net)`) and whose
/// cause is the `Errno`.
public struct ProcessSpawner: Sendable {
    public init() {}

    /// Starts the process described by `request`.
    ///
    /// Without `waitForExit` this returns as soon as the process has exec'd; it is then orphaned
    /// (its intermediate parent exits) and re-parented to the nearest child subreaper: call
    /// `makeChildSubreaper()` first to be able to wait for it. With `waitForExit` this blocks
    /// the calling thread until the process ends and returns how it ended (call it off the
    /// cooperative pool, e.g. from a dedicated thread, for long-running processes).
    ///
    /// The caller must not run a `waitpid(-1)` reaper concurrently: it could take the
    /// intermediate's status, which `waitForExit` needs (a reaper should wait for known pids).
    /// - Parameter request: what to start.
    /// - Returns: the pid (in the caller's PID namespace) and, when waited for, the exit.
    public func spawn(_ request: SpawnRequest) throws -> SpawnResult {
        guard !request.arguments.isEmpty else {
            throw PodlabError(.invalidArgument, "spawn: arguments must name the program (argv[0])")
        }
        return try request.withCConfig { cfg in
            var pid: pid_t = 0
            var status: Int32 = 0
            var err = pl_error()
            guard pl_spawn(cfg, &pid, &status, &err) == 0 else { throw err.podlabError }
            return SpawnResult(pid: pid, exit: request.waitForExit ? SpawnResult.Exit(waitStatus: status) : nil)
        }
    }

    /// Makes this process a child subreaper (`PR_SET_CHILD_SUBREAPER`), as containerd-shim is:
    /// spawned processes whose intermediate exited are re-parented here, so `waitpid` works on them.
    public static func makeChildSubreaper() throws {
        var err = pl_error()
        guard pl_set_child_subreaper(&err) == 0 else { throw err.podlabError }
    }
}
