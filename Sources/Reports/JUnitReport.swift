import Foundation

/// Renders the report as flat JUnit XML: `<testsuites>` → one `<testsuite>` per lab → one
/// `<testcase>` per step. Nested suites (kuttl's step granularity) break GitLab and many other
/// parsers, so the tree stays two levels deep. `classname` is the lab name, which GitLab shows
/// as the suite and Jenkins groups by (chainsaw #2007). A failing step carries
/// `<failure message="…">` with the failing check; commands and output go in `<system-out>`,
/// the only place GitLab reads them.
public enum JUnitReport {
    public static func render(_ report: Report) -> String {
        let cases = report.labs.flatMap(\.steps)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"\(attr(report.name))\" tests=\"\(cases.count)\" failures=\"\(cases.filter(\.failed).count)\" skipped=\"\(cases.filter(\.skipped).count)\" time=\"\(DurationText.seconds(report.duration))\">\n"
        for lab in report.labs {
            xml += "  <testsuite name=\"\(attr(lab.name))\" tests=\"\(lab.steps.count)\" failures=\"\(lab.steps.filter(\.failed).count)\" errors=\"0\" skipped=\"\(lab.steps.filter(\.skipped).count)\" time=\"\(DurationText.seconds(lab.duration))\" timestamp=\"\(ISO8601DateFormatter().string(from: lab.startTime))\" file=\"\(attr(lab.file))\">\n"
            for step in lab.steps {
                xml += "    <testcase classname=\"\(attr(lab.name))\" name=\"\(attr(step.displayName))\" file=\"\(attr(lab.file))\" time=\"\(DurationText.seconds(step.skipped ? 0 : step.duration))\""
                let output = systemOut(step)
                if !step.failed && !step.skipped && output.isEmpty {
                    xml += "/>\n"
                    continue
                }
                xml += ">\n"
                if let reason = step.skipReason {
                    xml += "      <skipped message=\"\(attr(reason))\"/>\n"
                }
                if let failing = step.operations.first(where: \.failed) {
                    let message = "\(failing.verb) at \(failing.location): \(failing.error ?? "")"
                    var details = step.operations.filter(\.failed).map { "\($0.phase.rawValue) \($0.verb) (\($0.location)): \($0.error ?? "")" }
                    if let check = failing.check {
                        details.append("expected (\(check.field) \(check.kind)): \(check.expected)\nactual: \(check.actual)\nat: \(check.location)")
                    }
                    // The catch block's evidence (container list, logs) belongs with the failure:
                    // some CI pages show only <failure>, GitLab only <system-out>; it goes in both.
                    details += step.operations.filter { $0.phase == .catch }.map(EvidenceText.evidence).filter { !$0.isEmpty }
                    xml += "      <failure message=\"\(attr(message))\" type=\"\(attr(failing.verb))\">\(XMLText.escape(details.joined(separator: "\n")))</failure>\n"
                }
                if !output.isEmpty {
                    xml += "      <system-out>\(XMLText.escape(output))</system-out>\n"
                }
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        xml += "</testsuites>\n"
        return xml
    }

    private static func systemOut(_ step: StepReport) -> String {
        var text = ""
        for operation in step.operations {
            // A catch block's observations (the container list) are evidence too.
            if operation.phase == .catch {
                let observed = EvidenceText.observations(operation)
                if !observed.isEmpty { text += "=== CATCH \(operation.verb) (\(operation.location))\n\(observed)\n" }
            }
            text += EvidenceText.commands(operation)
        }
        return text
    }

    /// Attribute values additionally lose raw newlines (parsers normalise them to spaces anyway).
    private static func attr(_ text: String) -> String {
        XMLText.escape(text).replacingOccurrences(of: "\n", with: "&#10;")
    }
}
