import Cgroups

/// What a container sees at `/sys/fs/cgroup`, from the cgroup podlab made for it
/// (docs/FIDELITY.md #82).
enum ContainerCgroupView {
    /// v2: a cgroup2 mount in the container's own cgroup namespace. v1: each hierarchy podlab
    /// places the container in, under the hierarchy's host directory name, bound from the
    /// container's own cgroup directory (runc `mountCgroupV1` / `getCgroupMounts` in
    /// libcontainer/rootfs_linux.go binds the process' own path of every v1 mount): every
    /// hierarchy of runc's fs `subsystems` the host mounts, `name=systemd` as `systemd`
    /// (docs/FIDELITY.md #174, #182). A hybrid host's cgroup2 `unified` mount is not a v1
    /// mount, so runc's `getCgroupMounts` lists it not, and neither does podlab.
    static func view(of cgroup: ContainerCgroup, driver: any CgroupDriver) -> ContainerFilesystem.CgroupView? {
        switch driver.version {
        case .v2:
            return .unified
        case .v1:
            guard let v1 = driver as? CgroupV1Driver else { return nil }
            var seen: Set<String> = []
            let hierarchies = CgroupV1Driver.usedControllers.compactMap { controller -> ContainerFilesystem.Hierarchy? in
                guard let mount = v1.mountPoints[controller], seen.insert(mount).inserted else { return nil }
                let name = mount.split(separator: "/").last.map(String.init) ?? controller
                return ContainerFilesystem.Hierarchy(name: name, hostDirectory: mount + "/" + v1.parent + "/" + cgroup.relativePath)
            }
            return .perHierarchy(hierarchies)
        }
    }
}
