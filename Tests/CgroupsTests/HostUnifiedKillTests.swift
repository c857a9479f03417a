import Cgroups
import Foundation
import PodlabCore
import Testing

/// The v2 driver's kill and remove path on this host's real cgroup2 mount. On a hybrid host the
/// controllers live in v1, so only controller-free cgroups are possible there; that is enough to
/// exercise `cgroup.kill`, the wait for the cgroup to empty, and `rmdir` deepest first. On a pure
/// v2 host ``HostCgroupTests`` covers the full driver.
@Suite(.enabled(if: getuid() == 0 && hostUnifiedMount() != nil, "needs root and a cgroup2 mount"))
struct HostUnifiedKillTests {
    @Test func cgroupKillEmptiesThePodAndRemoveLeavesNothing() throws {
        let mount = try #require(hostUnifiedMount())
        // A parent of its own, so this test never touches other runs' podlab/ cgroups.
        let parent = "podlab-cgtest-\(UInt32.random(in: 0...UInt32.max))"
        let driver = try CgroupV2Driver(mountPoint: mount, parent: parent)
        defer {
            try? driver.removeAll()
            try? HostCgroupFileSystem().removeDirectory(mount + "/" + parent)
        }
        let pod = try driver.createPod("p", resources: .unlimited)
        let child = try driver.createChild(pod: "p", name: "app-0", resources: ContainerCgroupResources(oomGroup: false, noSwap: false))
        let procs = try #require(driver.procsFiles(for: child).first)
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sh")
        sleeper.arguments = ["-c", "echo $$ > '\(procs)' && exec sleep 60"]
        try sleeper.run()
        let deadline = Date().addingTimeInterval(5)
        while try driver.processes(in: pod).isEmpty, Date() < deadline { usleep(10_000) }
        #expect(try driver.processes(in: pod) == [sleeper.processIdentifier])

        try driver.killAll(pod)
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal && sleeper.terminationStatus == SIGKILL)
        try driver.remove(pod)
        #expect(!FileManager.default.fileExists(atPath: mount + "/" + parent + "/p"))
    }
}

/// The host's cgroup2 mount point, if any (hybrid: `/sys/fs/cgroup/unified`; v2: `/sys/fs/cgroup`).
private func hostUnifiedMount() -> String? {
    (try? CgroupLayout.detect())?.unifiedMountPoint
}
