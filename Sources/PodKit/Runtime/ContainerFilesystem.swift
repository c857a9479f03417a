/// The files a container's filesystem is assembled from; `ContainerMountPlan` turns it into
/// mounts. Every path is a host path.
public struct ContainerFilesystem: Hashable, Sendable {
    /// A volume mount (emptyDir, configMap, hostPath) as the container sees it.
    public struct Volume: Hashable, Sendable {
        public var hostPath: String
        /// Absolute path inside the container.
        public var containerPath: String
        public var readOnly: Bool
        /// Whether `hostPath` is a single file (a configMap key by subPath), so the target is
        /// created as a file instead of a directory.
        public var isFile: Bool
        /// The volume's `subPath`: resolved beneath `hostPath` by the container's process
        /// (openat2 RESOLVE_BENEATH), never joined to it as a string.
        public var subPath: String?

        public init(hostPath: String, containerPath: String, readOnly: Bool = false, isFile: Bool = false, subPath: String? = nil) {
            self.subPath = subPath
            self.hostPath = hostPath
            self.containerPath = containerPath
            self.readOnly = readOnly
            self.isFile = isFile
        }
    }

    /// What the container sees at `/sys/fs/cgroup` (docs/FIDELITY.md #82): its own cgroup,
    /// read-only, as runc mounts it for a non-privileged container.
    public enum CgroupView: Hashable, Sendable {
        /// cgroup v2: a fresh cgroup2 mount. The process is in a cgroup namespace of its own
        /// (unshared once it is in its cgroup), so the mount's root is its own cgroup
        /// (runc `mountCgroupV2`).
        case unified
        /// cgroup v1: a tmpfs (read-write, as runc leaves it, #227) with one read-only bind per
        /// hierarchy, of the container's own cgroup directory (runc `mountCgroupV1`): `name` is the hierarchy's
        /// directory name on the host (`memory`, `cpu,cpuacct`), `hostDirectory` the
        /// container's cgroup in it.
        case perHierarchy([Hierarchy])
    }

    /// One v1 hierarchy of a ``CgroupView/perHierarchy(_:)`` view.
    public struct Hierarchy: Hashable, Sendable {
        public var name: String
        public var hostDirectory: String

        public init(name: String, hostDirectory: String) {
            self.name = name
            self.hostDirectory = hostDirectory
        }
    }

    /// The unpacked image: overlay's lowerdir, shared by every container using the image and never
    /// written to.
    public var imageDir: String
    /// Per attempt: overlay's upperdir (the container's writes), workdir, and the merged dir that
    /// becomes the root. A restart gets new ones: a fresh writable rootfs (docs/FIDELITY.md #18).
    public var upperDir: String
    public var workDir: String
    public var rootfs: String
    /// The pod's /dev/shm directory (a 64 MiB tmpfs the sandbox owns, #13).
    public var podShmDir: String
    /// Kubernetes-managed /etc/hosts, /etc/hostname and /etc/resolv.conf (see `PodFiles`); nil
    /// leaves the image's file.
    public var hostsFile: String?
    public var hostnameFile: String?
    public var resolvConfFile: String?
    public var volumes: [Volume]
    /// `readOnlyRootFilesystem` (`ContainerSecurity.readOnlyRootFilesystem`, the one flag):
    /// the root is remounted read-only once everything is mounted, and /etc/hostname and
    /// /etc/resolv.conf are bound read-only; kubelet's /etc/hosts stays read-write
    /// (docs/FIDELITY.md #210).
    public var readOnlyRootfs: Bool
    /// The container's view of its cgroup at /sys/fs/cgroup; nil leaves sysfs' empty directory.
    public var cgroupView: CgroupView?
    /// Whether `/dev/core` links to `/proc/kcore`: runc makes the link only when the host has
    /// /proc/kcore (`setupDevSymlinks`).
    public var linkDevCore: Bool

    public init(
        imageDir: String, upperDir: String, workDir: String, rootfs: String, podShmDir: String,
        hostsFile: String? = nil, hostnameFile: String? = nil, resolvConfFile: String? = nil,
        volumes: [Volume] = [], readOnlyRootfs: Bool = false, cgroupView: CgroupView? = nil, linkDevCore: Bool = false
    ) {
        self.cgroupView = cgroupView
        self.linkDevCore = linkDevCore
        self.imageDir = imageDir
        self.upperDir = upperDir
        self.workDir = workDir
        self.rootfs = rootfs
        self.podShmDir = podShmDir
        self.hostsFile = hostsFile
        self.hostnameFile = hostnameFile
        self.resolvConfFile = resolvConfFile
        self.volumes = volumes
        self.readOnlyRootfs = readOnlyRootfs
    }
}
