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
    /// Text width; 80 at most by default.
    public var width = 80

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
    private let markdown: TerminalMarkdown
    private let progress: ProgressLine?
    private let backend: any LabBackend
    /// `file:line:column` → operation, to show an operation's checks next to its result.
    private let operationsByLocation: [String: LabOperation]
    private var shownExploreHelp = false
    private var runner: LabRunner?

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
        self.markdown = TerminalMarkdown(width: options.width, style: TerminalStyle(color: options.color))
        self.progress = options.progress ? ProgressLine(width: options.width, write: write) : nil
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
        let title = " Step \(index + 1)/\(lab.steps.count): \(step.name) "
        emit("")
        emit(style.bold("──" + title + String(repeating: "─", count: max(2, options.width - title.count - 2))))
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
        var parts = ["pod \(pod.name)"]
        if let ip = status.ip { parts.append("IP \(ip)") }
        if let pid = status.pausePID { parts.append("pause PID \(pid)") }
        if let netns { parts.append("netns \(netns)") }
        parts += status.containers.map { "\($0.name) PID \($0.pid.map(String.init) ?? "-")" }
        emit(markdown.wrap(parts.joined(separator: " · "), indent: "", hanging: "  ", markup: false).map { style.dim($0) }.joined(separator: "\n"))
        if !shownExploreHelp {
            shownExploreHelp = true
            emit(style.dim("The pod stays up between steps; explore it from a second terminal:"))
            for line in EquivalentCommands.explore(pod: pod.name, pausePID: status.pausePID, netns: status.netnsPath,
                                                   containers: status.containers.map { ($0.name, $0.pid) }) {
                emit("  " + style.code("$ " + line))
            }
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
        let time = DurationText.format(operation.duration) + (operation.attempts > 1 ? ", \(operation.attempts) attempts" : "")
        emit(markdown.wrap(phase + operation.summary, indent: "  " + style.mark(passed: !operation.failed) + " ", hanging: "    ", markup: false).joined(separator: "\n")
             + " " + style.dim("(\(time))"))
        printObservations(operation)
        if !operation.failed, let source = operationsByLocation[operation.location] {
            let values = runner?.knownValues(pod: source.action.pod) ?? [:]
            for check in source.checks {
                let expected = check.kind == .matches ? check.expected : BindingTemplate.expand(check.expected) { values[$0] ?? "$\($0)" }
                emit("      " + style.green("✔") + " \(check.field) \(check.kind.rawValue) \(shorten(expected))")
            }
        }
        if let error = operation.error {
            for line in error.split(separator: "\n").prefix(6) {
                emit(markdown.wrap(String(line), indent: "      ", hanging: "      ", markup: false).map { style.red($0) }.joined(separator: "\n"))
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

    private func shorten(_ text: String) -> String {
        let line = text.replacingOccurrences(of: "\n", with: " ")
        let room = max(20, options.width - 12)
        return line.count > room ? String(line.prefix(room - 1)) + "…" : line
    }

    private func printIntro() {
        let heading = "podlab walk: \(lab.name)"
        emit(style.bold(heading))
        emit(String(repeating: "═", count: min(options.width, max(heading.count, 20))))
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
        for line in lines {
            let wrapped = markdown.wrap(line.hasPrefix("#") ? line : "$ " + line, indent: "  ", hanging: "      ", markup: false)
            emit(wrapped.map { line.hasPrefix("#") ? style.dim($0) : style.code($0) }.joined(separator: "\n"))
        }
    }

    private func printObservations(_ operation: OperationReport) {
        for observation in operation.observations {
            switch observation {
            case let .fact(name, value):
                emit("      " + style.dim(name + ":") + " " + shorten(value))
            case let .containers(_, rows):
                for row in rows {
                    emit("      " + [row.name.padding(toLength: 16, withPad: " ", startingAt: 0), row.state.padding(toLength: 8, withPad: " ", startingAt: 0),
                                     "PID " + (row.pid.map(String.init) ?? "-"), "attempt \(row.restartCount)", String(row.id.prefix(12))].joined(separator: "  "))
                }
            case let .namespaces(table):
                for kind in table.presentKinds {
                    let verdict = table.isShared(kind) ? style.green("shared ") : (table.isPrivate(kind) ? style.yellow("private") : "mixed  ")
                    let detail: String
                    if table.isShared(kind), let inode = table.reference?.inodes[kind] {
                        detail = "\(kind):[\(inode)]"
                    } else {
                        detail = table.rows.map { "\($0.process) \($0.inodes[kind].map(String.init) ?? "?")" }.joined(separator: " · ")
                    }
                    emit("      " + kind.padding(toLength: 7, withPad: " ", startingAt: 0) + verdict + "  " + shorten(detail))
                }
            case let .processTree(_, root):
                for line in ProcessTreeText.render(root).split(separator: "\n") { emit("      " + line) }
            }
        }
        for command in operation.commands {
            let output = (command.stdout + command.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !output.isEmpty else { continue }
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
            for line in lines.prefix(8) { emit("      " + style.dim("│ ") + shorten(String(line))) }
            if lines.count > 8 { emit("      " + style.dim("│ … \(lines.count - 8) more lines in the report")) }
        }
    }

    private func printSummary(_ report: LabReport, runner: LabRunner) {
        emit("")
        let result = report.failed ? style.red("failed") : (runner.quitRequested ? style.yellow("ended early (q)") : style.green("passed"))
        emit(style.bold("\(lab.name) \(result): \(report.passedStepCount)/\(report.labSteps.count) steps passed in \(DurationText.format(report.duration))"))
        if options.keep && !runner.quitRequested {
            emit("The pods are still running in namespace \(namespace). Delete them with:")
            emit("  " + style.code("$ " + LabRunner.deleteCommand(namespace: namespace)))
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
