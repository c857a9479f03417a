import Foundation
import Glibc
import Netlink
import PodNetwork
import PodlabCore
import Testing

/// Real namespaces, veths and a bridge (root only). Uses bridges and /24 subnets of its own
/// per test run (`plt<tag>n0/n1`, a random pair in 10.213.0.0/16), so two test runs on one
/// machine never share a bridge or a route, temp data dirs, and only sends traffic to the pod
/// addresses it created.
@Suite(.serialized, .enabled(if: getuid() == 0))
struct PodNetworkIntegrationTests {
    /// This run's bridges and subnets (the first three octets).
    static let tag = String(format: "%04x", UInt16.random(in: 0...UInt16.max))
    static let bridge0 = "plt\(tag)n0"
    static let bridge1 = "plt\(tag)n1"
    static let octet = Int.random(in: 0...127) * 2
    static let net0 = "10.213.\(octet)"
    static let net1 = "10.213.\(octet + 1)"

    static func makeNetwork(_ dir: TemporaryDirectory, bridge: String, subnet: String, netnsDir: String = "/run/netns") throws -> PodNetwork {
        let config = try PodNetworkConfig(bridgeName: bridge, subnet: subnet, netnsDir: netnsDir)
        let paths = PodlabPaths(stateDir: dir.path + "/run", dataDir: dir.path + "/data", rootfsDir: dir.path, labsDir: dir.path, reportsDir: dir.path)
        return PodNetwork(config: config, paths: paths)
    }

