import Foundation
import LabKit
import Reports
import Testing

/// `podlab walk` in real pseudo-terminals of 60 and 120 columns (issue 15 §2): commands use
/// the terminal's width, wrap only with ` \` continuations that a shell reads back as the same
/// argv, nothing is cut, tasks do not print their answer, and `q` says what was not done.
@Suite(.serialized)
struct WalkTerminalWidthTests {
    static let prompt = "[Enter] run   [s] skip   [q] quit"

    /// An exec whose argv has quoted spaces, and a script line with single and double quotes and
    /// a trailing comment: both longer than 60 columns, shorter than 116.
    static let longStep = """
          - name: long
            try:
            - exec: {container: app, command: [sh, -c, 'echo "two  spaces" and a long tail of words', --, "x y"]}
            - script: {content: "printf '%s|' 'single  quoted' \\"double  quoted\\" plain words to wrap    # a comment here"}
        """
    static let execArgv = ["podlab", "exec", "web", "-c", "app", "--", "sh", "-c", "echo \"two  spaces\" and a long tail of words", "--", "x y"]
    static let scriptArgv = ["printf", "%s|", "single  quoted", "double  quoted", "plain", "words", "to", "wrap"]

    func startWalk(_ lab: Lab, pty: PtyHarness, backend: FakeLabBackend = FakeLabBackend()) -> (LabWalk, () -> LabReport?) {
        var options = LabWalkOptions()
        options.width = 80
        options.widthFileDescriptor = pty.slave
        let walk = LabWalk(lab: lab, namespace: "ns-w", backend: backend, options: options, input: FileDescriptorInput(fileDescriptor: pty.slave)) { pty.writeScreen($0) }
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var report: LabReport? }
        let box = Box()
        let thread = Thread {
            box.report = walk.run()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return (walk, {
            guard done.wait(timeout: .now() + 60) == .success else { return nil }
            return box.report
        })
    }

