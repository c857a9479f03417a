import Cgroups
import Foundation
import PodlabCore
import Testing

/// Layout detection from mountinfo samples of the layouts podlab meets.
@Suite struct CgroupLayoutTests {
    /// This development machine (Debian 12, systemd hybrid): v1 controllers, cgroup2 at .../unified.
    static let hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    /// A current CI VM (Ubuntu 22.04+/Debian 12 with systemd defaults): pure cgroup2.
    static let unified = """
        22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
        25 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """

    /// Legacy v1 (CentOS 7 style) with cpu and cpuacct co-mounted and no cgroup2 at all.
    static let legacy = """
        25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
        26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
        29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
        30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory
        31 25 0:27 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,pids
        """

    @Test func hybridHostUsesV1WithEveryControllerMountPoint() throws {
        let layout = try CgroupLayout.detect(mountinfo: Self.hybrid)
        #expect(layout.version == .v1)
        #expect(layout.isHybrid)
        #expect(layout.unifiedMountPoint == "/sys/fs/cgroup/unified")
        #expect(layout.v1MountPoints["memory"] == "/sys/fs/cgroup/memory")
        #expect(layout.v1MountPoints["cpu"] == "/sys/fs/cgroup/cpu")
        #expect(layout.v1MountPoints["pids"] == "/sys/fs/cgroup/pids")
        #expect(layout.v1MountPoints["freezer"] == "/sys/fs/cgroup/freezer")
        // name=systemd is a named hierarchy, not a controller.
        #expect(layout.v1MountPoints["systemd"] == nil)
        #expect(layout.v1MountPoints["name=systemd"] == nil)
    }

    @Test func pureUnifiedHostUsesV2() throws {
        let layout = try CgroupLayout.detect(mountinfo: Self.unified)
        #expect(layout.version == .v2)
        #expect(!layout.isHybrid)
        #expect(layout.unifiedMountPoint == "/sys/fs/cgroup")
        #expect(layout.v1MountPoints.isEmpty)
    }

    @Test func legacyHostWithCoMountedControllersUsesV1() throws {
        let layout = try CgroupLayout.detect(mountinfo: Self.legacy)
        #expect(layout.version == .v1)
        #expect(!layout.isHybrid)
        #expect(layout.v1MountPoints["cpu"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(layout.v1MountPoints["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(layout.v1MountPoints["freezer"] == nil)
    }

    @Test func wholeHierarchyWinsOverBindMountedSubtree() throws {
        let text = """
            50 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            51 31 0:32 / /mnt/memory\\040root rw - cgroup cgroup rw,memory
            """
        let layout = try CgroupLayout.detect(mountinfo: text)
        #expect(layout.v1MountPoints["memory"] == "/mnt/memory root")
    }

    @Test func noCgroupMountIsAClearError() {
        let text = "22 28 0:21 / /proc rw,nosuid - proc proc rw\n"
        #expect {
            try CgroupLayout.detect(mountinfo: text)
        } throws: { error in
            let error = error as? PodlabError
            return error?.code == .unsupported && error?.message.contains("mount cgroup2") == true
        }
    }

    @Test func garbageLinesAreSkipped() throws {
        let layout = try CgroupLayout.detect(mountinfo: "not a mountinfo line\n\n" + Self.unified)
        #expect(layout.version == .v2)
    }

    @Test func thisHostIsDetectedAsItsCgroupFilesShow() throws {
        let layout = try CgroupLayout.detect()
        let pureV2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        #expect(layout.version == (pureV2 ? .v2 : .v1))
        if layout.version == .v1, let memory = layout.v1MountPoints["memory"] {
            #expect(FileManager.default.fileExists(atPath: memory + "/memory.limit_in_bytes"))
        }
    }
}
