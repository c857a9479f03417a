/// A process and its children, read from `/proc` (what `pstree -p` shows): produced by PodKit
/// (`ProcessTree.build`), returned by the lab backend, rendered by Reports (`ProcessTreeText`).
public struct ProcessNode: Codable, Sendable, Equatable {
    public var pid: Int32
    public var command: String
    public var children: [ProcessNode]

    public init(pid: Int32, command: String, children: [ProcessNode] = []) {
        self.pid = pid
        self.command = command
        self.children = children
    }

    /// Total number of processes in the tree.
    public var count: Int { 1 + children.reduce(0) { $0 + $1.count } }
}
