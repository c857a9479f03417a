import Foundation
import Reports
import PodObservations

/// How `podlab walk` behaves.
public struct LabWalkOptions: Sendable {
    /// Run every step without waiting (recording a demo); tasks run their solution.
    public var auto = false
    /// Leave the pods running after the last step (a quit or Ctrl-C still deletes them).
    public var keep = false
    /// ANSI colours.
    public var color = false
    /// Spinner while operations run (terminals only).
    public var progress = false
    /// Text width when `widthFileDescriptor` is nil or not a terminal.
    public var width = 80
    /// The terminal whose width (TIOCGWINSZ) the walk follows: read again before every step
    /// and prompt, so a resized window (SIGWINCH) is used from the next step on. Commands use
    /// the whole width; prose stops at ``proseWidthLimit`` columns (long lines are hard to read).
    public var widthFileDescriptor: Int32?
    /// The widest prose paragraph; commands and output are not limited by it.
    public var proseWidthLimit = 100

    public init() {}
}

/// The classroom walkthrough: drives a `LabRunner` one step at a time, shows each step's text,
/// the operations it will run and the commands a student could type instead (with the real
/// PIDs and names), waits for a key, runs it and shows what it observed. Student tasks wait
/// until the student says done, run `verify`, and show the hint until it passes.
///
/// The report is the runner's, so `walk` writes the same reports as `run`.
public final class LabWalk: LabStepDriver, LabRunObserver {
    public let lab: Lab
    public let namespace: String
    private let options: LabWalkOptions
    private let input: any WalkInput
    private let write: (String) -> Void
    private let style: TerminalStyle
    private var markdown: TerminalMarkdown
    /// Columns for commands and output (the terminal's full width).
    private var width: Int
    private let progress: ProgressLine?
    private let backend: any LabBackend
    /// `file:line:column` → operation, to show an operation's checks next to its result.
    private let operationsByLocation: [String: LabOperation]
    private var shownExploreHelp = false
    private var runner: LabRunner?
    private var currentStepIndex = 0
    /// Set when the student ended the walk with `q` (or end of input) before the last step.
    public private(set) var endedEarly = false

    /// - Parameters:
    ///   - input: where keys come from (ignored with `auto`).
    ///   - write: where text goes (stdout in the CLI; a pty or a buffer in tests).
    public init(lab: Lab, namespace: String, backend: any LabBackend, options: LabWalkOptions, input: any WalkInput, write: @escaping (String) -> Void) {
        self.lab = lab
        self.namespace = namespace
        self.backend = backend
        self.options = options
        self.input = input
        self.write = write
        self.style = TerminalStyle(color: options.color)
        let width = Self.currentWidth(options)
        self.width = width
        self.markdown = TerminalMarkdown(width: min(width, options.proseWidthLimit), style: TerminalStyle(color: options.color))
        self.markdown.codeWidth = width
        self.progress = options.progress ? ProgressLine(width: width, write: write) : nil
        var byLocation: [String: LabOperation] = [:]
        var all: [LabOperation] = lab.cleanup
        for step in lab.steps {
            all += step.tryOperations
            all += step.catchOperations
            all += step.finallyOperations
            all += step.task?.verify ?? []
            all += step.task?.solution ?? []
        }
        for operation in all { byLocation[operation.location.description] = operation }
        self.operationsByLocation = byLocation
    }

    /// Walks the lab to the end (or until `q`) and returns its report.
    public func run() -> LabReport {
        InterruptGuard.shared.install()
        let runner = LabRunner(lab: lab, namespace: namespace, backend: backend, observer: self)
        self.runner = runner
        printIntro()
        let report = runner.run(driver: self, keepPods: options.keep)
        printSummary(report, runner: runner)
        return report
    }

    // MARK: LabStepDriver

    public func beforeStep(_ step: LabStep, index: Int, runner: LabRunner) -> LabStepDecision {
        refreshWidth()
        currentStepIndex = index
        let title = " Step \(index + 1)/\(lab.steps.count): \(step.name) "
        emit("")
        emit(style.bold("──" + title + String(repeating: "─", count: max(2, min(width, options.proseWidthLimit) - title.count - 2))))
        if !step.text.isEmpty { emit(markdown.render(step.text)) }
        for question in step.questions { emit(markdown.wrap(question, indent: style.yellow("? "), hanging: "  ").joined(separator: "\n")) }
        let values = runner.knownValues()
        if step.task == nil {
            emit("")
            emit(style.bold("podlab will run:"))
            for operation in step.tryOperations { emit(markdown.wrap(operation.summary, indent: "  • ", hanging: "    ", markup: false).joined(separator: "\n")) }
            printCommands(step.tryOperations, values: values)
        }
        if step.task != nil { return .run }
        return ask("[Enter] run   [s] skip   [q] quit", auto: .run) { key in
            switch key {
            case .enter: return .run
            case .skip: return .skip
            case .quit, .endOfInput: return .quit
            case .other: return nil
            }
        }
    }

