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

    /// Device nodes every container's /dev gets (runc's `AllowedDevices` that are created).
    public static let deviceNames = ["null", "zero", "full", "random", "urandom", "tty"]
}
