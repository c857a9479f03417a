import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LabKit
import Reports
import Testing

/// The suite API and the report writers, end to end against the fake backend.
struct SuiteAndReportTests {
    static let passingLab = labHeader("good") + """
      - name: check-ip
        try:
        - podIP: {}
          check: {ip: 10.88.0.5}
        - namespaces:
            expect: {shared: [net, ipc, uts]}
        - processTree: {}
    """

    static let wrongExpectationLab = labHeader("bad") + """
      - name: ip-survived
        try:
        - podIP: {}
          check: {ip: "10.88.0.99"}
      - name: never-runs
        try:
        - podIP: {}
    """

    func runSuite(_ labs: [(String, String)], options: LabSuiteOptions = LabSuiteOptions(), in directory: String) throws -> (LabSuiteResult, [FakeLabBackend]) {
        let parsed = try labs.map { try writeLab($0.1, name: $0.0, in: directory).lab }
        var backends: [FakeLabBackend] = []
        let lock = NSLock()
        let suite = LabSuite(labs: parsed, options: options) {
            let backend = FakeLabBackend()
            lock.lock()
            backends.append(backend)
            lock.unlock()
            return backend
        }
        return (try suite.run(), backends)
    }

    @Test func wrongExpectationFailsTheSuiteWithTheCheckInTheMarkdown() throws {
        try withTemporaryDirectory { directory in
            var options = LabSuiteOptions()
            options.reportDirectory = directory + "/reports"
            options.formats = [.json, .junit, .tap]
            let (result, backends) = try runSuite([("good", Self.passingLab), ("bad", Self.wrongExpectationLab)], options: options, in: directory)
            #expect(result.exitCode == 1)
            #expect(backends.count == 2)
            #expect(backends.allSatisfy { $0.deleted.count == 1 }, "every lab's pod is deleted, failed or not")

            let markdown = try String(contentsOfFile: directory + "/reports/bad.md", encoding: .utf8)
            let firstLine = markdown.split(separator: "\n").first.map(String.init) ?? ""
            #expect(firstLine.hasPrefix("# ❌ bad: failed (1/3 steps, "))
            #expect(markdown.contains("check ip equals \"10.88.0.99\" failed: got \"10.88.0.5\""))
            #expect(markdown.contains("| 3 | never-runs | ⏭️ skipped"))

            let good = try String(contentsOfFile: directory + "/reports/good.md", encoding: .utf8)
            #expect(good.hasPrefix("# ✅ good: passed (2/2 steps, "))
            #expect(good.contains("| pause | 100 |"))
            #expect(good.contains("✔ 4026532500"))
            #expect(good.contains("```mermaid"))
            #expect(good.contains("└── sh(101)"))

            let suite = try String(contentsOfFile: directory + "/reports/podlab-report.md", encoding: .utf8)
            #expect(suite.hasPrefix("# ❌ podlab-report: 1 of 2 labs failed"))

            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/reports/podlab-report.json"))) as? [String: Any]
            #expect(json?["status"] as? String == "failed")
            let labs = json?["labs"] as? [[String: Any]]
            #expect(labs?.map { $0["status"] as? String } == ["passed", "failed"])
        }
    }

    @Test func junitIsFlatValidXMLWithASuitePerLabAndACasePerStep() throws {
        try withTemporaryDirectory { directory in
            let (result, _) = try runSuite([("good", Self.passingLab), ("bad", Self.wrongExpectationLab)], in: directory)
            let xml = JUnitReport.render(result.report)
            #if canImport(FoundationXML) || os(macOS)
            let document = try XMLDocument(xmlString: xml, options: [])
            let root = try #require(document.rootElement())
            #expect(root.name == "testsuites")
            let suites = root.elements(forName: "testsuite")
            #expect(suites.map { $0.attribute(forName: "name")?.stringValue } == ["good", "bad"])
            let badCases = suites[1].elements(forName: "testcase")
            #expect(badCases.map { $0.attribute(forName: "name")?.stringValue } == ["01 create", "02 ip-survived", "03 never-runs", "@cleanup"])
            #expect(suites[1].attribute(forName: "failures")?.stringValue == "1")
            let failure = try #require(badCases[1].elements(forName: "failure").first)
            #expect(failure.attribute(forName: "message")?.stringValue?.contains("check ip equals \"10.88.0.99\"") == true)
            #expect(badCases[2].elements(forName: "skipped").count == 1)
            #expect(suites.allSatisfy { $0.elements(forName: "testsuite").isEmpty }, "no nested suites")
            #else
            #expect(xml.contains("<testsuite name=\"bad\""))
            #endif
        }
    }

