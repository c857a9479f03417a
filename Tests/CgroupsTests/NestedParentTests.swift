import Cgroups
import PodlabCore
import Testing

private let mi: Int64 = 1024 * 1024

/// A driver parent of several components (containerd's cgroup parent `podlab/cri-containerd`,
/// under which podlab writes kubelet's pod cgroup before RunPodSandbox, docs/FIDELITY.md #211):
/// every level is made, and the pod values land below the whole parent.
@Suite struct NestedParentTests {
    static let pod = PodResourceSpec(containers: [ContainerResourceSpec(
        cpuRequestMilli: 250, cpuLimitMilli: 500, memoryRequestBytes: 100 * mi, memoryLimitBytes: 100 * mi)])

    @Test func v1WritesThePodBelowEveryLevel() throws {
        let fake = try FakeCgroupFileSystem(kind: .v1)
        defer { fake.destroy() }
        let driver = try CgroupV1Driver(mountPoints: fake.v1MountPoints, parent: "podlab-x/cri-containerd.1", fileSystem: fake)
        _ = try driver.createPod("kubepods/podweb", resources: KubernetesResources.podCgroupResources(for: Self.pod))
        #expect(contents(fake.root + "/memory/podlab-x/cri-containerd.1/kubepods/podweb/memory.limit_in_bytes") == "104857600")
        #expect(contents(fake.root + "/cpu/podlab-x/cri-containerd.1/kubepods/podweb/cpu.shares") == "256")
        #expect(contents(fake.root + "/cpu/podlab-x/cri-containerd.1/kubepods/podweb/cpu.cfs_quota_us") == "50000")
    }

    @Test func v2DelegatesControllersThroughEveryLevel() throws {
        let fake = try FakeCgroupFileSystem(kind: .v2)
        defer { fake.destroy() }
        let driver = try CgroupV2Driver(mountPoint: fake.root, parent: "podlab-x/cri-containerd.1", fileSystem: fake)
        _ = try driver.createPod("kubepods/podweb", resources: KubernetesResources.podCgroupResources(for: Self.pod))
        #expect(contents(fake.root + "/podlab-x/cgroup.subtree_control") == "memory cpu pids")
        #expect(contents(fake.root + "/podlab-x/cri-containerd.1/kubepods/podweb/memory.max") == "104857600")
    }

    @Test func eachComponentIsChecked() {
        for bad in ["podlab/../etc", "podlab//x", "/podlab", "podlab/", "..", ""] {
            #expect(throws: PodlabError.self, "\(bad)") { try CgroupV2Driver(mountPoint: "/nonexistent", parent: bad) }
        }
    }
}
