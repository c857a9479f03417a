import Glibc
import Netlink
import PodlabCore
import SystemPackage

/// The pod network, built the way a CNI bridge plugin does for containerd, but in process with
/// rtnetlink: a pinned network namespace, a veth pair whose host end is enslaved to a host bridge,
/// an IPAM address on the pod's eth0, loopback up and a default route via the bridge.
///
/// Nothing is routed off the bridge: podlab never touches ip_forward or NAT, the only host route
/// is the bridge's own connected subnet (which the kernel adds with its address), and an
/// nftables table of podlab's own (`inet podlab-<bridge>`, see `installForwardFilter`) drops
/// whatever the host would forward from or to the bridge when ip_forward is on.
public struct PodNetwork: Sendable {
    public let config: PodNetworkConfig
    public let paths: PodlabPaths
    public let ipam: IPAM

    /// The pod end of the veth pair, named like Kubernetes pods see it.
    public static let podInterface = "eth0"
    /// Pins are `<netnsDir>/podlab-<pod>` (containerd uses `cni-<uuid>`).
    public static let pinPrefix = "podlab-"

    /// Sysctls set in every pod netns, as containerd does by default
    /// (pkg/cri/server/sandbox_run.go / podsandbox: `ip_unprivileged_port_start`, `ping_group_range`).
    static let podSysctls: [(String, String)] = [
        ("net/ipv4/ip_unprivileged_port_start", "0"),
        ("net/ipv4/ping_group_range", "0 2147483647"),
    ]

    public init(config: PodNetworkConfig = .default, paths: PodlabPaths) {
        self.config = config
        self.paths = paths
        self.ipam = IPAM(config: config, paths: paths)
    }

    /// Where the pod's namespace is pinned: `podlab-<host name>`, the pod key qualified by the
    /// state directory (`PodlabPaths.hostName(forPod:)`), so instances never share a pin.
    public func netnsPath(for podName: String) -> String {
        config.netnsDir + "/" + Self.pinPrefix + paths.hostName(forPod: podName)
    }

    /// The host end of the pod's veth pair (derived from the qualified name, like the pin).
    public func hostVethName(for podName: String) -> String {
        HostVethName.forPod(paths.hostName(forPod: podName))
    }

    /// Builds the pod's network and returns what was made (`createNamespace` then `attach`).
    /// If a step fails, everything made so far for this pod is undone (the bridge, shared by
    /// all pods, stays).
    ///
    /// Throws `.invalidArgument` for an invalid pod name and `.conflict` if the pod's namespace
    /// is already pinned or the subnet is full.
    public func setUp(podName: String) throws -> PodNetworkAttachment {
        let pin = try createNamespace(podName: podName)
        do {
            return try attach(podName: podName, pin: pin)
        } catch {
            try? pin.remove()
            throw error
        }
    }

    /// The first half of `setUp`: a new, empty network namespace pinned at `netnsPath(for:)`,
    /// which processes can join at once (containerd makes the pinned netns before the sandbox,
    /// and CNI configures it while pause may already run). The caller removes the pin if it
    /// gives up before `attach` succeeds.
    ///
    /// Throws `.invalidArgument` for an invalid pod name and `.conflict` if it is already pinned.
    public func createNamespace(podName: String) throws -> NetnsPin {
        try PodName.validateKey(podName)
        let pinPath = netnsPath(for: podName)
        guard access(pinPath, F_OK) != 0 else {
            throw PodlabError(.conflict, "pod \(podName) already has a network namespace at \(pinPath); tear it down first (or run podlab clean)")
        }
        try NetnsPin.prepareDirectory(config.netnsDir)
        return try NetnsPin.create(at: pinPath)
    }

    /// The second half of `setUp`, CNI ADD's work: the bridge, an IPAM lease, the veth pair into
    /// the pinned namespace, addresses, routes and sysctls. On failure the lease and the veth are
    /// undone; the pin stays (it belongs to the caller).
    ///
    /// Throws `.conflict` if the subnet is full.
    public func attach(podName: String, pin: NetnsPin) throws -> PodNetworkAttachment {
        guard pin.path == netnsPath(for: podName) else {
            throw PodlabError(.invalidArgument, "\(pin.path) is not pod \(podName)'s network namespace \(netnsPath(for: podName))")
        }
        let host = NetlinkSession(socket: try RouteNetlinkSocket())
        let bridgeIndex = try ensureBridge(host)

        var undo: [() -> Void] = []
        do {
            let leaseOwner = paths.hostName(forPod: podName)
            let ip = try ipam.allocate(for: leaseOwner)
            undo.append { _ = try? ipam.release(pod: leaseOwner) }

            let hostVeth = hostVethName(for: podName)
            try createVeth(host, hostVeth: hostVeth, pin: pin, bridgeIndex: bridgeIndex)
            // On failure also delete the host end now rather than when the namespace is reaped.
            undo.append { try? host.deleteLink(name: hostVeth) }

            try configurePodNamespace(pin, ip: ip)
            return PodNetworkAttachment(
                podName: podName, netnsPath: pin.path, ip: ip.description, prefixLength: Int(config.subnet.prefixLength),
                gateway: config.gateway.description, hostVeth: hostVeth, podInterface: Self.podInterface, bridge: config.bridgeName)
        } catch {
            for step in undo.reversed() { step() }
            throw error
        }
    }