    /// Polls `condition` for up to `seconds` (the kernel destroys an unpinned netns asynchronously).
    static func eventually(_ seconds: Double = 3, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    static func linkExists(_ name: String) -> Bool {
        (try? HostCommand.ip("link", "show", "dev", name).status) == 0
    }

    @Test func twoPodsOnABridgeReachEachOtherAndLeaveNothingBehind() throws {
        let dir = try TemporaryDirectory("net")
        let network = try Self.makeNetwork(dir, bridge: Self.bridge0, subnet: "\(Self.net0).0/24")
        var attachments: [PodNetworkAttachment] = []
        defer {
            for attachment in attachments { try? network.tearDown(attachment) }
            _ = try? network.removeBridge()
            dir.remove()
        }

        let clock = ContinuousClock()
        var setUpTimes: [Duration] = []
        for pod in ["pltest-a", "pltest-b"] {
            let start = clock.now
            attachments.append(try network.setUp(podName: pod))
            setUpTimes.append(clock.now - start)
        }
        let (a, b) = (attachments[0], attachments[1])
        let nameA = "podlab-" + network.paths.hostName(forPod: "pltest-a")
        let nameB = "podlab-" + network.paths.hostName(forPod: "pltest-b")
        #expect(a.netnsPath == "/run/netns/\(nameA)")
        #expect(a.ip == "\(Self.net0).2" && b.ip == "\(Self.net0).3")
        #expect(a.gateway == "\(Self.net0).1" && a.prefixLength == 24 && a.podInterface == "eth0" && a.bridge == Self.bridge0)

        // `ip netns` sees the pin, and a process placed there is in exactly that namespace.
        let list = try HostCommand.ip("netns", "list").stdout
        #expect(list.contains(nameA) && list.contains(nameB))
        var pinStat = stat()
        #expect(stat(a.netnsPath, &pinStat) == 0)
        let inside = try HostCommand.ip("netns", "exec", nameA, "readlink", "/proc/self/ns/net").stdout
        #expect(inside.trimmingCharacters(in: .whitespacesAndNewlines) == "net:[\(pinStat.st_ino)]")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net") != "net:[\(pinStat.st_ino)]",
                "the test's own thread must still be in the host netns")

        // eth0 has the IP and is up, lo is up, the default route goes via the gateway.
        let eth0 = try HostCommand.ipJSON("-n", nameA, "addr", "show", "dev", "eth0").first
        let eth0Flags = eth0?["flags"] as? [String] ?? []
        #expect(eth0Flags.contains("UP") && eth0Flags.contains("LOWER_UP"), "eth0 flags: \(eth0Flags)")
        let inet = (eth0?["addr_info"] as? [[String: Any]] ?? []).filter { $0["family"] as? String == "inet" }
        #expect(inet.count == 1)
        #expect(inet.first?["local"] as? String == a.ip)
        #expect(inet.first?["prefixlen"] as? Int == 24)
        let lo = try HostCommand.ipJSON("-n", nameA, "link", "show", "dev", "lo").first
        let loFlags = lo?["flags"] as? [String] ?? []
        #expect(loFlags.contains("UP"), "lo flags: \(loFlags)")
        let routes = try HostCommand.ipJSON("-n", nameA, "route", "show", "default")
        #expect(routes.count == 1)
        #expect(routes.first?["gateway"] as? String == "\(Self.net0).1")
        #expect(routes.first?["dev"] as? String == "eth0")

        // containerd's sysctls in the pod netns (and not on the host).
        let sysctl = try HostCommand.ip("netns", "exec", nameA, "cat",
                                        "/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/net/ipv4/ping_group_range").stdout
        #expect(sysctl.split(whereSeparator: \.isWhitespace) == ["0", "0", "2147483647"])

        // The host end is a veth enslaved to the bridge; the host route is only the bridge's subnet.
        let hostVeth = try HostCommand.ipJSON("link", "show", "dev", a.hostVeth).first
        #expect(hostVeth?["master"] as? String == Self.bridge0)
        let bridgeRoutes = try HostCommand.ipJSON("route", "show", "dev", Self.bridge0)
        #expect(bridgeRoutes.map { $0["dst"] as? String } == ["\(Self.net0).0/24"])

        // Reachability: host -> pod, pod -> pod.
        let hostPing = try HostCommand.run("/bin/busybox", ["ping", "-c1", "-W2", a.ip])
        #expect(hostPing.status == 0, "host ping \(a.ip): \(hostPing.stdout)\(hostPing.stderr)")
        let podPing = try HostCommand.ip("netns", "exec", nameA, "/bin/busybox", "ping", "-c1", "-W2", b.ip)
        #expect(podPing.status == 0, "pod a ping \(b.ip): \(podPing.stdout)\(podPing.stderr)")

        // Tear down: nothing remains.
        var tearDownTimes: [Duration] = []
        for attachment in attachments {
            let start = clock.now
            try network.tearDown(attachment)
            tearDownTimes.append(clock.now - start)
        }
        let removed = attachments
        attachments = []
        for attachment in removed {
            #expect(access(attachment.netnsPath, F_OK) != 0, "pin \(attachment.netnsPath) still exists")
            #expect(Self.eventually { !Self.linkExists(attachment.hostVeth) }, "veth \(attachment.hostVeth) still exists")
        }
        let after = try HostCommand.ip("netns", "list").stdout
        #expect(!after.contains(nameA) && !after.contains(nameB))
        #expect(try network.ipam.leases().isEmpty)
        // Tearing down again is harmless.
        try network.tearDown(a)
        print("podlab net timing: setUp \(setUpTimes) tearDown \(tearDownTimes)")
    }

    /// Twenty pods in a row on one bridge: each cycle succeeds and releases its lease (timing is
    /// measured by the benchmark script, not asserted here).
    @Test func repeatedSetUpAndTearDownReleaseEverything() throws {
        let dir = try TemporaryDirectory("net")
        let network = try Self.makeNetwork(dir, bridge: Self.bridge0, subnet: "\(Self.net0).0/24")
        var live: PodNetworkAttachment?
        defer {
            if let live { try? network.tearDown(live) }
            _ = try? network.removeBridge()
            dir.remove()
        }
        _ = try network.ensureBridge()  // bridge creation is a one-off; time the per-pod cycle
        for n in 0..<20 {
            live = try network.setUp(podName: "pltest-cycle-\(n)")
            if let attachment = live { try network.tearDown(attachment) }
            live = nil
            #expect(try network.ipam.leases().isEmpty)
        }
        // Same pod name right after its teardown: the old veth may still be dying.
        let again1 = try network.setUp(podName: "pltest-again")
        try network.tearDown(again1)
        let again2 = try network.setUp(podName: "pltest-again")
        live = again2
        #expect(again2.hostVeth == again1.hostVeth)
        try network.tearDown(again2)
        live = nil
        #expect(Self.eventually { (try? network.ipam.leases().isEmpty) == true })
    }

