import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LabKit
import Reports
import Testing

/// Issue 15 §1 leftovers: failures show their evidence in every report, the console's
/// go-looking lines are go test's exact format, and lab namespaces are short.
@Suite(.serialized)
struct FailureEvidenceTests {
    /// A check that fails, and a catch block that lists the containers and prints logs.
    static let failingLab = labHeader("evidence") + """
      - name: ip-survived
        try:
        - podIP: {}
          check: {ip: "10.88.0.99"}
        catch:
        - containers: {}
        - script: {content: 'echo "app log: listening on :8080"; echo "stderr line" >&2'}
    """

    func runFailingLab(in directory: String, console: inout String) throws -> LabSuiteResult {
        var options = LabSuiteOptions()
        options.reportDirectory = directory + "/reports"
        options.formats = [.json, .junit, .tap]
        var lines = ""
        let log = ConsoleLog(color: false, quiet: false) { lines += $0 }
        let lab = try writeLab(Self.failingLab, name: "evidence", in: directory).lab
        let result = try LabSuite(labs: [lab], options: options, observer: log) { FakeLabBackend() }.run()
        console = lines
        return result
    }

    @Test func catchOutputIsInTheTerminalAndJUnit() throws {
        try withTemporaryDirectory { directory in
            var console = ""
            let result = try runFailingLab(in: directory, console: &console)
            #expect(result.exitCode == 1)
            // Terminal: the container list and the script's output, not only the failed check.
            #expect(console.contains("app log: listening on :8080"), "\(console)")
            #expect(console.contains("stderr line"))
            #expect(console.contains("pause"), "the catch block's container list: \(console)")

            let junit = try String(contentsOfFile: directory + "/reports/podlab-report.xml", encoding: .utf8)
            let document = try XMLDocument(xmlString: junit, options: [])
            let failing = try #require(try document.nodes(forXPath: "//testcase[@name='02 ip-survived']").first as? XMLElement)
            let failure = try #require(failing.elements(forName: "failure").first?.stringValue)
            let systemOut = try #require(failing.elements(forName: "system-out").first?.stringValue)
            for text in [failure, systemOut] {
                #expect(text.contains("app log: listening on :8080"), "\(text)")
                #expect(text.contains("pause"), "the container list: \(text)")
            }
            #expect(failure.contains("expected (ip equals): 10.88.0.99\nactual: 10.88.0.5"), "\(failure)")
        }
    }

