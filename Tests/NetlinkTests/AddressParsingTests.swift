import Netlink
import PodNetwork
import PodlabCore
import Testing

@Suite struct AddressParsingTests {
    @Test(arguments: ["10.88.0.1", "0.0.0.0", "255.255.255.255"])
    func validAddressesRoundTrip(_ text: String) {
        #expect(IPv4Address(text)?.description == text)
    }

    @Test(arguments: ["10.88.0", "10.88.0.256", "10.88.0.01", "10.88..1", " 10.88.0.1", "a.b.c.d", "1.2.3.4.5", "-1.2.3.4"])
    func invalidAddressesAreRejected(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func subnetParsing() throws {
        let subnet = try IPv4Subnet("10.88.0.0/16")
        #expect(subnet.network == IPv4Address("10.88.0.0"))
        #expect(subnet.prefixLength == 16)
        #expect(subnet.broadcast == IPv4Address("10.88.255.255"))
        #expect(subnet.contains(IPv4Address(0x0A58_1234)))
        #expect(!subnet.contains(IPv4Address(0x0A59_0001)))
        #expect(subnet.hosts?.count == 65534)
    }

    @Test(arguments: [
        ("10.88.0.0", "expected address/prefix"),
        ("10.88.0.0/33", "prefix \"33\""),
        ("10.88.0.0/", "prefix \"\""),
        ("10.88.0.0/1x", "prefix \"1x\""),
        ("300.88.0.0/16", "\"300.88.0.0\" is not an IPv4 address"),
        ("10.88.0.5/16", "host bits are set; did you mean 10.88.0.0/16?"),
    ])
    func badCIDRGivesAClearError(_ text: String, _ complaint: String) {
        let error = #expect(throws: PodlabError.self) { try IPv4Subnet(text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("invalid CIDR \"\(text)\"") == true)
        #expect(error?.message.contains(complaint) == true)
    }

    @Test func defaultConfigIsPodlab0On10_88() {
        let config = PodNetworkConfig.default
        #expect(config.bridgeName == "podlab0")
        #expect(config.subnet.description == "10.88.0.0/16")
        #expect(config.gateway.description == "10.88.0.1")
        #expect(config.netnsDir == "/run/netns")
    }

    @Test func configDefaultsGatewayToFirstHostAndValidatesIt() throws {
        #expect(try PodNetworkConfig(bridgeName: "pltestnet0", subnet: "10.213.0.0/24").gateway.description == "10.213.0.1")
        #expect(try PodNetworkConfig(subnet: "10.213.0.0/24", gateway: "10.213.0.254").gateway.description == "10.213.0.254")
        #expect(throws: PodlabError.self) { try PodNetworkConfig(subnet: "10.213.0.0/24", gateway: "10.214.0.1") }
        #expect(throws: PodlabError.self) { try PodNetworkConfig(subnet: "10.213.0.0/24", gateway: "10.213.0.255") }
        #expect(throws: PodlabError.self) { try PodNetworkConfig(subnet: "10.213.0.0/31") }
        #expect(throws: PodlabError.self) { try PodNetworkConfig(bridgeName: "a-bridge-name-too-long") }
        #expect(throws: PodlabError.self) { try PodNetworkConfig(bridgeName: "br/0") }
    }

    @Test(arguments: ["web", "nginx-sidecar", "0", String(repeating: "a", count: 63)])
    func validPodNames(_ name: String) throws {
        try PodName.validate(name)
    }

    @Test(arguments: ["", "Web", "-web", "web-", "we_b", "web.1", "../etc", String(repeating: "a", count: 64)])
    func invalidPodNamesAreRejected(_ name: String) {
        let error = #expect(throws: PodlabError.self) { try PodName.validate(name) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("invalid pod name") == true)
    }

    @Test func podKeysMayPass63UpToTwoLabels() throws {
        let longest = String(repeating: "n", count: 63) + "-" + String(repeating: "p", count: 63)
        try PodName.validateKey(longest)
        try PodName.validateKey("default-web")
        for bad in ["", longest + "x", String(repeating: "a", count: 70) + "-", "-" + String(repeating: "a", count: 70),
                    String(repeating: "a", count: 70) + "_b", String(repeating: "a", count: 70) + ".b", "Web"] {
            #expect(throws: PodlabError.self) { try PodName.validateKey(bad) }
        }
        #expect(HostVethName.forPod(longest + ".0123abcd").utf8.count <= 15)
    }

    @Test func hostVethNamesFitIFNAMSIZAndAreStable() {
        let names = ["web", "nginx", String(repeating: "z", count: 63)].map(HostVethName.forPod)
        #expect(names.allSatisfy { $0.utf8.count <= 15 && HostVethName.matches($0) })
        #expect(HostVethName.forPod("web") == names[0])
        #expect(Set(names).count == 3)
        // FNV-1a 32-bit test vector ("a" -> 0xe40c292c): the name must not change between podlab
        // versions, or `podlab clean` would not recognise veths left by an older one.
        #expect(HostVethName.forPod("a") == "plve40c292c")
        #expect(!HostVethName.matches("plvXYZ") && !HostVethName.matches("eth0"))
    }
}
