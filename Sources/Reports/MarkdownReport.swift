import Foundation
import PodObservations

/// Renders reports as GitHub-flavoured Markdown, outcome first.
///
/// Layout per lab: the result line (`# ✅ pause-persistence: passed (5/5 steps, 3.2 s)`), the
/// failure if any, the step table, the facts table, namespace tables (shared vs private against
/// pause) with a mermaid diagram, process trees, and every command with its output in
/// `<details>` so the page stays short.
public enum MarkdownReport {
    /// How the namespace pictures appear.
    public enum Pictures: Sendable {
        /// `![…](<lab>.svg)` links to the SVG files `ReportWriter` writes next to the Markdown,
        /// with each table's mermaid diagram collapsed below it.
        case svgFiles
        /// Each picture as a visible mermaid block, for Markdown read without the files next to
        /// it (`$GITHUB_STEP_SUMMARY`): relative links do not resolve there, and GitHub's HTML
        /// sanitizer drops inline `<svg>` and `data:` image sources, but renders mermaid blocks.
        case mermaid
    }

    /// One lab as a standalone document (`reports/<lab>.md`).
    public static func render(_ lab: LabReport, headingLevel: Int = 1, pictures: Pictures = .svgFiles) -> String {
        var out = MarkdownBuffer(base: headingLevel)
        if let reason = lab.notRunReason {
            out.heading(0, "\(notRunIcon) \(lab.name): not run (\(inline(reason)))")
        } else {
            out.heading(0, "\(icon(lab.failed)) \(lab.name): \(lab.failed ? "failed" : "passed") (\(lab.passedStepCount)/\(lab.labSteps.count) steps, \(DurationText.format(lab.duration)))")
        }
        out.line("")
        if !lab.title.isEmpty { out.line("**\(inline(lab.title))**  ") }
        out.line("Lab file `\(lab.file)`, namespace `\(lab.namespace)`, started \(iso8601(lab.startTime)).")
        out.line("")
        if let failure = lab.firstFailure {
            out.line("> **Failed** in step `\(failure.step.displayName)`, \(failure.operation.phase.rawValue) operation `\(failure.operation.verb)` at `\(failure.operation.location)`:")
            out.line(">")
            // The error holds command output (a check's actual value): verbatim, as a block
            // nested in the quote, so Markdown in it cannot reshape the page.
            out.fencedBlock("text", failure.operation.error ?? "", indent: "> ")
            out.line("")
        }
        renderStepTable(lab, into: &out)
        renderFacts(lab, into: &out)
        renderNamespaces(lab, pictures: pictures, into: &out)
        renderProcessTrees(lab, into: &out)
        renderCommands(lab, into: &out)
        return out.text
    }

    /// The whole suite: a summary line and lab table, then every lab one heading level down.
    public static func render(_ report: Report, pictures: Pictures = .svgFiles) -> String {
        var out = MarkdownBuffer(base: 1)
        let failed = report.failedLabs.count
        let notRun = report.notRunLabs.count
        var summary = failed == 0
            ? "\(report.passedLabs.count)/\(report.labs.count) labs passed"
            : "\(failed) of \(report.labs.count) labs failed"
        if notRun > 0 { summary += ", \(notRun) not run" }
        out.heading(0, "\(icon(report.failed)) \(report.name): \(summary) (\(DurationText.format(report.duration)))")
        out.line("")
        out.line("| Lab | Result | Steps | Duration |")
        out.line("|---|---|---|---:|")
        for lab in report.labs {
            let result = lab.notRun ? "\(notRunIcon) not run" : "\(icon(lab.failed)) \(lab.failed ? "failed" : "passed")"
            out.line("| \(cell(lab.name)) | \(result) | \(lab.passedStepCount)/\(lab.labSteps.count) | \(lab.notRun ? "" : DurationText.format(lab.duration)) |")
        }
        out.line("")
        var text = out.text
        for lab in report.labs { text += "\n" + render(lab, headingLevel: 2, pictures: pictures) }
        return text
    }

    // MARK: sections

    private static func renderStepTable(_ lab: LabReport, into out: inout MarkdownBuffer) {
        out.heading(1, "Steps")
        out.line("")
        out.line("| # | Step | Result | Duration |")
        out.line("|---:|---|---|---:|")
        for step in lab.steps {
            let number = step.kind == .step ? String(step.index) : ""
            out.line("| \(number) | \(cell(step.name)) | \(result(step)) | \(step.skipped ? "" : DurationText.format(step.duration)) |")
        }
        out.line("")
    }

