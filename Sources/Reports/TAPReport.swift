import Foundation
import PodlabCore

/// Renders the report as TAP version 13, bats-core style: one test point per step
/// (`ok 1 pause-persistence/01 create-pod`), `# SKIP` for steps that did not run, and a YAML
/// diagnostic block (`---` … `...`, indented two spaces) with the failure: `message`,
/// `severity: fail`, `at` (the failing operation's `file:line:column`) and, for a failed
/// `check:`, `expected`/`actual` as YAML block scalars (the keys node-tap and tap-parser
/// consumers read as "wanted"/"found"; TAP 13 leaves the keys to the producer).
public enum TAPReport {
    public static func render(_ report: Report) -> String {
        let points = report.labs.flatMap { lab in lab.steps.map { (lab, $0) } }
        var out = "TAP version 13\n1..\(points.count)\n"
        for (number, (lab, step)) in points.enumerated() {
            let description = "\(lab.name)/\(step.displayName)".replacingOccurrences(of: "#", with: "\\#")
            if let reason = step.skipReason {
                out += "ok \(number + 1) \(description) # SKIP \(reason)\n"
                continue
            }
            out += "\(step.failed ? "not ok" : "ok") \(number + 1) \(description)\n"
            out += "  ---\n  duration_ms: \(Int((step.duration * 1000).rounded()))\n"
            if step.failed {
                out += "  message: |\n"
                for operation in step.operations where operation.failed {
                    let text = "\(operation.phase.rawValue) \(operation.verb) at \(operation.location): \(operation.error ?? "")"
                    for line in text.split(separator: "\n", omittingEmptySubsequences: false) { out += "    \(line)\n" }
                }
                out += "  severity: fail\n"
                if let failing = step.operations.first(where: \.failed) {
                    out += "  at: \(yamlScalar(failing.check?.location ?? failing.location))\n"
                    out += "  operation: \(yamlScalar("\(failing.phase.rawValue) \(failing.verb)"))\n"
                    if let check = failing.check {
                        out += "  check: \(yamlScalar("\(check.field) \(check.kind)"))\n"
                        out += block("expected", check.expected)
                        out += block("actual", check.actual)
                    }
                }
            }
            out += "  ...\n"
        }
        return out
    }

    /// A YAML literal block scalar (`key: |2-`, the indent given so a value starting with spaces keeps them), so any text (quotes, colons, newlines) is kept
    /// exactly; `|-` drops only the final newline.
    private static func block(_ key: String, _ text: String) -> String {
        var out = "  \(key): |2-\n"
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { out += "    \(line)\n" }
        return out
    }

    /// A double-quoted YAML scalar.
    private static func yamlScalar(_ text: String) -> String {
        TextEscaping.doubleQuoted(text) { "\\x" + TextEscaping.hexByte($0, uppercase: true) }
    }
}
