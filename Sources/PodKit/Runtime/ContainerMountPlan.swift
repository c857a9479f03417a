import PodlabCore

/// The ordered mounts that build a container's root, as runc would perform them for the spec
/// containerd generates for a CRI container. Pure: it only computes paths and flags, so it is
/// unit-tested without root; `ProcessSpawner` performs it inside the container's mount namespace.
public struct ContainerMountPlan: Hashable, Sendable {
    /// In order: overlay root, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys, the /dev symlinks
    /// (`/dev/ptmx` first), /sys/fs/cgroup, the /etc files, then volumes.
    public var mounts: [MountEntry]
    /// null, zero, full, random, urandom, tty: made with mknod in the new /dev after the mounts.
    public var devices: [DeviceEntry]
    /// `readOnlyRootFilesystem`: once everything is mounted, the root is remounted read-only
    /// (runc `finalizeRootfs` → `setReadonly`). The overlay itself is mounted read-write, so
    /// the targets the plan creates in it (/etc/hostname, a volume's directory) can be made.
    public var remountRootReadOnly: Bool

    public init(mounts: [MountEntry], devices: [DeviceEntry], remountRootReadOnly: Bool = false) {
        self.mounts = mounts
        self.devices = devices
        self.remountRootReadOnly = remountRootReadOnly
    }

