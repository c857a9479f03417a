#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Everything `ProcessSpawner` needs to start one process: plain data, converted to
/// `struct pl_spawn_config` for the C child (no Swift code runs between fork and exec).
public struct SpawnRequest: Sendable {
    /// Namespaces to create (`CLONE_NEW*`; values are the kernel ABI, `linux/sched.h`).
    public struct Namespaces: OptionSet, Hashable, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let mount = Namespaces(rawValue: 0x0002_0000)  // CLONE_NEWNS
        public static let cgroup = Namespaces(rawValue: 0x0200_0000)  // CLONE_NEWCGROUP
        public static let uts = Namespaces(rawValue: 0x0400_0000)  // CLONE_NEWUTS
        public static let ipc = Namespaces(rawValue: 0x0800_0000)  // CLONE_NEWIPC
        public static let pid = Namespaces(rawValue: 0x2000_0000)  // CLONE_NEWPID
        public static let network = Namespaces(rawValue: 0x4000_0000)  // CLONE_NEWNET

        /// What containerd gives a pod sandbox when the network namespace is made beforehand
        /// (docs/FIDELITY.md #8): pid, ipc, uts, mount.
        public static let sandbox: Namespaces = [.pid, .ipc, .uts, .mount]
        /// What an app container creates for itself by default (#9): mount and pid.
        public static let container: Namespaces = [.mount, .pid]
    }

    /// Existing namespaces to enter, by path (`/proc/<pause>/ns/net`, `/run/netns/podlab-web`).
    /// Joined in the order pid, uts, ipc, net, mnt.
    public struct JoinedNamespaces: Hashable, Sendable {
        public var network: String?
        public var ipc: String?
        public var uts: String?
        /// The started process ends up in this PID namespace (shareProcessNamespace, exec).
        public var pid: String?
        /// For exec into a running container: implies no rootfs setup.
        public var mount: String?
        /// For exec into a container with a cgroup namespace of its own (cgroup v2): entered
        /// after the process joined its cgroups.
        public var cgroup: String?

        public init(network: String? = nil, ipc: String? = nil, uts: String? = nil, pid: String? = nil, mount: String? = nil, cgroup: String? = nil) {
            self.network = network
            self.ipc = ipc
            self.uts = uts
            self.pid = pid
            self.mount = mount
            self.cgroup = cgroup
        }

        /// The sandbox's net, ipc and uts (and pid when shared), as containerd's
        /// `WithPodNamespaces` joins them through `/proc/<pid>/ns/*`.
        public static func pod(sandboxPid: pid_t, sharePID: Bool = false) -> JoinedNamespaces {
            let ns = "/proc/\(sandboxPid)/ns/"
            return JoinedNamespaces(network: ns + "net", ipc: ns + "ipc", uts: ns + "uts", pid: sharePID ? ns + "pid" : nil)
        }
    }

    public var join = JoinedNamespaces()
    public var newNamespaces: Namespaces = []
    /// sethostname() in the new (or joined) UTS namespace.
    public var hostname: String?

    /// The container's root (an overlay's merged dir). nil keeps the host root (pause, exec).
    public var rootfs: String?
    /// Performed in order before pivot_root; see `ContainerMountPlan`.
    public var mounts: [MountEntry] = []
    /// Device nodes made (mknod) in the new /dev after `mounts`; see `DeviceEntry`.
    public var devices: [DeviceEntry] = []
    /// Paths inside the container hidden after pivot_root (see `ContainerDefaults.maskedPaths`).
    public var maskedPaths: [String] = []
    /// Paths inside the container made read-only after pivot_root.
    public var readonlyPaths: [String] = []
    /// Mount a fresh procfs at `<rootfs>/proc` (or `/proc` without a rootfs; needs `.mount`).
    public var mountProc = false

    /// `cgroup.procs` files the process' pid is written to before it runs anything.
    public var cgroupProcsFiles: [String] = []
    /// Written to /proc/self/oom_score_adj; lowering it needs CAP_SYS_RESOURCE.
    public var oomScoreAdj: Int32?
    /// The capabilities the process keeps in its bounding, permitted and effective sets
    /// (inheritable and ambient are emptied, as containerd's spec does: docs/FIDELITY.md #77);
    /// nil keeps the caller's. A non-root `user` loses permitted and effective at exec.
    public var capabilities: LinuxCapabilitySet?
    /// PR_SET_NO_NEW_PRIVS before exec (kubelet asks for it only with
    /// `allowPrivilegeEscalation: false`, docs/FIDELITY.md #74).
    public var noNewPrivileges = false

    /// Credentials of the process (setgroups, setresgid, setresuid, runc's `setupUser`).
    public struct User: Hashable, Sendable {
        public var uid: UInt32
        public var gid: UInt32
        /// Supplementary groups (setgroups), at most 65536.
        public var groups: [UInt32]
        public init(uid: UInt32, gid: UInt32, groups: [UInt32]) {
            self.uid = uid
            self.gid = gid
            self.groups = groups
        }
    }
    /// nil keeps the caller's credentials.
    public var user: User?
    /// Install the filter equivalent to containerd's default seccomp profile
    /// (`seccompProfile: RuntimeDefault`, docs/FIDELITY.md #76).
    public var seccompRuntimeDefault = false
    /// Remount the new root read-only after the mounts (`readOnlyRootFilesystem`, runc
    /// `setReadonly`); bind mounts on top (volumes, /etc/hosts) keep their own flags. For a
    /// container it is `ContainerMountPlan.remountRootReadOnly`.
    public var readOnlyRootfs = false

    /// stdio; nil means /dev/null. The descriptors stay owned by the caller.
    public var stdin: FileDescriptor?
    public var stdout: FileDescriptor?
    public var stderr: FileDescriptor?
    /// setsid + TIOCSCTTY on stdin (for `exec -t`).
    public var controllingTerminal = false

    /// Inside the new root; nil is "/".
    public var workingDirectory: String?
    /// The program; nil uses `arguments[0]`. Without a "/", it is searched in `environment`'s PATH.
    public var executable: String?
    public var arguments: [String]
    /// `NAME=value` entries, passed as is.
    public var environment: [String] = []
    /// Wait for the process and return its exit status (exec); otherwise return once it exec'd.
    public var waitForExit = false

    /// - Parameter arguments: argv, with the program first.
    public init(arguments: [String]) {
        self.arguments = arguments
    }
}

/// What `ProcessSpawner.spawn` returns.
public struct SpawnResult: Hashable, Sendable {
    /// How a process ended.
    public enum Exit: Hashable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// Decodes a waitpid(2) status.
        public init(waitStatus status: Int32) {
            // WIFEXITED: the low 7 bits are 0; WTERMSIG: the low 7 bits.
            if status & 0x7f == 0 {
                self = .exited((status >> 8) & 0xff)
            } else {
                self = .signaled(status & 0x7f)
            }
        }

        /// The code Kubernetes reports: the exit code, or 128 + signal (`exitSignalOffset`).
        public var exitCode: Int32 {
            switch self {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let code): return "exited with \(code)"
            case .signaled(let signal): return "killed by signal \(signal)"
            }
        }
    }

    /// The process' pid in the caller's PID namespace.
    public var pid: pid_t
    /// Set when the request asked to wait for the exit.
    public var exit: Exit?

    public init(pid: pid_t, exit: Exit?) {
        self.pid = pid
        self.exit = exit
    }
}
