import CPodlab
import PodlabCore
import PodlabSyscalls

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Starts processes in namespaces, with a container's filesystem, through the C spawner
/// (`pl_spawn_start`/`pl_spawn_finish`): fork an intermediate, join/create namespaces, fork the
/// process, which moves itself into its cgroups, mounts, pivot_roots, drops capabilities and execs.
///
/// Failures anywhere, including inside the child, throw `PodlabError.syscall` whose message names
/// the failing call and its argument (`execve(/bin/nope)`, `setns(/proc/4242/ns/net)`) and whose
/// cause is the `Errno`.
public struct ProcessSpawner: Sendable {
    public init() {}

    /// Starts the process described by `request` and waits until it has exec'd
    /// (`start(_:)` followed by `finish()`).
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
        try start(request).finish()
    }

    /// Starts the process described by `request` and returns as soon as its pid is known, while
    /// it joins its cgroups and sets itself up. Do other work, then call `finish()` (or
    /// `cancel()`) on the result exactly once: the sandbox builds the pod network while pause
    /// is moved into its cgroups, which on cgroup v1 waits for an RCU grace period.
    public func start(_ request: SpawnRequest) throws -> StartedSpawn {
        guard !request.arguments.isEmpty else {
            throw PodlabError(.invalidArgument, "spawn: arguments must name the program (argv[0])")
        }
        return try request.withCConfig { cfg in
            var handle = pl_spawn_handle()
            var err = pl_error()
            guard pl_spawn_start(cfg, &handle, &err) == 0 else { throw err.podlabError }
            return StartedSpawn(handle: handle)
        }
    }

    /// Makes this process a child subreaper (`PR_SET_CHILD_SUBREAPER`), as containerd-shim is:
    /// spawned processes whose intermediate exited are re-parented here, so `waitpid` works on them.
    public static func makeChildSubreaper() throws {
        var err = pl_error()
        guard pl_set_child_subreaper(&err) == 0 else { throw err.podlabError }
    }
}

/// A process between `ProcessSpawner.start` and `finish()`/`cancel()`; if neither is called, it
/// is cancelled when released, so an early `throw` never leaves a half-started process behind.
public final class StartedSpawn {
    private var handle: pl_spawn_handle

    init(handle: pl_spawn_handle) {
        self.handle = handle
    }

    /// The process' pid in the caller's PID namespace (it may not have exec'd yet).
    public var pid: pid_t { handle.pid }

    /// Waits until the process has exec'd (or, for `waitForExit`, ended); throws the child's
    /// failure (`execve(/bin/nope)`, `write(…/cgroup.procs, 0 (this process))`).
    public func finish() throws -> SpawnResult {
        var status: Int32 = 0
        var err = pl_error()
        let waitForExit = handle.wait_for_exit != 0
        guard pl_spawn_finish(&handle, &status, &err) == 0 else { throw err.podlabError }
        return SpawnResult(pid: handle.pid, exit: waitForExit ? SpawnResult.Exit(waitStatus: status) : nil)
    }

    /// SIGKILLs the process (started or not) and reaps what can be reaped. No-op once finished.
    public func cancel() {
        pl_spawn_cancel(&handle)
    }

    deinit {
        pl_spawn_cancel(&handle)
    }
}
