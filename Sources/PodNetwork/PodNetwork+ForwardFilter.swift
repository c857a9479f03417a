import Glibc
import Netlink
import PodlabCore

/// What `podlab doctor` reports about pod isolation: the host's IPv4 forwarding switch and
/// whether podlab's forward filter for the bridge is in place.
public struct ForwardFilterStatus: Sendable, Equatable {
    /// `net.ipv4.ip_forward` of the calling thread's network namespace; nil if unreadable.
    public var ipForwarding: Bool?
    /// The rules in the filter's `forward` chain (2 when in place, 0 when missing).
    public var rules: Int
    /// The rules the filter has when complete.
    public var expectedRules: Int
    /// Whether the bridge exists.
    public var bridgeExists: Bool

    public init(ipForwarding: Bool?, rules: Int, expectedRules: Int, bridgeExists: Bool) {
        self.ipForwarding = ipForwarding
        self.rules = rules
        self.expectedRules = expectedRules
        self.bridgeExists = bridgeExists
    }

    /// Pods cannot reach beyond the bridge and the host: the filter is in place, or nothing is
    /// routed at all, or there is no bridge yet (the filter comes with it).
    public var isolated: Bool {
        rules == expectedRules || ipForwarding == false || !bridgeExists
    }
}

extension PodNetwork {
    /// The nftables table that keeps this bridge's pods off every other network: `inet podlab-<bridge>`,
    /// one per bridge, so two podlab networks (a lab run and a test run) never touch each other's.
    public var forwardFilterTable: String { Self.pinPrefix + config.bridgeName }
    /// Its only chain, a base chain on the forward hook.
    public static let forwardFilterChain = "forward"

    /// The filter's rules, as `nft list table inet podlab-<bridge>` prints them:
    ///
    ///     iifname "<bridge>" oifname != "<bridge>" drop
    ///     oifname "<bridge>" iifname != "<bridge>" drop
    ///
    /// Only *routed* traffic passes the forward hook, so pod → host (input) and host → pod
    /// (output) are untouched, and so is pod → pod on the bridge: bridged frames reach the inet
    /// forward hook only through br_netfilter (`bridge-nf-call-iptables=1`), and then with the
    /// bridge as both the input and output device (net/bridge/br_netfilter_hooks.c:
    /// br_nf_forward_ip passes the bridge as `in` and the port's master as `out`), which the
    /// `!=` leaves alone. Priority `filter` (0), policy accept: podlab only adds drops and
    /// never accepts on the host's behalf (a drop in any table is final; an accept is not).
    static func forwardFilterRules(bridge: String) -> [[NftExpression]] {
        let name = NftExpression.interfaceName(bridge)
        func rule(from matched: UInt32, notTo other: UInt32) -> [NftExpression] {
            [.metaLoad(key: matched, register: NftConstant.NFT_REG_1),
             .compare(op: NftConstant.NFT_CMP_EQ, register: NftConstant.NFT_REG_1, data: name),
             .metaLoad(key: other, register: NftConstant.NFT_REG_1),
             .compare(op: NftConstant.NFT_CMP_NEQ, register: NftConstant.NFT_REG_1, data: name),
             .verdict(NftConstant.NF_DROP)]
        }
        return [rule(from: NftConstant.NFT_META_IIFNAME, notTo: NftConstant.NFT_META_OIFNAME),
                rule(from: NftConstant.NFT_META_OIFNAME, notTo: NftConstant.NFT_META_IIFNAME)]
    }

    /// The table's one chain, for `bridge`: a filter base chain on the forward hook with the
    /// two rules of `forwardFilterRules`.
    public static func forwardFilterChain(bridge: String) -> NftBaseChain {
        NftBaseChain(name: forwardFilterChain, hook: NftConstant.NF_INET_FORWARD, priority: 0, policy: NftConstant.NF_ACCEPT,
                     rules: forwardFilterRules(bridge: bridge))
    }

    /// Installs (or restores) the forward filter for this network's bridge, replacing the
    /// table's content atomically. `ensureBridge` calls it when it creates the bridge and when
    /// it finds the filter missing (e.g. after `nft flush ruleset`), so callers rarely need to.
    ///
    /// Why: podlab promises pods reach each other and the host, nothing else. With
    /// `net.ipv4.ip_forward=1` (Docker, libvirt and Kubernetes nodes turn it on) the host would
    /// otherwise route a pod's packets to every other interface — other bridges, the LAN, the
    /// internet — and route replies back. Runs in the calling thread's network namespace.
    public func installForwardFilter() throws {
        let session = NftablesSession(socket: try RouteNetlinkSocket(protocol: RouteNetlinkSocket.NETLINK_NETFILTER))
        try session.replaceTable(family: NftConstant.NFPROTO_INET, name: forwardFilterTable,
                                 chains: [Self.forwardFilterChain(bridge: config.bridgeName)])
    }

    /// Deletes the forward filter's table; returns whether it existed. `removeBridge` calls it.
    @discardableResult
    public func removeForwardFilter() throws -> Bool {
        let session = NftablesSession(socket: try RouteNetlinkSocket(protocol: RouteNetlinkSocket.NETLINK_NETFILTER))
        return try session.deleteTable(family: NftConstant.NFPROTO_INET, name: forwardFilterTable)
    }

    /// How many rules the filter's chain holds now (0: not installed).
    public func forwardFilterRuleCount() throws -> Int {
        let session = NftablesSession(socket: try RouteNetlinkSocket(protocol: RouteNetlinkSocket.NETLINK_NETFILTER))
        return try session.ruleCount(family: NftConstant.NFPROTO_INET, table: forwardFilterTable, chain: Self.forwardFilterChain)
    }

    /// For `podlab doctor`: ip_forward, the filter's rule count, whether the bridge exists.
    public func forwardFilterStatus() throws -> ForwardFilterStatus {
        let host = NetlinkSession(socket: try RouteNetlinkSocket())
        let bridgeExists = try host.link(name: config.bridgeName) != nil
        return ForwardFilterStatus(ipForwarding: Self.ipForwarding(), rules: try forwardFilterRuleCount(),
                                   expectedRules: Self.forwardFilterRules(bridge: config.bridgeName).count, bridgeExists: bridgeExists)
    }

    /// Restores the filter unless it is there with all its rules. One GETRULE dump per pod start
    /// (tens of microseconds); the install itself only runs when the table is missing.
    func ensureForwardFilter() throws {
        if try forwardFilterRuleCount() != Self.forwardFilterRules(bridge: config.bridgeName).count {
            try installForwardFilter()
        }
    }

    /// `/proc/sys/net/ipv4/ip_forward` as seen by the calling thread; nil if unreadable.
    static func ipForwarding() -> Bool? {
        let fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var byte: UInt8 = 0
        guard read(fd, &byte, 1) == 1 else { return nil }
        return byte != UInt8(ascii: "0")
    }
}