    @Test func failedSetUpLeavesNothingBehind() throws {
        let dir = try TemporaryDirectory("net")
        let network = try Self.makeNetwork(dir, bridge: Self.bridge0, subnet: "\(Self.net0).0/24")
        defer {
            _ = try? HostCommand.ip("link", "del", network.hostVethName(for: "pltest-fail"))
            _ = try? network.removeBridge()
            dir.remove()
        }
        // Occupy the pod's host veth name with a dummy-like veth in the host namespace, so the
        // veth step fails after the lease and the pin exist.
        let blocker = network.hostVethName(for: "pltest-fail")
        #expect(try HostCommand.ip("link", "add", blocker, "type", "veth", "peer", "name", "pltestblk0").status == 0)
        let error = #expect(throws: PodlabError.self) { try network.setUp(podName: "pltest-fail") }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains(blocker) == true)
        #expect(access(network.netnsPath(for: "pltest-fail"), F_OK) != 0, "pin must be undone")
        #expect(try network.ipam.leases().isEmpty, "lease must be released")
    }

    @Test func existingPinAndBadNamesAreRefused() throws {
        let dir = try TemporaryDirectory("net")
        let network = try Self.makeNetwork(dir, bridge: Self.bridge0, subnet: "\(Self.net0).0/24")
        var live: PodNetworkAttachment?
        defer {
            if let live { try? network.tearDown(live) }
            _ = try? network.removeBridge()
            dir.remove()
        }
        live = try network.setUp(podName: "pltest-dup")
        let error = #expect(throws: PodlabError.self) { try network.setUp(podName: "pltest-dup") }
        #expect(error?.code == .conflict)
        #expect(try network.ipam.leases().map(\.podName) == [network.paths.hostName(forPod: "pltest-dup")], "the live pod keeps its lease")
        #expect(throws: PodlabError.self) { try network.setUp(podName: "../../etc") }
    }

    @Test func cleanAllRemovesPinsVethsAndLeases() throws {
        let dir = try TemporaryDirectory("net")
        // A private pin directory, so clean cannot touch anyone else's /run/netns/podlab-* pins.
        let netnsDir = dir.path + "/netns"
        let network = try Self.makeNetwork(dir, bridge: Self.bridge1, subnet: "\(Self.net1).0/24", netnsDir: netnsDir)
        defer {
            _ = try? network.cleanAll()
            _ = try? network.removeBridge()
            umount2(netnsDir, Int32(MNT_DETACH))
            dir.remove()
        }
        let a = try network.setUp(podName: "pltest-clean-a")
        let b = try network.setUp(podName: "pltest-clean-b")
        // A leaked lease without a pin (crash between IPAM and netns creation).
        let leakedOwner = network.paths.hostName(forPod: "pltest-clean-c")
        _ = try network.ipam.allocate(for: leakedOwner)
        let removed = try network.cleanAll()
        #expect(removed.contains("netns \(a.netnsPath)") && removed.contains("netns \(b.netnsPath)"))
        #expect(removed.contains("lease \(a.ip) \(network.paths.hostName(forPod: "pltest-clean-a"))") && removed.contains("lease \(Self.net1).4 \(leakedOwner)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: netnsDir).isEmpty)
        #expect(try network.ipam.leases().isEmpty)
        #expect(Self.eventually { !Self.linkExists(a.hostVeth) && !Self.linkExists(b.hostVeth) })
        #expect(try network.cleanAll().isEmpty, "a second clean finds nothing")
    }
}
