import Foundation
import Reports

/// Runs one lab with chainsaw's step semantics:
/// - `try` operations run in order and the first failure stops the step (unless the operation
///   says `continueOnError`);
/// - `catch` runs only when the step failed, every operation even if one fails;
/// - `finally` always runs;
/// - a failed step skips the remaining steps;
/// - lab `cleanup` always runs, then every pod of the lab is deleted, then `deleteAll` on the
///   lab's namespace as a safety net — also on Ctrl-C/SIGTERM through `InterruptGuard`.
public final class LabRunner {
    /// Seconds between SIGTERM and SIGKILL when the runner deletes a lab's pods at cleanup.
    public static let cleanupGracePeriod: Double = 1

    public let lab: Lab
    public let namespace: String
    private let state: LabRunState
    private weak var observer: (any LabRunObserver)?

    /// - Parameters:
    ///   - namespace: unique per run, so parallel labs never collide.
    ///   - observer: progress callbacks (held weakly).
    public init(lab: Lab, namespace: String, backend: any LabBackend, observer: (any LabRunObserver)? = nil) {
        self.lab = lab
        self.namespace = namespace
        self.state = LabRunState(lab: lab, namespace: namespace, backend: backend)
        self.observer = observer
    }

    /// Runs the lab to the end and returns its report. Never throws: failures are in the report.
    public func run() -> LabReport {
        let start = Date()
        observer?.labStarted(lab, namespace: namespace)
        let backend = state.backend
        let namespace = self.namespace
        let token = InterruptGuard.shared.register { try? backend.deleteAll(namespace: namespace) }
        defer { InterruptGuard.shared.unregister(token) }

        var steps: [StepReport] = []
        var failedStep: String?
        for (offset, step) in lab.steps.enumerated() {
            if let failedStep {
                let now = Date()
                let skipped = StepReport(index: offset + 1, name: step.name, skipReason: "step \(failedStep) failed", startTime: now, endTime: now, operations: [])
                steps.append(skipped)
                observer?.stepFinished(lab, skipped)
                continue
            }
            let report = runStep(step, index: offset + 1)
            steps.append(report)
            observer?.stepFinished(lab, report)
            if report.failed { failedStep = report.displayName }
        }
        let cleanup = runCleanup()
        steps.append(cleanup)
        observer?.stepFinished(lab, cleanup)
        let report = LabReport(name: lab.name, title: lab.title, file: lab.file, namespace: namespace, startTime: start, endTime: Date(), steps: steps)
        observer?.labFinished(lab, report)
        return report
    }

    private func runStep(_ step: LabStep, index: Int) -> StepReport {
        let start = Date()
        let timeouts = lab.timeouts.overridden(by: step.timeouts)
        var operations: [OperationReport] = []
        var failed = false
        for operation in step.tryOperations {
            let report = runOperation(operation, phase: .try, timeouts: timeouts, step: step.name)
            operations.append(report)
            if report.failed {
                failed = true
                if !operation.continueOnError { break }
            }
        }
        if failed {
            for operation in step.catchOperations {
                operations.append(runOperation(operation, phase: .catch, timeouts: timeouts, step: step.name))
            }
        }
        for operation in step.finallyOperations {
            operations.append(runOperation(operation, phase: .finally, timeouts: timeouts, step: step.name))
        }
        return StepReport(index: index, name: step.name, startTime: start, endTime: Date(), operations: operations)
    }

    private func runCleanup() -> StepReport {
        let start = Date()
        var operations: [OperationReport] = []
        let cleanupTimeout = lab.timeouts.value(.cleanup)
        for operation in lab.cleanup {
            // Cleanup operations are bounded by the cleanup timeout unless they set their own.
            let timeouts = lab.timeouts.overridden(by: LabTimeouts(operation.verb.timeoutKind.map { [$0: cleanupTimeout] } ?? [:]))
            operations.append(runOperation(operation, phase: .cleanup, timeouts: timeouts, step: "@cleanup"))
        }
        for pod in state.pods.reversed() {
            let opStart = Date()
            var failure: String?
            do {
                // A short grace period: the lab is over, and an app like `sleep` that ignores
                // SIGTERM as PID 1 would otherwise hold cleanup for the pod's full 30 s.
                try state.backend.delete(pod, gracePeriod: min(LabRunner.cleanupGracePeriod, cleanupTimeout))
            } catch {
                failure = "delete pod \(pod.name) (\(pod.id)): \(error)"
            }
            let report = OperationReport(verb: "delete", summary: "delete pod \(pod.name)", phase: .cleanup, location: lab.file,
                                         startTime: opStart, endTime: Date(), error: failure)
            operations.append(report)
            observer?.operationFinished(lab, step: "@cleanup", report)
        }
        let opStart = Date()
        var failure: String?
        do {
            try state.backend.deleteAll(namespace: namespace)
        } catch {
            failure = "delete all pods of namespace \(namespace): \(error)"
        }
        operations.append(OperationReport(verb: "delete", summary: "delete everything left in namespace \(namespace)", phase: .cleanup,
                                          location: lab.file, startTime: opStart, endTime: Date(), error: failure))
        return StepReport(index: 0, name: "@cleanup", kind: .cleanup, startTime: start, endTime: Date(), operations: operations)
    }

    /// Runs one operation, with `eventually` retries, checks and outputs.
    private func runOperation(_ operation: LabOperation, phase: OperationReport.Phase, timeouts: LabTimeouts, step: String) -> OperationReport {
        let start = Date()
        let timeout = operation.timeout ?? operation.verb.timeoutKind.map(timeouts.value) ?? timeouts.value(.exec)
        let executor = OperationExecutor(state: state, timeout: timeout)
        let retryDeadline = operation.eventually.map { start.addingTimeInterval($0.timeout ?? timeouts.value(.assert)) }
        var attempts = 0
        var outcome = OperationOutcome()
        while true {
            attempts += 1
            do {
                outcome = try executor.run(operation)
            } catch {
                outcome = OperationOutcome(error: "\(error)")
            }
            if outcome.error == nil {
                outcome.error = CheckEvaluator.firstFailure(operation.checks, values: outcome.values) { try state.expand($0, pod: operation.action.pod) }
            }
            guard outcome.error != nil, let deadline = retryDeadline, let eventually = operation.eventually else { break }
            if Date().addingTimeInterval(eventually.interval) > deadline {
                outcome.error = "\(outcome.error ?? "") — still failing after \(attempts) attempts in \(LabDuration.format(Date().timeIntervalSince(start)))"
                break
            }
            Thread.sleep(forTimeInterval: eventually.interval)
        }
        if outcome.error == nil {
            for output in operation.outputs {
                let value = (outcome.values[output.field] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                state.save(output.binding, value)
                outcome.observations.append(.fact(name: "$\(output.binding)", value: value))
            }
        }
        let report = OperationReport(
            verb: operation.verb.rawValue, summary: OperationExecutor.summary(operation), phase: phase,
            location: operation.location.description, startTime: start, endTime: Date(), attempts: attempts,
            observations: outcome.observations, commands: outcome.commands, error: outcome.error)
        observer?.operationFinished(lab, step: step, report)
        return report
    }
}