    @Test func jsonAndTapFailuresAreStructured() throws {
        try withTemporaryDirectory { directory in
            var console = ""
            _ = try runFailingLab(in: directory, console: &console)
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/reports/podlab-report.json"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let steps = try #require((json["labs"] as? [[String: Any]])?.first?["steps"] as? [[String: Any]])
            let operations = try #require(steps.first { $0["name"] as? String == "ip-survived" }?["operations"] as? [[String: Any]])
            let failure = try #require(operations.first?["failure"] as? [String: Any])
            #expect(failure["expected"] as? String == "10.88.0.99")
            #expect(failure["actual"] as? String == "10.88.0.5")
            #expect(failure["check"] as? String == "ip equals")
            let location = try #require(failure["location"] as? String)
            #expect(location.hasPrefix(directory + "/evidence.lab.yaml:") && location.split(separator: ":").count == 3, "\(location)")
            #expect((failure["error"] as? String)?.contains("failed: got \"10.88.0.5\"") == true)

            // TAP: the YAML block parses (PyYAML) and carries the same fields.
            let tapPath = directory + "/reports/podlab-report.tap"
            let script = """
                import sys, yaml, json
                text = open(sys.argv[1]).read().split("\\n")
                start = next(i for i, l in enumerate(text) if l.startswith("not ok"))
                block = []
                for line in text[start + 2:]:
                    if line == "  ...": break
                    block.append(line[2:])
                print(json.dumps(yaml.safe_load("\\n".join(block))))
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, tapPath]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "PyYAML could not read the TAP block")
            let diagnostic = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect(diagnostic["expected"] as? String == "10.88.0.99")
            #expect(diagnostic["actual"] as? String == "10.88.0.5")
            #expect(diagnostic["severity"] as? String == "fail")
            #expect(diagnostic["at"] as? String == location)
        }
    }

    @Test func failedStepsAreOpenInMarkdown() throws {
        try withTemporaryDirectory { directory in
            var console = ""
            _ = try runFailingLab(in: directory, console: &console)
            let markdown = try String(contentsOfFile: directory + "/reports/evidence.md", encoding: .utf8)
            #expect(markdown.contains("<details open><summary>02 ip-survived — failed"), "\(markdown)")
            #expect(markdown.contains("<details><summary>01 create — passed"))
        }
    }

    /// go-junit-report's status line regex (`parser/gotest`: `--- (PASS|FAIL|SKIP): (.+) \((\d+\.\d+)(?: ?seconds|s)\)`),
    /// and test2json's `=== RUN   ` marker (three spaces), the formats go test prints.
    @Test func goLookingLinesAreGoTestsFormat() throws {
        try withTemporaryDirectory { directory in
            var console = ""
            _ = try runFailingLab(in: directory, console: &console)
            let status = try NSRegularExpression(pattern: #"^(\s*)--- (PASS|FAIL|SKIP): (.+) \((\d+\.\d+)(?: ?seconds|s)\)$"#)
            let lines = console.split(separator: "\n").map(String.init)
            let goLooking = lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--- ") || $0.hasPrefix("=== ") }
            #expect(!goLooking.isEmpty)
            var parsed: [String: String] = [:]
            for line in goLooking {
                if line.hasPrefix("=== ") {
                    #expect(line.hasPrefix("=== RUN   ") && !line.dropFirst(10).contains(" "), "not go's RUN line: \(line)")
                    continue
                }
                let match = try #require(status.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), "go tools cannot parse: \(line)")
                let name = String(line[try #require(Range(match.range(at: 3), in: line))])
                let result = String(line[try #require(Range(match.range(at: 2), in: line))])
                #expect(!name.contains(" "), "go names have no spaces: \(name)")
                parsed[name] = result
            }
            #expect(parsed["evidence"] == "FAIL")
            #expect(parsed["evidence/01_create"] == "PASS")
            #expect(parsed["evidence/02_ip-survived"] == "FAIL")
            #expect(console.contains("    --- PASS: evidence/01_create ("))
            #expect(console.contains("--- FAIL: evidence ("))
        }
    }

    @Test func shellLineWrapKeepsQuotesTogether() {
        let lines = ShellLineWrap.wrap("echo 'a b c d e' \"f g h\" i j k l m n o p", prompt: "$ ", indent: "    ", width: 20)
        #expect(lines == ["$ echo 'a b c d e' \\", "    \"f g h\" i j k \\", "    l m n o p"], "\(lines)")
        // A quote left open (one line of a multi-line script) is never split.
        let open = "echo 'this string continues on the next line of the script and is long"
        #expect(ShellLineWrap.wrap(open, prompt: "$ ", indent: "    ", width: 20) == ["$ " + open])
        // A word longer than any line is cut with backslash-newlines, the pieces at column 0
        // (no space may enter the word); a quoted one stands alone, uncut.
        let long = String(repeating: "x", count: 40)
        let x = { (count: Int) in String(repeating: "x", count: count) }
        #expect(ShellLineWrap.wrap("ls \(long) y", prompt: "$ ", indent: "  ", width: 20) == ["$ ls \\", "  " + x(17) + "\\", x(19) + "\\", "xxxx y"])
        #expect(ShellLineWrap.wrap("ls '\(long)' y", prompt: "$ ", indent: "  ", width: 20) == ["$ ls \\", "  '\(long)' \\", "  y"])
        #expect(ShellLineWrap.wrap("echo hi", prompt: "$ ", indent: "    ", width: 80, margin: "  ") == ["  $ echo hi"])
        // A comment that does not fit goes above the command.
        #expect(ShellLineWrap.wrap("kill -9 4242    # the app container", prompt: "$ ", indent: "  ", width: 24)
                == ["# the app container", "$ kill -9 4242"])
        #expect(ShellLineWrap.wrap("kill -9 4242    # app", prompt: "$ ", indent: "  ", width: 80) == ["$ kill -9 4242 # app"])
    }

    @Test func labNamespacesAreShortAndUniquePerRun() throws {
        try withTemporaryDirectory { directory in
            let names = ["pause-persistence", "pause-process-tree", "sidecar-shared-logs", "memory-limits", "pp", "p-p"]
            let labs = try names.map { name in
                try writeLab(labHeader(name), name: name, in: directory).lab
            }
            var options = LabSuiteOptions()
            options.runID = "3fa9c1"
            let suite = LabSuite(labs: labs, options: options) { FakeLabBackend() }
            let namespaces = labs.map(suite.namespace(for:))
            #expect(Set(namespaces).count == labs.count, "\(namespaces)")
            #expect(namespaces[0].hasPrefix("pp-") && namespaces[0].count <= 10, "\(namespaces[0])")
            #expect(namespaces[2].hasPrefix("ssl-"))
            #expect(namespaces[4].hasPrefix("pp-") && namespaces[4] != namespaces[0], "same initials, another hash")
            for namespace in namespaces {
                #expect(namespace.count <= 16 && namespace.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(namespace)")
            }
            // Another run of the same lab gets another namespace.
            options.runID = "77aa01"
            #expect(LabSuite(labs: labs, options: options) { FakeLabBackend() }.namespace(for: labs[0]) != namespaces[0])
        }
    }
}
