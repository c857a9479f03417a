import Foundation

/// A mermaid flowchart of which namespaces each process of a pod is in: one node per process,
/// one node per namespace instance (`net:[4026532508]`), an edge for membership. Shared
/// namespaces show as one node with several edges, which is the seed post's whole point.
public enum MermaidNamespaceDiagram {
    public static func render(_ table: NamespaceTable) -> String {
        var lines = ["flowchart LR"]
        for (index, row) in table.rows.enumerated() {
            lines.append("  p\(index)[\"\(escape(row.process)) (pid \(row.pid))\"]")
        }
        for kind in table.presentKinds {
            let inodes = uniqueInodes(of: kind, in: table)
            let sharing = table.sharing(kind)
            let note = sharing == .host ? " (the host's)" : (sharing == .shared ? " (shared)" : "")
            lines.append("  subgraph \(kind)_ns [\"\(kind)\(note)\"]")
            for inode in inodes {
                lines.append("    \(kind)_\(inode)([\"\(kind):[\(inode)]\"])")
            }
            lines.append("  end")
        }
        for (index, row) in table.rows.enumerated() {
            for kind in table.presentKinds {
                if let inode = row.inodes[kind] { lines.append("  p\(index) --- \(kind)_\(inode)") }
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func uniqueInodes(of kind: String, in table: NamespaceTable) -> [UInt64] {
        var seen = Set<UInt64>()
        return table.rows.compactMap { $0.inodes[kind] }.filter { seen.insert($0).inserted }
    }

    /// Mermaid labels are quoted; a quote inside would end the label.
    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "#quot;")
    }
}
