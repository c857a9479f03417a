import Foundation

/// Renders the report as TAP version 13, bats-core style: one test point per step
/// (`ok 1 pause-persistence/01 create-pod`), `# SKIP` for steps that did not run, and a YAML
/// diagnostic block (`---` … `...`, indented two spaces) with the failure message.
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
            }
            out += "  ...\n"
        }
        return out
    }
}
