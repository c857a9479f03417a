import Foundation
import PodObservations
import PodlabCore

/// Reads namespace inodes from `/proc` (the rows of `podlab ns` and a lab's `namespaces`;
/// `NamespaceSharing` is the rule that compares them).
public enum NamespaceInspector {
    /// Reads every namespace inode of `pid`; missing ones (process gone) are left out.
    public static func inodes(pid: Int32, procRoot: String = "/proc") -> [String: UInt64] {
        NamespaceLinks.inodes(process: String(pid), kinds: NamespaceKind.allCases.map(\.rawValue), procRoot: procRoot)
    }

    /// Pause plus every running container of the pod.
    public static func table(for record: PodRecord) -> [NamespaceRow] {
        var rows: [NamespaceRow] = []
        if let pause = record.sandbox.pausePID {
            rows.append(NamespaceRow(process: "pause", pid: pause, inodes: inodes(pid: pause), containerID: record.sandboxID))
        }
        for container in record.containers {
            guard container.state == .running, let pid = container.pid else { continue }
            rows.append(NamespaceRow(process: container.name, pid: pid, inodes: inodes(pid: pid), containerID: container.id))
        }
        return rows
    }
}
