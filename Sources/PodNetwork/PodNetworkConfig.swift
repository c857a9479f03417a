import Netlink
import PodlabCore

/// Which host bridge and subnet pods attach to. Defaults match podman's and containerd's
/// example CNI bridge conflist (`cni0`/`podman` with 10.88.0.0/16) under podlab's own name.
public struct PodNetworkConfig: Sendable, Equatable {
    /// The host bridge, at most 15 characters (`podlab0`).
    public var bridgeName: String
    /// The pod subnet; the bridge gets the gateway address with this prefix.
    public var subnet: IPv4Subnet
    /// The pods' default gateway and the bridge's address (the subnet's first host by default).
    public var gateway: IPv4Address
    /// Where pod network namespaces are pinned: `/run/netns`, so `ip netns` sees them.
    public var netnsDir: String

    /// The default network: bridge `podlab0`, 10.88.0.0/16, gateway 10.88.0.1, pins in /run/netns.
    public static var `default`: PodNetworkConfig {
        PodNetworkConfig(validBridgeName: "podlab0", subnet: IPv4Subnet(masking: IPv4Address(0x0A58_0000), prefixLength: 16),
                         gateway: IPv4Address(0x0A58_0001), netnsDir: "/run/netns")
    }

    /// Validates a configuration from user input.
    /// - Parameters:
    ///   - subnet: CIDR text, e.g. "10.213.0.0/24".
    ///   - gateway: dotted quad inside the subnet; nil means the subnet's first host (.1).
    public init(bridgeName: String = "podlab0", subnet: String = "10.88.0.0/16", gateway: String? = nil, netnsDir: String = "/run/netns") throws {
        guard !bridgeName.isEmpty, bridgeName.utf8.count <= 15,
              bridgeName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) else {
            throw PodlabError(.invalidArgument, "invalid bridge name \"\(bridgeName)\": use 1 to 15 characters from [A-Za-z0-9._-]")
        }
        let parsedSubnet = try IPv4Subnet(subnet)
        guard let hosts = parsedSubnet.hosts, hosts.count >= 2 else {
            throw PodlabError(.invalidArgument, "subnet \(parsedSubnet) is too small: it needs room for a gateway and at least one pod (/30 or larger)")
        }
        let parsedGateway: IPv4Address
        if let gateway {
            guard let address = IPv4Address(gateway) else {
                throw PodlabError(.invalidArgument, "invalid gateway \"\(gateway)\": not an IPv4 address")
            }
            guard hosts.contains(address.value) else {
                throw PodlabError(.invalidArgument, "invalid gateway \(address): not a host address of \(parsedSubnet)")
            }
            parsedGateway = address
        } else {
            parsedGateway = IPv4Address(hosts.lowerBound)
        }
        self.init(validBridgeName: bridgeName, subnet: parsedSubnet, gateway: parsedGateway, netnsDir: netnsDir)
    }

    private init(validBridgeName: String, subnet: IPv4Subnet, gateway: IPv4Address, netnsDir: String) {
        self.bridgeName = validBridgeName
        self.subnet = subnet
        self.gateway = gateway
        self.netnsDir = netnsDir
    }
}
