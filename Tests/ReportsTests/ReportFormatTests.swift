import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reports
import Testing

/// The Reports module on its own: a report model rendered as TAP, JUnit XML (parsed back with
/// Foundation's XMLParser, as CI would read it) and JSON, and the text helpers they share.
@Suite struct ReportFormatTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    /// A lab with a passing step, a failing one (its error holds XML markup and an ESC from a
    /// coloured tool) and a skipped one.
    static var report: Report {
        let ok = StepReport(index: 1, name: "create-pod", startTime: start, endTime: start.addingTimeInterval(0.25), operations: [
            OperationReport(verb: "apply", summary: "apply pod.yaml", phase: .try, location: "lab.yaml:5:7",
                            startTime: start, endTime: start.addingTimeInterval(0.25)),
        ])
        let failing = StepReport(index: 2, name: "kill-app", startTime: start.addingTimeInterval(1), endTime: start.addingTimeInterval(3),
                                 operations: [
            OperationReport(verb: "wait", summary: "wait for restart", phase: .try, location: "lab.yaml:12:7",
                            startTime: start.addingTimeInterval(1), endTime: start.addingTimeInterval(3),
                            commands: [CommandRecord(target: "host", command: "true", exitCode: 0, stdout: "\u{1B}[31mred\u{1B}[0m", stderr: "")],
                            error: "expected <restartCount> == 1 & got 0"),
        ])
        let skipped = StepReport(index: 3, name: "look", skipReason: "step 02 failed", startTime: start, endTime: start, operations: [])
        let lab = LabReport(name: "pause-persistence", title: "Pause", file: "Labs/pause.lab.yaml", namespace: "ns1",
                            startTime: start, endTime: start.addingTimeInterval(3), steps: [ok, failing, skipped])
        return Report(name: "suite", startTime: start, endTime: start.addingTimeInterval(3), labs: [lab])
    }

    @Test("failure is derived from the operations: one failing operation fails its step, lab and report")
    func derivedFailure() {
        let report = Self.report
        #expect(report.failed)
        #expect(report.failedLabs.map(\.name) == ["pause-persistence"])
        #expect(report.labs[0].passedStepCount == 1)
        #expect(report.labs[0].firstFailure?.step.name == "kill-app")
        #expect(!report.labs[0].notRun)
    }

    @Test("TAP: a plan line, ok / not ok / # SKIP per step, and the failure message in the YAML block")
    func tap() {
        let lines = TAPReport.render(Self.report).split(separator: "\n").map(String.init)
        #expect(lines[0] == "TAP version 13")
        #expect(lines[1] == "1..3")
        #expect(lines.contains("ok 1 pause-persistence/01 create-pod"))
        #expect(lines.contains("not ok 2 pause-persistence/02 kill-app"))
        #expect(lines.contains("ok 3 pause-persistence/03 look # SKIP step 02 failed"))
        #expect(lines.contains("  duration_ms: 2000"))
        #expect(lines.contains("    try wait at lab.yaml:12:7: expected <restartCount> == 1 & got 0"))
    }

    @Test("JUnit: well-formed XML (parsed back) with the counts, the failure message and no raw control character")
    func junit() throws {
        let xml = JUnitReport.render(Self.report)
        #expect(!xml.unicodeScalars.contains { $0.value == 0x1B }, "ESC is not allowed in XML 1.0")
        let collector = ElementCollector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        let suites = try #require(collector.elements.first { $0.name == "testsuites" })
        #expect(suites.attributes["tests"] == "3")
        #expect(suites.attributes["failures"] == "1")
        #expect(suites.attributes["skipped"] == "1")
        #expect(suites.attributes["time"] == "3.000")
        let failure = try #require(collector.elements.first { $0.name == "failure" })
        #expect(failure.attributes["message"] == "wait at lab.yaml:12:7: expected <restartCount> == 1 & got 0")
        #expect(collector.elements.filter { $0.name == "testcase" }.map { $0.attributes["name"] ?? "" }
            == ["01 create-pod", "02 kill-app", "03 look"])
    }

    @Test("JSON: the report decodes back to the same facts")
    func jsonRoundTrip() throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let decoded = try decoder.decode(Report.self, from: try encoder.encode(Self.report))
        #expect(decoded.labs[0].steps.map(\.displayName) == ["01 create-pod", "02 kill-app", "03 look"])
        #expect(decoded.labs[0].steps[1].operations[0].error == "expected <restartCount> == 1 & got 0")
        #expect(decoded.failed)
    }

    @Test("Markdown: command output's control characters are shown as control pictures, never written raw")
    func markdownControlCharacters() {
        var report = Self.report
        report.labs[0].steps[1].operations[0].commands[0].stdout = "sleep\u{0}3600\u{0}\n\u{1B}[31mred\u{1B}[0m"
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("sleep␀3600␀"), "\(markdown)")
        #expect(markdown.contains("␛[31mred␛[0m"), "\(markdown)")
        #expect(!markdown.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" || $0.value == 0x7F })
    }

    @Test("XMLText escapes markup, keeps tab/newline, and writes other control characters and U+FFFE as text")
    func xmlEscape() {
        #expect(XMLText.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;")
        #expect(XMLText.escape("a\tb\nc\r") == "a\tb\nc\r")
        #expect(XMLText.escape("\u{1B}[0m\u{0}") == "\\u{1B}[0m\\u{0}")
        #expect(XMLText.escape("\u{FFFE}é") == "\\u{FFFE}é")
    }

    @Test("DurationText: two decimals below 10 s, one below a minute, then minutes; never negative",
          arguments: [(0.234, "0.23 s"), (9.994, "9.99 s"), (12.34, "12.3 s"), (65.0, "1 min 05 s"), (-1.0, "0.00 s")])
    func durations(seconds: Double, text: String) {
        #expect(DurationText.format(seconds) == text)
    }
}

/// Records every element with its attributes, in document order.
final class ElementCollector: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
    }
    var elements: [Element] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: elementName, attributes: attributes))
    }
}
