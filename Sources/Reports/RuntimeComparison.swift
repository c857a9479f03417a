import Foundation
import PodlabCore

/// One observed value of a pod on one runtime (`container app: CapEff` → `00000000a80425fb`),
/// collected the same way on every runtime from `/proc` and `/sys` on the host (issue 13 item 5).
public struct ObservedValue: Codable, Sendable, Equatable {
    /// What was observed, with its subject: `pod web: IP kept after app kill`,
    /// `container app: oom_score_adj`.
    public var observation: String
    /// The value; multi-line values (mounts, environment, files) keep their lines.
    public var value: String

    public init(_ observation: String, _ value: String) {
        self.observation = observation
        self.value = value
    }
}

/// What one runtime showed for one lab or manifest.
public struct RuntimeObservations: Codable, Sendable {
    /// `podlab` or `containerd`.
    public var runtime: String
    public var values: [ObservedValue]

    public init(runtime: String, values: [ObservedValue]) {
        self.runtime = runtime
        self.values = values
    }
}

/// The comparison section of a side-by-side run: for every observation, the value on each
/// runtime and whether they agree. A difference listed in `documented` (observation name
/// fragment → `docs/FIDELITY.md #N` reason) is still shown as a difference, with its reason.
public struct RuntimeComparison: Codable, Sendable {
    public struct Row: Codable, Sendable, Equatable {
        public var observation: String
        /// One value per runtime, in `runtimes` order; nil: not observed on that runtime.
        public var values: [String?]
        public var agree: Bool
        /// Why the runtimes differ here, when the difference is known (`docs/FIDELITY.md #N`).
        public var reason: String?
    }

    /// The lab or manifest compared.
    public var subject: String
    public var runtimes: [String]
    public var rows: [Row]

    /// Rows whose values differ.
    public var disagreements: [Row] { rows.filter { !$0.agree } }
    /// Differences with no documented reason: fidelity bugs to fix.
    public var unexplained: [Row] { rows.filter { !$0.agree && $0.reason == nil } }

    /// Lines up the observations of each runtime (in first-seen order).
    /// - Parameter reasons: observation name fragment → why the runtimes differ there.
    public init(subject: String, observations: [RuntimeObservations], reasons: [(fragment: String, reason: String)] = []) {
        self.subject = subject
        runtimes = observations.map(\.runtime)
        var order: [String] = []
        var seen = Set<String>()
        for set in observations {
            for value in set.values where seen.insert(value.observation).inserted { order.append(value.observation) }
        }
        rows = order.map { name in
            let values = observations.map { set in set.values.first { $0.observation == name }?.value }
            let agree = Set(values.map { $0 ?? "\u{0}absent" }).count <= 1
            let reason = agree ? nil : reasons.first { name.contains($0.fragment) }?.reason
            return Row(observation: name, values: values, agree: agree, reason: reason)
        }
    }
}

/// Renders comparisons as Markdown (GitHub-flavoured tables plus `<details>` diffs) and JSON.
public enum RuntimeComparisonReport {
    /// Values longer than this (or with several lines) are summarised in the table and shown in full below it.
    static let cellLimit = 120

    /// One comparison as a Markdown section at `level` (2: `## …`).
    public static func markdown(_ comparison: RuntimeComparison, level: Int = 2) -> String {
        let hashes = String(repeating: "#", count: max(1, min(6, level)))
        var out = "\(hashes) Runtime comparison: \(comparison.subject)\n\n"
        let differ = comparison.disagreements.count
        out += "\(comparison.rows.count) observations, \(comparison.rows.count - differ) agree, \(differ) differ"
        out += " (\(comparison.unexplained.count) without a documented reason).\n\n"
        out += "| Observation | " + comparison.runtimes.joined(separator: " | ") + " | |\n"
        out += "|---|" + comparison.runtimes.map { _ in "---" }.joined(separator: "|") + "|---|\n"
        for row in comparison.rows {
            let cells = row.values.map { value -> String in
                guard let value else { return "—" }
                if value.isEmpty { return "(empty)" }
                if value.contains("\n") || value.count > cellLimit {
                    let lines = value.split(separator: "\n", omittingEmptySubsequences: false).count
                    return lines > 1 ? "\(lines) lines" : "`" + cell(String(value.prefix(cellLimit))) + "…`"
                }
                return "`" + cell(value) + "`"
            }
            let verdict = row.agree ? "✅ agree" : (row.reason.map { "⚠️ differs: " + cell($0) } ?? "❌ differs")
            out += "| " + cell(row.observation) + " | " + cells.joined(separator: " | ") + " | " + verdict + " |\n"
        }
        let long = comparison.disagreements.filter { row in row.values.contains { ($0?.contains("\n") ?? false) || ($0?.count ?? 0) > cellLimit } }
        for row in long {
            out += "\n<details><summary>" + html(row.observation) + ": what differs</summary>\n\n"
            out += fenced("diff", diff(row.values, runtimes: comparison.runtimes)) + "\n</details>\n"
        }
        return out
    }

