import Foundation
import LabKit
import Testing

/// Bad lab files, each rejected with the exact file:line:column of the offending text.
struct BadLabCorpusTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// The lab, one line per element.
        var lines: [String]
        /// 1-based line of the problem and the text whose first character is the position.
        var line: Int
        var at: String
        var message: String
        var testDescription: String { name }
    }

    static let head = ["apiVersion: podlab.dev/v1alpha1", "kind: Lab", "metadata:", "  name: bad", "spec:"]

    static let cases: [Case] = [
        Case(name: "unknown field", lines: head + ["  steps:", "  - name: one", "    tyr:", "    - podIP: {}"],
             line: 8, at: "tyr", message: "unknown field \"tyr\" in Step (did you mean \"try\"?)"),
        Case(name: "wrong type", lines: head + ["  steps:", "  - name: one", "    try:", "    - podIP: {}", "      continueOnError: \"yes\""],
             line: 10, at: "\"yes\"", message: "expected a boolean"),
        Case(name: "missing try", lines: head + ["  steps:", "  - name: one", "    text: nothing to do"],
             line: 7, at: "name", message: "missing required field \"try\" in Step"),
        Case(name: "unknown verb", lines: head + ["  steps:", "  - name: one", "    try:", "    - podIPP: {}"],
             line: 9, at: "podIPP", message: "unknown field \"podIPP\" in Operation"),
        Case(name: "undefined binding", lines: head + ["  steps:", "  - name: one", "    try:", "    - exec: {command: [echo, $NOPE]}"],
             line: 9, at: "$NOPE", message: "undefined binding $NOPE"),
        Case(name: "binding used before it is saved", lines: head + ["  steps:", "  - name: one", "    try:",
                                                                      "    - exec: {command: [echo, $IP]}", "    - podIP: {}", "      outputs: {IP: ip}"],
             line: 9, at: "$IP", message: "undefined binding $IP"),
        Case(name: "bad regex", lines: head + ["  steps:", "  - name: one", "    try:", "    - podIP: {}", "      check: {ip: {matches: \"[a-\"}}"],
             line: 10, at: "\"[a-\"", message: "invalid regular expression"),
        Case(name: "bad duration", lines: head + ["  timeouts: {exec: 5 sec}", "  steps:", "  - name: one", "    try:", "    - podIP: {}"],
             line: 6, at: "5 sec", message: "invalid duration \"5 sec\""),
        Case(name: "check on a result the verb does not have", lines: head + ["  steps:", "  - name: one", "    try:", "    - podIP: {}", "      check: {stdout: x}"],
             line: 10, at: "stdout", message: "podIP has no result \"stdout\""),
        Case(name: "two verbs in one operation", lines: head + ["  steps:", "  - name: one", "    try:", "    - podIP: {}", "      sleep: {duration: 1s}"],
             line: 10, at: "sleep", message: "more than one verb"),
        Case(name: "no verb", lines: head + ["  steps:", "  - name: one", "    try:", "    - description: nothing"],
             line: 9, at: "description", message: "Operation has no verb"),
        Case(name: "reserved output name", lines: head + ["  steps:", "  - name: one", "    try:", "    - podIP: {}", "      outputs: {PODLAB_X: ip}"],
             line: 10, at: "PODLAB_X", message: "reserved for built-ins"),
        Case(name: "missing manifest", lines: head + ["  steps:", "  - name: one", "    try:", "    - apply: {file: nowhere.yaml}"],
             line: 9, at: "nowhere.yaml", message: "manifest file nowhere.yaml does not exist"),
        Case(name: "unknown signal", lines: head + ["  steps:", "  - name: one", "    try:", "    - kill: {signal: KILLL}"],
             line: 9, at: "KILLL", message: "unknown signal"),
        Case(name: "wrong apiVersion", lines: ["apiVersion: podlab.dev/v1", "kind: Lab", "metadata:", "  name: bad", "spec:", "  steps:", "  - name: one", "    try:", "    - podIP: {}"],
             line: 1, at: "podlab.dev/v1", message: "expected one of podlab.dev/v1alpha1"),
        Case(name: "name does not match the file", lines: ["apiVersion: podlab.dev/v1alpha1", "kind: Lab", "metadata:", "  name: other", "spec:", "  steps:", "  - name: one", "    try:", "    - podIP: {}"],
             line: 4, at: "other", message: "does not match the file name"),
        Case(name: "YAML syntax", lines: head + ["  steps:", "  - name: one", "    try: [podIP: {}"],
             line: 8, at: "", message: "not valid YAML"),
        // Durations: > 0, at most 24h, never a number that traps when it becomes an Int.
        Case(name: "sleep of 9999999999999999s", lines: head + ["  steps:", "  - name: one", "    try:", "    - sleep: {duration: 9999999999999999s}"],
             line: 9, at: "9999", message: "sleep.duration: duration \"9999999999999999s\" is longer than the maximum of 24h"),
        Case(name: "sleep with 400 digits (an infinite Double)", lines: head + ["  steps:", "  - name: one", "    try:", "    - sleep: {duration: \(String(repeating: "9", count: 400))h}"],
             line: 9, at: "999", message: "invalid duration"),
        Case(name: "zero sleep", lines: head + ["  steps:", "  - name: one", "    try:", "    - sleep: {duration: 0s}"],
             line: 9, at: "0s", message: "duration \"0s\" must be greater than 0"),
        Case(name: "lab timeout of 25h", lines: head + ["  timeouts: {exec: 25h}", "  steps:", "  - name: one", "    try:", "    - podIP: {}"],
             line: 6, at: "25h", message: "timeouts.exec: duration \"25h\" is longer than the maximum of 24h"),
        Case(name: "operation timeout too long", lines: head + ["  steps:", "  - name: one", "    try:", "    - podIP: {}", "      timeout: 1441m"],
             line: 10, at: "1441m", message: "duration \"1441m\" is longer than the maximum of 24h"),
        Case(name: "eventually interval 0ms", lines: head + ["  steps:", "  - name: one", "    try:", "    - podIP: {}", "      check: {ip: 10.0.0.1}",
                                                            "      eventually: {timeout: 5s, interval: 0ms}"],
             line: 11, at: "0ms", message: "eventually.interval: duration \"0ms\" must be greater than 0"),
        // Integers: Yams' own reading of `1:0:…` (sexagesimal) multiplies unchecked and traps.
        Case(name: "sexagesimal restartCount", lines: head + ["  steps:", "  - name: one", "    try:", "    - wait: {container: app, restartCount: 1:0:0:0:0:0:0:0:0:0:0:0}"],
             line: 9, at: "1:0", message: "wait.restartCount: \"1:0:0:0:0:0:0:0:0:0:0:0\" is not an integer podlab reads"),
        Case(name: "exitCode 256", lines: head + ["  steps:", "  - name: one", "    try:", "    - wait: {container: app, exitCode: 256}"],
             line: 9, at: "256", message: "wait.exitCode: 256 must be between 0 and 255, inclusive"),
        Case(name: "negative lastExitCode", lines: head + ["  steps:", "  - name: one", "    try:", "    - wait: {container: app, lastExitCode: -1}"],
             line: 9, at: "-1", message: "wait.lastExitCode: -1 must be between 0 and 255, inclusive"),
        Case(name: "exitCode beyond 64 bits", lines: head + ["  steps:", "  - name: one", "    try:", "    - wait: {container: app, exitCode: 99999999999999999999}"],
             line: 9, at: "999", message: "is not an integer podlab reads"),
        Case(name: "NUL in an exec argument", lines: head + ["  steps:", "  - name: one", "    try:", "    - exec: {command: [rm, \"-rf\\0 /tmp/x\"]}"],
             line: 9, at: "\"-rf", message: "exec.command[1]: must not contain a NUL byte"),
        // Manifests are linted too: what apply would refuse is a lint error.
        Case(name: "inline manifest with a ConfigMap key leaving the volume", lines: head + ["  steps:", "  - name: one", "    try:",
             "    - apply: {manifest: \"apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: cm}\\ndata: {x/../../tmp/pwned: a}\\n\"}"],
             line: 9, at: "\"apiVersion", message: "the manifest does not apply: inline manifest:4:8: data[x/../../tmp/pwned]: Invalid value: \"x/../../tmp/pwned\": a valid config key"),
    ]

    @Test(arguments: cases)
    func rejectedWithExactPosition(_ testCase: Case) throws {
        try withTemporaryDirectory { directory in
            let path = (directory as NSString).appendingPathComponent("bad.lab.yaml")
            try testCase.lines.joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
            try #require((1...testCase.lines.count).contains(testCase.line), "fixture error: no line \(testCase.line)")
            let expectedLine = testCase.lines[testCase.line - 1]
            let column: Int
            if testCase.at.isEmpty {
                column = -1  // libyaml decides where a syntax error is reported; only the line is pinned.
            } else {
                let range = try #require(expectedLine.range(of: testCase.at), "fixture error: \(testCase.at) not on line \(testCase.line)")
                column = expectedLine.distance(from: expectedLine.startIndex, to: range.lowerBound) + 1
            }
            do {
                _ = try LabParser.parse(file: path)
                Issue.record("\(testCase.name): accepted")
            } catch let error as LabFileError {
                let match = error.diagnostics.first { $0.message.contains(testCase.message) }
                let diagnostic = try #require(match, "\(testCase.name): no diagnostic containing \"\(testCase.message)\" in:\n\(error)")
                #expect(diagnostic.location.file == path)
                if column > 0 {
                    #expect(diagnostic.location.line == testCase.line && diagnostic.location.column == column,
                            "\(testCase.name): expected \(testCase.line):\(column), got \(diagnostic.location.line):\(diagnostic.location.column)")
                    #expect(diagnostic.description.hasPrefix("\(path):\(testCase.line):\(column): error: "))
                } else {
                    #expect(diagnostic.location.line >= testCase.line - 1 && diagnostic.location.line <= testCase.line + 1)
                }
            }
        }
    }

    @Test func aManifestFileApplyWouldRefuseFailsLintAtItsOwnPosition() throws {
        try withTemporaryDirectory { directory in
            let manifest = (directory as NSString).appendingPathComponent("pod.yaml")
            try """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: cm}
                data: {a: "1"}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web}
                spec:
                  containers: [{name: app, image: busybox}]
                  volumes: [{name: v, configMap: {name: cm, items: [{key: a, path: a, mode: -1}]}}]

                """.write(toFile: manifest, atomically: true, encoding: .utf8)
            let lab = (Self.head + ["  steps:", "  - name: one", "    try:", "    - apply: {file: pod.yaml}"]).joined(separator: "\n")
            let path = (directory as NSString).appendingPathComponent("bad.lab.yaml")
            try lab.write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: LabFileError.self) { try LabParser.parse(file: path) }
            #expect(error.diagnostics.map(\.description) == [
                "\(path):9:21: error: the manifest does not apply: \(manifest):11:77: spec.volumes[0].configMap.items[0].mode: Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive",
            ])
        }
    }

    @Test func durationsNeverTrap() {
        #expect(LabDuration.parse(String(repeating: "9", count: 400) + "s") == nil)
        #expect(LabDuration.parse("1m30s") == 90)
        #expect(LabDuration.parse("٣s") == nil)
        #expect(LabDuration.problem("24h") == nil)
        #expect(LabDuration.problem("24h1ms") != nil)
        #expect(LabDuration.format(.infinity) == "infs")
        #expect(LabDuration.format(1e300) == "1e+300s")
        #expect(LabDuration.format(9999999999999999) == "1e+16s")
        #expect(LabDuration.format(90) == "1m30s")
    }

    @Test func allProblemsAreReportedAtOnce() throws {
        try withTemporaryDirectory { directory in
            let yaml = (Self.head + ["  steps:", "  - name: one", "    tyr: []", "  - name: two", "    try:", "    - podIPP: {}"]).joined(separator: "\n")
            let path = (directory as NSString).appendingPathComponent("bad.lab.yaml")
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: LabFileError.self) { try LabParser.parse(file: path) }
            do { _ = try LabParser.parse(file: path) } catch let error as LabFileError {
                #expect(error.diagnostics.contains { $0.message.contains("\"tyr\"") })
                #expect(error.diagnostics.contains { $0.message.contains("\"podIPP\"") })
            }
        }
    }
}
