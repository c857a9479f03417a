import Foundation
import PodlabCore

/// The host's IPv4 routes, from `/proc/net/route` (the kernel's `fib_route_seq_show` format:
/// interface, then the `__be32` destination and mask printed as a native u32, so
/// `UInt32(bigEndian:)` gives host order on any machine).
public enum HostIPv4Routes {
    public struct Route: Equatable, Sendable {
        public var interface: String
        public var destination: UInt32
        public var mask: UInt32

        /// Whether this route and `network/prefix` share any address. The default route (mask 0)
        /// overlaps nothing on purpose: every subnet is "inside" it.
        public func overlaps(network: UInt32, prefix: Int) -> Bool {
            guard mask != 0 else { return false }
            let other: UInt32 = prefix <= 0 ? 0 : (prefix >= 32 ? ~0 : ~UInt32(0) << UInt32(32 - prefix))
            let common = mask & other
            return destination & common == network & common
        }
    }

    /// Parses the text of `/proc/net/route`; malformed lines are skipped.
    public static func parse(_ text: String) -> [Route] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count > 7, let destination = UInt32(fields[1], radix: 16), let mask = UInt32(fields[7], radix: 16) else { return nil }
            return Route(interface: String(fields[0]), destination: UInt32(bigEndian: destination), mask: UInt32(bigEndian: mask))
        }
    }

    /// The routes of the main table now (empty when `/proc/net/route` cannot be read).
    public static func current() -> [Route] {
        parse(FileSystem.readWholeText("/proc/net/route") ?? "")
    }
}

/// The CNI bridge and subnet of the containerd `podlab runtime up` starts, per podlab instance.
///
/// The default state directory keeps `plcri0` and 10.228.0.0/16. Any other state directory (a
/// test run, a CI job, a second user) gets names of its own, as `PodlabPaths.hostName` does for
/// pods: bridge `plcri<instance tag>` and a /20 of 10.128.0.0/10 that no host route overlaps,
/// starting at a block picked by the tag. Without this, two instances shared one bridge and one
/// host-local range (duplicate pod IPs), and the first `runtime down` deleted the bridge under
/// the other's pods (docs/FIDELITY.md #221).
public enum CRINetworkDefaults {
    public static let defaultBridge = "plcri0"
    public static let defaultSubnet = "10.228.0.0/16"
    /// 10.128.0.0/10, cut into 1024 blocks of /20 (4094 pod addresses each).
    static let poolNetwork: UInt32 = 10 << 24 | 128 << 16
    static let poolBlocks: UInt32 = 1024
    static let blockPrefix = 20

    /// `plcri<tag>` (13 characters, under IFNAMSIZ), or `plcri0` for the default state directory.
    public static func bridge(instanceTag: String?) -> String {
        instanceTag.map { "plcri" + $0 } ?? defaultBridge
    }

    /// The first /20 of the pool, from the tag's block on, that overlaps no route in `routes`
    /// except those on `ownBridge` (the instance's own, while it runs); the tag's block when
    /// every block is taken (CNI then reports the clash). 10.228.0.0/16 without a tag.
    public static func subnet(instanceTag: String?, routes: [HostIPv4Routes.Route], ownBridge: String) -> String {
        guard let instanceTag else { return defaultSubnet }
        let start = (UInt32(instanceTag, radix: 16) ?? 0) % poolBlocks
        let others = routes.filter { $0.interface != ownBridge }
        for step in 0..<poolBlocks {
            let network = poolNetwork | ((start + step) % poolBlocks) << 12
            if !others.contains(where: { $0.overlaps(network: network, prefix: blockPrefix) }) {
                return describe(network)
            }
        }
        return describe(poolNetwork | start << 12)
    }

    static func describe(_ network: UInt32) -> String {
        "\(network >> 24).\(network >> 16 & 0xFF).\(network >> 8 & 0xFF).\(network & 0xFF)/\(blockPrefix)"
    }
}
