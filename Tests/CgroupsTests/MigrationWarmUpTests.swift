import Cgroups
import Testing

/// Which cgroup.procs file the warm-up migration writes: the caller's own cgroup, never another.
@Suite struct MigrationWarmUpTests {
    @Test func hybridLayoutUsesTheMemoryHierarchyLine() {
        let layout = CgroupLayout(version: .v1, unifiedMountPoint: "/sys/fs/cgroup/unified",
                                  v1MountPoints: ["memory": "/sys/fs/cgroup/memory", "cpu": "/sys/fs/cgroup/cpu"])
        let selfCgroup = "12:pids:/user.slice\n5:memory:/user.slice/session-3.scope\n0::/user.slice/session-3.scope\n"
        #expect(CgroupMigrationWarmUp.ownProcsFile(layout: layout, selfCgroup: selfCgroup)
            == "/sys/fs/cgroup/memory/user.slice/session-3.scope/cgroup.procs")
    }

    @Test func unifiedLayoutUsesTheZeroLineAndTheRootCgroup() {
        let layout = CgroupLayout(version: .v2, unifiedMountPoint: "/sys/fs/cgroup", v1MountPoints: [:])
        #expect(CgroupMigrationWarmUp.ownProcsFile(layout: layout, selfCgroup: "0::/\n") == "/sys/fs/cgroup/cgroup.procs")
        #expect(CgroupMigrationWarmUp.ownProcsFile(layout: layout, selfCgroup: "0::/system.slice/ci.service\n")
            == "/sys/fs/cgroup/system.slice/ci.service/cgroup.procs")
    }

    @Test func unknownOrForeignLinesGiveNothing() {
        let v1 = CgroupLayout(version: .v1, unifiedMountPoint: nil, v1MountPoints: ["memory": "/sys/fs/cgroup/memory"])
        #expect(CgroupMigrationWarmUp.ownProcsFile(layout: v1, selfCgroup: "3:cpu,cpuacct:/a\n0::/b\n") == nil)
        let v2 = CgroupLayout(version: .v2, unifiedMountPoint: "/sys/fs/cgroup", v1MountPoints: [:])
        #expect(CgroupMigrationWarmUp.ownProcsFile(layout: v2, selfCgroup: "garbage\n1:name=systemd:/x\n") == nil)
    }
}