    /// Removes the pod's network: unpins the namespace (the kernel then destroys it and the veth
    /// pair, asynchronously, once no process is left in it; a pause process still inside keeps it
    /// alive) and releases the lease. Idempotent; missing pieces are skipped. Both steps are
    /// attempted even if one fails; the first error is thrown.
    public func tearDown(_ attachment: PodNetworkAttachment) throws {
        guard attachment.bridge == config.bridgeName else {
            throw PodlabError(.invalidArgument, "pod \(attachment.podName) is attached to bridge \(attachment.bridge), not \(config.bridgeName)")
        }
        guard attachment.netnsPath == netnsPath(for: attachment.podName) else {
            throw PodlabError(.invalidArgument, "refusing to remove \(attachment.netnsPath): not pod \(attachment.podName)'s pin \(netnsPath(for: attachment.podName))")
        }
        var firstError: (any Error)?
        do { try NetnsPin(path: attachment.netnsPath).remove() } catch { firstError = error }
        do { try ipam.release(pod: paths.hostName(forPod: attachment.podName)) } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }

    // MARK: Steps

    /// Makes sure the bridge exists, carries the gateway address, is up and has its forward
    /// filter (installed with a new bridge, restored if missing); returns its index.
    /// `setUp` does this itself; call it to prepare the host ahead of time (e.g. `podlab doctor`).
    @discardableResult
    public func ensureBridge() throws -> Int32 {
        try ensureBridge(NetlinkSession(socket: try RouteNetlinkSocket()))
    }

    /// Safe to run concurrently from several processes (EEXIST means another one won the race).
    func ensureBridge(_ host: NetlinkSession) throws -> Int32 {
        let name = config.bridgeName
        var link = try host.link(name: name)
        var created = false
        if link == nil {
            do {
                try host.addBridge(name: name)
                created = true
            } catch let error as PodlabError where error.isErrno(EEXIST) {}
            link = try host.link(name: name)
        }
        guard let bridge = link else {
            throw PodlabError(.notFound, "bridge \(name) vanished while being created")
        }
        guard bridge.kind == "bridge" else {
            throw PodlabError(.conflict, "network interface \(name) exists but is a \(bridge.kind ?? "non-bridge") link, not a bridge")
        }
        do {
            try host.addAddress(config.gateway, prefixLength: config.subnet.prefixLength, interfaceIndex: bridge.index, interfaceName: name)
        } catch let error as PodlabError where error.isErrno(EEXIST) {}
        // Before any pod is attached: a pod must never be routable, not even briefly.
        if created { try installForwardFilter() } else { try ensureForwardFilter() }
        if !bridge.isUp { try host.setLink(name: name, up: true) }
        return bridge.index
    }

    /// Creates the veth pair with eth0 directly in the pod namespace (no move), the host end
    /// enslaved and up (eth0 is brought up from inside the namespace). An existing host end of the same name is usually the previous
    /// incarnation of this pod whose namespace the kernel is still destroying: wait for it briefly.
    private func createVeth(_ host: NetlinkSession, hostVeth: String, pin: NetnsPin, bridgeIndex: Int32) throws {
        let nsfd = try checkedSyscall("open(\(pin.path))") { open(pin.path, O_RDONLY | O_CLOEXEC) }
        defer { close(nsfd) }
        func create() throws {
            try host.addVeth(name: hostVeth, peerName: Self.podInterface, peerNetnsFd: nsfd, masterIndex: bridgeIndex, up: true)
        }
        do {
            try create()
        } catch let error as PodlabError where error.isErrno(EEXIST) {
            var waited = 0
            while try host.link(name: hostVeth) != nil, waited < 100 {
                usleep(5_000)
                waited += 1
            }
            guard waited < 100 else {
                throw PodlabError(.conflict, "host network interface \(hostVeth) already exists (left over from an earlier run? podlab clean removes it)")
            }
            try create()
        }
    }

    /// Inside the pod namespace: lo and eth0 up, eth0's address, the default route, containerd's sysctls.
    private func configurePodNamespace(_ pin: NetnsPin, ip: IPv4Address) throws {
        let fd = try pin.openSocket(domain: AF_NETLINK, type: Int32(SOCK_RAW.rawValue), protocol: RouteNetlinkSocket.NETLINK_ROUTE)
        let pod = NetlinkSession(socket: try RouteNetlinkSocket(adopting: fd))
        try pod.setLink(name: "lo", up: true)
        // Up before the address, so the kernel adds the connected route the gateway needs.
        try pod.setLink(name: Self.podInterface, up: true)
        let eth0 = try pod.linkIndex(name: Self.podInterface)
        try pod.addAddress(ip, prefixLength: config.subnet.prefixLength, interfaceIndex: eth0, interfaceName: Self.podInterface)
        try pod.addDefaultRoute(via: config.gateway, interfaceIndex: eth0, interfaceName: Self.podInterface)
        for (key, value) in Self.podSysctls { try pin.setSysctl(key, value) }
    }
}

extension PodlabError {
    /// Whether this is a syscall error with the given errno.
    func isErrno(_ code: Int32) -> Bool {
        (cause as? Errno) == Errno(rawValue: code)
    }
}
