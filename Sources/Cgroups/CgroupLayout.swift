import PodlabCore

/// Which cgroup API podlab drives on this host.
public enum CgroupVersion: String, Sendable, Equatable, CustomStringConvertible {
    /// Legacy or hybrid: one hierarchy per controller (`/sys/fs/cgroup/memory`, …).
    case v1
    /// Unified: one cgroup2 hierarchy carrying every controller.
    case v2

    public var description: String { rawValue }
}

/// Where the host's cgroup hierarchies are mounted, and therefore which driver to use.
///
/// Detection reads mount information rather than guessing from paths, like runc's
/// `cgroups.IsCgroup2UnifiedMode` plus libcontainer's mountinfo scan for v1 subsystems:
/// - a v1 hierarchy carrying `memory` exists → ``CgroupVersion/v1`` (legacy, or hybrid such as
///   Debian's with cgroup2 at `/sys/fs/cgroup/unified` carrying nothing useful);
/// - otherwise a cgroup2 mount exists → ``CgroupVersion/v2`` (pure unified, current CI VMs);
/// - otherwise the host cannot run pods with resource limits, which is an error.
public struct CgroupLayout: Sendable, Equatable {
    /// The API the driver uses.
    public let version: CgroupVersion
    /// v2: the cgroup2 mount point (`/sys/fs/cgroup`). v1: the cgroup2 mount if the host is
    /// hybrid (unused by podlab), else nil.
    public let unifiedMountPoint: String?
    /// v1 controller name → mount point of its hierarchy (`"memory": "/sys/fs/cgroup/memory"`;
    /// co-mounted controllers share one, e.g. `/sys/fs/cgroup/cpu,cpuacct`). Empty for v2.
    public let v1MountPoints: [String: String]
    /// v1 named hierarchies runc's fs manager joins (`name=systemd`, libcontainer/cgroups/fs
    /// `NameGroup{GroupName: "name=systemd", Join: true}`) → mount point; not controllers, so
    /// kept apart from ``v1MountPoints`` (docs/FIDELITY.md #182).
    public let v1NamedMountPoints: [String: String]

    /// A layout with explicit mount points, e.g. a fake cgroupfs in a temporary directory.
    public init(version: CgroupVersion, unifiedMountPoint: String?, v1MountPoints: [String: String],
                v1NamedMountPoints: [String: String] = [:]) {
        self.version = version
        self.unifiedMountPoint = unifiedMountPoint
        self.v1MountPoints = v1MountPoints
        self.v1NamedMountPoints = v1NamedMountPoints
    }

    /// The named hierarchies podlab places containers in, as runc does.
    static let joinedV1Names: Set<String> = ["name=systemd"]

    /// True when v1 controllers and a cgroup2 mount coexist (systemd's "hybrid" mode).
    public var isHybrid: Bool { version == .v1 && unifiedMountPoint != nil }

