import Foundation

/// A picture of which namespaces a pod's processes share, as standalone SVG text: pause and
/// every container as a box (name, PID, short container id), then one row per namespace kind
/// where a shared namespace is a band across the boxes that are in it, labelled with its inode
/// (the net band also carries the pod IP), and a private namespace is a small box under its
/// process. Hand-written SVG with no fonts, scripts or links, so it renders the same in a
/// browser, on GitHub and with `rsvg-convert`.
public enum NamespaceDiagramSVG {
    /// One process of the pod.
    public struct Process: Sendable {
        /// `pause` or the container name.
        public var name: String
        public var pid: Int32
        /// The container id (for pause, the sandbox id); shown shortened to 12 characters.
        public var id: String?
        /// Namespace kind (`net ipc uts mnt pid cgroup user`) → inode.
        public var inodes: [String: UInt64]

        public init(name: String, pid: Int32, id: String?, inodes: [String: UInt64]) {
            self.name = name
            self.pid = pid
            self.id = id
            self.inodes = inodes
        }
    }

    /// The diagram of one pod.
    /// - Parameters:
    ///   - pod: the pod's name, in the title.
    ///   - ip: the pod IP, written on the net namespace.
    ///   - processes: pause first, then the containers (the order of the boxes).
    ///   - caption: a second title line (e.g. "before the kill").
    ///   - host: the host's namespace inodes (podlab's own); a band every process shares with
    ///     the host is drawn and labelled as the host's, not as shared by the pod.
    public static func render(pod: String, ip: String?, processes: [Process], caption: String? = nil, host: [String: UInt64]? = nil) -> String {
        Layout(pod: pod, ip: ip, processes: processes, caption: caption, host: host ?? [:]).svg()
    }

    /// The diagram of a namespace table from a report.
    public static func render(_ table: NamespaceTable, caption: String? = nil) -> String {
        render(pod: table.pod, ip: table.ip, processes: table.rows.map {
            Process(name: $0.process, pid: $0.pid, id: $0.containerID, inodes: $0.inodes)
        }, caption: caption, host: table.hostInodes)
    }
}

/// Geometry and drawing. Text widths are estimated (no font metrics without dependencies), so
/// boxes are sized generously and long names are shortened with an ellipsis.
private struct Layout {
    let pod: String
    let ip: String?
    let processes: [NamespaceDiagramSVG.Process]
    let caption: String?
    let host: [String: UInt64]

    let margin = 16.0
    let labelWidth = 64.0
    let columnWidth = 200.0
    let columnGap = 12.0
    let boxTop = 72.0
    let boxHeight = 70.0
    let rowHeight = 34.0
    let rowGap = 6.0

    enum Palette {
        static let text = "#111827"
        static let muted = "#4b5563"
        static let pause = ("#fde7c8", "#b45309")
        static let container = ("#dbeafe", "#1d4ed8")
        static let shared = ("#dcfce7", "#15803d")
        static let partly = ("#fef9c3", "#a16207")
        static let own = ("#f3f4f6", "#6b7280")
        static let host = ("#e0e7ff", "#6366f1")
    }

    var kinds: [String] { NamespaceTable.kinds.filter { kind in processes.contains { $0.inodes[kind] != nil } } }
    var title: String { "Pod \(pod): namespaces of pause and its containers" }

