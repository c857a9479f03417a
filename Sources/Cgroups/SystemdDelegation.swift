import Foundation
import PodlabCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where podlab's cgroup v2 parent lives (docs/FIDELITY.md #186).
public enum CgroupV2Placement: Sendable, Equatable, CustomStringConvertible {
    /// Directly below the cgroup2 root (`/sys/fs/cgroup/<parent>`): hosts whose PID 1 is not
    /// systemd (containers, this lab machine), where nobody else manages the tree.
    case root
    /// A transient scope `<parent>.scope` in `system.slice` that systemd delegates to podlab
    /// (`Delegate=yes`), as runc's and containerd's systemd cgroup drivers do on systemd hosts.
    case systemdScope

    public var description: String {
        switch self {
        case .root: return "root"
        case .systemdScope: return "systemd scope"
        }
    }

    /// `systemdScope` where systemd is PID 1 (sd_booted(3): `/run/systemd/system` is a
    /// directory), else `root`. `PODLAB_CGROUP_SYSTEMD=0` forces `root` (a host whose systemd
    /// has no D-Bus, or to compare the two layouts).
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment,
                              runDirectory: String = "/run/systemd/system") -> CgroupV2Placement {
        if environment["PODLAB_CGROUP_SYSTEMD"] == "0" { return .root }
        var info = stat()
        guard lstat(runDirectory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return .root }
        return .systemdScope
    }
}

/// podlab's delegated subtree on a systemd host: the transient scope `<parent>.scope` in
/// `system.slice`, at `/sys/fs/cgroup/system.slice/<parent>.scope` (docs/FIDELITY.md #186–#190).
///
/// Why a scope: systemd owns the cgroup tree where it is PID 1 and may migrate or prune
/// cgroups it does not know; the only subtrees another program may write below are delegated
/// units (systemd docs/CGROUP_DELEGATION.md, "Delegation"). A slice cannot be delegated and a
/// service needs a main process, so podlab asks for a scope with the process that creates the
/// first pod, like runc's systemd driver (libcontainer/cgroups/systemd/v2.go `Apply`:
/// StartTransientUnit with `Slice`, `Delegate=true`, `PIDs=[pid]`, `DefaultDependencies=false`).
/// The scope stays while any process lives anywhere in its subtree (pods and supervisors), and
/// systemd stops it and removes its whole cgroup tree once it is empty — so `podlab clean` leaves
/// no cgroup, and a logout or a service stop never kills pods started from it.
///
/// The no-internal-process rule: a cgroup whose `cgroup.subtree_control` enables controllers may
/// hold no process. systemd puts the creator in the scope's own cgroup, so it moves at once to
/// the leaf ``leafName`` (supervisors live there), as CGROUP_DELEGATION.md asks of delegatees;
/// every later podlab process joins that leaf directly.
public struct SystemdScope: Sendable, Equatable {
    /// The slice holding the scope (runc's default parent slice).
    public static let slice = "system.slice"
    /// The leaf cgroup of the scope that holds podlab's own processes (supervisors).
    public static let leafName = "supervisors"
    /// How long to wait for systemd to start the scope or to finish stopping an emptied one.
    public static let startTimeout = 15.0

    /// The podlab cgroup parent name (`podlab`); the unit is `<parent>.scope`.
    public let parent: String

    public init(parent: String) throws {
        try validateCgroupName(parent, role: "parent")
        self.parent = parent
    }

    /// `podlab.scope`.
    public var unitName: String { parent + ".scope" }
    /// The scope's cgroup below the cgroup2 mount (`system.slice/podlab.scope`).
    public var relativePath: String { Self.slice + "/" + unitName }

    /// The D-Bus call that creates the scope around `pid`, as `busctl` arguments
    /// (org.freedesktop.systemd1.Manager.StartTransientUnit, mode `fail`: an existing unit is
    /// an error the caller handles by joining it). `CollectMode=inactive-or-failed` lets a failed
    /// scope go at once, so it never shows in `systemctl --failed` nor blocks the name.
    public func startTransientUnitArguments(pid: Int32) -> [String] {
        ["--system", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
         "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))",
         unitName, "fail", "6",
         "Description", "s", "podlab pods and supervisors (cgroup parent \(parent))",
         "Slice", "s", Self.slice,
         "Delegate", "b", "true",
         "DefaultDependencies", "b", "false",
         "CollectMode", "s", "inactive-or-failed",
         "PIDs", "au", "1", String(pid),
         "0"]
    }

