import Foundation
import Reports

/// The run's console output: one line per operation and step with timings, a summary per lab,
/// and the suite summary with per-lab times. Colour only when asked (TTY and no `NO_COLOR`).
///
/// The lines that look like `go test -v` follow its exact format, so tools that read go test
/// output (go-junit-report, test2json and gotestsum on top of it) parse them: `=== RUN   name`
/// and `--- PASS: name (0.04s)` (`testing.go` prints `"--- %s: %s (%s)\n"` with
/// `fmtDuration` = `"%.2fs"`), steps as indented subtests `lab/01_step` (go replaces spaces in
/// subtest names with `_`). Nothing is cut to a width: logs go to files and CI pages.
public final class ConsoleLog: LabRunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private let write: (String) -> Void
    private let color: Bool
    private let quiet: Bool
    private var buffered: [String: [String]] = [:]

    /// - Parameters:
    ///   - color: ANSI colours (callers pass `isatty(1) && NO_COLOR unset`).
    ///   - quiet: only failures and summaries.
    ///   - write: where lines go (stdout in the CLI, a buffer in tests).
    public init(color: Bool, quiet: Bool, write: @escaping (String) -> Void) {
        self.color = color
        self.quiet = quiet
        self.write = write
    }

    /// Colour is on for a terminal unless `NO_COLOR` is set (https://no-color.org).
    public static func wantsColor(fileDescriptor: Int32 = 1, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isatty(fileDescriptor) == 1 && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    /// go test's duration format (`testing.go` `fmtDuration`): `0.04s`.
    public static func goDuration(_ seconds: TimeInterval) -> String { String(format: "%.2fs", max(0, seconds)) }

    /// go test's subtest name for a step: `lab/01_create-pod` (spaces become `_`, as
    /// `testing.rewrite` does).
    public static func goName(lab: String, step: String? = nil) -> String {
        let full = step.map { lab + "/" + $0 } ?? lab
        return full.replacingOccurrences(of: " ", with: "_")
    }

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    private func emit(_ line: String) {
        lock.lock()
        write(line + "\n")
        lock.unlock()
    }

    public func labStarted(_ lab: Lab, namespace: String) {
        if !quiet {
            emit(paint("=== RUN   \(Self.goName(lab: lab.name))", "1"))
            emit("    \(lab.title)" + (lab.title.isEmpty ? "" : "  ") + "[namespace \(namespace)]")
        }
    }

    public func operationFinished(_ lab: Lab, step: String, _ operation: OperationReport) {
        let status = operation.failed ? paint("FAIL", "31") : paint("ok  ", "32")
        // One line per operation: status, time, where, what (whole: logs are never cut).
        let phase = operation.phase == .try ? "" : operation.phase.rawValue + " "
        let head = "  \(DurationText.format(operation.duration).padding(toLength: 8, withPad: " ", startingAt: 0)) \(step): \(phase)"
        let line = "  \(status)" + head + operation.summary
        if !quiet || operation.failed || operation.phase == .catch { emit(line) }
        // A catch block gathers evidence for a failure (container list, logs): show it.
        if operation.phase == .catch && operation.error == nil {
            let evidence = [EvidenceText.observations(operation)] + operation.commands.map { command in
                "=== COMMAND (\(command.target)) \(command.command)\n" + command.stdout + command.stderr
            }
            for block in evidence where !block.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                emit(indent(block.trimmingCharacters(in: .newlines)))
            }
        }
        if let error = operation.error {
            for errorLine in error.split(separator: "\n") { emit("    " + paint(String(errorLine), "31")) }
            for command in operation.commands {
                emit("    === COMMAND (\(command.target)) \(command.command.split(separator: "\n").first ?? "")")
                if !command.stdout.isEmpty { emit("    === STDOUT\n" + indent(command.stdout)) }
                if !command.stderr.isEmpty { emit("    === STDERR\n" + indent(command.stderr)) }
            }
        }
    }

    public func stepFinished(_ lab: Lab, _ step: StepReport) {
        if quiet && !step.failed { return }
        let result: String
        if let reason = step.skipReason {
            result = paint("SKIP", "33")
            emit("    --- \(result): \(Self.goName(lab: lab.name, step: step.displayName)) (\(Self.goDuration(0)))")
            emit("        \(reason)")
            return
        } else {
            result = step.failed ? paint("FAIL", "31") : paint("PASS", "32")
        }
        emit("    --- \(result): \(Self.goName(lab: lab.name, step: step.displayName)) (\(Self.goDuration(step.duration)))")
    }

    public func labFinished(_ lab: Lab, _ report: LabReport) {
        if quiet && !report.failed { return }
        if let reason = report.notRunReason {
            emit("--- \(paint("SKIP", "1;33")): \(Self.goName(lab: lab.name)) (\(Self.goDuration(0)))")
            emit("    not run: \(reason)")
            return
        }
        let result = report.failed ? paint("FAIL", "1;31") : paint("PASS", "1;32")
        emit("--- \(result): \(Self.goName(lab: lab.name)) (\(Self.goDuration(report.duration)))")
        emit("    \(report.passedStepCount)/\(report.labSteps.count) steps passed")
    }

    /// The suite summary: per-lab times, counts and wall time.
    public func summary(_ report: Report, files: [String]) {
        var lines = ["", "Labs summary:"]
        for lab in report.labs {
            let result = lab.failed ? paint("FAIL", "31") : (lab.notRun ? paint("SKIP", "33") : paint("PASS", "32"))
            let time = lab.notRunReason.map { "not run (\($0))" } ?? DurationText.format(lab.duration)
            lines.append("  \(result)  \(lab.name.padding(toLength: max(24, lab.name.count), withPad: " ", startingAt: 0))  \(time)")
            if let failure = lab.firstFailure {
                lines.append("        \(failure.step.displayName): \(failure.operation.error?.split(separator: "\n").first ?? "")")
            }
        }
        let failed = report.failedLabs.count
        lines.append("- Passed labs \(report.passedLabs.count)")
        lines.append("- Failed labs \(failed)")
        if !report.notRunLabs.isEmpty { lines.append("- Not run labs \(report.notRunLabs.count)") }
        lines.append("Wall time \(DurationText.format(report.duration)) for \(report.labs.count) lab(s)")
        for file in files.prefix(1) { lines.append("Report: \(file)") }
        if files.count > 1 { lines.append("Other report files: \(files.dropFirst().joined(separator: ", "))") }
        emit(lines.joined(separator: "\n"))
    }

    private func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
    }
}
