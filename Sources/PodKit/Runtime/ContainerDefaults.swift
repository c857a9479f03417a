/// containerd's defaults for a Linux container, as in `populateDefaultUnixSpec` and
/// `defaultUnixCaps()` of containerd's `pkg/oci/spec.go` (the spec every CRI container starts
/// from before kubelet's settings are applied).
public enum ContainerDefaults {
    /// The 14 capabilities a non-privileged container keeps (CapEff `00000000a80425fb`).
    public static let capabilities = LinuxCapabilitySet([
        .chown, .dacOverride, .fsetid, .fowner, .mknod, .netRaw, .setgid, .setuid, .setfcap, .setpcap,
        .netBindService, .sysChroot, .kill, .auditWrite,
    ])

    /// Hidden inside the container: /dev/null over files, an empty read-only tmpfs over
    /// directories. Paths the host kernel lacks are skipped.
    public static let maskedPaths = [
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ]

    /// Remounted read-only inside the container (so e.g. writing /proc/sys/kernel/hostname fails).
    public static let readonlyPaths = [
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
    ]


    /// The PATH a container gets when its image sets none (containerd `oci.DefaultPathEnv`).
    public static let pathEnvironment = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Device nodes every container's /dev gets: the entries of runc's `AllowedDevices` that
    /// have a path (libcontainer/specconv/spec_linux.go), each a character device, mode 0666,
    /// owned by 0:0, which runc's `createDevices` makes with mknod (docs/FIDELITY.md #225).
    /// `/dev/ptmx` is not among them: runc makes it a link to `pts/ptmx` (`setupPtmx`).
    public static let devices: [DeviceNode] = [
        DeviceNode(name: "null", major: 1, minor: 3),
        DeviceNode(name: "zero", major: 1, minor: 5),
        DeviceNode(name: "full", major: 1, minor: 7),
        DeviceNode(name: "random", major: 1, minor: 8),
        DeviceNode(name: "urandom", major: 1, minor: 9),
        DeviceNode(name: "tty", major: 5, minor: 0),
    ]
}

/// One of the character devices runc creates in a container's `/dev` (`devices.Device` with a
/// `Path`: type `c`, `FileMode` 0666, `Uid` and `Gid` 0).
public struct DeviceNode: Hashable, Sendable {
    /// The name under `/dev`.
    public var name: String
    public var major: UInt32
    public var minor: UInt32
    /// Permission bits, set with chmod after mknod (runc: "can be different because of umask").
    public var mode: UInt32 = 0o666
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0

    public init(name: String, major: UInt32, minor: UInt32) {
        self.name = name
        self.major = major
        self.minor = minor
    }
}
