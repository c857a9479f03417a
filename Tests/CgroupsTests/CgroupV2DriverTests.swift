import Cgroups
import PodlabCore
import Testing

private let mi: Int64 = 1024 * 1024

/// The v2 driver against a fake cgroup2 tree: what it writes, where, and how it cleans up.
@Suite struct CgroupV2DriverTests {
    let fake: FakeCgroupFileSystem
    let driver: CgroupV2Driver

    init() throws {
        fake = try FakeCgroupFileSystem(kind: .v2)
        driver = try CgroupV2Driver(mountPoint: fake.root, fileSystem: fake)
    }

    private func path(_ relative: String) -> String { fake.root + "/podlab/" + relative }

    /// `podlab clean` in the test VM printed `failed: kill cgroup …: read(…/cgroup.procs): No
    /// such device`: the pod's supervisor removed the container's cgroup between clean's
    /// listing and its read. A cgroup removed meanwhile holds no process; killAll succeeds.
    @Test func killAllTakesACgroupRemovedMeanwhileAsEmpty() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("web", resources: .unlimited)
        let child = try driver.createChild(pod: "web", name: "app-0", resources: ContainerCgroupResources(oomGroup: false, noSwap: false))
        fake.removedDuringRead = Set(driver.procsFiles(for: child))
        try driver.killAll(PodCgroup(pod: "web"))
        try driver.remove(PodCgroup(pod: "web"))
        #expect(!fake.exists(path("web")))
    }

    @Test func podAndContainerFilesHoldKubeletsValues() throws {
        defer { fake.destroy() }
        let app = ContainerResourceSpec(
            cpuRequestMilli: 250, cpuLimitMilli: 500, memoryRequestBytes: 50 * mi, memoryLimitBytes: 100 * mi)
        let pod = PodResourceSpec(containers: [app])
        _ = try driver.createPod("web", resources: KubernetesResources.podCgroupResources(for: pod))
        let container = try driver.createChild(
            pod: "web", name: "app-0", resources: KubernetesResources.containerCgroupResources(for: app))
        let pause = try driver.createChild(pod: "web", name: "pause", resources: .pause)

        // Controllers enabled down to the pod, so the children got their interface files.
        #expect(contents(fake.root + "/cgroup.subtree_control") == "memory cpu pids")
        #expect(contents(path("cgroup.subtree_control")) == "memory cpu pids")
        #expect(contents(path("web/cgroup.subtree_control")) == "memory cpu pids")

        // Burstable pod: shares (256 → weight), memory and quota because its one container limits both.
        #expect(contents(path("web/memory.max")) == "104857600")
        #expect(contents(path("web/cpu.max")) == "50000 100000")
        #expect(contents(path("web/cpu.weight")) == String(KubernetesResources.cpuWeight(fromShares: 256)))

        #expect(contents(path("web/app-0/memory.max")) == "104857600")
        #expect(contents(path("web/app-0/memory.swap.max")) == "0")
        #expect(contents(path("web/app-0/memory.oom.group")) == "1")
        #expect(contents(path("web/app-0/cpu.max")) == "50000 100000")
        #expect(contents(path("web/app-0/cpu.weight")) == String(KubernetesResources.cpuWeight(fromShares: 256)))

        // pause: weight 1 (shares 2), everything else at the kernel default.
        #expect(contents(path("web/pause/cpu.weight")) == "1")
        #expect(contents(path("web/pause/memory.max")) == "max")
        #expect(contents(path("web/pause/cpu.max")) == "max 100000")
        #expect(contents(path("web/pause/memory.oom.group")) == "0")

        #expect(driver.procsFiles(for: container) == [path("web/app-0/cgroup.procs")])
        #expect(driver.interfaceFile("memory.max", of: pause) == path("web/pause/memory.max"))
        #expect(try driver.memoryLimit(of: container) == 104_857_600)
        #expect(try driver.memoryLimit(of: pause) == nil)
    }

    @Test func oneCPUWeightIsTheDefault100() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        let resources = KubernetesResources.containerCgroupResources(for: ContainerResourceSpec(cpuRequestMilli: 1000))
        _ = try driver.createChild(pod: "p", name: "c", resources: resources)
        #expect(contents(path("p/c/cpu.weight")) == "100")
    }

    @Test func oomKillCounterComesFromMemoryEvents() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        let child = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: mi))
        #expect(try driver.oomKillCount(child) == 0)
        #expect(!driver.oomKilled(child))
        try fake.simulateKernel(path("p/c/memory.events"), "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 1\n")
        #expect(try driver.oomKillCount(child) == 2)
        #expect(driver.oomKilled(child))
    }

    @Test func everyChildGetsRuncsDeviceAllowlistAndThePodNone() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        _ = try driver.createChild(pod: "p", name: "pause", resources: .pause)
        _ = try driver.createChild(pod: "p", name: "app-0", resources: ContainerCgroupResources())
        let expected = try DeviceFilterProgram(allowing: DeviceRule.containerDefaults)
        #expect(fake.deviceFilters == [path("p/pause"): expected, path("p/app-0"): expected])
    }

    @Test func aRefusedDeviceFilterLeavesNoChildBehind() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        fake.refuseDeviceFilters = true
        #expect {
            try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources())
        } throws: { error in
            (error as? PodlabError)?.message.hasPrefix("bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE) on \(path("p/c"))") == true
        }
        // No child without a device filter: a process could have joined it unconfined.
        #expect(!fake.exists(path("p/c")))
    }

    @Test func removeTakesChildrenThenPodAndRemoveAllEmptiesTheParent() throws {
        defer { fake.destroy() }
        // Pods live in kubelet's QoS tree (docs/FIDELITY.md #90); listPods finds them there.
        let a = KubepodsTree.podPath("a", qos: .burstable)
        let b = KubepodsTree.podPath("b", qos: .guaranteed)
        #expect(a == "kubepods/burstable/poda" && b == "kubepods/podb")
        _ = try driver.createPod(a, resources: .unlimited)
        _ = try driver.createChild(pod: a, name: "pause", resources: .pause)
        _ = try driver.createChild(pod: a, name: "app-0", resources: ContainerCgroupResources())
        _ = try driver.createPod(b, resources: .unlimited)
        _ = try driver.createChild(pod: b, name: "pause", resources: .pause)
        #expect(try driver.listPods() == [b, a].sorted())
        #expect(fake.writes.contains { $0.path == path("kubepods/burstable/cgroup.subtree_control") }, "QoS parents delegate the controllers")
        let e = KubepodsTree.podPath("e", qos: .bestEffort)
        _ = try driver.createPod(e, resources: .unlimited)
        // kubelet pins BestEffort's CPU shares to MinShares (2), weight 1 on v2 (#91).
        #expect(fake.writes.contains { $0.path == path("kubepods/besteffort/cpu.weight") && $0.value == "1" })
        try driver.remove(PodCgroup(pod: e))

        try driver.remove(PodCgroup(pod: a))
        #expect(!fake.exists(path(a)))
        #expect(fake.exists(path("kubepods/burstable")), "the QoS parent stays")
        #expect(try driver.listPods() == [b])
        // Removing what is already gone is not an error (clean after a partial teardown).
        try driver.remove(PodCgroup(pod: a))

        try driver.killAll(PodCgroup(pod: b))
        #expect(fake.writes.contains { $0.path == path("\(b)/cgroup.kill") && $0.value == "1" })
        try driver.removeAll()
        #expect(try driver.listPods().isEmpty)
        #expect(fake.exists(fake.root + "/podlab"))
    }

    @Test func removeRetriesThenReportsABusyCgroup() throws {
        defer { fake.destroy() }
        _ = try driver.createPod("p", resources: .unlimited)
        _ = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources())
        try fake.simulateKernel(path("p/c/cgroup.procs"), "999999\n")
        #expect {
            try driver.remove(PodCgroup(pod: "p"))
        } throws: { error in
            "\(error)".contains("rmdir(\(path("p/c")))")
        }
        try fake.simulateKernel(path("p/c/cgroup.procs"), "")
        try driver.remove(PodCgroup(pod: "p"))
        #expect(!fake.exists(path("p")))
    }

    @Test func failedWriteNamesFileAndValueAndLeavesNoHalfMadeChild() throws {
        defer { fake.destroy() }
        // A host whose cpu controller is unavailable: children get no cpu.max.
        let noCPU = try FakeCgroupFileSystem(kind: .v2, rootControllers: ["memory", "pids"])
        defer { noCPU.destroy() }
        let driver = try CgroupV2Driver(mountPoint: noCPU.root, fileSystem: noCPU)
        _ = try driver.createPod("p", resources: .unlimited)
        let expected = "write(\(noCPU.root)/podlab/p/c/cpu.max, \"50000 100000\")"
        #expect {
            try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(cpuQuotaMicros: 50_000))
        } throws: { error in
            (error as? PodlabError)?.message == expected
        }
        #expect(!noCPU.exists(noCPU.root + "/podlab/p/c"))
    }

    @Test func missingMemoryControllerIsUnsupported() throws {
        defer { fake.destroy() }
        let noMemory = try FakeCgroupFileSystem(kind: .v2, rootControllers: ["cpu", "pids"])
        defer { noMemory.destroy() }
        let driver = try CgroupV2Driver(mountPoint: noMemory.root, fileSystem: noMemory)
        #expect {
            try driver.createPod("p", resources: PodCgroupResources(memoryLimitBytes: mi))
        } throws: { error in
            (error as? PodlabError)?.code == .unsupported
        }
        _ = try driver.createPod("q", resources: .unlimited)
        #expect {
            try driver.createChild(pod: "q", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: mi))
        } throws: { error in
            (error as? PodlabError)?.code == .unsupported
                && (error as? PodlabError)?.message.contains("memory controller is not enabled") == true
        }
        #expect(!noMemory.exists(noMemory.root + "/podlab/q/c"))
    }

    @Test func childNeedsItsPodAndNamesMustBeOnePathComponent() throws {
        defer { fake.destroy() }
        #expect(throws: PodlabError.self) {
            try driver.createChild(pod: "nope", name: "c", resources: ContainerCgroupResources())
        }
        // A pod is a path of harmless components (kubepods/burstable/pod<uid>, #90).
        for bad in ["", ".", "..", "a/..", "a//b", "/a", "x\ny"] {
            #expect(throws: PodlabError.self) { try driver.createPod(bad, resources: .unlimited) }
        }
        #expect(throws: PodlabError.self) { try driver.remove(ContainerCgroup(pod: "..", name: "x")) }
    }

    @Test func optionalFilesAreSkippedWhenTheKernelLacksThem() throws {
        defer { fake.destroy() }
        fake.hasSwap = false
        fake.hasKill = false
        _ = try driver.createPod("p", resources: .unlimited)
        let child = try driver.createChild(pod: "p", name: "c", resources: ContainerCgroupResources(memoryLimitBytes: mi))
        #expect(!fake.exists(path("p/c/memory.swap.max")))
        #expect(contents(path("p/c/memory.max")) == String(mi))
        // Without cgroup.kill, killAll falls back to the SIGKILL loop (nothing to kill here).
        try driver.killAll(child)
    }
}
