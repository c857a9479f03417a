/// One process of a pod and its namespace inodes, read with `readlink /proc/<pid>/ns/<kind>`
/// as a student would (`net:[4026532508]`). Produced by PodKit (`NamespaceInspector`), returned
/// by the lab backend, rendered by Reports and `podlab ns`.
public struct NamespaceRow: Codable, Sendable, Equatable {
    /// `"pause"` or the container name.
    public var process: String
    public var pid: Int32
    /// Namespace kind (`NamespaceKind.rawValue`) to inode; kinds that could not be read are absent.
    public var inodes: [String: UInt64]
    /// The container id (pause: the sandbox id), when known.
    public var containerID: String?

    public init(process: String, pid: Int32, inodes: [String: UInt64], containerID: String? = nil) {
        self.process = process
        self.pid = pid
        self.inodes = inodes
        self.containerID = containerID
    }

    public func inode(_ kind: NamespaceKind) -> UInt64? { inodes[kind.rawValue] }
}
