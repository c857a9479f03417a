@testable import ContainerdKit
import Foundation
import PodlabCore
import Testing

/// config.toml and the CNI conflist say what `runtime up` promises: our own root, state and
/// socket, podlab's pause image, cgroupfs, our bridge/subnet, IPAM data in our state dir.
@Suite struct ContainerdSetupTests {
    func setup(bridge: String = "plcri0", subnet: String = "10.228.0.0/16", state: String = "/tmp/x/state/containerd") -> ContainerdSetup {
        ContainerdSetup(stateDir: state, rootDir: "/tmp/x/data/containerd", bridge: bridge, subnet: subnet,
                        cgroupParent: "/podlab/cri-containerd", cniBinDir: "/usr/lib/cni", sandboxImage: ContainerdSetup.pauseImage,
                        containerdBinary: "/usr/bin/containerd", runcBinary: "/usr/sbin/runc", ctrBinary: "/usr/bin/ctr")
    }

    @Test func configNamesOnlyOurOwnPaths() throws {
        let toml = setup().configTOML()
        #expect(toml.contains("root = \"/tmp/x/data/containerd/root\""))
        #expect(toml.contains("state = \"/tmp/x/state/containerd/state\""))
        #expect(toml.contains("address = \"/tmp/x/state/containerd/containerd.sock\""))
        #expect(toml.contains("sandbox_image = \"podlab.local/pause:3.10-podlab\""))
        #expect(toml.contains("SystemdCgroup = false"))
        #expect(toml.contains("snapshotter = \"overlayfs\""))
        #expect(toml.contains("conf_dir = \"/tmp/x/state/containerd/net.d\""))
        #expect(toml.contains("path = \"/tmp/x/data/containerd/opt\""))
        // Never the system containerd's places.
        #expect(!toml.contains("/run/containerd"))
        #expect(!toml.contains("/var/lib/containerd"))
    }

    @Test func conflistIsBridgeWithHostLocalInOurStateDir() throws {
        let data = Data(setup(bridge: "plcri7", subnet: "10.228.7.0/24").cniConflist().utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["name"] as? String == "podlab-cri")
        let plugins = try #require(object["plugins"] as? [[String: Any]])
        let bridge = try #require(plugins.first)
        #expect(bridge["type"] as? String == "bridge")
        #expect(bridge["bridge"] as? String == "plcri7")
        #expect(bridge["isGateway"] as? Bool == true)
        #expect(bridge["ipMasq"] as? Bool == false)
        let ipam = try #require(bridge["ipam"] as? [String: Any])
        #expect(ipam["type"] as? String == "host-local")
        #expect(ipam["dataDir"] as? String == "/tmp/x/state/containerd/ipam")
        let ranges = try #require(ipam["ranges"] as? [[[String: String]]])
        #expect(ranges.first?.first?["subnet"] == "10.228.7.0/24")
    }

    @Test func validateRefusesNamesThatWouldBreakTheConfig() throws {
        try setup().validate()
        #expect(throws: PodlabError.self) { try setup(bridge: "a-bridge-name-too-long").validate() }
        #expect(throws: PodlabError.self) { try setup(bridge: "br\"0").validate() }
        #expect(throws: PodlabError.self) { try setup(subnet: "10.228.0.0").validate() }
        #expect(throws: PodlabError.self) { try setup(subnet: "10.228.0.0/33").validate() }
        #expect(throws: PodlabError.self) { try setup(subnet: "10.300.0.0/16").validate() }
        #expect(throws: PodlabError.self) { try setup(state: "/tmp/\"quoted\"/containerd").validate() }
        #expect(throws: PodlabError.self) { try setup(state: "/tmp/" + String(repeating: "d", count: 100)).validate() }
    }

    @Test func defaultsComeFromThePodlabPathsAndEnvironment() {
        let paths = PodlabPaths(stateDir: "/tmp/crit-state", dataDir: "/tmp/crit-data", rootfsDir: "", labsDir: "", reportsDir: "")
        let setup = ContainerdSetup.forPaths(paths, environment: ["PODLAB_CRI_BRIDGE": "plcri9", "PODLAB_CRI_SUBNET": "10.228.9.0/24"])
        #expect(setup.socket == "/tmp/crit-state/containerd/containerd.sock")
        #expect(setup.rootDir == "/tmp/crit-data/containerd")
        #expect(setup.bridge == "plcri9")
        #expect(setup.subnet == "10.228.9.0/24")
        // A non-default state dir qualifies the cgroup parent, like pod names.
        #expect(setup.cgroupParent.hasPrefix("/podlab/cri-containerd."))
    }
}

@Suite struct CRIClientErrorTests {
    @Test func unavailableNamesTheFix() {
        let error = CRIClient.error(operation: "CRI Version(v1) on /x.sock", code: "unavailable", message: "connection refused")
        #expect(error.code == .invalidState)
        #expect(error.message.contains("podlab runtime up containerd"))
        #expect(CRIClient.error(operation: "op", code: "deadlineExceeded", message: "m").code == .timeout)
        #expect(CRIClient.error(operation: "op", code: "notFound", message: "m").code == .notFound)
        #expect(CRIClient.error(operation: "op", code: "unimplemented", message: "m").message.contains("runtime.v1"))
    }

    @Test func containerdInfoPid() {
        #expect(CRIClient.pid(fromInfo: ["info": #"{"pid": 4242, "sandboxID": "x"}"#]) == 4242)
        #expect(CRIClient.pid(fromInfo: ["info": #"{"pid": 99999999999}"#]) == nil)
        #expect(CRIClient.pid(fromInfo: ["info": "not json"]) == nil)
        #expect(CRIClient.pid(fromInfo: [:]) == nil)
    }

    @Test func int64IsAStringInProto3JSON() throws {
        let encoded = String(decoding: try JSONEncoder().encode(["t": CRIInt64(5)]), as: UTF8.self)
        #expect(encoded == #"{"t":"5"}"#)
        #expect(try JSONDecoder().decode([String: CRIInt64].self, from: Data(#"{"t":"-7"}"#.utf8))["t"] == CRIInt64(-7))
        #expect(try JSONDecoder().decode([String: CRIInt64].self, from: Data(#"{"t":8}"#.utf8))["t"] == CRIInt64(8))
        #expect(throws: (any Error).self) { try JSONDecoder().decode([String: CRIInt64].self, from: Data(#"{"t":"x"}"#.utf8)) }
    }

    @Test func shimIsLookedForBesideTheBinaryThenInTheSubPackage() {
        let candidates = CRIShim.candidates(environment: [:], executable: "/src/podlab/.build/x86_64-unknown-linux-gnu/debug/podlab")
        #expect(candidates == [
            "/src/podlab/.build/x86_64-unknown-linux-gnu/debug/podlab-cri",
            "/src/podlab/Runtimes/CRI/.build/release/podlab-cri",
            "/src/podlab/Runtimes/CRI/.build/debug/podlab-cri",
        ])
        #expect(CRIShim.candidates(environment: ["PODLAB_CRI": "/opt/x/podlab-cri"]) == ["/opt/x/podlab-cri"])
    }
}
