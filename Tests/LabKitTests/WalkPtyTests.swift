import Foundation
import LabKit
import Reports
import Testing

/// `podlab walk` driven through a real pseudo-terminal: keys go in without Enter (raw mode),
/// the screen is read back, the fake backend records what was deleted.
@Suite(.serialized)
struct WalkPtyTests {
    /// Starts the walk on its own thread; the returned closure waits for its report.
    func startWalk(_ lab: Lab, pty: PtyHarness, backend: FakeLabBackend, namespace: String = "ns-walk") -> () -> LabReport? {
        var options = LabWalkOptions()
        options.width = 80
        let input = FileDescriptorInput(fileDescriptor: pty.slave)
        let walk = LabWalk(lab: lab, namespace: namespace, backend: backend, options: options, input: input) { pty.writeScreen($0) }
        let done = DispatchSemaphore(value: 0)
        let box = ReportBox()
        let thread = Thread {
            box.report = walk.run()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return {
            guard done.wait(timeout: .now() + 60) == .success else { return nil }
            return box.report
        }
    }

    final class ReportBox: @unchecked Sendable { var report: LabReport? }

    static let prompt = "[Enter] run   [s] skip   [q] quit"
    static let taskPrompt = "[Enter] check my work   [s] show the solution   [q] quit"

    @Test func enterRunsEveryStepAndShowsCommandsWithRealValues() throws {
        try withTemporaryDirectory { directory in
            let yaml = labHeader("walk") + """
              - name: inspect
                text: Look at **pause** with `readlink`.
                try:
                - namespaces: {}
                - script: {content: 'echo pause is $PODLAB_PAUSE_PID > \(directory)/seen'}
              - name: kill
                try:
                - kill: {container: app, signal: KILL}
            """
            let (_, lab) = try writeLab(yaml, name: "walk", in: directory)
            let pty = try PtyHarness()
            defer { pty.close() }
            let backend = FakeLabBackend()
            let finish = startWalk(lab, pty: pty, backend: backend)
            for count in 1...3 {
                #expect(pty.waitFor(Self.prompt, count: count), "prompt \(count) never came:\n\(pty.text)")
                pty.type("\r")
            }
            let report = try #require(finish(), "the walk did not finish:\n\(pty.text)")
            #expect(pty.waitFor(" passed: 3/3 steps passed"))
            #expect(!report.failed)
            #expect(report.labSteps.map(\.skipped) == [false, false, false])
            #expect(try String(contentsOfFile: directory + "/seen", encoding: .utf8) == "pause is 100\n")
            let screen = pty.text
            // Commands a student can type, with the fake pod's real PIDs filled in.
            #expect(screen.contains("readlink /proc/100/ns/net"))
            #expect(screen.contains("ip netns identify 100"))
            #expect(screen.contains("kill -9 101"))
            #expect(screen.contains("podlab ns web"))
            // Between steps: where the pod is, for a second terminal.
            #expect(screen.contains("pod web · IP 10.88.0.5 · pause PID 100 · netns podlab-web"))
            #expect(screen.contains("step 03 kill passed"))
            #expect(backend.deletedNamespaces == ["ns-walk"])
        }
    }

    @Test func qMidwayCleansUpAndSkipsTheRest() throws {
        try withTemporaryDirectory { directory in
            let marker = directory + "/marker"
            let yaml = labHeader("quit") + """
              - name: make-marker
                try:
                - script: {content: 'touch \(marker)'}
              - name: never
                try:
                - script: {content: 'touch \(directory)/never'}
              cleanup:
              - script: {content: 'rm -f \(marker)'}
            """
            let (_, lab) = try writeLab(yaml, name: "quit", in: directory)
            let pty = try PtyHarness()
            defer { pty.close() }
            let backend = FakeLabBackend()
            let finish = startWalk(lab, pty: pty, backend: backend, namespace: "ns-quit")
            #expect(pty.waitFor(Self.prompt, count: 1))
            pty.type("\r")
            #expect(pty.waitFor(Self.prompt, count: 2))
            pty.type("\r")
            #expect(pty.waitFor(Self.prompt, count: 3))
            #expect(FileManager.default.fileExists(atPath: marker))
            pty.type("q")
            let report = try #require(finish(), "the walk did not finish:\n\(pty.text)")
            #expect(report.labSteps.last?.skipReason == "the walk was ended (q)")
            #expect(!FileManager.default.fileExists(atPath: directory + "/never"))
            #expect(!FileManager.default.fileExists(atPath: marker), "the lab's cleanup did not run")
            #expect(backend.deleted.map(\.name) == ["web"])
            #expect(backend.deletedNamespaces == ["ns-quit"])
        }
    }

    @Test func aTaskShowsTheHintUntilTheStudentDoesIt() throws {
        try withTemporaryDirectory { directory in
            let answer = directory + "/answer"
            let yaml = labHeader("task") + """
              - name: find-pause
                task: Write the PID of pause to the answer file.
                hint: Look for **pause** in `podlab ps -a`.
                verify:
                - script: {content: 'test "$(cat \(answer))" = "$PODLAB_PAUSE_PID"'}
                solution:
                - script: {content: 'echo $PODLAB_PAUSE_PID > \(answer)'}
            """
            let (_, lab) = try writeLab(yaml, name: "task", in: directory)
            let pty = try PtyHarness()
            defer { pty.close() }
            let finish = startWalk(lab, pty: pty, backend: FakeLabBackend())
            #expect(pty.waitFor(Self.prompt))
            pty.type("\r")
            #expect(pty.waitFor(Self.taskPrompt))
            #expect(pty.text.contains("Write the PID of pause to the answer file."))
            pty.type("\r")  // not done yet
            #expect(pty.waitFor("Hint:"), "no hint after a failed verify:\n\(pty.text)")
            #expect(pty.text.contains("Look for pause in `podlab ps -a`."))
            #expect(pty.waitFor(Self.taskPrompt, count: 2))
            try "100\n".write(toFile: answer, atomically: true, encoding: .utf8)  // the student does it
            pty.type("\r")
            let report = try #require(finish(), "the walk did not finish:\n\(pty.text)")
            #expect(!report.failed)
            let step = try #require(report.labSteps.last)
            #expect(step.operations.map(\.phase) == [.verify, .verify])
            #expect(step.operations.last?.summary == "student task: done by the student (attempt 2)")
            #expect(pty.waitFor(" passed: 2/2 steps passed"))
            #expect(pty.text.components(separatedBy: "Hint:").count == 2, "the hint shows once, after the one failure")
        }
    }

    @Test func sOnATaskRunsTheSolution() throws {
        try withTemporaryDirectory { directory in
            let answer = directory + "/answer"
            let yaml = labHeader("solution") + """
              - name: find-pause
                task: Write the PID of pause to the answer file.
                verify:
                - script: {content: 'test "$(cat \(answer))" = "$PODLAB_PAUSE_PID"'}
                solution:
                - script: {content: 'echo $PODLAB_PAUSE_PID > \(answer)'}
            """
            let (_, lab) = try writeLab(yaml, name: "solution", in: directory)
            let pty = try PtyHarness()
            defer { pty.close() }
            let finish = startWalk(lab, pty: pty, backend: FakeLabBackend())
            #expect(pty.waitFor(Self.prompt))
            pty.type("\r")
            #expect(pty.waitFor(Self.taskPrompt))
            pty.type("s")
            let report = try #require(finish(), "the walk did not finish:\n\(pty.text)")
            #expect(!report.failed)
            #expect(report.labSteps.last?.operations.map(\.phase) == [.solution, .verify, .verify])
            #expect(try String(contentsOfFile: answer, encoding: .utf8) == "100\n")
        }
    }

    @Test func pipedLinesWorkLikeKeysAndEndOfInputQuits() throws {
        try withTemporaryDirectory { directory in
            let yaml = labHeader("piped") + """
              - name: second
                try:
                - script: {content: 'true'}
              - name: third
                try:
                - script: {content: 'true'}
            """
            let (_, lab) = try writeLab(yaml, name: "piped", in: directory)
            var fds: [Int32] = [-1, -1]
            #expect(pipe(&fds) == 0)
            defer { close(fds[0]) }
            let lines = "\ns\n"  // run the first step, skip the second, then end of input
            _ = lines.withCString { write(fds[1], $0, lines.utf8.count) }
            close(fds[1])
            var output = ""
            let backend = FakeLabBackend()
            let walk = LabWalk(lab: lab, namespace: "ns-piped", backend: backend, options: LabWalkOptions(),
                               input: FileDescriptorInput(fileDescriptor: fds[0])) { output += $0 }
            let report = walk.run()
            #expect(report.labSteps.map { $0.skipReason ?? "ran" } == ["ran", "skipped by the user", "the walk was ended (q)"])
            #expect(backend.deletedNamespaces == ["ns-piped"])
            #expect(!output.contains("\u{1B}["), "no colour was asked for")
            #expect(output.split(separator: "\n").allSatisfy { TerminalStyle.visibleWidth(String($0)) <= 80 })
        }
    }

    @Test func autoAndKeepLeaveThePodsAndSayHowToDeleteThem() throws {
        try withTemporaryDirectory { directory in
            let (_, lab) = try writeLab(labHeader("keep"), name: "keep", in: directory)
            var options = LabWalkOptions()
            options.auto = true
            options.keep = true
            var output = ""
            let backend = FakeLabBackend()
            let report = LabWalk(lab: lab, namespace: "ns-keep", backend: backend, options: options, input: FileDescriptorInput(fileDescriptor: -1)) { output += $0 }.run()
            #expect(!report.failed)
            #expect(backend.deleted.isEmpty && backend.deletedNamespaces.isEmpty)
            #expect(output.contains("podlab delete -n ns-keep --all"))
        }
    }
}
