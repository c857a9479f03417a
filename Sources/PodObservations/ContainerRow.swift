/// One row of a pod's container list as crictl shows it, pause included.
public struct ContainerRow: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var image: String
    public var state: String
    public var pid: Int32?
    public var restartCount: Int
    /// True for the pod's sandbox (pause) container, which `kubectl describe` does not show.
    public var isSandbox: Bool

    public init(id: String, name: String, image: String, state: String, pid: Int32?, restartCount: Int, isSandbox: Bool) {
        self.id = id
        self.name = name
        self.image = image
        self.state = state
        self.pid = pid
        self.restartCount = restartCount
        self.isSandbox = isSandbox
    }
}
