import PodObservations

/// Renders a process tree as text, in the spirit of `pstree -p` (the seed post's "Another way"
/// screenshot), but with plain box-drawing lines that survive Markdown code fences and CI logs.
public enum ProcessTreeText {
    /// ```
    /// podlab-supervisor(1200)
    /// ├── pause(1201)
    /// └── sh(1205)
    ///     └── sleep(1206)
    /// ```
    public static func render(_ root: ProcessNode) -> String {
        var lines = ["\(root.command)(\(root.pid))"]
        appendChildren(of: root, prefix: "", into: &lines)
        return lines.joined(separator: "\n")
    }

    private static func appendChildren(of node: ProcessNode, prefix: String, into lines: inout [String]) {
        for (offset, child) in node.children.enumerated() {
            let last = offset == node.children.count - 1
            lines.append(prefix + (last ? "└── " : "├── ") + "\(child.command)(\(child.pid))")
            appendChildren(of: child, prefix: prefix + (last ? "    " : "│   "), into: &lines)
        }
    }
}
