import Foundation
import Glibc
import Netlink
import PodNetwork
import PodlabCore
import Testing

/// podlab's forward filter on a real kernel (root only), entirely inside network namespaces the
/// test makes and removes: a throwaway "host" namespace with `ip_forward=1`, podlab's bridge
/// `plh-n0` (10.224.0.0/24) with two pods, and an "outside" namespace routed through the host
/// (10.224.200.0/24). The machine's own sysctls, links and nftables ruleset are never touched;
/// the only traffic goes to addresses inside those namespaces.
@Suite(.serialized, .enabled(if: getuid() == 0))
struct ForwardFilterIntegrationTests {
    static let outsideHostAddress = "10.224.200.1"
    static let outsideAddress = "10.224.200.2"

    @Test func podsAreNotRoutedOffTheirBridgeWhenTheHostForwards() throws {
        let dir = try TemporaryDirectory("fwd")
        let netnsDir = dir.path + "/netns"
        let host = try NetnsPin.create(at: dir.path + "/host")
        var pins = [host]
        var attachments: [PodNetworkAttachment] = []
        let network = try PodNetworkIntegrationTests.makeNetwork(dir, bridge: "plh-n0", subnet: "10.224.0.0/24", netnsDir: netnsDir)
        defer {
            for attachment in attachments { try? network.tearDown(attachment) }
            // Unpinning the host namespace destroys the bridges, veths and nftables tables in it.
            for pin in pins { try? pin.remove() }
            umount2(netnsDir, Int32(MNT_DETACH))
            dir.remove()
        }
        let outside = try NetnsPin.create(at: dir.path + "/outside")
        pins.append(outside)

        // The hostile host: forwarding on, and br_netfilter (where the kernel has it) sending
        // bridged frames through the inet forward hook too, so pod-to-pod must survive the filter.
        try host.setSysctl("net/ipv4/ip_forward", "1")
        let brNetfilter = access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) == 0
        if brNetfilter { try host.setSysctl("net/bridge/bridge-nf-call-iptables", "1") }

