import Foundation
import Reports

/// The run's console output: one line per operation and step with timings, a summary per lab,
/// and the suite summary with per-lab times. Colour only when asked (TTY and no `NO_COLOR`).
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

    /// Console lines are kept to this width (errors and command output excepted).
    static let width = 80

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    private func emit(_ line: String) {
        lock.lock()
        write(line + "\n")
        lock.unlock()
    }

    public func labStarted(_ lab: Lab, namespace: String) {
        if !quiet {
            emit(paint("=== RUN   \(lab.name)", "1") + "  [namespace \(namespace)]")
            emit("    " + (lab.title.count > Self.width - 4 ? String(lab.title.prefix(Self.width - 5)) + "…" : lab.title))
        }
    }

    public func operationFinished(_ lab: Lab, step: String, _ operation: OperationReport) {
        let status = operation.failed ? paint("FAIL", "31") : paint("ok  ", "32")
        // One line per operation that fits 80 columns: status, time, where, what (cut with …).
        let phase = operation.phase == .try ? "" : operation.phase.rawValue + " "
        let head = "  \(DurationText.format(operation.duration).padding(toLength: 8, withPad: " ", startingAt: 0)) \(step): \(phase)"
        let room = max(10, Self.width - 7 - head.count)
        let what = operation.summary.count > room ? String(operation.summary.prefix(room - 1)) + "…" : operation.summary
        let line = "  \(status)" + head + what
        if !quiet || operation.failed { emit(line) }
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
            result = paint("SKIP", "33") + " (\(reason))"
        } else {
            result = step.failed ? paint("FAIL", "31") : paint("PASS", "32")
        }
        emit("--- \(result) \(lab.name)/\(step.displayName) (\(DurationText.format(step.duration)))")
    }

    public func labFinished(_ lab: Lab, _ report: LabReport) {
        if quiet && !report.failed { return }
        if let reason = report.notRunReason {
            emit("=== \(paint("SKIP", "1;33"))  \(lab.name): not run (\(reason))")
            return
        }
        let result = report.failed ? paint("FAIL", "1;31") : paint("PASS", "1;32")
        emit("=== \(result)  \(lab.name): \(report.passedStepCount)/\(report.labSteps.count) steps passed (\(DurationText.format(report.duration)))")
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
