import Foundation
import LabKit
import Reports
import Testing

/// Student tasks: strict parsing with positions, `podlab run` covering them via the solution,
/// and the shipped labs that use them.
struct StudentTaskTests {
    static let head = ["apiVersion: podlab.dev/v1alpha1", "kind: Lab", "metadata:", "  name: bad", "spec:", "  steps:"]

    /// Parses `lines` and returns the diagnostics (empty when it parsed).
    func diagnostics(_ lines: [String]) throws -> [LabDiagnostic] {
        try withTemporaryDirectory { directory in
            let path = (directory as NSString).appendingPathComponent("bad.lab.yaml")
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try LabParser.parse(file: path)
                return []
            } catch let error as LabFileError {
                return error.diagnostics
            }
        }
    }

    @Test func aTaskWithoutVerifyIsAnErrorAtTheTaskKey() throws {
        let found = try diagnostics(Self.head + ["  - name: t", "    task: do it", "    solution:", "    - sleep: {duration: 1s}"])
        let diagnostic = try #require(found.first { $0.message.contains("\"task\" needs \"verify\" in Step") }, "\(found)")
        #expect(diagnostic.location.line == 8 && diagnostic.location.column == 5)
    }

    @Test func tryAndTaskTogetherIsAnError() throws {
        let found = try diagnostics(Self.head + ["  - name: t", "    try:", "    - sleep: {duration: 1s}", "    task: do it",
                                                 "    verify:", "    - sleep: {duration: 1s}", "    solution:", "    - sleep: {duration: 1s}"])
        let diagnostic = try #require(found.first { $0.message.contains("Step has both \"try\" and \"task\"") }, "\(found)")
        #expect(diagnostic.location.line == 10 && diagnostic.location.column == 5)
    }

    @Test func aHintWithoutATaskIsAnError() throws {
        let found = try diagnostics(Self.head + ["  - name: t", "    hint: look closer", "    try:", "    - sleep: {duration: 1s}"])
        #expect(found.contains { $0.message.contains("\"hint\" needs \"task\"") && $0.location.line == 8 })
    }

    @Test func aStepWithNeitherTryNorTaskNamesBoth() throws {
        let found = try diagnostics(Self.head + ["  - name: t", "    text: nothing"])
        #expect(found.contains { $0.message.contains("missing required field \"try\" in Step") && $0.message.hasSuffix("or give \"task\" instead") })
    }

    @Test func bindingsSavedByTheSolutionAreNotVisibleToVerify() throws {
        // walk may skip the solution entirely, so verify must not depend on it.
        let found = try diagnostics(Self.head + ["  - name: t", "    task: do it", "    verify:", "    - script: {content: 'true', env: {X: $SAVED}}",
                                                 "    solution:", "    - script: {content: echo hi}", "      outputs: {SAVED: stdout}"])
        #expect(found.contains { $0.message.contains("undefined binding $SAVED") && $0.location.line == 10 })
    }

    @Test func runExecutesTheSolutionThenVerify() throws {
        try withTemporaryDirectory { directory in
            let answer = directory + "/answer"
            let yaml = labHeader() + """
              - name: task
                task: Write pause's PID to the answer file.
                verify:
                - script: {content: 'test "$(cat \(answer))" = "$PODLAB_PAUSE_PID"'}
                solution:
                - script: {content: 'echo $PODLAB_PAUSE_PID > \(answer)'}
            """
            let (_, lab) = try writeLab(yaml, in: directory)
            let report = LabRunner(lab: lab, namespace: "ns-task", backend: FakeLabBackend()).run()
            #expect(!report.failed)
            let step = try #require(report.labSteps.last)
            #expect(step.operations.map(\.phase) == [.solution, .verify, .verify])
            #expect(step.operations.last?.summary == "student task: solved by the scripted solution")
            #expect(try String(contentsOfFile: answer, encoding: .utf8) == "100\n")
        }
    }

    @Test func aWrongSolutionFailsTheStepInRun() throws {
        try withTemporaryDirectory { directory in
            let yaml = labHeader() + """
              - name: task
                task: Write pause's PID to the answer file.
                verify:
                - script: {content: 'test "$(cat \(directory)/answer)" = "$PODLAB_PAUSE_PID"'}
                solution:
                - script: {content: 'echo 1 > \(directory)/answer'}
            """
            let (_, lab) = try writeLab(yaml, in: directory)
            let report = LabRunner(lab: lab, namespace: "ns-task", backend: FakeLabBackend()).run()
            #expect(report.failed)
            #expect(report.firstFailure?.operation.phase == .verify)
        }
    }

    @Test func shippedPauseLabsHaveTasksWithSolutions() throws {
        for name in ["pause-namespaces", "pause-persistence"] {
            let lab = try LabParser.parse(file: LabFileLintTests.labsDirectory + "/\(name).lab.yaml")
            let tasks = lab.steps.compactMap(\.task)
            #expect(!tasks.isEmpty, "\(name) has no student task")
            #expect(tasks.allSatisfy { !$0.verify.isEmpty && !$0.solution.isEmpty && $0.hint != nil })
            #expect(!lab.cleanup.isEmpty, "\(name) must remove its answer file")
        }
    }

    @Test func schemaDescribesTasks() throws {
        let object = try JSONSerialization.jsonObject(with: Data(try LabJSONSchema.render().utf8)) as? [String: Any]
        let step = (object?["$defs"] as? [String: Any])?["Step"] as? [String: Any]
        let properties = step?["properties"] as? [String: Any]
        #expect(["task", "hint", "verify", "solution", "questions"].allSatisfy { properties?[$0] != nil })
        let alternatives = (step?["oneOf"] as? [[String: Any]])?.compactMap { ($0["required"] as? [String])?.first }
        #expect(alternatives == ["try", "task"])
        #expect((step?["dependentRequired"] as? [String: [String]])?["task"] == ["verify", "solution"])
    }
}
