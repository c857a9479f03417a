@testable import ContainerdKit
import Foundation
import PodlabCore
import Testing

/// Two podlab instances never share containerd's CNI bridge or subnet by default
/// (docs/FIDELITY.md #221), and the security fields kubelet sends reach the JSON podlab-cri reads
/// with the names of the published CRI (docs/FIDELITY.md #212).
@Suite struct CRINetworkDefaultsTests {
    /// `/proc/net/route` with a default route, podlab0's 10.88.0.0/16 and a /20 of the pool.
    static let routeTable = """
        Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
        eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
        podlab0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
        plcriX\t0000800A\t00000000\t0001\t0\t0\t0\t00F0FFFF\t0\t0\t0
        garbage line
        """

    @Test func parsesTheKernelsRouteTable() {
        let routes = HostIPv4Routes.parse(Self.routeTable)
        #expect(routes.count == 3)
        #expect(routes[1] == HostIPv4Routes.Route(interface: "podlab0", destination: 10 << 24 | 88 << 16, mask: 0xFFFF_0000))
        // The default route overlaps nothing; 10.88.0.0/16 overlaps 10.88.5.0/24 and 10.0.0.0/8.
        #expect(!routes[0].overlaps(network: 10 << 24, prefix: 8))
        #expect(routes[1].overlaps(network: 10 << 24 | 88 << 16 | 5 << 8, prefix: 24))
        #expect(routes[1].overlaps(network: 10 << 24, prefix: 8))
        #expect(!routes[1].overlaps(network: 10 << 24 | 89 << 16, prefix: 16))
    }

    @Test func theDefaultStateDirectoryKeepsPlcri0() {
        let paths = PodlabPaths(stateDir: PodlabPaths.defaultStateDir, dataDir: "/var/lib/podlab", rootfsDir: "", labsDir: "", reportsDir: "")
        let setup = ContainerdSetup.forPaths(paths, environment: [:])
        #expect(setup.bridge == "plcri0")
        #expect(setup.subnet == "10.228.0.0/16")
    }

    @Test func twoStateDirectoriesGetTheirOwnBridgeAndSubnet() throws {
        let one = PodlabPaths(stateDir: "/tmp/hcr2-unit-a/state", dataDir: "/tmp/hcr2-unit-a/data", rootfsDir: "", labsDir: "", reportsDir: "")
        let two = PodlabPaths(stateDir: "/tmp/hcr2-unit-b/state", dataDir: "/tmp/hcr2-unit-b/data", rootfsDir: "", labsDir: "", reportsDir: "")
        let first = ContainerdSetup.forPaths(one, environment: [:])
        let second = ContainerdSetup.forPaths(two, environment: [:])
        #expect(first.bridge == "plcri" + (one.instanceTag ?? "?"))
        #expect(first.bridge != second.bridge)
        #expect(first.bridge != "plcri0" && second.bridge != "plcri0")
        try first.validate()
        try second.validate()
        #expect(first.subnet.hasSuffix("/20") && first.subnet.hasPrefix("10."), "\(first.subnet)")
        // Free of every route the host has now (other than its own bridge's).
        for setup in [first, second] {
            let network = try #require(Self.network(setup.subnet))
            let clash = HostIPv4Routes.current().filter { $0.interface != setup.bridge && $0.overlaps(network: network, prefix: 20) }
            #expect(clash.isEmpty, "\(setup.subnet) overlaps \(clash)")
        }
    }

    @Test func aTakenBlockIsSkipped() throws {
        let routes = HostIPv4Routes.parse(Self.routeTable)
        // Tag 0 starts at the pool's first block, 10.128.0.0/20, which plcriX's route holds.
        #expect(CRINetworkDefaults.subnet(instanceTag: "00000000", routes: routes, ownBridge: "plcri00000000") == "10.128.16.0/20")
        // Its own bridge's route does not push an instance off its block.
        #expect(CRINetworkDefaults.subnet(instanceTag: "00000000", routes: routes, ownBridge: "plcriX") == "10.128.0.0/20")
        #expect(CRINetworkDefaults.subnet(instanceTag: "000003ff", routes: [], ownBridge: "b") == "10.191.240.0/20")
        #expect(CRINetworkDefaults.subnet(instanceTag: nil, routes: routes, ownBridge: "plcri0") == "10.228.0.0/16")
    }

    @Test func theRecordedNetworkWinsOverANewPick() throws {
        let root = "/tmp/hcr2-unit-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let paths = PodlabPaths(stateDir: root + "/state", dataDir: root + "/data", rootfsDir: "", labsDir: "", reportsDir: "")
        try FileManager.default.createDirectory(atPath: root + "/state/containerd", withIntermediateDirectories: true)
        try #"{"pid":1,"socket":"s","configPath":"c","bridge":"plcrirec","subnet":"10.130.32.0/20","cgroupParent":"/p"}"#
            .write(toFile: root + "/state/containerd/instance.json", atomically: true, encoding: .utf8)
        let setup = ContainerdSetup.forPaths(paths, environment: [:])
        #expect(setup.bridge == "plcrirec")
        #expect(setup.subnet == "10.130.32.0/20")
        #expect(ContainerdSetup.forPaths(paths, environment: ["PODLAB_CRI_SUBNET": "10.246.0.0/16"]).subnet == "10.246.0.0/16")
    }

    @Test func securityFieldsUseTheCRINames() throws {
        var container = CRILinuxContainerSecurityContext(namespaceOptions: nil)
        container.maskedPaths = ["/proc/kcore"]
        container.readonlyPaths = ["/proc/sys"]
        container.seccomp = .unconfined
        let text = String(decoding: try JSONEncoder().encode(container), as: UTF8.self)
        #expect(text.contains(#""maskedPaths":["\/proc\/kcore"]"#) || text.contains(#""maskedPaths":["/proc/kcore"]"#), "\(text)")
        #expect(text.contains(#""seccomp":{"profileType":"Unconfined"}"#), "\(text)")
        var sandbox = CRILinuxSandboxSecurityContext(namespaceOptions: nil)
        sandbox.seccomp = .runtimeDefault
        #expect(String(decoding: try JSONEncoder().encode(sandbox), as: UTF8.self) == #"{"seccomp":{"profileType":"RuntimeDefault"}}"#)
    }

    static func network(_ cidr: String) -> UInt32? {
        let parts = cidr.split(separator: "/").first?.split(separator: ".").compactMap { UInt32($0) } ?? []
        guard parts.count == 4 else { return nil }
        return parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
    }
}
