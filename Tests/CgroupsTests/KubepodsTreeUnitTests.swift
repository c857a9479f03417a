import Testing

@testable import Cgroups

@Suite("kubelet's kubepods tree names")
struct KubepodsTreeUnitTests {
    @Test func cgroupfsAndSystemdNames() {
        #expect(KubepodsTree.podPath("x", qos: .guaranteed) == "kubepods/podx")
        #expect(KubepodsTree.podPath("x", qos: .burstable) == "kubepods/burstable/podx")
        #expect(KubepodsTree.podPath("x", qos: .bestEffort) == "kubepods/besteffort/podx")
        #expect(KubepodsTree.name(ofPodPath: "kubepods/besteffort/podx") == "x")
        #expect(KubepodsTree.name(ofPodPath: "kubepods/podx") == "x")
        #expect(KubepodsTree.name(ofPodPath: "kubepods/burstable") == nil)
        #expect(KubepodsTree.name(ofPodPath: "other/podx") == nil)
        #expect(KubepodsTree.name(ofPodPath: "podx") == nil)
        #expect(KubepodsTree.systemdName(ofPodPath: "kubepods/burstable/podx")
            == "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podx.slice")
    }

    @Test func podPathsAreCheckedPerComponent() throws {
        try validatePodPath("kubepods/burstable/podx")
        #expect(throws: (any Error).self) { try validatePodPath("kubepods/../x") }
        #expect(throws: (any Error).self) { try validatePodPath("kubepods//x") }
        #expect(throws: (any Error).self) { try validatePodPath("") }
    }
}