    private static func renderFacts(_ lab: LabReport, into out: inout MarkdownBuffer) {
        var rows: [(String, String, String)] = []
        for step in lab.steps {
            for operation in step.operations {
                for case let .fact(name, value) in operation.observations { rows.append((step.name, name, value)) }
            }
        }
        guard !rows.isEmpty else { return }
        out.heading(1, "Facts")
        out.line("")
        out.line("| Step | Fact | Value |")
        out.line("|---|---|---|")
        for (step, name, value) in rows { out.line("| \(cell(step)) | \(cell(name)) | `\(code(value))` |") }
        out.line("")
    }

    /// The summary row's word for a kind: `host` when every process is in the host's own
    /// namespace (nothing was unshared), so it is not taught as the pod's shared one.
    static func summary(_ sharing: NamespaceSharing) -> String {
        switch sharing {
        case .host: "host"
        case .shared: "shared"
        case .private: "private"
        default: "mixed"
        }
    }

    private static func renderNamespaces(_ lab: LabReport, pictures: Pictures, into out: inout MarkdownBuffer) {
        let tables = lab.steps.flatMap { step in
            step.operations.flatMap { operation in
                operation.observations.compactMap { observation -> (String, NamespaceTable)? in
                    if case let .namespaces(table) = observation { return (step.name, table) }
                    return nil
                }
            }
        }
        guard !tables.isEmpty else { return }
        out.heading(1, "Namespaces")
        // LabDiagrams makes one picture per table, in the same order.
        let diagrams = LabDiagrams.diagrams(for: lab)
        if pictures == .svgFiles { renderPictures(diagrams, into: &out) }
        for (position, (step, table)) in tables.enumerated() {
            out.line("")
            let hostKinds = table.presentKinds.filter { table.sharing($0) == .host }
            out.line("Pod `\(table.pod)`, step `\(step)`. ✔ = same inode as pause (shared), ✘ = its own (private)"
                     + (hostKinds.isEmpty ? "." : "; host = the host's own namespace, which the pod did not unshare (\(hostKinds.joined(separator: ", "))), not one the pod shares."))
            out.line("")
            let kinds = table.presentKinds
            out.line("| Process | PID | " + kinds.joined(separator: " | ") + " |")
            out.line("|---|---:|" + String(repeating: "---|", count: kinds.count))
            let reference = table.reference
            for row in table.rows {
                let cells = kinds.map { kind -> String in
                    guard let inode = row.inodes[kind] else { return "" }
                    if row.process == reference?.process { return "\(inode)" }
                    return inode == reference?.inodes[kind] ? "✔ \(inode)" : "✘ \(inode)"
                }
                out.line("| \(cell(row.process)) | \(row.pid) | " + cells.joined(separator: " | ") + " |")
            }
            out.line("| **summary** | | " + kinds.map { Self.summary(table.sharing($0)) }.joined(separator: " | ") + " |")
            out.line("")
            switch pictures {
            case .svgFiles:
                out.line("<details><summary>Namespace diagram</summary>")
                out.line("")
                out.fencedBlock("mermaid", MermaidNamespaceDiagram.render(table))
                out.line("")
                out.line("</details>")
            case .mermaid:
                let caption = position < diagrams.count ? diagrams[position].caption : "step \(step)"
                out.line("Namespaces of pod `\(table.pod)`, \(inline(caption)):")
                out.line("")
                out.fencedBlock("mermaid", MermaidNamespaceDiagram.render(table))
            }
        }
        out.line("")
    }

    /// The SVG pictures `ReportWriter` writes next to this file, side by side when there are
    /// several (before/after).
    private static func renderPictures(_ diagrams: [LabDiagrams.Diagram], into out: inout MarkdownBuffer) {
        guard !diagrams.isEmpty else { return }
        out.line("")
        if diagrams.count == 1, let diagram = diagrams.first {
            out.line("![Namespaces of pod \(html(diagram.table.pod)), \(html(diagram.caption))](\(diagram.fileName))")
        } else {
            out.line("| " + diagrams.map { cell($0.caption) }.joined(separator: " | ") + " |")
            out.line("|" + String(repeating: "---|", count: diagrams.count))
            out.line("| " + diagrams.map { "![Namespaces of pod \(cell(html($0.table.pod))), \(cell(html($0.caption)))](\($0.fileName))" }.joined(separator: " | ") + " |")
        }
    }

    private static func renderProcessTrees(_ lab: LabReport, into out: inout MarkdownBuffer) {
        let trees = lab.steps.flatMap { step in
            step.operations.flatMap { operation in
                operation.observations.compactMap { observation -> (String, String, ProcessNode)? in
                    if case let .processTree(pod, root) = observation { return (step.name, pod, root) }
                    return nil
                }
            }
        }
        guard !trees.isEmpty else { return }
        out.heading(1, "Process tree")
        for (step, pod, root) in trees {
            out.line("")
            out.line("Pod `\(pod)`, step `\(step)`:")
            out.line("")
            out.fencedBlock("text", ProcessTreeText.render(root))
        }
        out.line("")
    }