    @Test func junitEscapesMarkupAndControlCharacters() throws {
        let now = Date()
        let operation = OperationReport(verb: "exec", summary: "x", phase: .try, location: "a.lab.yaml:1:1", startTime: now, endTime: now,
                                        commands: [CommandRecord(target: "app", command: "echo '<&>\"'", exitCode: 1, stdout: "\u{1B}[31mred\u{1B}[0m <b>", stderr: "")],
                                        error: "got \"<tag> & more\"")
        let lab = LabReport(name: "a&b", title: "", file: "a.lab.yaml", namespace: "n", startTime: now, endTime: now,
                            steps: [StepReport(index: 1, name: "s<1>", startTime: now, endTime: now, operations: [operation])])
        let xml = JUnitReport.render(Report(name: "r", startTime: now, endTime: now, labs: [lab]))
        #expect(!xml.contains("\u{1B}"))
        #expect(xml.contains("name=\"a&amp;b\""))
        #expect(xml.contains("\\u{1B}[31mred"))
        #if canImport(FoundationXML) || os(macOS)
        let document = try XMLDocument(xmlString: xml, options: [])
        let testcase = document.rootElement()?.elements(forName: "testsuite").first?.elements(forName: "testcase").first
        #expect(testcase?.attribute(forName: "name")?.stringValue == "01 s<1>")
        #endif
    }

    @Test func tapHasThePlanAndNotOkForFailures() throws {
        try withTemporaryDirectory { directory in
            let (result, _) = try runSuite([("good", Self.passingLab), ("bad", Self.wrongExpectationLab)], in: directory)
            let lines = TAPReport.render(result.report).split(separator: "\n").map(String.init)
            #expect(lines[0] == "TAP version 13")
            #expect(lines[1] == "1..7")
            #expect(lines.contains("ok 1 good/01 create"))
            #expect(lines.contains("not ok 5 bad/02 ip-survived"))
            #expect(lines.contains("ok 6 bad/03 never-runs # SKIP step 02 ip-survived failed"))
            #expect(lines.contains { $0.contains("check ip equals \"10.88.0.99\" failed") })
            #expect(lines.filter { $0.hasPrefix("ok ") || $0.hasPrefix("not ok ") }.count == 7)
        }
    }

    @Test func failFastSkipsLabsAfterTheFirstFailure() throws {
        try withTemporaryDirectory { directory in
            var options = LabSuiteOptions()
            options.failFast = true
            let (result, backends) = try runSuite([("bad", Self.wrongExpectationLab), ("good", Self.passingLab)], options: options, in: directory)
            #expect(result.exitCode == 1)
            #expect(backends.count == 1)
            #expect(result.report.labs[1].labSteps.allSatisfy { $0.skipReason?.contains("--fail-fast") == true })
        }
    }

