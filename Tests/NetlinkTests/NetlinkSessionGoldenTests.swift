import Glibc
import Netlink
import PodlabCore
import SystemPackage
import Testing

/// Exact request bytes, checked against the kernel's UAPI layouts (as containerization's
/// NetlinkSessionTest does). Header: len(4) type(2) flags(2) seq(4) pid(4), host byte order.
@Suite struct NetlinkSessionGoldenTests {
    let socket = RecordingNetlinkSocket()
    var session: NetlinkSession { NetlinkSession(socket: socket) }

    @Test func setLinkDownByName() throws {
        try session.setLink(name: "eth0", up: false)
        let expected = "2c000000" + "1000" + "0500" + "01000000" + "00000000"  // 44 B, RTM_NEWLINK, REQUEST|ACK, seq 1
            + "00" + "00" + "0000" + "00000000" + "00000000" + "01000000"     // ifinfomsg: index 0, flags 0, change IFF_UP
            + "0900" + "0300" + "6574683000" + "000000"                          // IFLA_IFNAME "eth0\0" + pad
        #expect(socket.requests.map(\.hex) == [expected])
    }

    @Test func setLinkUp() throws {
        try session.setLink(name: "lo", up: true)
        let expected = "28000000" + "1000" + "0500" + "01000000" + "00000000"
            + "00000000" + "00000000" + "01000000" + "01000000"                  // flags IFF_UP, change IFF_UP
            + "0700" + "0300" + "6c6f00" + "00"                                  // IFLA_IFNAME "lo\0" + pad
        #expect(socket.requests.map(\.hex) == [expected])
    }

    @Test func addBridge() throws {
        try session.addBridge(name: "podlab0")
        let expected = "3c000000" + "1000" + "0506" + "01000000" + "00000000"  // 60 B, REQUEST|ACK|EXCL|CREATE
            + "00000000" + "00000000" + "00000000" + "00000000"
            + "0c00" + "0300" + "706f646c61623000"                               // IFLA_IFNAME "podlab0\0"
            + "1000" + "1200"                                                    // IFLA_LINKINFO (16 B)
            + "0b00" + "0100" + "62726964676500" + "00"                          //   IFLA_INFO_KIND "bridge\0" + pad
        #expect(socket.requests.map(\.hex) == [expected])
    }

    @Test func addVethWithPeerInNamespace() throws {
        try session.addVeth(name: "plv1234", peerName: "eth0", peerNetnsFd: 7, masterIndex: 3, up: true)
        let expected = "70000000" + "1000" + "0506" + "01000000" + "00000000"  // 112 B
            + "00000000" + "00000000" + "01000000" + "01000000"                  // host end: up
            + "0c00" + "0300" + "706c763132333400"                               // IFLA_IFNAME "plv1234\0"
            + "0800" + "0a00" + "03000000"                                       // IFLA_MASTER 3
            + "3c00" + "1200"                                                    // IFLA_LINKINFO (60 B)
            + "0900" + "0100" + "7665746800" + "000000"                          //   IFLA_INFO_KIND "veth\0"
            + "2c00" + "0200"                                                    //   IFLA_INFO_DATA (44 B)
            + "2800" + "0100"                                                    //     VETH_INFO_PEER (40 B)
            + "00000000" + "00000000" + "00000000" + "00000000"                  //       peer ifinfomsg (left down)
            + "0900" + "0300" + "6574683000" + "000000"                          //       IFLA_IFNAME "eth0\0"
            + "0800" + "1c00" + "07000000"                                       //       IFLA_NET_NS_FD 7
        #expect(socket.requests.map(\.hex) == [expected])
    }

    @Test func setMasterAndMTU() throws {
        let session = self.session
        try session.setMaster(name: "plv1234", masterIndex: 9)
        try session.setMTU(name: "plv1234", mtu: 1400)
        let master = "34000000" + "1000" + "0500" + "01000000" + "00000000"
            + "00000000" + "00000000" + "00000000" + "00000000"
            + "0c00" + "0300" + "706c763132333400"
            + "0800" + "0a00" + "09000000"                                       // IFLA_MASTER 9
        let mtu = "34000000" + "1000" + "0500" + "02000000" + "00000000"       // 52 B, seq 2
            + "00000000" + "00000000" + "00000000" + "00000000"
            + "0c00" + "0300" + "706c763132333400"
            + "0800" + "0400" + "78050000"                                       // IFLA_MTU 1400
        #expect(socket.requests.map(\.hex) == [master, mtu])
    }

    @Test func deleteLink() throws {
        try session.deleteLink(name: "plv1234")
        let expected = "2c000000" + "1100" + "0500" + "01000000" + "00000000"  // RTM_DELLINK
            + "00000000" + "00000000" + "00000000" + "00000000"
            + "0c00" + "0300" + "706c763132333400"
        #expect(socket.requests.map(\.hex) == [expected])
    }

    @Test func addIPv4AddressWithBroadcast() throws {
        try session.addAddress(IPv4Address(0x0A58_0002), prefixLength: 16, interfaceIndex: 5)
        let expected = "30000000" + "1400" + "0506" + "01000000" + "00000000"  // 48 B, RTM_NEWADDR
            + "02" + "10" + "00" + "00" + "05000000"                             // ifaddrmsg: AF_INET /16 index 5
            + "0800" + "0200" + "0a580002"                                       // IFA_LOCAL 10.88.0.2
            + "0800" + "0100" + "0a580002"                                       // IFA_ADDRESS
            + "0800" + "0400" + "0a58ffff"                                       // IFA_BROADCAST 10.88.255.255
        #expect(socket.requests.map(\.hex) == [expected])
    }