    /// Average advance of sans-serif glyphs at `size` px; deliberately on the wide side.
    func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        Double(text.count) * size * (bold ? 0.62 : 0.56)
    }

    func columnX(_ index: Int) -> Double { margin + labelWidth + Double(index) * (columnWidth + columnGap) }

    /// Whether every process is in the host's own namespace of this kind (not unshared).
    func isHost(_ kind: String, _ inode: UInt64) -> Bool {
        host[kind] == inode && processes.allSatisfy { $0.inodes[kind] == inode }
    }

    var legendItems: [(String, (String, String))] {
        let hostBand = kinds.contains { kind in processes.first?.inodes[kind].map { isHost(kind, $0) } ?? false }
        return [("pause (the sandbox)", Palette.pause), ("app container", Palette.container),
                ("shared by every process", Palette.shared), ("shared by some", Palette.partly), ("private (own inode)", Palette.own)]
            + (hostBand ? [("the host's (not unshared)", Palette.host)] : [])
    }

    var width: Double {
        let columns = columnX(max(processes.count, 1)) - columnGap + margin
        let titleWidth = margin * 2 + textWidth(title, size: 16, bold: true)
        let captionWidth = margin * 2 + textWidth(caption ?? "", size: 12)
        return max(columns, titleWidth, captionWidth, 420).rounded(.up)
    }

    /// Legend items flowed into lines that fit the width.
    var legendLines: [[(String, (String, String), Double)]] {
        var lines: [[(String, (String, String), Double)]] = [[]]
        var x = margin
        for (label, colors) in legendItems {
            let itemWidth = 18 + textWidth(label, size: 12) + 18
            if x + itemWidth > width - margin, !(lines.last ?? []).isEmpty {
                lines.append([])
                x = margin
            }
            lines[lines.count - 1].append((label, colors, x))
            x += itemWidth
        }
        return lines
    }

    var bandsTop: Double { boxTop + boxHeight + 14 }
    var legendTop: Double { bandsTop + Double(kinds.count) * (rowHeight + rowGap) + 12 }
    var height: Double { (legendTop + Double(legendLines.count) * 22 + margin).rounded(.up) }

    func svg() -> String {
        var out: [String] = []
        let w = Int(width), h = Int(height)
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"sans-serif\">")
        out.append("  <title>\(esc(title + (caption.map { " (\($0))" } ?? "")))</title>")
        out.append("  <rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>")
        out.append(text(margin, 30, title, size: 16, bold: true, anchor: "start"))
        if let caption { out.append(text(margin, 50, caption, size: 12, color: Palette.muted, anchor: "start")) }
        for (index, process) in processes.enumerated() { out += box(process, at: columnX(index)) }
        for (row, kind) in kinds.enumerated() { out += band(kind, row: row) }
        out += legend()
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func box(_ process: NamespaceDiagramSVG.Process, at x: Double) -> [String] {
        let colors = process.name == "pause" ? Palette.pause : Palette.container
        let center = x + columnWidth / 2
        var lines = ["  <g>", "    <title>\(esc("\(process.name) (pid \(process.pid)\(process.id.map { ", id \($0)" } ?? ""))"))</title>"]
        // A thin guide from the box down through the namespace rows.
        lines.append("    <line x1=\"\(f(center))\" y1=\"\(f(boxTop + boxHeight))\" x2=\"\(f(center))\" y2=\"\(f(bandsTop + Double(kinds.count) * (rowHeight + rowGap) - rowGap))\" stroke=\"\(colors.1)\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>")
        lines.append("    <rect x=\"\(f(x))\" y=\"\(f(boxTop))\" width=\"\(f(columnWidth))\" height=\"\(f(boxHeight))\" rx=\"8\" fill=\"\(colors.0)\" stroke=\"\(colors.1)\" stroke-width=\"2\"/>")
        lines.append("  " + text(center, boxTop + 22, fit(process.name, width: columnWidth - 16, size: 14, bold: true), size: 14, bold: true))
        lines.append("  " + text(center, boxTop + 41, "PID \(process.pid)", size: 12))
        let id = process.id.map { "ID " + String($0.prefix(12)) } ?? "ID –"
        lines.append("  " + text(center, boxTop + 58, id, size: 12, color: Palette.muted, monospace: true))
        lines.append("  </g>")
        return lines
    }

    /// One namespace kind: consecutive processes with the same inode form one band.
    private func band(_ kind: String, row: Int) -> [String] {
        let y = bandsTop + Double(row) * (rowHeight + rowGap)
        var lines = [text(margin + labelWidth - 10, y + rowHeight / 2 + 5, kind, size: 13, bold: true, anchor: "end")]
        var index = 0
        while index < processes.count {
            guard let inode = processes[index].inodes[kind] else { index += 1; continue }
            var end = index
            while end + 1 < processes.count, processes[end + 1].inodes[kind] == inode { end += 1 }
            let members = processes.filter { $0.inodes[kind] == inode }.count
            let hostBand = isHost(kind, inode)
            let colors = hostBand ? Palette.host : (members == processes.count && members > 1 ? Palette.shared : (members > 1 ? Palette.partly : Palette.own))
            let x = columnX(index), bandWidth = columnX(end) + columnWidth - x
            var label = "\(kind):[\(inode)]"
            if hostBand { label += " the host's" } else if members > 1 { label += members == processes.count ? " shared by all \(members)" : " shared by \(members)" }
            let ipText = kind == "net" ? ip.flatMap { $0.isEmpty ? nil : "pod IP \($0)" } : nil
            lines.append("  <rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(bandWidth))\" height=\"\(f(rowHeight))\" rx=\"6\" fill=\"\(colors.0)\" stroke=\"\(colors.1)\" stroke-width=\"1.5\"/>")
            if let ipText, textWidth(label + " · " + ipText, size: 12) > bandWidth - 12 {
                // A narrow band (one box) gets the IP on a second line rather than an ellipsis.
                lines.append(text(x + bandWidth / 2, y + 14, fit(label, width: bandWidth - 12, size: 11), size: 11))
                lines.append(text(x + bandWidth / 2, y + 28, fit(ipText, width: bandWidth - 12, size: 11), size: 11))
            } else {
                let full = ipText.map { label + " · " + $0 } ?? label
                lines.append(text(x + bandWidth / 2, y + rowHeight / 2 + 4, fit(full, width: bandWidth - 12, size: 12), size: 12))
            }
            index = end + 1
        }
        return lines
    }

    private func legend() -> [String] {
        var lines: [String] = []
        for (number, line) in legendLines.enumerated() {
            let y = legendTop + Double(number) * 22
            for (label, colors, x) in line {
                lines.append("  <rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"14\" height=\"14\" rx=\"3\" fill=\"\(colors.0)\" stroke=\"\(colors.1)\" stroke-width=\"1.5\"/>")
                lines.append(text(x + 20, y + 11.5, label, size: 12, color: Palette.muted, anchor: "start"))
            }
        }
        return lines
    }

    // MARK: text

    private func text(_ x: Double, _ y: Double, _ content: String, size: Double, bold: Bool = false, color: String = Palette.text,
                      anchor: String = "middle", monospace: Bool = false) -> String {
        var attributes = "x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(f(size))\" fill=\"\(color)\" text-anchor=\"\(anchor)\""
        if bold { attributes += " font-weight=\"bold\"" }
        if monospace { attributes += " font-family=\"monospace\"" }
        return "  <text \(attributes)>\(esc(content))</text>"
    }

    /// Shortens text that would not fit, keeping its start.
    private func fit(_ content: String, width: Double, size: Double, bold: Bool = false) -> String {
        guard textWidth(content, size: size, bold: bold) > width else { return content }
        let keep = max(1, Int(width / (size * (bold ? 0.62 : 0.56))) - 1)
        return String(content.prefix(keep)) + "…"
    }

    private func esc(_ content: String) -> String { XMLText.escape(content) }
    private func f(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