    public func beforeTaskAttempt(_ step: LabStep, task: LabTask, attempt: Int, lastFailure: [OperationReport]?, runner: LabRunner) -> LabTaskDecision {
        if attempt == 1 {
            emit("")
            emit(style.bold(style.yellow("Your task:")))
            emit(markdown.render(task.text))
        } else {
            emit("")
            // The failing check was just printed under its operation.
            emit(style.red("Not done yet") + " (attempt \(attempt - 1) did not pass).")
            if let hint = task.hint {
                emit(style.bold("Hint:"))
                emit(markdown.render(hint))
            }
        }
        return ask("[Enter] check my work   [s] show the solution   [q] quit", auto: .solution) { key in
            switch key {
            case .enter: return .check
            case .skip: return .solution
            case .quit, .endOfInput: return .quit
            case .other: return nil
            }
        }
    }

    public func afterStep(_ step: LabStep, report: StepReport, runner: LabRunner) {
        guard !report.skipped, let pod = runner.pods.first, let status = runner.status(of: pod) else { return }
        let netns = status.netnsPath.map { ($0 as NSString).lastPathComponent }
        // A task later in the lab may ask for a PID: the status line must not give it away.
        let hidePIDs = taskAhead
        var parts = ["pod \(pod.name)"]
        if let ip = status.ip { parts.append("IP \(ip)") }
        if !hidePIDs, let pid = status.pausePID { parts.append("pause PID \(pid)") }
        if let netns { parts.append("netns \(netns)") }
        if hidePIDs {
            parts.append("containers " + status.containers.map(\.name).joined(separator: ", "))
        } else {
            parts += status.containers.map { "\($0.name) PID \($0.pid.map(String.init) ?? "-")" }
        }
        emit(markdown.wrap(parts.joined(separator: " · "), indent: "", hanging: "  ", markup: false).map { style.dim($0) }.joined(separator: "\n"))
        if !shownExploreHelp {
            shownExploreHelp = true
            emit(markdown.wrap("The pod stays up between steps; explore it from a second terminal:", indent: "", hanging: "", markup: false)
                .map { style.dim($0) }.joined(separator: "\n"))
            let lines = EquivalentCommands.explore(pod: pod.name, pausePID: hidePIDs ? nil : status.pausePID, netns: status.netnsPath,
                                                   containers: status.containers.map { ($0.name, hidePIDs ? nil : $0.pid) })
            printShellLines(lines)
        }
    }

    // MARK: LabRunObserver

    public func labStarted(_ lab: Lab, namespace: String) {}

    public func operationStarted(_ lab: Lab, step: String, summary: String, operation: LabOperation) {
        progress?.start(summary)
    }

    public func operationRetrying(_ lab: Lab, step: String, summary: String, attempt: Int, lastError: String) {
        progress?.update("\(summary) (attempt \(attempt + 1): \(lastError.split(separator: "\n").first ?? ""))")
    }

    public func operationFinished(_ lab: Lab, step: String, _ operation: OperationReport) {
        progress?.stop()
        if operation.verb == "task" {
            emit(style.mark(passed: true) + " " + operation.summary)
            return
        }
        let phase = operation.phase == .try ? "" : operation.phase.rawValue + ": "
        let redact: (String) -> String = operation.phase == .verify && operation.failed ? secretRedactor() : { $0 }
        // No-break spaces keep "(0.01 s)" in one piece when the line wraps.
        let time = (DurationText.format(operation.duration) + (operation.attempts > 1 ? ", \(operation.attempts) attempts" : ""))
            .replacingOccurrences(of: " ", with: "\u{00A0}")
        // The time is wrapped with the summary, so the line never passes the width.
        let summaryLines = TerminalMarkdown(width: width, style: style)
            .wrap(phase + operation.summary + " (\(time))", indent: "  " + style.mark(passed: !operation.failed) + " ", hanging: "    ", markup: false)
        emit(summaryLines.joined(separator: "\n"))
        printObservations(operation, redact: redact)
        if !operation.failed, let source = operationsByLocation[operation.location] {
            let values = runner?.knownValues(pod: source.action.pod) ?? [:]
            for check in source.checks {
                let expected = check.kind == .matches ? check.expected : BindingTemplate.expand(check.expected) { values[$0] ?? "$\($0)" }
                emitWrapped("\(check.field) \(check.kind.rawValue) \(expected)", first: "      " + style.green("✔") + " ", hanging: "        ")
            }
        }
        if let error = operation.error {
            for line in redact(error).split(separator: "\n") {
                emitWrapped(String(line), first: "      ", hanging: "      ", paint: style.red)
            }
        }
    }

