/// rtnetlink numbers, declared by hand because Swift's Glibc module does not import
/// `<linux/rtnetlink.h>` / `<linux/if_link.h>` / `<linux/veth.h>`.
///
/// Values are from the Linux UAPI headers (stable ABI). Names keep the kernel's spelling so they
/// can be grepped in the kernel and in iproute2.
public enum NetlinkConstant {
    // <linux/netlink.h>: message types and flags.
    public static let NLMSG_NOOP: UInt16 = 1
    public static let NLMSG_ERROR: UInt16 = 2
    public static let NLMSG_DONE: UInt16 = 3
    public static let NLMSG_OVERRUN: UInt16 = 4

    public static let NLM_F_REQUEST: UInt16 = 0x01
    public static let NLM_F_MULTI: UInt16 = 0x02
    public static let NLM_F_ACK: UInt16 = 0x04
    public static let NLM_F_ROOT: UInt16 = 0x100
    public static let NLM_F_MATCH: UInt16 = 0x200
    public static let NLM_F_DUMP: UInt16 = NLM_F_ROOT | NLM_F_MATCH
    public static let NLM_F_REPLACE: UInt16 = 0x100
    public static let NLM_F_EXCL: UInt16 = 0x200
    public static let NLM_F_CREATE: UInt16 = 0x400

    // <linux/rtnetlink.h>: message types.
    public static let RTM_NEWLINK: UInt16 = 16
    public static let RTM_DELLINK: UInt16 = 17
    public static let RTM_GETLINK: UInt16 = 18
    public static let RTM_NEWADDR: UInt16 = 20
    public static let RTM_DELADDR: UInt16 = 21
    public static let RTM_NEWROUTE: UInt16 = 24
    public static let RTM_DELROUTE: UInt16 = 25

    // <linux/if_link.h>: link attributes.
    public static let IFLA_ADDRESS: UInt16 = 1
    public static let IFLA_IFNAME: UInt16 = 3
    public static let IFLA_MTU: UInt16 = 4
    public static let IFLA_MASTER: UInt16 = 10
    public static let IFLA_LINKINFO: UInt16 = 18
    public static let IFLA_NET_NS_FD: UInt16 = 28
    public static let IFLA_INFO_KIND: UInt16 = 1
    public static let IFLA_INFO_DATA: UInt16 = 2
    // <linux/veth.h>
    public static let VETH_INFO_PEER: UInt16 = 1

    // <linux/if_addr.h>: address attributes.
    public static let IFA_ADDRESS: UInt16 = 1
    public static let IFA_LOCAL: UInt16 = 2
    public static let IFA_BROADCAST: UInt16 = 4

    // <linux/rtnetlink.h>: route attributes and rtmsg values.
    public static let RTA_DST: UInt16 = 1
    public static let RTA_OIF: UInt16 = 4
    public static let RTA_GATEWAY: UInt16 = 5
    public static let RT_TABLE_MAIN: UInt8 = 254
    public static let RTPROT_BOOT: UInt8 = 3
    public static let RT_SCOPE_UNIVERSE: UInt8 = 0
    public static let RTN_UNICAST: UInt8 = 1

    // <linux/socket.h>, <linux/if.h>
    public static let AF_UNSPEC: UInt8 = 0
    public static let AF_INET: UInt8 = 2
    public static let IFF_UP: UInt32 = 0x1

    /// The kernel's name for a message type, for error messages.
    public static func name(ofMessageType type: UInt16) -> String {
        switch type {
        case RTM_NEWLINK: return "RTM_NEWLINK"
        case RTM_DELLINK: return "RTM_DELLINK"
        case RTM_GETLINK: return "RTM_GETLINK"
        case RTM_NEWADDR: return "RTM_NEWADDR"
        case RTM_DELADDR: return "RTM_DELADDR"
        case RTM_NEWROUTE: return "RTM_NEWROUTE"
        case RTM_DELROUTE: return "RTM_DELROUTE"
        default: return "message type \(type)"
        }
    }
}