    /// A lab `--fail-fast` never started is "not run" in every output, never "passed".
    @Test func failFastLabsThatNeverRanAreNotRunEverywhere() throws {
        try withTemporaryDirectory { directory in
            var options = LabSuiteOptions()
            options.failFast = true
            options.reportDirectory = directory + "/reports"
            options.formats = [.json, .junit, .tap]
            var console = ""
            let log = ConsoleLog(color: false, quiet: false) { console += $0 }
            let parsed = try [("bad", Self.wrongExpectationLab), ("good", Self.passingLab)].map { try writeLab($0.1, name: $0.0, in: directory).lab }
            let suite = LabSuite(labs: parsed, options: options, observer: log) { FakeLabBackend() }
            let result = try suite.run()
            log.summary(result.report, files: result.files)
            let good = result.report.labs[1]
            #expect(good.notRun && !good.failed)
            #expect(!result.report.labs[0].notRun)

            // Terminal: the lab line and the summary.
            #expect(console.contains("--- SKIP: good (0.00s)\n    not run: --fail-fast: an earlier lab failed"), "\(console)")
            #expect(!console.contains("PASS  good"), "\(console)")
            #expect(console.contains("  SKIP  good"))
            #expect(console.contains("- Passed labs 0\n- Failed labs 1\n- Not run labs 1"), "\(console)")

            // Markdown: suite table, suite headline, the lab's own file.
            let suiteMarkdown = try String(contentsOfFile: directory + "/reports/podlab-report.md", encoding: .utf8)
            #expect(suiteMarkdown.hasPrefix("# ❌ podlab-report: 1 of 2 labs failed, 1 not run"), "\(suiteMarkdown.prefix(80))")
            #expect(suiteMarkdown.contains("| good | ⏭️ not run | 0/2 |"))
            #expect(!suiteMarkdown.contains("| good | ✅"))
            let goodMarkdown = try String(contentsOfFile: directory + "/reports/good.md", encoding: .utf8)
            #expect(goodMarkdown.hasPrefix("# ⏭️ good: not run (--fail-fast: an earlier lab failed)"), "\(goodMarkdown.prefix(80))")

            // JSON: the lab is skipped, with the reason; its steps too.
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/reports/podlab-report.json"))) as? [String: Any]
            let labs = try #require(json?["labs"] as? [[String: Any]])
            #expect(labs.map { $0["status"] as? String } == ["failed", "skipped"])
            #expect(labs[1]["skipReason"] as? String == "--fail-fast: an earlier lab failed")
            #expect((labs[1]["steps"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "skipped" } == true)

            // TAP: every step of the lab is `ok … # SKIP`.
            let tap = try String(contentsOfFile: directory + "/reports/podlab-report.tap", encoding: .utf8)
            let goodPoints = tap.split(separator: "\n").filter { $0.contains(" good/") }
            #expect(goodPoints.count == 2)
            #expect(goodPoints.allSatisfy { $0.hasPrefix("ok ") && $0.hasSuffix("# SKIP --fail-fast: an earlier lab failed") })

            // JUnit: every case of the lab is skipped, none failed.
            let junit = try String(contentsOfFile: directory + "/reports/podlab-report.xml", encoding: .utf8)
            #expect(junit.contains("<testsuite name=\"good\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"2\""))
        }
    }

    @Test func parallelLabsGetDistinctNamespacesAndBackends() throws {
        try withTemporaryDirectory { directory in
            var options = LabSuiteOptions()
            options.parallel = 3
            let labs = (1...3).map { ("lab\($0)", Self.passingLab.replacingOccurrences(of: "name: good", with: "name: lab\($0)")) }
            let (result, backends) = try runSuite(labs, options: options, in: directory)
            #expect(result.exitCode == 0)
            let namespaces = backends.flatMap { $0.applied.map(\.namespace) }
            #expect(Set(namespaces).count == 3)
            #expect(result.report.labs.map(\.name) == ["lab1", "lab2", "lab3"])
        }
    }

    @Test func stepSummaryIsAppended() throws {
        try withTemporaryDirectory { directory in
            let summary = directory + "/summary.md"
            try "existing\n".write(toFile: summary, atomically: true, encoding: .utf8)
            var options = LabSuiteOptions()
            options.stepSummaryPath = summary
            _ = try runSuite([("good", Self.passingLab)], options: options, in: directory)
            let text = try String(contentsOfFile: summary, encoding: .utf8)
            #expect(text.hasPrefix("existing\n# ✅ podlab-report: 1/1 labs passed"))
        }
    }

    @Test func shardsPartitionTheLabs() throws {
        try withTemporaryDirectory { directory in
            let labs = try (1...5).map { index in
                try writeLab(Self.passingLab.replacingOccurrences(of: "name: good", with: "name: l\(index)"), name: "l\(index)", in: directory).lab
            }
            let shards = (1...2).map { LabCatalog.shard(labs, index: $0, count: 2).map(\.name) }
            #expect(shards == [["l1", "l3", "l5"], ["l2", "l4"]])
            #expect(throws: (any Error).self) { try LabCatalog.parseShard("3/2") }
        }
    }
}