    public func stepFinished(_ lab: Lab, _ step: StepReport) {
        if step.kind == .cleanup {
            emit("")
            if let reason = step.skipReason {
                emit(style.bold("Cleanup: ") + reason)
            } else {
                emit(style.bold("Cleanup") + " " + style.mark(passed: !step.failed) + " " + style.dim("(\(DurationText.format(step.duration)))"))
            }
            return
        }
        if let reason = step.skipReason {
            emit(style.yellow("⏭  step \(step.displayName) skipped: \(reason)"))
            return
        }
        let result = step.failed ? style.red("failed") : style.green("passed")
        emit(style.mark(passed: !step.failed) + " step \(step.displayName) \(result) " + style.dim("in \(DurationText.format(step.duration))"))
    }

    public func labFinished(_ lab: Lab, _ report: LabReport) {}

    // MARK: output

    private func emit(_ text: String) { write(text + "\n") }

    /// The terminal's width now, or `options.width` off a terminal.
    static func currentWidth(_ options: LabWalkOptions) -> Int {
        guard let fd = options.widthFileDescriptor, isatty(fd) == 1 else { return options.width }
        return TerminalStyle.width(fileDescriptor: fd, maximum: 1000)
    }

    /// Follows a resized terminal (SIGWINCH changes what TIOCGWINSZ returns).
    private func refreshWidth() {
        let now = Self.currentWidth(options)
        guard now != width else { return }
        width = now
        markdown = TerminalMarkdown(width: min(now, options.proseWidthLimit), style: style)
        markdown.codeWidth = now
    }

    /// Whether a student task comes after the current step.
    private var taskAhead: Bool {
        lab.steps.dropFirst(currentStepIndex + 1).contains { $0.task != nil }
    }

