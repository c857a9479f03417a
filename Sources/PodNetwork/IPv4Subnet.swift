import Netlink
import PodlabCore

/// An IPv4 network in CIDR notation ("10.88.0.0/16"), validated: the prefix is 0…32 and the
/// address has no host bits set.
public struct IPv4Subnet: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let prefixLength: UInt8

    /// Parses "a.b.c.d/n"; throws `.invalidArgument` naming the text and what is wrong with it.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw PodlabError(.invalidArgument, "invalid CIDR \"\(text)\": expected address/prefix, e.g. 10.88.0.0/16")
        }
        guard let address = IPv4Address(String(parts[0])) else {
            throw PodlabError(.invalidArgument, "invalid CIDR \"\(text)\": \"\(parts[0])\" is not an IPv4 address")
        }
        guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let prefix = UInt8(parts[1]), prefix <= 32 else {
            throw PodlabError(.invalidArgument, "invalid CIDR \"\(text)\": prefix \"\(parts[1])\" is not a number from 0 to 32")
        }
        let network = IPv4Address(address.value & Self.mask(prefix))
        guard network == address else {
            throw PodlabError(.invalidArgument, "invalid CIDR \"\(text)\": host bits are set; did you mean \(network)/\(prefix)?")
        }
        self.network = network
        self.prefixLength = prefix
    }

    /// A subnet from known-good parts (host bits are cleared; `prefixLength` must be ≤ 32).
    init(masking address: IPv4Address, prefixLength: UInt8) {
        self.prefixLength = min(prefixLength, 32)
        self.network = IPv4Address(address.value & Self.mask(self.prefixLength))
    }

    /// The netmask for a prefix length as a number (/16 = 0xFFFF_0000).
    static func mask(_ prefix: UInt8) -> UInt32 {
        prefix == 0 ? 0 : UInt32.max << (32 - UInt32(prefix))
    }

    /// The broadcast (last) address.
    public var broadcast: IPv4Address { IPv4Address(network.value | ~Self.mask(prefixLength)) }

    /// Whether `address` lies in this network.
    public func contains(_ address: IPv4Address) -> Bool {
        address.value & Self.mask(prefixLength) == network.value
    }

    /// Host addresses: everything but the network and broadcast addresses (for /31 and /32,
    /// which have no room for a gateway plus pods, this is empty).
    public var hosts: ClosedRange<UInt32>? {
        guard prefixLength <= 30 else { return nil }
        return (network.value + 1)...(broadcast.value - 1)
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