    /// Puts the calling process in the scope's leaf, creating the scope through systemd when it
    /// does not exist, and returns once the scope's own cgroup holds no process (so controllers
    /// can be enabled in its `cgroup.subtree_control`).
    ///
    /// - Parameters:
    ///   - mountPoint: the cgroup2 mount (`/sys/fs/cgroup`).
    ///   - fileSystem: cgroupfs access.
    /// - Throws: `PodlabError` naming busctl's error, or `.timeout` when systemd never starts
    ///   the scope.
    public func join(mountPoint: String, fileSystem: any CgroupFileSystem = HostCgroupFileSystem()) throws {
        let scopeDir = mountPoint + "/" + relativePath
        let leaf = scopeDir + "/" + Self.leafName
        let pid = getpid()
        if Self.ownCgroup() == "/" + relativePath + "/" + Self.leafName { return try waitForEmptyScope(scopeDir, fileSystem: fileSystem) }
        var lastError: (any Error)?
        let joined = try pollUntil(timeout: Self.startTimeout) {
            if fileSystem.exists(scopeDir) {
                // The scope exists (another podlab made it): join its leaf. It may be
                // stopping (emptied a moment ago): then the write fails and we retry.
                do {
                    try fileSystem.makeDirectory(leaf)
                    try fileSystem.write(leaf + "/cgroup.procs", String(pid))
                    return true
                } catch {
                    lastError = error
                    return false
                }
            }
            switch try startScope(pid: pid) {
            case .started:
                // systemd moves us when its start job runs, just after the call returns.
                let inScope = pollUntil(timeout: Self.startTimeout) { Self.ownCgroup() == "/" + relativePath }
                guard inScope else {
                    throw PodlabError(.timeout, "systemd started \(unitName) but did not move pid \(pid) into \(scopeDir) within \(Int(Self.startTimeout)) s")
                }
                try fileSystem.makeDirectory(leaf)
                try fileSystem.write(leaf + "/cgroup.procs", String(pid))
                return true
            case .exists(let message):
                // Made by a concurrent podlab, or still stopping: its cgroup appears or goes soon.
                lastError = PodlabError(.conflict, message)
                return false
            }
        }
        guard joined else {
            throw PodlabError(
                .timeout,
                "joining systemd scope \(unitName) (\(leaf)) for \(Int(Self.startTimeout)) s: \(lastError.map { "\($0)" } ?? "no cgroup")")
        }
        try waitForEmptyScope(scopeDir, fileSystem: fileSystem)
    }

    /// Waits until no process is left in the scope's own cgroup: the one systemd put there at
    /// creation is moving itself to the leaf (no-internal-process rule).
    private func waitForEmptyScope(_ scopeDir: String, fileSystem: any CgroupFileSystem) throws {
        let empty = pollUntil(timeout: Self.startTimeout) {
            ((try? fileSystem.read(scopeDir + "/cgroup.procs")) ?? "").trimmingWhitespace().isEmpty
        }
        if !empty {
            throw PodlabError(
                .invalidState,
                "\(scopeDir)/cgroup.procs still lists processes after \(Int(Self.startTimeout)) s; "
                    + "a delegated scope's own cgroup must stay empty (no-internal-process rule)")
        }
    }

    enum StartResult: Equatable { case started, exists(String) }