    /// Replaces the PIDs a task could ask for (pause's and the containers') with `<hidden>`,
    /// so a wrong answer's message does not print the right one.
    private func secretRedactor() -> (String) -> String {
        let values = runner?.knownValues() ?? [:]
        let secrets = values.filter { $0.key == "PODLAB_PAUSE_PID" || $0.key.hasPrefix("PODLAB_PID_") }.map(\.value).filter { !$0.isEmpty }
        let patterns = secrets.compactMap { try? NSRegularExpression(pattern: "(?<![0-9])" + NSRegularExpression.escapedPattern(for: $0) + "(?![0-9])") }
        return { text in
            patterns.reduce(text) { text, pattern in
                pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "<hidden>")
            }
        }
    }

    /// Output being taught is never cut: a line too long for the terminal continues on the
    /// next with `hanging`, broken at spaces where it has some, else mid-word. A line that fits
    /// is printed as it is (aligned columns keep their spaces).
    private func emitWrapped(_ text: String, first: String, hanging: String, paint: (String) -> String = { $0 }) {
        if TerminalStyle.visibleWidth(first) + TerminalStyle.visibleWidth(text) <= width {
            emit(first + paint(text))
            return
        }
        // Wrapped with blank prefixes of the same widths, which are then swapped for the real ones.
        let firstPad = String(repeating: " ", count: TerminalStyle.visibleWidth(first))
        let hangingPad = String(repeating: " ", count: TerminalStyle.visibleWidth(hanging))
        let pieces = TerminalMarkdown(width: width, style: style).wrap(text, indent: firstPad, hanging: hangingPad, markup: false)
        var prefix = first
        for (index, piece) in pieces.enumerated() {
            var rest = piece.dropFirst(index == 0 ? firstPad.count : hangingPad.count)
            repeat {
                let part = rest.prefix(max(20, width - TerminalStyle.visibleWidth(prefix)))
                emit(prefix + paint(String(part)))
                rest = rest.dropFirst(part.count)
                prefix = hanging
            } while !rest.isEmpty
        }
    }

    /// Shell lines as `$ command`, wrapped with ` \` continuations that paste back as the
    /// same command (`ShellLineWrap`); comment lines dimmed.
    private func printShellLines(_ lines: [String]) {
        for line in lines {
            for shown in ShellLineWrap.wrap(line, prompt: "$ ", indent: "    ", width: width, margin: "  ") {
                emit(shown.hasPrefix("  #") ? style.dim(shown) : style.code(shown))
            }
        }
    }

    private func printIntro() {
        let heading = "podlab walk: \(lab.name)"
        emit(style.bold(heading))
        emit(String(repeating: "═", count: min(width, max(heading.count, 20))))
        if !lab.title.isEmpty { emit(markdown.wrap("**\(lab.title)**", indent: "", hanging: "").joined(separator: "\n")) }
        if !lab.description.isEmpty {
            emit("")
            emit(markdown.render(lab.description))
        }
        emit("")
        let keys = options.auto ? "running without stopping (--auto)" : "Enter runs a step, s skips it, q quits and cleans up (so does Ctrl-C)"
        emit(markdown.wrap("Namespace \(namespace) · \(lab.steps.count) steps · " + keys, indent: "", hanging: "").map { style.dim($0) }.joined(separator: "\n"))
    }

    private func printCommands(_ operations: [LabOperation], values: [String: String]) {
        var seen = Set<String>()
        var lines: [String] = []
        for operation in operations {
            for command in EquivalentCommands.commands(for: operation, lab: lab, values: values) where seen.insert(command).inserted {
                lines.append(command)
            }
        }
        guard !lines.isEmpty else { return }
        emit(style.bold("Try it yourself:"))
        printShellLines(lines)
    }

    private func printObservations(_ operation: OperationReport, redact: (String) -> String) {
        for observation in operation.observations {
            switch observation {
            case let .fact(name, value):
                for line in redact(value).split(separator: "\n", omittingEmptySubsequences: false) {
                    emitWrapped(String(line), first: "      " + style.dim(name + ":") + " ", hanging: "        ")
                }
            case let .containers(_, rows):
                for row in rows {
                    emitWrapped([row.name.padding(toLength: 16, withPad: " ", startingAt: 0), row.state.padding(toLength: 8, withPad: " ", startingAt: 0),
                                     "PID " + (row.pid.map(String.init) ?? "-"), "attempt \(row.restartCount)", String(row.id.prefix(12))].joined(separator: "  "), first: "      ", hanging: "        ")
                }
            case let .namespaces(table):
                for kind in table.presentKinds {
                    // The host's own namespace (user; cgroup when not unshared) is not one the pod shares.
                    let verdict = table.sharing(kind) == .host ? "host   " : (table.isShared(kind) ? style.green("shared ") : (table.isPrivate(kind) ? style.yellow("private") : "mixed  "))
                    let detail: String
                    if table.isShared(kind), let inode = table.reference?.inodes[kind] {
                        detail = "\(kind):[\(inode)]"
                    } else {
                        detail = table.rows.map { "\($0.process) \($0.inodes[kind].map(String.init) ?? "?")" }.joined(separator: " · ")
                    }
                    emitWrapped(detail, first: "      " + kind.padding(toLength: 7, withPad: " ", startingAt: 0) + verdict + "  ", hanging: "                  ")
                }
            case let .processTree(_, root):
                for line in ProcessTreeText.render(root).split(separator: "\n") { emit("      " + line) }
            }
        }
        for command in operation.commands {
            let output = redact((command.stdout + command.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
            guard !output.isEmpty else { continue }
            // Every line is shown: the output is what the step teaches.
            for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
                emitWrapped(String(line), first: "      " + style.dim("│ "), hanging: "      " + style.dim("│ "))
            }
        }
    }

    private func printSummary(_ report: LabReport, runner: LabRunner) {
        emit("")
        let result = report.failed ? style.red("failed") : (runner.quitRequested ? style.yellow("ended early (q)") : style.green("passed"))
        emit(style.bold("\(lab.name) \(result): \(report.passedStepCount)/\(report.labSteps.count) steps passed in \(DurationText.format(report.duration))"))
        endedEarly = runner.quitRequested
        let notDone = report.labSteps.filter { $0.skipReason != nil }
        if !notDone.isEmpty {
            emit(style.yellow("Not done:"))
            for step in notDone { emit("  " + style.yellow("○") + " step \(step.displayName) (\(step.skipReason ?? ""))") }
        }
        if options.keep && !runner.quitRequested {
            emit("The pods are still running in namespace \(namespace). Delete them with:")
            printShellLines([LabRunner.deleteCommand(namespace: namespace)])
        }
    }

    /// Prompts until a key maps to a decision; with `auto` returns `automatic` at once.
    private func ask<Decision>(_ prompt: String, auto automatic: Decision, _ decide: (WalkKey) -> Decision?) -> Decision {
        if options.auto { return automatic }
        while true {
            write(style.bold(prompt) + " ")
            let key = input.readKey()
            write("\n")
            if let decision = decide(key) { return decision }
            emit(style.dim("(press Enter, s or q)"))
        }
    }
}
