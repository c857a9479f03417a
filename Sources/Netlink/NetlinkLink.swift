/// A network interface as the kernel reports it in `RTM_NEWLINK` replies.
public struct NetlinkLink: Equatable, Sendable {
    public var index: Int32
    public var name: String
    /// The index of the bridge (or bond) it is enslaved to, if any (IFLA_MASTER).
    public var masterIndex: Int32?
    /// `IFLA_INFO_KIND`, e.g. "veth" or "bridge"; nil for physical links and loopback.
    public var kind: String?
    /// `ifi_flags` (IFF_UP = 0x1, IFF_LOWER_UP = 0x10000, …).
    public var flags: UInt32

    public init(index: Int32, name: String, masterIndex: Int32? = nil, kind: String? = nil, flags: UInt32 = 0) {
        self.index = index
        self.name = name
        self.masterIndex = masterIndex
        self.kind = kind
        self.flags = flags
    }

    public var isUp: Bool { flags & NetlinkConstant.IFF_UP != 0 }

    /// Decodes an `RTM_NEWLINK` payload (ifinfomsg + attributes).
    static func parse(payload: [UInt8]) -> NetlinkLink? {
        guard payload.count >= 16 else { return nil }
        var link = NetlinkLink(index: Int32(bitPattern: payload.readUInt32(at: 4)), name: "",
                               flags: payload.readUInt32(at: 8))
        forEachAttribute(in: payload, from: 16) { type, value in
            switch type {
            case NetlinkConstant.IFLA_IFNAME:
                link.name = value.cString
            case NetlinkConstant.IFLA_MASTER:
                link.masterIndex = value.uint32Value.map { Int32(bitPattern: $0) }
            case NetlinkConstant.IFLA_LINKINFO:
                forEachAttribute(in: Array(value), from: 0) { infoType, infoValue in
                    if infoType == NetlinkConstant.IFLA_INFO_KIND { link.kind = infoValue.cString }
                }
            default:
                break
            }
        }
        return link
    }
}
