import Cgroups

/// What a container sees at `/sys/fs/cgroup`, from the cgroup podlab made for it
/// (docs/FIDELITY.md #82).
enum ContainerCgroupView {
    /// v2: a cgroup2 mount in the container's own cgroup namespace. v1: each hierarchy podlab
    /// places the container in, under the hierarchy's host directory name, bound from the
    /// container's own cgroup directory (runc `mountCgroupV1` binds the process' own path of
    /// every subsystem): memory, cpu, pids, freezer, devices, cpuset and blkio
    /// (docs/FIDELITY.md #174). The others (cpuacct, hugetlb, net_cls, perf_event, …) and a
    /// hybrid host's `unified` hierarchy are not shown: podlab does not place containers in them.
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
