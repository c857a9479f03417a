/// The kinds of namespace in `/proc/<pid>/ns`, in lsns order, with their OCI runtime-spec
/// names. The one list `podlab ns`, a lab's `namespaces: {expect: …}` and the reports use.
public enum NamespaceKind: String, CaseIterable, Codable, Sendable {
    case net, ipc, uts, mnt, pid, cgroup, user, time

    /// The OCI runtime-spec name (`network`, `mount`; the others are the same).
    public var ociName: String {
        switch self {
        case .net: return "network"
        case .mnt: return "mount"
        default: return rawValue
        }
    }
}