    /// Runs busctl's StartTransientUnit call.
    func startScope(pid: Int32) throws -> StartResult {
        guard let busctl = ["/usr/bin/busctl", "/bin/busctl"].first(where: { (path: String) in access(path, X_OK) == 0 }) else {
            throw PodlabError(
                .unsupported,
                "systemd is PID 1 but busctl is missing (/usr/bin/busctl): podlab creates its delegated cgroup "
                    + "scope \(unitName) through systemd's D-Bus API; install systemd's busctl or set PODLAB_CGROUP_SYSTEMD=0")
        }
        let arguments = startTransientUnitArguments(pid: pid)
        let (status, message) = try Self.run(busctl, arguments)
        if status == 0 { return .started }
        // org.freedesktop.systemd1.UnitExists has two messages (systemd src/core/dbus-manager.c,
        // transient_unit_from_message / manager_load_unit): "Unit podlab.scope already exists."
        // and, while a concurrent supervisor's start job is still queued or a stopped scope is not
        // yet collected, "Unit podlab.scope was already loaded or has a fragment file." (seen in
        // the test VM with three pods applied at once). Both mean: wait for its cgroup and join.
        if message.contains("already exists") || message.contains("already loaded") { return .exists(message) }
        throw PodlabError(
            .syscall,
            "busctl StartTransientUnit \(unitName) (Slice=\(Self.slice), Delegate=yes, PIDs=[\(pid)]): exit \(status): \(message)")
    }

    /// Runs `executable` and returns its exit status and stderr. posix_spawn and a waitpid on
    /// that one pid, not Foundation's Process: the caller may be a supervisor whose main thread
    /// blocks SIGCHLD (SupervisorLoop) and reaps children itself, where Process's own exit monitoring is not safe to rely on; the
    /// child gets an empty signal mask and a fixed environment.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let operation = "posix_spawn(\(executable) \(arguments.joined(separator: " ")))"
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { throw PodlabError.syscall("pipe(\(executable) stderr)", errnoValue: errno) }
        // Close-on-exec: only the dup2'd copy reaches the child, so EOF comes when it exits.
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { (text: String) in strdup(text) } + [nil]
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_PAGER="]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { (text: String) in strdup(text) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(pipeFDs[1])
        guard spawned == 0 else {
            close(pipeFDs[0])
            throw PodlabError.syscall(operation, errnoValue: spawned)
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(pipeFDs[0], $0.baseAddress, $0.count) }
            if count > 0 { output += buffer[0..<count]; continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw PodlabError.syscall("waitpid(\(pid), \(executable))", errnoValue: errno) }
        }
        // WIFEXITED → WEXITSTATUS; a signal death reports 128 + signal, as shells do.
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exit, String(decoding: output, as: UTF8.self).trimmingWhitespace())
    }

    /// This process's cgroup v2 path (`0::/system.slice/podlab.scope/supervisors` → that path).
    static func ownCgroup(selfCgroupPath: String = "/proc/self/cgroup") -> String? {
        guard let text = try? HostCgroupFileSystem().read(selfCgroupPath) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return nil
    }
}

extension CgroupLayout {
    /// Where pods go on a v2 host and what the kernel offers there, for `podlab doctor`:
    /// `pods under /sys/fs/cgroup/system.slice/podlab.scope (delegated systemd scope
    /// podlab.scope); controllers: cpuset cpu io memory hugetlb pids rdma misc`.
    public func v2ParentSummary(parent: String, placement: CgroupV2Placement = CgroupV2Placement.detect(),
                                fileSystem: any CgroupFileSystem = HostCgroupFileSystem()) -> String {
        guard version == .v2, let mount = unifiedMountPoint else { return "" }
        let controllers = ((try? fileSystem.read(mount + "/cgroup.controllers")) ?? "?").trimmingWhitespace()
        switch placement {
        case .root:
            return "pods under \(mount)/\(parent) (no systemd: below the root); controllers: \(controllers)"
        case .systemdScope:
            return "pods under \(mount)/\(SystemdScope.slice)/\(parent).scope (delegated systemd scope \(parent).scope, "
                + "created with the first pod); controllers: \(controllers)"
        }
    }
}

extension CgroupLayout {
    /// podlab's parent cgroup as `/proc/PID/cgroup` and crictl's `cgroupsPath` name it, below
    /// the hierarchy's root and without a leading slash: `podlab` on v1 and on v2 below the
    /// root, `system.slice/podlab.scope` in the delegated systemd scope (docs/FIDELITY.md #216).
    /// `inspectp` prints the sandbox's cgroup below it, so on systemd hosts it names the
    /// directory that really exists, as containerd's cgroupfs driver prints runc's real path.
    public func parentCgroupPath(parent: String, placement: CgroupV2Placement = CgroupV2Placement.detect()) -> String {
        guard version == .v2, placement == .systemdScope else { return parent }
        return SystemdScope.slice + "/" + parent + ".scope"
    }
}