    /// Computes the plan for `fs`.
    /// - Throws: `PodlabError.invalidArgument` for relative paths, overlay directories the mount
    ///   options cannot express (`,` or `:` in them) and container paths escaping the root (`..`).
    public static func make(for fs: ContainerFilesystem) throws -> ContainerMountPlan {
        for (name, path) in [("imageDir", fs.imageDir), ("upperDir", fs.upperDir), ("workDir", fs.workDir), ("rootfs", fs.rootfs)] {
            try requireAbsolute(path, field: name)
            // overlayfs splits its options at ',' and lowerdir at ':'.
            guard !path.contains(","), !path.contains(":") else {
                throw PodlabError(.invalidArgument, "\(name) \(path): overlay paths cannot contain ',' or ':'")
            }
        }
        let root = fs.rootfs.hasSuffix("/") ? String(fs.rootfs.dropLast()) : fs.rootfs
        func inside(_ containerPath: String) throws -> String {
            try requireAbsolute(containerPath, field: "container path")
            guard !containerPath.split(separator: "/").contains("..") else {
                throw PodlabError(.invalidArgument, "container path \(containerPath): must not contain '..'")
            }
            return root + containerPath
        }

        var mounts: [MountEntry] = [
            // A fresh writable layer per attempt over the shared read-only image. Read-write
            // even under readOnlyRootFilesystem, as runc mounts it: see `remountRootReadOnly`.
            MountEntry(
                source: "overlay", target: root, fstype: "overlay",
                data: "lowerdir=\(fs.imageDir),upperdir=\(fs.upperDir),workdir=\(fs.workDir)",
                create: .directory),
            // runc's default spec mounts (containerd populateDefaultUnixSpec).
            MountEntry(
                source: "tmpfs", target: try inside("/dev"), fstype: "tmpfs", data: "mode=755,size=65536k",
                flags: [.noSuid, .strictAtime]),
            MountEntry(
                source: "devpts", target: try inside("/dev/pts"), fstype: "devpts",
                data: "newinstance,ptmxmode=0666,mode=0620,gid=5", flags: [.noSuid, .noExec]),
            // The pod's shm: the same tmpfs in every container of the pod (docs/FIDELITY.md #13).
            MountEntry.bind(fs.podShmDir, at: try inside("/dev/shm")),
            MountEntry(
                source: "mqueue", target: try inside("/dev/mqueue"), fstype: "mqueue", flags: [.noSuid, .noExec, .noDev]),
            MountEntry(
                source: "sysfs", target: try inside("/sys"), fstype: "sysfs", flags: [.noSuid, .noExec, .noDev, .readOnly]),
        ]
        // runc setupPtmx: /dev/ptmx is a link to the new devpts instance's ptmx, not a node
        // (docs/FIDELITY.md #226); then setupDevSymlinks (libcontainer/rootfs_linux.go, #80).
        var links = [("pts/ptmx", "/dev/ptmx"), ("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
                     ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr")]
        if fs.linkDevCore { links.append(("/proc/kcore", "/dev/core")) }
        for (text, path) in links { mounts.append(.symlink(text, at: try inside(path))) }
        mounts += try cgroupMounts(fs.cgroupView, at: try inside("/sys/fs/cgroup"))
        // kubelet's /etc/hosts is read-write whatever the root (makeHostsMount: `ReadOnly:
        // false`); containerd's /etc/hostname and /etc/resolv.conf follow readOnlyRootFilesystem
        // (pkg/cri/server/container_create_linux.go containerMounts: `Readonly:
        // securityContext.GetReadonlyRootfs()`). docs/FIDELITY.md #210.
        let etcFiles: [(String?, String, Bool)] = [
            (fs.hostsFile, "/etc/hosts", false), (fs.hostnameFile, "/etc/hostname", fs.readOnlyRootfs),
            (fs.resolvConfFile, "/etc/resolv.conf", fs.readOnlyRootfs),
        ]
        for case let (source?, path, readOnly) in etcFiles {
            mounts.append(MountEntry(source: source, target: try inside(path), flags: readOnly ? [.bind, .readOnly] : [.bind], create: .file))
        }
        for volume in fs.volumes {
            mounts.append(
                .bind(
                    volume.hostPath, at: try inside(volume.containerPath), readOnly: volume.readOnly,
                    create: volume.isFile ? .file : .directory, beneath: volume.subPath))
        }
        let devices = try ContainerDefaults.devices.map {
            DeviceEntry(hostPath: "/dev/" + $0.name, target: try inside("/dev/" + $0.name), node: $0)
        }
        return ContainerMountPlan(mounts: mounts, devices: devices, remountRootReadOnly: fs.readOnlyRootfs)
    }

    /// containerd's `/sys/fs/cgroup` mount (`ro,nosuid,noexec,nodev`, populateDefaultUnixSpec)
    /// as runc performs it (docs/FIDELITY.md #82).
    static func cgroupMounts(_ view: ContainerFilesystem.CgroupView?, at target: String) throws -> [MountEntry] {
        let flags: MountEntry.Flags = [.noSuid, .noExec, .noDev, .readOnly]
        switch view {
        case nil:
            return []
        case .unified?:
            // runc mountCgroupV2: cgroup2 mounted in the container's cgroup namespace.
            return [MountEntry(source: "cgroup", target: target, fstype: "cgroup2", flags: flags)]
        case .perHierarchy(let hierarchies)?:
            // runc mountCgroupV1: a tmpfs (defaultMountFlags: nosuid, nodev, noexec; mode=755)
            // and a bind of the container's own cgroup per hierarchy. The tmpfs stays read-write:
            // runc 1.x's mountCgroupV1 (libcontainer/rootfs_linux.go) has no remount of it (the
            // rc-era `case "cgroup"` of mountToRootfs remounted it read-only when the spec's
            // cgroup mount was `ro`), and finalizeRootfs remounts read-only only mounts whose
            // type is tmpfs, which the spec's `cgroup` mount is not. containerd + runc 1.1.5
            // show `rw` on this machine (docs/FIDELITY.md #227).
            var mounts = [MountEntry(source: "tmpfs", target: target, fstype: "tmpfs", data: "mode=755", flags: [.noSuid, .noExec, .noDev])]
            for hierarchy in hierarchies {
                guard !hierarchy.name.isEmpty, !hierarchy.name.contains("/"), hierarchy.name != ".", hierarchy.name != ".." else {
                    throw PodlabError(.invalidArgument, "cgroup hierarchy name \(hierarchy.name.debugDescription): must be one path component")
                }
                try requireAbsolute(hierarchy.hostDirectory, field: "cgroup directory")
                // runc getCgroupMounts: each bind carries the cgroup mount's own flags
                // (MS_BIND | MS_REC | m.Flags: nosuid, noexec, nodev, ro), as `podlab compare`
                // showed against containerd (docs/FIDELITY.md #210).
                var bind = MountEntry.bind(hierarchy.hostDirectory, at: target + "/" + hierarchy.name, readOnly: true)
                bind.flags.formUnion([.noSuid, .noExec, .noDev])
                mounts.append(bind)
            }
            // Co-mounted controllers get a link per name (`cpu -> cpu,cpuacct`), as runc makes.
            for hierarchy in hierarchies where hierarchy.name.contains(",") {
                for controller in hierarchy.name.split(separator: ",") where !controller.isEmpty {
                    mounts.append(.symlink(hierarchy.name, at: target + "/" + controller))
                }
            }
            return mounts
        }
    }

    private static func requireAbsolute(_ path: String, field: String) throws {
        guard path.hasPrefix("/") else {
            throw PodlabError(.invalidArgument, "\(field) \(path.debugDescription): must be an absolute path")
        }
    }
}