    private static func renderCommands(_ lab: LabReport, into out: inout MarkdownBuffer) {
        out.heading(1, "Operations and output")
        out.line("")
        for step in lab.steps where !step.skipped {
            // A failed step is open: its evidence is what the reader came for.
            out.line("<details\(step.failed ? " open" : "")><summary>\(html(step.displayName)) — \(step.failed ? "failed" : "passed") (\(DurationText.format(step.duration)))</summary>")
            out.line("")
            for operation in step.operations {
                let attempts = operation.attempts > 1 ? ", \(operation.attempts) attempts" : ""
                out.line("- \(icon(operation.failed)) **\(operation.phase.rawValue) \(operation.verb)** \(inline(operation.summary)) — \(DurationText.format(operation.duration))\(attempts) `\(operation.location)`")
                // Everything below belongs to the list item, so it carries the item's indent.
                if let error = operation.error {
                    out.line("")
                    out.fencedBlock("text", error, indent: listItemIndent)
                }
                for command in operation.commands {
                    var console = "\(command.target == "host" ? "$" : "\(command.target) $") \(command.command)"
                    for line in outputLines(command) { console += "\n" + line }
                    if let exitCode = command.exitCode, exitCode != 0 { console += "\n[exit code \(exitCode)]" }
                    out.line("")
                    out.fencedBlock("console", console, indent: listItemIndent)
                }
                for case let .containers(pod, rows) in operation.observations {
                    out.line("")
                    out.fencedBlock("text", ContainerTableText.render(pod: pod, rows: rows), indent: listItemIndent)
                }
            }
            out.line("")
            out.line("</details>")
            out.line("")
        }
    }

    // MARK: helpers

    private static func outputLines(_ command: CommandRecord) -> [String] {
        var lines: [String] = []
        for text in [command.stdout, command.stderr] where !text.isEmpty {
            var body = text
            if body.hasSuffix("\n") { body.removeLast() }
            lines += body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        return lines
    }

    static func icon(_ failed: Bool) -> String { failed ? "❌" : "✅" }
    /// A lab or step that did not run (the step table's skipped icon).
    static let notRunIcon = "⏭️"

    private static func result(_ step: StepReport) -> String {
        if let reason = step.skipReason { return "⏭️ skipped (\(cell(reason)))" }
        return step.failed ? "❌ failed" : "✅ passed"
    }

    private static func iso8601(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    private static func cell(_ text: String) -> String { MarkdownText.cell(text) }
    private static func code(_ text: String) -> String { MarkdownText.code(text) }
    private static func inline(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: " ") }

    /// Text in `<summary>` is HTML.
    private static func html(_ text: String) -> String { MarkdownText.html(text) }

    /// The continuation indent of a `- ` list item: CommonMark (§5.2 list items) keeps a line in
    /// the item only when it is indented at least to the item's content column, so every line of
    /// a block nested in an item, fences included, starts with these two spaces.
    static let listItemIndent = "  "
}

/// A tiny Markdown accumulator with relative heading levels.
struct MarkdownBuffer {
    let base: Int
    private(set) var text = ""

    init(base: Int) { self.base = base }

    mutating func heading(_ relative: Int, _ title: String) {
        text += String(repeating: "#", count: min(6, base + relative)) + " " + title + "\n"
    }

    mutating func line(_ line: String) { text += line + "\n" }

    /// Writes `body` as a fenced code block with `info` (`console`, `text`, `mermaid`), every
    /// line of it — both fences and each body line — prefixed with `indent`. A block nested in a
    /// list item must be written through here: one unindented line ends the item, and with it
    /// the fence, and the rest of the report renders as one raw block.
    mutating func fencedBlock(_ info: String, _ body: String, indent: String = "") {
        let lines = MarkdownText.controlPictures(body).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let fence = Self.fence(enclosing: lines)
        text += Self.indent([fence + info] + lines + [fence], by: indent)
    }

    /// Prefixes every line with `indent` and ends each with a newline.
    static func indent(_ lines: [String], by indent: String) -> String {
        lines.map { indent + $0 + "\n" }.joined()
    }

    /// A backtick fence longer than any backtick run that starts a body line, so output that
    /// itself contains a fence (a README, a heredoc) can never close ours early: CommonMark
    /// §4.5 closes a fence only with a run at least as long as the opening one.
    static func fence(enclosing lines: [String]) -> String {
        var longest = 0
        for line in lines {
            let run = line.drop { $0 == " " }.prefix { $0 == "`" }.count
            longest = max(longest, run)
        }
        return String(repeating: "`", count: max(3, longest + 1))
    }
}
