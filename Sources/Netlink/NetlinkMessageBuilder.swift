/// Builds one netlink request byte by byte: a 16-byte `nlmsghdr`, a family header
/// (`ifinfomsg`, `ifaddrmsg` or `rtmsg`) and `rtattr` attributes, each padded to 4 bytes
/// (`NLMSG_ALIGN` / `RTA_ALIGN`). Integers are in host byte order as the kernel expects;
/// IP addresses are in network byte order.
///
/// Layout after containerization's `NetlinkSession` (Bindable structs over `[UInt8]`), with
/// nesting like iproute2's `addattr_nest`/`addattr_nest_end`.
public struct NetlinkMessageBuilder {
    public private(set) var bytes: [UInt8] = []

    /// Starts a message; the length field is filled in by `finish()`.
    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32 = 0) {
        append(UInt32(0))  // nlmsg_len, patched in finish()
        append(type)
        append(flags)
        append(sequence)
        append(portID)
    }

    /// Appends an integer in host byte order.
    public mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    /// `struct ifinfomsg` (16 bytes).
    public mutating func appendIfInfo(family: UInt8 = NetlinkConstant.AF_UNSPEC, type: UInt16 = 0, index: Int32 = 0,
                                      flags: UInt32 = 0, change: UInt32 = 0) {
        append(family)
        append(UInt8(0))
        append(type)
        append(index)
        append(flags)
        append(change)
    }

    /// `struct ifaddrmsg` (8 bytes).
    public mutating func appendIfAddr(family: UInt8, prefixLength: UInt8, flags: UInt8 = 0,
                                      scope: UInt8 = NetlinkConstant.RT_SCOPE_UNIVERSE, index: Int32) {
        append(family)
        append(prefixLength)
        append(flags)
        append(scope)
        append(UInt32(bitPattern: index))
    }

    /// `struct rtmsg` (12 bytes).
    public mutating func appendRtMsg(family: UInt8, destinationLength: UInt8 = 0, sourceLength: UInt8 = 0, tos: UInt8 = 0,
                                     table: UInt8, protocol proto: UInt8, scope: UInt8, type: UInt8, flags: UInt32 = 0) {
        append(family)
        append(destinationLength)
        append(sourceLength)
        append(tos)
        append(table)
        append(proto)
        append(scope)
        append(type)
        append(flags)
    }

    /// An attribute with a raw payload, padded to 4 bytes.
    public mutating func appendAttribute(type: UInt16, payload: [UInt8]) {
        append(UInt16(4 + payload.count))
        append(type)
        bytes.append(contentsOf: payload)
        pad()
    }

    /// A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND).
    public mutating func appendAttribute(type: UInt16, string: String) {
        appendAttribute(type: type, payload: Array(string.utf8) + [0])
    }

    /// A 32-bit host-order attribute (IFLA_MTU, IFLA_MASTER, IFLA_NET_NS_FD, RTA_OIF).
    public mutating func appendAttribute(type: UInt16, uint32 value: UInt32) {
        var payload: [UInt8] = []
        withUnsafeBytes(of: value) { payload.append(contentsOf: $0) }
        appendAttribute(type: type, payload: payload)
    }

    /// A 32-bit attribute in network byte order (`NLA_BE32`, as nf_tables expects every integer).
    public mutating func appendAttribute(type: UInt16, bigEndian value: UInt32) {
        var payload: [UInt8] = []
        withUnsafeBytes(of: value.bigEndian) { payload.append(contentsOf: $0) }
        appendAttribute(type: type, payload: payload)
    }

    /// `struct nfgenmsg` (4 bytes), the family header of every nfnetlink message:
    /// family, version `NFNETLINK_V0` and `res_id` in network byte order.
    public mutating func appendNfGenMsg(family: UInt8, resourceID: UInt16 = 0) {
        append(family)
        append(UInt8(0))
        append(resourceID.bigEndian)
    }

    /// A nested attribute: `body` appends the inner content, whose length is patched afterwards.
    public mutating func appendNested(type: UInt16, _ body: (inout NetlinkMessageBuilder) -> Void) {
        let start = bytes.count
        append(UInt16(0))
        append(type)
        body(&self)
        pad()
        let length = UInt16(truncatingIfNeeded: bytes.count - start)
        withUnsafeBytes(of: length) { raw in
            bytes[start] = raw[0]
            bytes[start + 1] = raw[1]
        }
    }

    /// The finished message with `nlmsg_len` filled in.
    public func finish() -> [UInt8] {
        var result = bytes
        let length = UInt32(truncatingIfNeeded: result.count)
        withUnsafeBytes(of: length) { raw in
            for offset in 0..<4 { result[offset] = raw[offset] }
        }
        return result
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }
}
