/// What `PodNetwork.setUp` made for one pod; store it with the pod's state and hand it back to
/// `tearDown`. Plain strings so it reads well in state files and reports.
public struct PodNetworkAttachment: Codable, Sendable, Equatable {
    public var podName: String
    /// The pinned namespace, e.g. `/run/netns/podlab-web` (join it with setns or `ip netns exec podlab-web`).
    public var netnsPath: String
    /// The pod IP, e.g. "10.88.0.2".
    public var ip: String
    public var prefixLength: Int
    /// The default gateway inside the pod (the bridge's address).
    public var gateway: String
    /// The host end of the veth pair, enslaved to `bridge` ("plv" + 8 hex).
    public var hostVeth: String
    /// The pod end of the veth pair inside the namespace: "eth0".
    public var podInterface: String
    public var bridge: String

    public init(podName: String, netnsPath: String, ip: String, prefixLength: Int, gateway: String,
                hostVeth: String, podInterface: String, bridge: String) {
        self.podName = podName
        self.netnsPath = netnsPath
        self.ip = ip
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.hostVeth = hostVeth
        self.podInterface = podInterface
        self.bridge = bridge
    }
}
