import Glibc
import Netlink
import PodlabCore

extension PodNetwork {
    /// For `podlab clean`: removes this state directory's netns pins (`podlab-<host name>` with
    /// a name `paths.ownsHostName` accepts), the host veths of those pods still enslaved to this
    /// network's bridge, and this state directory's leases. Another state directory's pins,
    /// veths and leases are never touched, even on a shared bridge and data dir. Returns one
    /// line per thing removed ("netns /run/netns/podlab-web", "veth plv1a2b3c4d", "lease
    /// 10.88.0.2 web"). The bridge stays (see `removeBridge`).
    ///
    /// - Parameter live: pod keys of this state directory whose pin, veth and lease stay.
    public func cleanAll(keeping live: Set<String> = []) throws -> [String] {
        var removed: [String] = []
        let liveNames = Set(live.map(paths.hostName(forPod:)))
        var ours: Set<String> = []
        for name in try FileSystem.list(config.netnsDir).sorted() where name.hasPrefix(Self.pinPrefix) {
            let hostName = String(name.dropFirst(Self.pinPrefix.count))
            guard paths.ownsHostName(hostName), !liveNames.contains(hostName) else { continue }
            ours.insert(hostName)
            let path = config.netnsDir + "/" + name
            try NetnsPin(path: path).remove()
            removed.append("netns \(path)")
        }
        let leases = try ipam.releaseAll { paths.ownsHostName($0) && !liveNames.contains($0) }
        ours.formUnion(leases.map(\.podName))
        let veths = Set(ours.map(HostVethName.forPod))
        let host = NetlinkSession(socket: try RouteNetlinkSocket())
        if let bridge = try host.link(name: config.bridgeName) {
            for link in try host.links() where link.kind == "veth" && link.masterIndex == bridge.index && veths.contains(link.name) {
                do {
                    try host.deleteLink(name: link.name)
                } catch let error as PodlabError where error.isErrno(ENODEV) {
                    // Its namespace was just unpinned and the kernel got there first.
                }
                removed.append("veth \(link.name)")
            }
        }
        for lease in leases {
            removed.append("lease \(lease.address) \(lease.podName)")
        }
        return removed
    }

    /// Deletes this network's bridge (and its forward filter) if no link is enslaved to it (no
    /// pod of any podlab instance uses it); returns whether it deleted the bridge.
    @discardableResult
    public func removeBridgeIfUnused() throws -> Bool {
        let host = NetlinkSession(socket: try RouteNetlinkSocket())
        guard let bridge = try host.link(name: config.bridgeName) else {
            // The bridge is gone already; its forward filter table may not be.
            try removeForwardFilter()
            return false
        }
        guard bridge.kind == "bridge" else { return false }
        if try host.links().contains(where: { $0.masterIndex == bridge.index }) { return false }
        return try removeBridge()
    }

    /// Deletes this network's bridge if it exists, and its forward filter table
    /// (`inet podlab-<bridge>`) even if the bridge is already gone; returns whether the bridge
    /// existed. The kernel drops the bridge's connected route with it. Both are attempted; the
    /// first error is thrown.
    @discardableResult
    public func removeBridge() throws -> Bool {
        var existed = false
        var firstError: (any Error)?
        do {
            let host = NetlinkSession(socket: try RouteNetlinkSocket())
            try host.deleteLink(name: config.bridgeName)
            existed = true
        } catch let error as PodlabError where error.isErrno(ENODEV) {
        } catch {
            firstError = error
        }
        do { try removeForwardFilter() } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
        return existed
    }
}