    /// The argv `/bin/sh` builds from `command` (through a function that prints each argument),
    /// after `sh -n` accepted it; nil when sh rejects it.
    static func shellArgv(_ command: String) throws -> [String]? {
        func sh(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        guard try sh(["-n", "-c", command]).0 == 0 else { return nil }
        // The command's first word becomes an argument of `argv`, so nothing is executed.
        let (status, output) = try sh(["-c", "argv() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }\nargv " + command])
        guard status == 0 else { return nil }
        return output.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// The command blocks under "Try it yourself:": the `$ ` line and its ` \` continuations,
    /// pasted text (prompt removed) and the screen lines.
    static func commandBlocks(_ lines: [String]) -> [(pasted: String, lines: [String])] {
        var blocks: [(String, [String])] = []
        var index = 0
        while index < lines.count {
            guard lines[index].hasPrefix("  $ ") else { index += 1; continue }
            var block = [lines[index]]
            while block.last?.hasSuffix("\\") == true, index + 1 < lines.count {
                index += 1
                block.append(lines[index])
            }
            let pasted = ([String(block[0].dropFirst(4))] + block.dropFirst()).joined(separator: "\n")
            blocks.append((pasted, block))
            index += 1
        }
        return blocks
    }

    func walkLongCommands(columns: UInt16) throws -> (screen: [String], blocks: [(pasted: String, lines: [String])]) {
        var result: ([String], [(pasted: String, lines: [String])]) = ([], [])
        try withTemporaryDirectory { directory in
            let (_, lab) = try writeLab(labHeader("wide") + Self.longStep, name: "wide", in: directory)
            let pty = try PtyHarness()
            defer { pty.close() }
            pty.setSize(columns: columns)
            let (_, finish) = startWalk(lab, pty: pty)
            for count in 1...2 {
                #expect(pty.waitFor(Self.prompt, count: count), "prompt \(count) never came:\n\(pty.text)")
                pty.type("\r")
            }
            _ = try #require(finish(), "the walk did not finish:\n\(pty.text)")
            // The walk is done; wait until the pty reader has the last of its output.
            #expect(pty.waitFor("steps passed in"))
            result = (pty.lines, Self.commandBlocks(pty.lines))
        }
        return result
    }

    @Test(arguments: [60, 120])
    func commandsFitTheTerminalAndPasteAsTheSameArgv(columns: Int) throws {
        let (screen, blocks) = try walkLongCommands(columns: UInt16(columns))
        // Nothing runs past the right edge, so the terminal never wraps a command by itself.
        let tooWide = screen.filter { TerminalStyle.visibleWidth($0) > columns }
        #expect(tooWide.isEmpty, "lines wider than \(columns): \(tooWide)")
        // Every line of a multi-line command but the last ends with `\` (` \` between words,
        // `\` inside a word too long for a line), and every block parses in sh -n.
        for block in blocks {
            #expect(block.lines.dropLast().allSatisfy { $0.hasSuffix("\\") }, "\(block.lines)")
            #expect(try Self.shellArgv(block.pasted) != nil, "sh -n rejects \(block.lines)")
        }
        let cat = try #require(blocks.first { $0.pasted.hasPrefix("cat ") })
        #expect(try Self.shellArgv(cat.pasted)?.last?.hasSuffix("/pod.yaml") == true, "\(cat.lines)")
        let exec = try #require(blocks.first { $0.pasted.hasPrefix("podlab exec web -c app -- sh -c") }, "no exec command on screen:\n\(screen.joined(separator: "\n"))")
        let script = try #require(blocks.first { $0.pasted.hasPrefix("printf") })
        #expect(try Self.shellArgv(exec.pasted) == Self.execArgv, "\(exec.lines)")
        #expect(try Self.shellArgv(script.pasted) == Self.scriptArgv, "\(script.lines)")
        // The comment is never inside a continued line (a `\` in a comment does not continue).
        #expect(screen.contains { $0.contains("# a comment here") })
        for block in blocks { #expect(block.lines.dropLast().allSatisfy { !$0.contains(" # ") }, "\(block.lines)") }
        if columns == 60 {
            #expect(exec.lines.count > 1 && script.lines.count > 1, "60 columns must wrap these commands")
        } else {
            #expect(exec.lines.count == 1 && script.lines.count == 1, "120 columns fit them on one line: \(exec.lines) \(script.lines)")
        }
    }

    /// A long command in a lab text's shell code block wraps with ` \` at the code width (the
    /// terminal's), and pastes back as the same argv; a YAML block keeps its `↩` marks.
    @Test func shellCodeBlocksInLabTextWrapToPaste() throws {
        let command = "ip netns exec podlab-pp-3fa9-alpine ip -4 addr show dev eth0 scope global"
        let text = "Run this:\n\n```sh\n\(command)\n```\n\n```yaml\nmetadata: {name: a-very-long-name, labels: {app: web, tier: frontend}}\n```\n"
        var markdown = TerminalMarkdown(width: 40, style: TerminalStyle(color: false))
        markdown.codeWidth = 60
        let lines = markdown.render(text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(lines)")
        let start = try #require(lines.firstIndex { $0.hasPrefix("    ip netns exec") })
        var block = [lines[start]]
        while block.last?.hasSuffix("\\") == true { block.append(lines[start + block.count]) }
        #expect(block.count > 1)
        let pasted = block.map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : $0 }.joined(separator: "\n")
        #expect(try Self.shellArgv(pasted) == command.split(separator: " ").map(String.init), "\(block)")
        #expect(lines.contains { $0.hasSuffix("↩") }, "the YAML line is cut with ↩, not with a backslash")
    }

    @Test func aResizedTerminalIsUsedFromTheNextStep() throws {
        try withTemporaryDirectory { directory in
            let second = Self.longStep.replacingOccurrences(of: "name: long", with: "name: again")
            let (_, lab) = try writeLab(labHeader("resize") + Self.longStep + "\n" + second, name: "resize", in: directory)
            let pty = try PtyHarness()
            defer { pty.close() }
            pty.setSize(columns: 120)
            let (_, finish) = startWalk(lab, pty: pty)
            #expect(pty.waitFor(Self.prompt, count: 1))
            pty.type("\r")
            #expect(pty.waitFor(Self.prompt, count: 2))
            pty.type("\r")
            #expect(pty.waitFor(Self.prompt, count: 3))
            pty.setSize(columns: 60)  // the window shrinks while step 2 waits
            pty.type("\r")
            _ = try #require(finish(), "the walk did not finish:\n\(pty.text)")
            #expect(pty.waitFor("steps passed in"))
            let execs = Self.commandBlocks(pty.lines).filter { $0.pasted.hasPrefix("podlab exec web -c app -- sh -c") }
            #expect(execs.count == 2)
            #expect(execs.first?.lines.count == 1, "step 2 was shown at 120 columns")
            // Step 3 was announced before the resize; the summary and cleanup lines come after it.
            #expect(try execs.allSatisfy { try Self.shellArgv($0.pasted) == Self.execArgv })
        }
    }

    @Test func longOutputIsNeverCut() throws {
        try withTemporaryDirectory { directory in
            let long = String(repeating: "abcdefghij", count: 15)
            let lines = (1...12).map { "line\($0)" }.joined(separator: " ")
            let yaml = labHeader("output") + """
              - name: print
                try:
                - script: {content: 'echo \(long)end; for l in \(lines); do echo $l; done'}
            """
            let (_, lab) = try writeLab(yaml, name: "output", in: directory)
            let pty = try PtyHarness()
            defer { pty.close() }
            pty.setSize(columns: 60)
            let (_, finish) = startWalk(lab, pty: pty)
            for count in 1...2 {
                #expect(pty.waitFor(Self.prompt, count: count))
                pty.type("\r")
            }
            _ = try #require(finish())
            #expect(pty.waitFor("steps passed in"))
            let output = pty.lines.filter { $0.hasPrefix("      │ ") }.map { String($0.dropFirst(8)) }
            #expect(output.joined().contains(long + "end"), "\(output)")
            #expect(output.contains("line12"), "all twelve lines are shown: \(output)")
            #expect(!pty.text.contains("…"))
        }
    }

    @Test func aTaskDoesNotPrintItsAnswer() throws {
        try withTemporaryDirectory { directory in
            let answer = directory + "/answer"
            let yaml = labHeader("secret") + """
              - name: look
                try:
                - script: {content: 'true'}
              - name: find-pause
                task: Write the PID of pause to the answer file.
                verify:
                - script: {content: 'echo "wrong: the owner is $PODLAB_PAUSE_PID, not $(cat \(answer))" >&2; test "$(cat \(answer))" = "$PODLAB_PAUSE_PID"'}
                solution:
                - script: {content: 'echo $PODLAB_PAUSE_PID > \(answer)'}
            """
            let (_, lab) = try writeLab(yaml, name: "secret", in: directory)
            try "7\n".write(toFile: answer, atomically: true, encoding: .utf8)
            let pty = try PtyHarness()
            defer { pty.close() }
            pty.setSize(columns: 100)
            let (_, finish) = startWalk(lab, pty: pty)
            for count in 1...2 {
                #expect(pty.waitFor(Self.prompt, count: count))
                pty.type("\r")
            }
            #expect(pty.waitFor("[Enter] check my work"))
            pty.type("\r")  // a wrong answer
            #expect(pty.waitFor("[Enter] check my work", count: 2), "\(pty.text)")
            pty.type("q")
            _ = try #require(finish())
            #expect(pty.waitFor("Not done:"))
            let screen = pty.text
            // Fake pause is PID 100, the containers 101 and up.
            #expect(!screen.contains("pause PID 100"), "the status line gave the answer away:\n\(screen)")
            #expect(!screen.contains("is 100"), "the wrong-answer message gave the answer away:\n\(screen)")
            #expect(screen.contains("wrong: the owner is <hidden>, not 7"), "\(screen)")
            #expect(screen.contains("containers app"))
        }
    }

    @Test func qBeforeTheEndSaysWhatWasNotDone() throws {
        try withTemporaryDirectory { directory in
            let yaml = labHeader("early") + """
              - name: second
                try:
                - script: {content: 'true'}
              - name: third
                try:
                - script: {content: 'true'}
            """
            let (_, lab) = try writeLab(yaml, name: "early", in: directory)
            let pty = try PtyHarness()
            defer { pty.close() }
            let (walk, finish) = startWalk(lab, pty: pty)
            #expect(pty.waitFor(Self.prompt, count: 1))
            pty.type("\r")
            #expect(pty.waitFor(Self.prompt, count: 2))
            pty.type("s")
            #expect(pty.waitFor(Self.prompt, count: 3))
            pty.type("q")
            let report = try #require(finish())
            #expect(pty.waitFor("(the walk was ended (q))"), "\(pty.text)")
            #expect(walk.endedEarly, "the CLI exits 1 when this is set")
            #expect(!report.failed)
            let screen = pty.lines
            let notDone = try #require(screen.firstIndex { $0.hasPrefix("Not done:") }, "\(screen)")
            #expect(screen[notDone + 1].hasSuffix("step 02 second (skipped by the user)"), "\(screen[notDone...])")
            #expect(screen[notDone + 2].hasSuffix("step 03 third (the walk was ended (q))"), "\(screen[notDone...])")
        }
    }

    @Test func aWalkToTheEndIsNotEndedEarly() throws {
        try withTemporaryDirectory { directory in
            let (_, lab) = try writeLab(labHeader("full"), name: "full", in: directory)
            var output = ""
            var options = LabWalkOptions()
            options.auto = true
            let walk = LabWalk(lab: lab, namespace: "ns-full", backend: FakeLabBackend(), options: options, input: FileDescriptorInput(fileDescriptor: -1)) { output += $0 }
            let report = walk.run()
            #expect(!report.failed && !walk.endedEarly)
            #expect(!output.contains("Not done:"))
        }
    }
}
