import Glibc
import PodlabCore
import SystemPackage

/// rtnetlink requests over one `NetlinkSocket`: links, bridges, veth pairs, addresses, routes.
///
/// Every request asks for an ACK; a negative `NLMSG_ERROR` becomes
/// `PodlabError.syscall("netlink RTM_NEWLINK(veth plv1234 peer eth0)", errno)`, naming the
/// operation and its argument. Links are addressed by name (`IFLA_IFNAME` with index 0, which
/// the kernel resolves in `rtnl_setlink`/`rtnl_dellink`/`rtnl_getlink`) so no extra lookup is
/// needed; addresses and routes take an interface index as the kernel requires.
public final class NetlinkSession {
    private let channel: NetlinkChannel

    /// - Parameters:
    ///   - socket: where requests go.
    ///   - firstSequence: the first `nlmsg_seq`; fixed so tests can compare exact bytes.
    public init(socket: any NetlinkSocket, firstSequence: UInt32 = 1) {
        self.channel = NetlinkChannel(socket: socket, firstSequence: firstSequence)
    }

    // MARK: Links

    /// The interface index of `name`; throws `.notFound` if there is no such link.
    public func linkIndex(name: String) throws -> Int32 {
        guard let link = try link(name: name) else {
            throw PodlabError(.notFound, "netlink RTM_GETLINK(\(name)): no such network interface")
        }
        return link.index
    }

