import ContainerdKit
import Foundation
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `runtime down` of one podlab instance must not delete a CNI bridge another instance's pods
/// still use (docs/FIDELITY.md #221). The other instance's pod is played by a veth enslaved to
/// the bridge; `down` runs with nothing started (it still sweeps), in a state
/// directory of its own.
@Suite(.serialized) struct ContainerdSharedBridgeTests {
    @Test(.enabled(if: getuid() == 0)) func downKeepsABridgeInUse() throws {
        let tag = String(format: "%04x", Int.random(in: 0...0xffff))
        let bridge = "plsb" + tag
        let port = "plsd" + tag
        let root = "/tmp/hcr2-bridge-\(getpid())-\(tag)"
        defer {
            _ = ContainerdCRITests.run("/usr/sbin/ip", ["link", "del", port])
            _ = ContainerdCRITests.run("/usr/sbin/ip", ["link", "del", bridge])
            try? FileManager.default.removeItem(atPath: root)
        }
        var setup = ContainerdSetup.forPaths(PodlabPaths(stateDir: root + "/state", dataDir: root + "/data", rootfsDir: "", labsDir: "", reportsDir: ""),
                                             environment: [:])
        // The per-instance default is not the shared plcri0 (#221).
        #expect(setup.bridge != "plcri0" && setup.bridge.hasPrefix("plcri"), "\(setup.bridge)")
        setup.bridge = bridge
        setup.cgroupParent = "/podlab-hcr2-bridge-\(tag)"
        try #require(ContainerdCRITests.run("/usr/sbin/ip", ["link", "add", bridge, "type", "bridge"]) == 0)
        try #require(ContainerdCRITests.run("/usr/sbin/ip", ["link", "add", port, "type", "veth", "peer", "name", "plsp" + tag]) == 0)
        try #require(ContainerdCRITests.run("/usr/sbin/ip", ["link", "set", port, "master", bridge]) == 0)
        #expect(ContainerdInstance.bridgePorts(bridge) == [port])

        let kept = try ContainerdInstance(setup: setup).down()
        #expect(!kept.bridge)
        #expect(kept.bridgeKeptFor == [port])
        #expect(FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)"), "down deleted a bridge with \(port) on it")

        // The other instance's pod is gone: now down removes the bridge.
        try #require(ContainerdCRITests.run("/usr/sbin/ip", ["link", "del", port]) == 0)
        let removed = try ContainerdInstance(setup: setup).down()
        #expect(removed.bridge)
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)"))
    }
}