    /// Every comparison of a run plus the count of disagreements.
    public static func markdown(_ comparisons: [RuntimeComparison]) -> String {
        var out = "## Runtime comparison\n\n"
        let total = comparisons.reduce(0) { $0 + $1.disagreements.count }
        let unexplained = comparisons.reduce(0) { $0 + $1.unexplained.count }
        out += "\(comparisons.count) compared, \(total) disagreements, \(unexplained) without a documented reason"
        out += " (reasons: docs/FIDELITY.md section Y).\n\n"
        for comparison in comparisons { out += markdown(comparison, level: 3) + "\n" }
        return out
    }

    /// The lines only one runtime shows, `-` for the first runtime, `+` for the second (more
    /// runtimes: each value in full under its name).
    public static func diff(_ values: [String?], runtimes: [String]) -> String {
        let lines = values.map { ($0 ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        guard lines.count == 2 else {
            return zip(runtimes, lines).map { "# \($0)\n" + $1.joined(separator: "\n") }.joined(separator: "\n")
        }
        let first = Set(lines[0]), second = Set(lines[1])
        var out = ["--- \(runtimes[0])", "+++ \(runtimes[1])"]
        out += lines[0].filter { !second.contains($0) }.map { "-" + $0 }
        out += lines[1].filter { !first.contains($0) }.map { "+" + $0 }
        if out.count == 2 { out.append(" (same lines, in another order)") }
        return out.joined(separator: "\n")
    }

    /// JSON of the comparisons: `{"comparisons": [...], "disagreements": N, "unexplained": N}`.
    public static func json(_ comparisons: [RuntimeComparison]) throws -> String {
        struct Document: Encodable {
            var comparisons: [RuntimeComparison]
            var disagreements: Int
            var unexplained: Int
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(comparisons: comparisons, disagreements: comparisons.reduce(0) { $0 + $1.disagreements.count },
                                unexplained: comparisons.reduce(0) { $0 + $1.unexplained.count })
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    /// A table cell as inline code (no `|`, newline or backtick).
    static func cell(_ text: String) -> String { MarkdownText.code(text) }

    static func html(_ text: String) -> String { MarkdownText.html(text) }

    /// A fenced block through the report's own fence rule (`MarkdownBuffer.fence`).
    static func fenced(_ info: String, _ body: String) -> String {
        var buffer = MarkdownBuffer(base: 1)
        buffer.fencedBlock(info, body)
        return buffer.text
    }
}

/// Writes a side-by-side run's report: the usual files of `ReportWriter`, with the comparison
/// section appended to the suite Markdown (`<name>.md`) and added to the suite JSON as
/// `comparison` (the JUnit and TAP files carry each lab once per runtime).
public struct ComparisonReportWriter: Sendable {
    public var writer: ReportWriter

    public init(writer: ReportWriter) { self.writer = writer }

    /// - Returns: the paths written, suite Markdown first.
    @discardableResult
    public func write(_ report: Report, comparisons: [RuntimeComparison]) throws -> [String] {
        let files = try writer.write(report)
        let directory = writer.directory as NSString
        let markdown = directory.appendingPathComponent("\(writer.name).md")
        try append(RuntimeComparisonReport.markdown(comparisons), to: markdown)
        if writer.formats.contains(.json) {
            let path = directory.appendingPathComponent("\(writer.name).json")
            guard let data = FileManager.default.contents(atPath: path),
                  var suite = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let comparison = try JSONSerialization.jsonObject(with: Data(try RuntimeComparisonReport.json(comparisons).utf8)) as? [String: Any]
            else {
                throw PodlabError(.invalidState, "read(\(path)): the suite JSON just written is not a JSON object")
            }
            suite["comparison"] = comparison
            let merged = try JSONSerialization.data(withJSONObject: suite, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try save(merged + Data("\n".utf8), to: path)
        }
        return files
    }

    private func append(_ text: String, to path: String) throws {
        guard let existing = FileManager.default.contents(atPath: path) else {
            throw PodlabError(.invalidState, "read(\(path)): the suite Markdown just written is missing")
        }
        try save(existing + Data(("\n" + text).utf8), to: path)
    }

    private func save(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PodlabError(.invalidArgument, "write(\(path)): cannot write the report: \(error.localizedDescription)")
        }
    }
}
