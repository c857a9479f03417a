import Glibc
import Netlink
import PodlabCore

extension PodNetwork {
    /// For `podlab clean`: removes every `<netnsDir>/podlab-*` pin, the podlab host veths
    /// (`plv…`) still enslaved to this network's bridge, and every lease of this network.
    /// Returns one line per thing removed ("netns /run/netns/podlab-web", "veth plv1a2b3c4d",
    /// "lease 10.88.0.2 web"). The bridge stays (see `removeBridge`).
    ///
    /// - Parameter live: pods whose pin, veth and lease stay (pods another podlab state
    ///   directory still runs, e.g. a parallel test run); everything else goes.
    public func cleanAll(keeping live: Set<String> = []) throws -> [String] {
        var removed: [String] = []
        let livePins = Set(live.map { Self.pinPrefix + $0 })
        let liveVeths = Set(live.map { HostVethName.forPod($0) })
        for name in try FileSystem.list(config.netnsDir).sorted() where name.hasPrefix(Self.pinPrefix) && !livePins.contains(name) {
            let path = config.netnsDir + "/" + name
            try NetnsPin(path: path).remove()
            removed.append("netns \(path)")
        }
        let host = NetlinkSession(socket: try RouteNetlinkSocket())
        if let bridge = try host.link(name: config.bridgeName) {
            for link in try host.links() where link.kind == "veth" && link.masterIndex == bridge.index && HostVethName.matches(link.name)
                && !liveVeths.contains(link.name) {
                do {
                    try host.deleteLink(name: link.name)
                } catch let error as PodlabError where error.isErrno(ENODEV) {
                    // Its namespace was just unpinned and the kernel got there first.
                }
                removed.append("veth \(link.name)")
            }
        }
        for lease in try ipam.releaseAll(keeping: live) {
            removed.append("lease \(lease.address) \(lease.podName)")
        }
        return removed
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