    /// v1 controller names as the kernel spells them in mount options. Other options of a v1
    /// mount (`rw`, `name=systemd`, `clone_children`, `xattr`, …) are not controllers.
    static let knownV1Controllers: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
        "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc",
    ]

    /// Detects the layout from the text of a mountinfo file.
    ///
    /// - Parameter mountinfo: the contents of `/proc/self/mountinfo` (or a sample, in tests).
    /// - Throws: `PodlabError.unsupported` when neither a v1 memory hierarchy nor cgroup2 is mounted.
    public static func detect(mountinfo: String) throws -> CgroupLayout {
        let entries = MountInfoEntry.parse(mountinfo, fileSystemTypes: ["cgroup", "cgroup2"])
        var v1: [String: String] = [:]
        var v1FromWholeHierarchy: Set<String> = []
        var named: [String: String] = [:]
        var unified: [MountInfoEntry] = []
        for entry in entries {
            switch entry.fileSystemType {
            case "cgroup":
                for option in entry.superOptions where joinedV1Names.contains(option) && (named[option] == nil || entry.root == "/") {
                    named[option] = entry.mountPoint
                }
                for option in entry.superOptions where knownV1Controllers.contains(option) {
                    // Prefer a mount of the whole hierarchy (root "/") over bind mounts of a
                    // subtree, which containers see; otherwise keep the first one listed.
                    let whole = entry.root == "/"
                    if v1[option] == nil || (whole && !v1FromWholeHierarchy.contains(option)) {
                        v1[option] = entry.mountPoint
                        if whole { v1FromWholeHierarchy.insert(option) }
                    }
                }
            case "cgroup2":
                unified.append(entry)
            default:
                continue
            }
        }
        let unifiedMount = (unified.first { $0.mountPoint == "/sys/fs/cgroup" } ?? unified.first)?.mountPoint
        if v1["memory"] != nil {
            return CgroupLayout(version: .v1, unifiedMountPoint: unifiedMount, v1MountPoints: v1, v1NamedMountPoints: named)
        }
        if let unifiedMount {
            return CgroupLayout(version: .v2, unifiedMountPoint: unifiedMount, v1MountPoints: [:])
        }
        throw PodlabError(
            .unsupported,
            "no cgroup hierarchy with the memory controller is mounted (checked mountinfo): "
                + "mount cgroup2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup) "
                + "or the v1 memory controller at /sys/fs/cgroup/memory")
    }

    /// Detects the layout of this process's mount namespace.
    ///
    /// - Parameter mountinfoPath: normally `/proc/self/mountinfo`; injectable for tests.
    public static func detect(mountinfoPath: String = "/proc/self/mountinfo") throws -> CgroupLayout {
        let text = try HostCgroupFileSystem().read(mountinfoPath)
        return try detect(mountinfo: text)
    }

    /// The driver for this layout.
    ///
    /// - Parameters:
    ///   - parent: the one cgroup under which podlab creates everything (`podlab`).
    ///   - fileSystem: how cgroup files are touched; tests pass a fake over a temporary directory.
    ///   - placement: v2 only: where the parent lives; by default a delegated systemd scope
    ///     where systemd is PID 1 (``CgroupV2Placement/detect(environment:runDirectory:)``).
    public func makeDriver(
        parent: String = CgroupDefaults.parentName,
        fileSystem: any CgroupFileSystem = HostCgroupFileSystem(),
        placement: CgroupV2Placement = CgroupV2Placement.detect()
    ) throws -> any CgroupDriver {
        // One request directory per cgroup parent: every podlab sharing the parent shares it.
        // A fake tree (tests) records nothing on the host.
        try validateCgroupParent(parent)
        let requests = BurstableCPURequests(
            directory: fileSystem is HostCgroupFileSystem ? BurstableCPURequests.defaultRoot + "/" + parent : nil)
        switch version {
        case .v1:
            return try CgroupV1Driver(mountPoints: v1MountPoints.merging(v1NamedMountPoints) { first, _ in first }, parent: parent,
                                      fileSystem: fileSystem, burstableRequests: requests)
        case .v2:
            guard let unifiedMountPoint else {
                throw PodlabError(.invalidArgument, "cgroup v2 layout without a cgroup2 mount point")
            }
            return try CgroupV2Driver(mountPoint: unifiedMountPoint, parent: parent, fileSystem: fileSystem,
                                      burstableRequests: requests, placement: placement)
        }
    }
}

/// Names and timings shared by both drivers.
public enum CgroupDefaults {
    /// Everything podlab creates lives under this cgroup, so `podlab clean` finds it all.
    public static let parentName = "podlab"
    /// How long `remove` retries `rmdir` while the kernel still reports EBUSY (processes exiting).
    public static let busyRetrySeconds = 2.0
    /// How long `killAll` waits for the killed processes to leave the cgroup.
    public static let killWaitSeconds = 5.0
}