        // podlab's own API builds the bridge (and its filter) and two pods, inside `host`.
        let a = try Self.inNetns(host) { try network.setUp(podName: "pltest-fwd-a") }
        attachments.append(a)
        let b = try Self.inNetns(host) { try network.setUp(podName: "pltest-fwd-b") }
        attachments.append(b)
        #expect(try Self.inNetns(host) { try network.forwardFilterRuleCount() } == 2)
        try Self.makeOutside(host: host, outside: outside)
        let status = try Self.inNetns(host) { try network.forwardFilterStatus() }
        #expect(status == ForwardFilterStatus(ipForwarding: true, rules: 2, expectedRules: 2, bridgeExists: true) && status.isolated)
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") {
            // nft as an independent witness of what the netlink messages installed.
            let listing = try HostCommand.run("/usr/bin/nsenter", ["--net=" + host.path, "/usr/sbin/nft", "list", "table", "inet", "podlab-plh-n0"])
            #expect(listing.stdout.contains("type filter hook forward priority filter; policy accept;"), "\(listing.stdout)\(listing.stderr)")
            #expect(listing.stdout.contains("iifname \"plh-n0\" oifname != \"plh-n0\" drop"))
            #expect(listing.stdout.contains("oifname \"plh-n0\" iifname != \"plh-n0\" drop"))
        }

        // Without the filter, the host routes the pod to the outside network and back.
        #expect(try Self.inNetns(host) { try network.removeForwardFilter() })
        #expect(try Self.ping(from: a.netnsPath, Self.outsideAddress), "without the filter the topology must route, or the test proves nothing")
        #expect(try Self.ping(from: outside.path, a.ip))

        // With it: nothing is routed from or to the bridge; the pod still reaches the host (any
        // of its addresses) and the other pod.
        try Self.inNetns(host) { try network.installForwardFilter() }
        #expect(try !Self.ping(from: a.netnsPath, Self.outsideAddress), "pod -> outside must be dropped")
        #expect(try !Self.ping(from: outside.path, a.ip), "outside -> pod must be dropped")
        #expect(try Self.ping(from: a.netnsPath, a.gateway), "pod -> host (bridge address)")
        #expect(try Self.ping(from: a.netnsPath, Self.outsideHostAddress), "pod -> host (another of its addresses)")
        #expect(try Self.ping(from: a.netnsPath, b.ip), "pod -> pod on the bridge (br_netfilter: \(brNetfilter))")

        // Someone flushes the ruleset: the next pod start puts the filter back.
        _ = try Self.inNetns(host) {
            try NftablesSession(socket: try RouteNetlinkSocket(protocol: RouteNetlinkSocket.NETLINK_NETFILTER))
                .deleteTable(family: NftConstant.NFPROTO_INET, name: network.forwardFilterTable)
        }
        #expect(try Self.ping(from: a.netnsPath, Self.outsideAddress))
        let c = try Self.inNetns(host) { try network.setUp(podName: "pltest-fwd-c") }
        attachments.append(c)
        #expect(try Self.inNetns(host) { try network.forwardFilterRuleCount() } == 2)
        #expect(try !Self.ping(from: a.netnsPath, Self.outsideAddress))

        // A second podlab network has its own table; removing it leaves plh-n0's alone.
        let other = try PodNetworkIntegrationTests.makeNetwork(dir, bridge: "plh-n1", subnet: "10.224.1.0/24", netnsDir: netnsDir)
        #expect(other.forwardFilterTable == "podlab-plh-n1")
        try Self.inNetns(host) { _ = try other.ensureBridge() }
        #expect(try Self.inNetns(host) { try other.forwardFilterRuleCount() } == 2)
        #expect(try Self.inNetns(host) { try other.removeBridge() })
        #expect(try Self.inNetns(host) { try other.forwardFilterRuleCount() } == 0)
        #expect(try Self.inNetns(host) { try network.forwardFilterRuleCount() } == 2)

        // Removing the bridge (what `podlab clean` does last) removes the filter with it.
        for attachment in attachments { try network.tearDown(attachment) }
        attachments = []
        #expect(try Self.inNetns(host) { try network.removeBridge() })
        #expect(try Self.inNetns(host) { try network.forwardFilterRuleCount() } == 0)
        #expect(try Self.inNetns(host) { try network.removeForwardFilter() } == false, "already gone")
        #expect(try HostCommand.ip("link", "show", "dev", "plh-n0").status != 0, "nothing was made in the machine's own namespace")
    }

    /// The outside network: veth `plh-out` (10.224.200.1/24) in `host`, its peer eth0
    /// (10.224.200.2/24, default route via the host) in `outside`.
    static func makeOutside(host: NetnsPin, outside: NetnsPin) throws {
        let hostAddress = try #require(IPv4Address(outsideHostAddress))
        try inNetns(host) {
            let session = NetlinkSession(socket: try RouteNetlinkSocket())
            let fd = try checkedSyscall("open(\(outside.path))") { open(outside.path, O_RDONLY | O_CLOEXEC) }
            defer { close(fd) }
            try session.addVeth(name: "plh-out", peerName: "eth0", peerNetnsFd: fd, up: true)
            try session.addAddress(hostAddress, prefixLength: 24, interfaceIndex: try session.linkIndex(name: "plh-out"))
        }
        let fd = try outside.openSocket(domain: AF_NETLINK, type: Int32(SOCK_RAW.rawValue), protocol: RouteNetlinkSocket.NETLINK_ROUTE)
        let session = NetlinkSession(socket: try RouteNetlinkSocket(adopting: fd))
        try session.setLink(name: "lo", up: true)
        try session.setLink(name: "eth0", up: true)
        try session.addAddress(try #require(IPv4Address(outsideAddress)), prefixLength: 24, interfaceIndex: try session.linkIndex(name: "eth0"))
        try session.addDefaultRoute(via: hostAddress)
    }

    /// One ping from the namespace pinned at `netns`, given two seconds. busybox ping's own
    /// `-W` relies on SIGALRM, which the test process's threads block (children inherit the
    /// mask), so an unanswered ping would wait forever: coreutils `timeout` unblocks SIGALRM
    /// for itself and SIGKILL cannot be blocked.
    static func ping(from netns: String, _ address: String) throws -> Bool {
        try HostCommand.run("/usr/bin/timeout", ["-s", "KILL", "2", "/usr/bin/nsenter", "--net=" + netns,
                                                 "/bin/busybox", "ping", "-c1", "-W1", address]).status == 0
    }

    /// `setns(2)`, which Swift's Glibc module does not import (it is behind _GNU_SOURCE).
    typealias SetnsFunction = @convention(c) (Int32, Int32) -> Int32
    static let setns: SetnsFunction? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns").map { unsafeBitCast($0, to: SetnsFunction.self) }

    /// Runs `body` on a new thread that first enters the namespace pinned at `pin`; the thread
    /// exits afterwards, so no thread of the test process is left in another namespace.
    static func inNetns<T>(_ pin: NetnsPin, _ body: @escaping () throws -> T) throws -> T {
        let box = NetnsThreadResult<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = Result {
                guard let setns = Self.setns else { throw PodlabError(.unsupported, "dlsym(setns): not found") }
                let fd = try checkedSyscall("open(\(pin.path))") { open(pin.path, O_RDONLY | O_CLOEXEC) }
                defer { close(fd) }
                try checkedSyscall("setns(\(pin.path), CLONE_NEWNET)") { setns(fd, 0x4000_0000) }
                return try body()
            }
            done.signal()
        }
        thread.start()
        done.wait()
        guard let result = box.result else { throw PodlabError(.invalidState, "netns thread for \(pin.path) returned nothing") }
        return try result.get()
    }
}

/// Carries a thread's result back to the waiting test (the semaphore orders the accesses).
private final class NetnsThreadResult<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
