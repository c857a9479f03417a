import Foundation
import Cgroups
import PodlabCore
import Testing

private let mi: Int64 = 1024 * 1024

/// The v1 driver against a fake tree of per-controller hierarchies.
@Suite struct CgroupV1DriverTests {
    let fake: FakeCgroupFileSystem
    let driver: CgroupV1Driver

    init() throws {
        fake = try FakeCgroupFileSystem(kind: .v1)
        driver = try CgroupV1Driver(mountPoints: fake.v1MountPoints, fileSystem: fake)
    }

    private func path(_ controller: String, _ relative: String) -> String {
        fake.root + "/" + controller + "/podlab/" + relative
    }

    @Test func filesHoldKubeletsValuesInEachHierarchy() throws {
        defer { fake.destroy() }
        let app = ContainerResourceSpec(
            cpuRequestMilli: 250, cpuLimitMilli: 500, memoryRequestBytes: 50 * mi, memoryLimitBytes: 100 * mi)
        _ = try driver.createPod(
            "web", resources: KubernetesResources.podCgroupResources(for: PodResourceSpec(containers: [app])))
        let container = try driver.createChild(
            pod: "web", name: "app-0", resources: KubernetesResources.containerCgroupResources(for: app))
        _ = try driver.createChild(pod: "web", name: "pause", resources: .pause)

        #expect(contents(path("memory", "web/memory.limit_in_bytes")) == "104857600")
        #expect(contents(path("cpu", "web/cpu.shares")) == "256")
        #expect(contents(path("cpu", "web/cpu.cfs_quota_us")) == "50000")

        #expect(contents(path("memory", "web/app-0/memory.limit_in_bytes")) == "104857600")
        #expect(contents(path("memory", "web/app-0/memory.memsw.limit_in_bytes")) == "104857600")
        #expect(contents(path("cpu", "web/app-0/cpu.shares")) == "256")
        #expect(contents(path("cpu", "web/app-0/cpu.cfs_quota_us")) == "50000")
        #expect(contents(path("cpu", "web/app-0/cpu.cfs_period_us")) == "100000")

        #expect(contents(path("cpu", "web/pause/cpu.shares")) == "2")
        #expect(contents(path("cpu", "web/pause/cpu.cfs_quota_us")) == "-1")
        #expect(try driver.memoryLimit(of: ContainerCgroup(pod: "web", name: "pause")) == nil)
        #expect(try driver.memoryLimit(of: container) == 104_857_600)

        // One procs file per mounted hierarchy runc joins, cpuacct included (docs/FIDELITY.md #182).
        #expect(Set(driver.procsFiles(for: container)) == Set(["memory", "cpu", "pids", "freezer", "devices", "cpuacct"].map {
            path($0, "web/app-0/cgroup.procs")
        }))
        #expect(driver.interfaceFile("cpu.shares", of: container) == path("cpu", "web/app-0/cpu.shares"))
        #expect(fake.exists(fake.root + "/cpuacct/podlab/web/app-0"))
    }

    @Test func raisingALimitWritesSwapFirstSoMemswStaysAboveIt() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        _ = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: 50 * mi))
        // Reusing the child with a larger limit: the fake kernel refuses memsw < limit.
        _ = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: 200 * mi))
        #expect(contents(path("memory", "p/c/memory.limit_in_bytes")) == String(200 * mi))
        #expect(contents(path("memory", "p/c/memory.memsw.limit_in_bytes")) == String(200 * mi))
        _ = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: 10 * mi))
        #expect(contents(path("memory", "p/c/memory.memsw.limit_in_bytes")) == String(10 * mi))
        // Back to unlimited (-1): swap first again.
        _ = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: -1))
        #expect(contents(path("memory", "p/c/memory.limit_in_bytes")) == "-1")
    }

    @Test func oomKillCounterComesFromOOMControl() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        let child = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: mi))
        #expect(!driver.oomKilled(child))
        try fake.simulateKernel(path("memory", "p/c/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        #expect(try driver.oomKillCount(child) == 1)
        #expect(driver.oomKilled(child))
    }

    @Test func killAllFreezesKillsThenThawsWhenProcessesAreLeft() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        let straggler = Process()
        straggler.executableURL = URL(fileURLWithPath: "/bin/sleep")
        straggler.arguments = ["30"]
        try straggler.run()
        defer { if straggler.isRunning { straggler.terminate() } }
        try fake.simulateKernel(path("freezer", "p/cgroup.procs"), "\(straggler.processIdentifier)\n")
        try driver.killAll(PodCgroup(pod: "p"))
        straggler.waitUntilExit()
        #expect(straggler.terminationReason == .uncaughtSignal && straggler.terminationStatus == SIGKILL)
        let states = fake.writes.filter { $0.path == path("freezer", "p/freezer.state") }.map(\.value)
        #expect(states == ["FROZEN", "THAWED"])
    }

    @Test func killAllOfAnEmptyPodDoesNotFreeze() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        try driver.killAll(PodCgroup(pod: "p"))
        #expect(!fake.writes.contains { $0.path == path("freezer", "p/freezer.state") })
    }

    @Test func removeAndRemoveAllCleanEveryHierarchy() throws {
        defer { fake.destroy() }
        // Pods live in kubelet's QoS tree (docs/FIDELITY.md #90).
        let a = KubepodsTree.podPath("a", qos: .bestEffort)
        let b = KubepodsTree.podPath("b", qos: .guaranteed)
        _ = try driver.createPod(a, resources: .unlimited)
        _ = try driver.createChild(pod: a, name: "pause", resources: .pause)
        _ = try driver.createPod(b, resources: .unlimited)
        #expect(try driver.listPods() == [b, a].sorted())
        try driver.remove(PodCgroup(pod: a))
        for controller in ["memory", "cpu", "pids", "freezer", "devices"] {
            #expect(!fake.exists(path(controller, a)))
            #expect(fake.exists(path(controller, "kubepods/besteffort")), "the QoS parent stays")
        }
        // kubelet pins BestEffort's CPU shares to MinShares (#91).
        #expect(fake.writes.contains { $0.path == path("cpu", "kubepods/besteffort/cpu.shares") && $0.value == "2" })
        try driver.removeAll()
        #expect(try driver.listPods().isEmpty)
    }

    @Test func aFailedWriteUndoesTheDirectoriesItMade() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        let expected = "write(\(path("memory", "p/c/memory.limit_in_bytes")), \"-5\")"
        // Like the kernel, the fake answers EINVAL: -5 is neither a byte count nor -1 (unlimited).
        #expect {
            try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: -5, noSwap: false))
        } throws: { error in
            (error as? PodlabError)?.message == expected
        }
        for controller in ["memory", "cpu", "pids", "freezer", "devices"] {
            #expect(!fake.exists(path(controller, "p/c")))
        }
    }

    @Test func childrenDenyEveryDeviceButRuncsAllowlistAndThePodStaysOpen() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        _ = try driver.createChild(pod: "p", name: "pause", resources: .pause)
        _ = try driver.createChild(pod: "p", name: "app-0", resources: ContainerCgroupResources())

        for child in ["pause", "app-0"] {
            let dir = path("devices", "p/\(child)")
            // Deny-all first, then one allow per rule, in runc's order.
            let writes = fake.writes.filter { $0.path.hasPrefix(dir + "/devices.") }
            #expect(writes.first?.path == dir + "/devices.deny" && writes.first?.value == "a")
            #expect(writes.dropFirst().map(\.value) == DeviceRule.containerDefaults.map(\.description))
            #expect(writes.dropFirst().allSatisfy { $0.path == dir + "/devices.allow" })
            let list = Set(contents(dir + "/devices.list").split(separator: "\n").map(String.init))
            #expect(list == Set(["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
                                 "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm"]))
        }
        // The pod cgroup keeps the kernel's allow-all: no process runs there, and "a" could no
        // longer be written once it has children.
        #expect(contents(path("devices", "p/devices.list")) == "a *:* rwm")
    }

    @Test func reusingAChildDoesNotRewriteItsDeviceRules() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        _ = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources())
        let before = fake.writes.count { $0.path.contains("/devices.") }
        _ = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources())
        #expect(fake.writes.count { $0.path.contains("/devices.") } == before)
        #expect(before == 1 + DeviceRule.containerDefaults.count)
    }

    @Test func aChildIsRefusedWithoutTheDevicesHierarchy() throws {
        defer { fake.destroy() }
        let noDevices = try CgroupV1Driver(mountPoints: fake.v1MountPoints.filter { $0.key != "devices" }, fileSystem: fake)
        _ = try noDevices.createPod("p", resources: .unlimited)
        #expect {
            try noDevices.createChild(pod: "p", name: "c", resources: ContainerCgroupResources())
        } throws: { error in
            (error as? PodlabError)?.message.contains("devices controller is not mounted") == true
        }
        for controller in ["memory", "cpu", "pids", "freezer"] {
            #expect(!fake.exists(path(controller, "p/c")))
        }
    }

    @Test func memoryHierarchyIsRequired() {
        #expect(throws: PodlabError.self) {
            try CgroupV1Driver(mountPoints: ["cpu": "/sys/fs/cgroup/cpu"])
        }
    }
}