    @Test func addDefaultRouteViaGateway() throws {
        try session.addDefaultRoute(via: IPv4Address(0x0A58_0001), interfaceIndex: 5)
        let expected = "2c000000" + "1800" + "0506" + "01000000" + "00000000"  // 44 B, RTM_NEWROUTE
            + "02" + "00" + "00" + "00" + "fe" + "03" + "00" + "01" + "00000000" // rtmsg: main table, boot, universe, unicast
            + "0800" + "0500" + "0a580001"                                       // RTA_GATEWAY 10.88.0.1
            + "0800" + "0400" + "05000000"                                       // RTA_OIF 5
        #expect(socket.requests.map(\.hex) == [expected])
    }

    @Test func linkLookupRequestAndReplyParsing() throws {
        var reply = NetlinkMessageBuilder(type: NetlinkConstant.RTM_NEWLINK, flags: 0, sequence: 1)
        reply.appendIfInfo(index: 12, flags: NetlinkConstant.IFF_UP)
        reply.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: "plvabcdef01")
        reply.appendAttribute(type: NetlinkConstant.IFLA_MASTER, uint32: 4)
        reply.appendNested(type: NetlinkConstant.IFLA_LINKINFO) { $0.appendAttribute(type: NetlinkConstant.IFLA_INFO_KIND, string: "veth") }
        socket.enqueueReply([reply.finish()])

        let link = try session.link(name: "plvabcdef01")
        #expect(link == NetlinkLink(index: 12, name: "plvabcdef01", masterIndex: 4, kind: "veth", flags: NetlinkConstant.IFF_UP))
        let request = "30000000" + "1200" + "0100" + "01000000" + "00000000"   // RTM_GETLINK, REQUEST only
            + "00000000" + "00000000" + "00000000" + "00000000"
            + "1000" + "0300" + "706c766162636465663031" + "00"                  // IFLA_IFNAME "plvabcdef01\0"
        #expect(socket.requests.map(\.hex) == [request])
    }

    @Test func missingLinkIsNilAndIndexLookupSaysNotFound() throws {
        socket.enqueueError(ENODEV, sequence: 1)
        #expect(try session.link(name: "nope0") == nil)
        socket.enqueueError(ENODEV, sequence: 1)
        let error = #expect(throws: PodlabError.self) { try session.linkIndex(name: "nope0") }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("nope0") == true)
    }

    @Test func dumpCollectsMultipartUntilDone() throws {
        func linkMessage(_ index: Int32, _ name: String) -> [UInt8] {
            var message = NetlinkMessageBuilder(type: NetlinkConstant.RTM_NEWLINK, flags: NetlinkConstant.NLM_F_MULTI, sequence: 1)
            message.appendIfInfo(index: index)
            message.appendAttribute(type: NetlinkConstant.IFLA_IFNAME, string: name)
            return message.finish()
        }
        let done = NetlinkMessageBuilder(type: NetlinkConstant.NLMSG_DONE, flags: NetlinkConstant.NLM_F_MULTI, sequence: 1)
        // Two datagrams: the first carries two messages back to back.
        socket.enqueueReply([linkMessage(1, "lo") + linkMessage(2, "eth0"), linkMessage(3, "podlab0") + done.finish()])
        let links = try session.links()
        #expect(links.map(\.name) == ["lo", "eth0", "podlab0"])
        #expect(links.map(\.index) == [1, 2, 3])
        #expect(socket.requests.first.map { Array($0[4..<8]).hex } == "12000103")  // RTM_GETLINK, REQUEST|DUMP
    }

    @Test func kernelErrorNamesOperationArgumentAndErrno() throws {
        socket.enqueueError(EEXIST, sequence: 1)
        let error = #expect(throws: PodlabError.self) {
            try session.addVeth(name: "plv1234", peerName: "eth0", peerNetnsFd: 7)
        }
        #expect(error?.code == .syscall)
        #expect(error?.message == "netlink RTM_NEWLINK(veth plv1234 peer eth0)")
        #expect((error?.cause as? Errno) == Errno(rawValue: EEXIST))
        #expect(error?.description.contains("File exists") == true)
    }

    @Test func routeErrorNamesGatewayAndDevice() throws {
        socket.enqueueError(ENETUNREACH, sequence: 1)
        let error = #expect(throws: PodlabError.self) {
            try session.addDefaultRoute(via: IPv4Address(0x0A58_0001), interfaceIndex: 2, interfaceName: "eth0")
        }
        #expect(error?.message == "netlink RTM_NEWROUTE(default via 10.88.0.1 dev eth0)")
    }

    @Test func staleRepliesWithOtherSequenceNumbersAreSkipped() throws {
        socket.enqueueReply([RecordingNetlinkSocket.errorMessage(code: -EEXIST, sequence: 99),
                             RecordingNetlinkSocket.errorMessage(code: 0, sequence: 1)])
        try session.setLink(name: "eth0", up: true)
        #expect(socket.requests.count == 1)
    }

    @Test func sequenceNumbersIncreasePerRequest() throws {
        let session = self.session
        try session.setLink(name: "a", up: true)
        try session.setLink(name: "b", up: true)
        #expect(socket.requests.map { Array($0[8..<12]).hex } == ["01000000", "02000000"])
    }
}
