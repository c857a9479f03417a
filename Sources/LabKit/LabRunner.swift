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
    /// The grace period of the pods' delete at cleanup: 0, the explicit force kill (`podlab delete
    /// --grace-period 0`, kubectl's `--grace-period=0 --force`: no preStop, SIGKILL at once).
    /// The lab has made its observations by then. Any positive value costs at least kubelet's
    /// 2 s minimum grace (docs/FIDELITY.md #54) for every lab whose app ignores SIGTERM as PID 1
    /// (busybox `sleep`): 2.15 s of a 3.18 s `pause-persistence` run. A lab that wants to watch a
    /// graceful stop makes one happen in a step (`graceful-shutdown` fails a liveness probe).
    public static let cleanupGracePeriod: Double = 0

    public let lab: Lab
    public let namespace: String
    private let state: LabRunState
    private weak var observer: (any LabRunObserver)?
    private var startTime = Date()
    private var started = false
    private var interruptToken: UUID?
    private var steps: [StepReport] = []
    private var failedStep: String?
    /// Set when a driver asked to quit; the remaining steps are skipped.
    public private(set) var quitRequested = false

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
    /// - Parameters:
    ///   - driver: asked before each step and task attempt (`podlab walk`); nil runs everything
    ///     and runs tasks' solutions (`podlab run`).
    ///   - keepPods: when every step was reached, leave the pods running and skip the lab's
    ///     `cleanup` (a quit or Ctrl-C still cleans up).
    public func run(driver: (any LabStepDriver)? = nil, keepPods: Bool = false) -> LabReport {
        start()
        for offset in lab.steps.indices {
            let step = lab.steps[offset]
            let report: StepReport
            if let failedStep {
                report = recordSkipped(at: offset, reason: "step \(failedStep) failed")
            } else if quitRequested {
                report = recordSkipped(at: offset, reason: "the walk was ended (q)")
            } else {
                switch driver?.beforeStep(step, index: offset, runner: self) ?? .run {
                case .run:
                    report = runStep(at: offset, driver: driver)
                case .skip:
                    report = recordSkipped(at: offset, reason: "skipped by the user")
                case .quit:
                    quitRequested = true
                    report = recordSkipped(at: offset, reason: "the walk was ended (q)")
                }
            }
            driver?.afterStep(step, report: report, runner: self)
        }
        return finish(keepPods: keepPods && !quitRequested)
    }

    /// Starts the run: announces it and arms Ctrl-C/SIGTERM to delete the lab's pods.
    /// Called by `run` and by the first `runStep`; calling it again does nothing.
    public func start() {
        guard !started else { return }
        started = true
        startTime = Date()
        observer?.labStarted(lab, namespace: namespace)
        let backend = state.backend
        let namespace = self.namespace
        interruptToken = InterruptGuard.shared.register { try? backend.deleteAll(namespace: namespace) }
    }

    /// Runs one step (0-based `offset`) now and records it. A task step runs its solution and
    /// verify, or, with a driver, asks it before each attempt.
    @discardableResult
    public func runStep(at offset: Int, driver: (any LabStepDriver)? = nil) -> StepReport {
        start()
        let step = lab.steps[offset]
        let begin = Date()
        let timeouts = lab.timeouts.overridden(by: step.timeouts)
        var operations: [OperationReport]
        var failed: Bool
        if let task = step.task {
            guard let result = runTask(step, task, timeouts: timeouts, driver: driver) else {
                return recordSkipped(at: offset, reason: quitRequested ? "the walk was ended (q)" : "task skipped by the student")
            }
            (operations, failed) = result
        } else {
            (operations, failed) = runSequence(step.tryOperations, phase: .try, timeouts: timeouts, step: step.name)
        }
        if failed {
            for operation in step.catchOperations {
                operations.append(runOperation(operation, phase: .catch, timeouts: timeouts, step: step.name))
            }
        }
        for operation in step.finallyOperations {
            operations.append(runOperation(operation, phase: .finally, timeouts: timeouts, step: step.name))
        }
        let report = StepReport(index: offset + 1, name: step.name, startTime: begin, endTime: Date(), operations: operations)
        record(report)
        return report
    }

    /// Records step `offset` as not run.
    @discardableResult
    public func recordSkipped(at offset: Int, reason: String) -> StepReport {
        let now = Date()
        let report = StepReport(index: offset + 1, name: lab.steps[offset].name, skipReason: reason, startTime: now, endTime: now, operations: [])
        record(report)
        return report
    }

    /// Runs the lab's cleanup and deletes its pods (unless `keepPods`), then returns the report
    /// of every step recorded so far.
    public func finish(keepPods: Bool = false) -> LabReport {
        start()
        let cleanup = keepPods ? keptCleanup() : runCleanup()
        steps.append(cleanup)
        observer?.stepFinished(lab, cleanup)
        // Cleaned up, or (with keepPods) left on purpose: either way a late Ctrl-C must not delete.
        if let token = interruptToken { InterruptGuard.shared.unregister(token) }
        interruptToken = nil
        let report = LabReport(name: lab.name, title: lab.title, file: lab.file, namespace: namespace, startTime: startTime, endTime: Date(), steps: steps)
        observer?.labFinished(lab, report)
        return report
    }

    /// The pods applied so far, in order.
    public var pods: [LabPodRef] { state.pods }

    /// The current status of a pod, or nil when the backend cannot say.
    public func status(of pod: LabPodRef) -> LabPodStatus? { try? state.backend.podStatus(pod) }

    /// Every binding known now: the lab's, the outputs saved so far, and the built-ins of `pod`
    /// (the first applied pod when nil). For showing commands a person could type.
    public func knownValues(pod: String? = nil) -> [String: String] {
        state.builtins(pod: pod).merging(state.bindings) { _, new in new }
    }

    private func record(_ report: StepReport) {
        steps.append(report)
        observer?.stepFinished(lab, report)
        if report.failed && failedStep == nil { failedStep = report.displayName }
    }

    /// Operations in order; the first failure stops them unless it says `continueOnError`.
    private func runSequence(_ list: [LabOperation], phase: OperationReport.Phase, timeouts: LabTimeouts, step: String) -> ([OperationReport], Bool) {
        var operations: [OperationReport] = []
        var failed = false
        for operation in list {
            let report = runOperation(operation, phase: phase, timeouts: timeouts, step: step)
            operations.append(report)
            if report.failed {
                failed = true
                if !operation.continueOnError { break }
            }
        }
        return (operations, failed)
    }

    /// A student task: nil when skipped or quit. The report keeps the last verify attempt (and
    /// the solution when it ran) plus a `task` line saying who did it.
    private func runTask(_ step: LabStep, _ task: LabTask, timeouts: LabTimeouts, driver: (any LabStepDriver)?) -> ([OperationReport], Bool)? {
        let begin = Date()
        guard let driver else {
            let (solution, solutionFailed) = runSequence(task.solution, phase: .solution, timeouts: timeouts, step: step.name)
            if solutionFailed { return (solution, true) }
            let (verify, failed) = runSequence(task.verify, phase: .verify, timeouts: timeouts, step: step.name)
            if failed { return (solution + verify, true) }
            return (solution + verify + [taskNote("solved by the scripted solution", begin, task, step: step.name)], false)
        }
        var lastFailure: [OperationReport]?
        var attempt = 0
        while true {
            attempt += 1
            switch driver.beforeTaskAttempt(step, task: task, attempt: attempt, lastFailure: lastFailure, runner: self) {
            case .check:
                let (verify, failed) = runSequence(task.verify, phase: .verify, timeouts: timeouts, step: step.name)
                if !failed {
                    return (verify + [taskNote("done by the student (attempt \(attempt))", begin, task, step: step.name)], false)
                }
                lastFailure = verify
            case .solution:
                let (solution, solutionFailed) = runSequence(task.solution, phase: .solution, timeouts: timeouts, step: step.name)
                if solutionFailed { return (solution, true) }
                let (verify, failed) = runSequence(task.verify, phase: .verify, timeouts: timeouts, step: step.name)
                if failed { return (solution + verify, true) }
                let tries = attempt - 1
                let note = taskNote("solution shown after \(tries) attempt\(tries == 1 ? "" : "s") by the student", begin, task, step: step.name)
                return (solution + verify + [note], false)
            case .skip:
                return nil
            case .quit:
                quitRequested = true
                return nil
            }
        }
    }

    private func taskNote(_ outcome: String, _ begin: Date, _ task: LabTask, step: String) -> OperationReport {
        let note = OperationReport(verb: "task", summary: "student task: \(outcome)", phase: .verify, location: task.location.description,
                                   startTime: begin, endTime: Date(), observations: [.fact(name: "student task", value: outcome)])
        observer?.operationFinished(lab, step: step, note)
        return note
    }

    /// `--keep`: nothing is deleted; the report says how to delete it later.
    private func keptCleanup() -> StepReport {
        let now = Date()
        let note = OperationReport(verb: "keep", summary: "pods kept (--keep): delete them with `\(Self.deleteCommand(namespace: namespace))`",
                                   phase: .cleanup, location: lab.file, startTime: now, endTime: now,
                                   observations: [.fact(name: "pods kept in namespace", value: namespace)])
        return StepReport(index: 0, name: "@cleanup", kind: .cleanup, skipReason: "--keep: pods left running", startTime: now, endTime: now, operations: [note])
    }

    /// How a person deletes what a kept run left behind.
    public static func deleteCommand(namespace: String) -> String { "podlab delete -n \(namespace) --all" }

    private func runCleanup() -> StepReport {
        let start = Date()
        var operations: [OperationReport] = []
        let cleanupTimeout = lab.timeouts.value(.cleanup)
        for operation in lab.cleanup {
            // Cleanup operations are bounded by the cleanup timeout unless they set their own.
            let timeouts = lab.timeouts.overridden(by: LabTimeouts(operation.verb.timeoutKind.map { [$0: cleanupTimeout] } ?? [:]))
            operations.append(runOperation(operation, phase: .cleanup, timeouts: timeouts, step: "@cleanup"))
        }
        // Every pod gets its SIGTERM before the first is waited for: the grace periods overlap,
        // so a lab's cleanup costs one grace period, not one per pod (docs/FIDELITY.md #192).
        let pods = Array(state.pods.reversed())
        let deleteStart = Date()
        let errors = state.backend.deleteTogether(pods, gracePeriod: min(LabRunner.cleanupGracePeriod, cleanupTimeout))
        let deleteEnd = Date()
        for (pod, error) in zip(pods, errors) {
            let failure = error.map { "delete pod \(pod.name) (\(pod.id)): \($0)" }
            let report = OperationReport(verb: "delete", summary: "delete pod \(pod.name)", phase: .cleanup, location: lab.file,
                                         startTime: deleteStart, endTime: deleteEnd, error: failure)
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
        var retryWait = 0.0
        var outcome = OperationOutcome()
        let summary = OperationExecutor.summary(operation)
        observer?.operationStarted(lab, step: step, summary: summary, operation: operation)
        while true {
            attempts += 1
            do {
                outcome = try executor.run(operation)
            } catch {
                outcome = OperationOutcome(error: "\(error)")
            }
            if outcome.error == nil {
                let failing = CheckEvaluator.firstFailingCheck(operation.checks, values: outcome.values) { try state.expand($0, pod: operation.action.pod) }
                outcome.error = failing?.message
                outcome.check = failing?.check
            }
            guard outcome.error != nil, let deadline = retryDeadline, let eventually = operation.eventually else { break }
            if Date().addingTimeInterval(eventually.interval) > deadline {
                outcome.error = "\(outcome.error ?? "") — still failing after \(attempts) attempts in \(LabDuration.format(Date().timeIntervalSince(start)))"
                break
            }
            observer?.operationRetrying(lab, step: step, summary: summary, attempt: attempts, lastError: outcome.error ?? "")
            let sleepStart = Date()
            Thread.sleep(forTimeInterval: eventually.interval)
            retryWait += Date().timeIntervalSince(sleepStart)
        }
        if outcome.error == nil {
            for output in operation.outputs {
                let value = (outcome.values[output.field] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                state.save(output.binding, value)
                outcome.observations.append(.fact(name: "$\(output.binding)", value: value))
            }
        }
        var report = OperationReport(
            verb: operation.verb.rawValue, summary: summary, phase: phase,
            location: operation.location.description, startTime: start, endTime: Date(), attempts: attempts,
            observations: outcome.observations, commands: outcome.commands, error: outcome.error)
        report.check = outcome.error == nil ? nil : outcome.check
        report.retryWaitSeconds = retryWait
        observer?.operationFinished(lab, step: step, report)
        return report
    }
}