    /// The link called `name`, or nil if there is none.
    public func link(name: String) throws -> NetlinkLink? {
        let seq = nextSequence()
        var message = NetlinkMessageBuilder(type: NetlinkConstant.RTM_GETLINK, flags: NetlinkConstant.NLM_F_REQUEST, sequence: seq)
        message.appendIfInfo()
        message.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: name)
        do {
            let replies = try exchange(message.finish(), sequence: seq, operation: "RTM_GETLINK(\(name))")
            return replies.first { $0.type == NetlinkConstant.RTM_NEWLINK }.flatMap { NetlinkLink.parse(payload: $0.payload) }
        } catch let error as PodlabError where (error.cause as? Errno) == Errno(rawValue: ENODEV) {
            return nil
        }
    }

    /// Every link in the socket's namespace (`RTM_GETLINK` dump).
    public func links() throws -> [NetlinkLink] {
        let seq = nextSequence()
        var message = NetlinkMessageBuilder(type: NetlinkConstant.RTM_GETLINK,
                                            flags: NetlinkConstant.NLM_F_REQUEST | NetlinkConstant.NLM_F_DUMP, sequence: seq)
        message.appendIfInfo()
        let replies = try exchange(message.finish(), sequence: seq, operation: "RTM_GETLINK(dump)", dump: true)
        return replies.filter { $0.type == NetlinkConstant.RTM_NEWLINK }.compactMap { NetlinkLink.parse(payload: $0.payload) }
    }

    /// Creates a bridge (`ip link add NAME type bridge`). Fails with EEXIST if it exists.
    public func addBridge(name: String) throws {
        try newLink(operation: "bridge \(name)", create: true) { message in
            message.appendIfInfo()
            message.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: name)
            message.appendNested(type: NetlinkConstant.IFLA_LINKINFO) { info in
                info.appendAttribute(type: NetlinkConstant.IFLA_INFO_KIND, string: "bridge")
            }
        }
    }

    /// Creates a veth pair in one request. The peer is created directly in the namespace
    /// `peerNetnsFd` refers to (IFLA_NET_NS_FD inside the peer's ifinfomsg), which avoids a
    /// separate, slow move; `masterIndex` enslaves the host end and `up` sets the host end up, so
    /// a host end never exists unattached (`ip link add NAME master BR up type veth peer name PEER netns NS`).
    ///
    /// The peer is left down: asking for IFF_UP in the peer's ifinfomsg when it goes to another
    /// namespace fails with ENOTCONN (seen on Linux 6.18), and iproute2 never sets it either.
    /// Bring it up with `setLink(name:up:)` through a socket in its namespace.
    public func addVeth(name: String, peerName: String, peerNetnsFd: Int32? = nil, masterIndex: Int32? = nil, up: Bool = false) throws {
        let upFlags: UInt32 = up ? NetlinkConstant.IFF_UP : 0
        try newLink(operation: "veth \(name) peer \(peerName)", create: true) { message in
            message.appendIfInfo(flags: upFlags, change: upFlags)
            message.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: name)
            if let masterIndex {
                message.appendAttribute(type: NetlinkConstant.IFLA_MASTER, uint32: UInt32(bitPattern: masterIndex))
            }
            message.appendNested(type: NetlinkConstant.IFLA_LINKINFO) { info in
                info.appendAttribute(type: NetlinkConstant.IFLA_INFO_KIND, string: "veth")
                info.appendNested(type: NetlinkConstant.IFLA_INFO_DATA) { data in
                    data.appendNested(type: NetlinkConstant.VETH_INFO_PEER) { peer in
                        peer.appendIfInfo()
                        peer.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: peerName)
                        if let peerNetnsFd {
                            peer.appendAttribute(type: NetlinkConstant.IFLA_NET_NS_FD, uint32: UInt32(bitPattern: peerNetnsFd))
                        }
                    }
                }
            }
        }
    }

    /// Enslaves `name` to the bridge with index `masterIndex` (`ip link set NAME master BR`).
    public func setMaster(name: String, masterIndex: Int32) throws {
        try newLink(operation: "\(name) master \(masterIndex)", create: false) { message in
            message.appendIfInfo()
            message.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: name)
            message.appendAttribute(type: NetlinkConstant.IFLA_MASTER, uint32: UInt32(bitPattern: masterIndex))
        }
    }

    /// Sets a link up or down (`ip link set NAME up|down`).
    public func setLink(name: String, up: Bool) throws {
        try newLink(operation: "\(name) \(up ? "up" : "down")", create: false) { message in
            message.appendIfInfo(flags: up ? NetlinkConstant.IFF_UP : 0, change: NetlinkConstant.IFF_UP)
            message.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: name)
        }
    }

    /// Sets a link's MTU (`ip link set NAME mtu N`).
    public func setMTU(name: String, mtu: UInt32) throws {
        try newLink(operation: "\(name) mtu \(mtu)", create: false) { message in
            message.appendIfInfo()
            message.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: name)
            message.appendAttribute(type: NetlinkConstant.IFLA_MTU, uint32: mtu)
        }
    }

    /// Deletes a link (`ip link del NAME`); deleting one veth end deletes both.
    /// This is synchronous in the kernel and slow (~tens of ms); prefer deleting a pod's netns.
    public func deleteLink(name: String) throws {
        let seq = nextSequence()
        var message = NetlinkMessageBuilder(type: NetlinkConstant.RTM_DELLINK,
                                            flags: NetlinkConstant.NLM_F_REQUEST | NetlinkConstant.NLM_F_ACK, sequence: seq)
        message.appendIfInfo()
        message.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: name)
        _ = try exchange(message.finish(), sequence: seq, operation: "RTM_DELLINK(\(name))")
    }

    // MARK: Addresses and routes

    /// Adds an IPv4 address with its prefix to a link (`ip addr add A/P brd + dev IFINDEX`).
    /// The broadcast address is set like CNI's netlink library does for prefixes shorter than /31.
    /// - Parameter interfaceName: only used in error messages.
    public func addAddress(_ address: IPv4Address, prefixLength: UInt8, interfaceIndex: Int32, interfaceName: String? = nil) throws {
        let seq = nextSequence()
        var message = NetlinkMessageBuilder(
            type: NetlinkConstant.RTM_NEWADDR,
            flags: NetlinkConstant.NLM_F_REQUEST | NetlinkConstant.NLM_F_ACK | NetlinkConstant.NLM_F_CREATE | NetlinkConstant.NLM_F_EXCL,
            sequence: seq)
        message.appendIfAddr(family: NetlinkConstant.AF_INET, prefixLength: prefixLength, index: interfaceIndex)
        message.appendAttribute(type: NetlinkConstant.IFA_LOCAL, payload: address.bytes)
        message.appendAttribute(type: NetlinkConstant.IFA_ADDRESS, payload: address.bytes)
        if prefixLength < 31 {
            let hostMask: UInt32 = prefixLength == 0 ? UInt32.max : (UInt32(1) << (32 - UInt32(prefixLength))) - 1
            message.appendAttribute(type: NetlinkConstant.IFA_BROADCAST, payload: IPv4Address(address.value | hostMask).bytes)
        }
        let device = interfaceName ?? "#\(interfaceIndex)"
        _ = try exchange(message.finish(), sequence: seq, operation: "RTM_NEWADDR(\(address)/\(prefixLength) dev \(device))")
    }

    /// Adds the IPv4 default route via `gateway` (`ip route add default via GW [dev IFINDEX]`)
    /// in the main table.
    public func addDefaultRoute(via gateway: IPv4Address, interfaceIndex: Int32? = nil, interfaceName: String? = nil) throws {
        let seq = nextSequence()
        var message = NetlinkMessageBuilder(
            type: NetlinkConstant.RTM_NEWROUTE,
            flags: NetlinkConstant.NLM_F_REQUEST | NetlinkConstant.NLM_F_ACK | NetlinkConstant.NLM_F_CREATE | NetlinkConstant.NLM_F_EXCL,
            sequence: seq)
        message.appendRtMsg(family: NetlinkConstant.AF_INET, table: NetlinkConstant.RT_TABLE_MAIN, protocol: NetlinkConstant.RTPROT_BOOT,
                            scope: NetlinkConstant.RT_SCOPE_UNIVERSE, type: NetlinkConstant.RTN_UNICAST)
        message.appendAttribute(type: NetlinkConstant.RTA_GATEWAY, payload: gateway.bytes)
        if let interfaceIndex {
            message.appendAttribute(type: NetlinkConstant.RTA_OIF, uint32: UInt32(bitPattern: interfaceIndex))
        }
        let device = interfaceName.map { " dev \($0)" } ?? interfaceIndex.map { " dev #\($0)" } ?? ""
        _ = try exchange(message.finish(), sequence: seq, operation: "RTM_NEWROUTE(default via \(gateway)\(device))")
    }

    // MARK: Plumbing

    private func nextSequence() -> UInt32 { channel.nextSequence() }

    private func newLink(operation: String, create: Bool, _ body: (inout NetlinkMessageBuilder) -> Void) throws {
        let seq = nextSequence()
        var flags = NetlinkConstant.NLM_F_REQUEST | NetlinkConstant.NLM_F_ACK
        if create { flags |= NetlinkConstant.NLM_F_CREATE | NetlinkConstant.NLM_F_EXCL }
        var message = NetlinkMessageBuilder(type: NetlinkConstant.RTM_NEWLINK, flags: flags, sequence: seq)
        body(&message)
        _ = try exchange(message.finish(), sequence: seq, operation: "RTM_NEWLINK(\(operation))")
    }

    /// Sends `request` and collects the replies with its sequence number until the ACK (or, for
    /// dumps, `NLMSG_DONE`). Replies to other sequence numbers (stale ones) are skipped.
    private func exchange(_ request: [UInt8], sequence seq: UInt32, operation: String, dump: Bool = false) throws -> [NetlinkMessage] {
        try channel.send(request)
        var replies: [NetlinkMessage] = []
        while true {
            for message in try channel.receive(operation) where message.sequence == seq {
                switch message.type {
                case NetlinkConstant.NLMSG_ERROR:
                    let code = try NetlinkChannel.errorCode(of: message, operation: operation)
                    if code < 0 { throw PodlabError.syscall("netlink \(operation)", Errno(rawValue: -code)) }
                    return replies  // code 0: the ACK
                case NetlinkConstant.NLMSG_DONE:
                    return replies
                case NetlinkConstant.NLMSG_NOOP:
                    continue
                default:
                    replies.append(message)
                    // A GETLINK for one link answers with the link and no ACK (no NLM_F_ACK sent).
                    if !dump && message.flags & NetlinkConstant.NLM_F_MULTI == 0 { return replies }
                }
            }
        }
    }
}
