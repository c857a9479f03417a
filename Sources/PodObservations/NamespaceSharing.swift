/// How one kind of namespace is held across a pod's processes: the one sharing rule
/// (docs/FIDELITY.md #143) behind `podlab ns`'s SHARING column, a lab's
/// `namespaces: {expect: {shared: […], private: […]}}` and the reports' summary row.
public enum NamespaceSharing: String, Codable, Sendable, Equatable {
    /// Every process has the same inode.
    case shared
    /// Every process has the same inode, and it is the host's (e.g. `user` without user namespaces).
    case host
    /// No two processes share an inode.
    case `private`
    /// Some processes share an inode, others do not.
    case partlyShared = "partly shared"
    /// Only one process has this kind: nothing to compare.
    case single = "one process"
    /// No process has this kind.
    case absent = "-"

    /// The text `podlab ns` prints.
    public var description: String { rawValue }

    /// The same inode in every process (the host's or the pod's own).
    public var isShared: Bool { self == .shared || self == .host }

    public var isPrivate: Bool { self == .private }

    /// The sharing of `kind` across `rows`. With `host` (the inodes of a host process, e.g.
    /// `NamespaceInspector.inodes(pid: getpid())`) a kind every process shares with the host is
    /// `.host`; without it, `.shared`.
    public static func of(_ kind: String, in rows: [NamespaceRow], host: [String: UInt64]? = nil) -> NamespaceSharing {
        let values = rows.compactMap { $0.inodes[kind] }
        guard let first = values.first else { return .absent }
        if values.count == 1 { return .single }
        if values.allSatisfy({ $0 == first }) { return host?[kind] == first ? .host : .shared }
        return Set(values).count == values.count ? .private : .partlyShared
    }

    /// The kinds any row has, in `NamespaceKind` order.
    public static func presentKinds(in rows: [NamespaceRow]) -> [String] {
        NamespaceKind.allCases.map(\.rawValue).filter { kind in rows.contains { $0.inodes[kind] != nil } }
    }
}
