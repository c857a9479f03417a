import Foundation

/// Namespace types in `/proc/<pid>/ns`, in lsns order, with their OCI spec names.
public enum NamespaceType: String, CaseIterable, Codable, Sendable {
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

/// One process's namespaces, read with `readlink /proc/<pid>/ns/<type>` exactly as a student
/// would (`net:[4026532508]`).
public struct ProcessNamespaces: Codable, Sendable {
    /// "pause" or the container name.
    public var process: String
    public var containerID: String
    public var pid: Int32
    public var inodes: [String: UInt64]

    public func inode(_ type: NamespaceType) -> UInt64? { inodes[type.rawValue] }
}

public enum NamespaceInspector {
    /// Reads every namespace inode of `pid`; missing ones (process gone) are left out.
    public static func inodes(pid: Int32, procRoot: String = "/proc") -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for type in NamespaceType.allCases {
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(procRoot)/\(pid)/ns/\(type.rawValue)"),
                  let open = link.firstIndex(of: "["), let close = link.firstIndex(of: "]"),
                  let inode = UInt64(link[link.index(after: open)..<close])
            else { continue }
            result[type.rawValue] = inode
        }
        return result
    }

    /// Pause plus every running container of the pod.
    public static func table(for record: PodRecord) -> [ProcessNamespaces] {
        var rows: [ProcessNamespaces] = []
        if let pause = record.sandbox.pausePID {
            rows.append(ProcessNamespaces(process: "pause", containerID: record.id, pid: pause, inodes: inodes(pid: pause)))
        }
        for container in record.containers {
            guard container.state == .running, let pid = container.pid else { continue }
            rows.append(ProcessNamespaces(process: container.name, containerID: container.id, pid: pid, inodes: inodes(pid: pid)))
        }
        return rows
    }

    /// How a namespace type is held across the rows: `shared` (same inode everywhere),
    /// `private` (all different), `partly shared`, or `host` (same as PID 1 of the host).
    public static func sharing(_ type: NamespaceType, rows: [ProcessNamespaces], hostInodes: [String: UInt64] = inodes(pid: getpid())) -> String {
        let values = rows.compactMap { $0.inode(type) }
        guard let first = values.first else { return "-" }
        if values.allSatisfy({ $0 == first }) {
            return hostInodes[type.rawValue] == first ? "host" : "shared"
        }
        return Set(values).count == values.count ? "private" : "partly shared"
    }
}
