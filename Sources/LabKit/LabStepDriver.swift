import Reports

/// Drives a lab step by step: `podlab walk` implements it to wait for the student before each
/// step and each task attempt. Without a driver the runner runs every step at once (`podlab run`).
///
/// Called on the runner's thread, between operations, so implementations may block (read a key).
public protocol LabStepDriver: AnyObject {
    /// Before step `index` (0-based) runs: run it, skip it, or end the lab (cleanup runs).
    func beforeStep(_ step: LabStep, index: Int, runner: LabRunner) -> LabStepDecision
    /// Before each attempt at a student task. `lastFailure` holds the previous attempt's verify
    /// operations when it failed (nil before the first attempt).
    func beforeTaskAttempt(_ step: LabStep, task: LabTask, attempt: Int, lastFailure: [OperationReport]?, runner: LabRunner) -> LabTaskDecision
    /// After a step ran or was skipped.
    func afterStep(_ step: LabStep, report: StepReport, runner: LabRunner)
}

/// What to do with the next step.
public enum LabStepDecision: Sendable {
    case run
    /// Record the step as skipped by the user; later steps still run.
    case skip
    /// Skip every remaining step and clean up.
    case quit
}

/// What to do with a student task.
public enum LabTaskDecision: Sendable {
    /// The student says it is done: run `verify`.
    case check
    /// Run the scripted `solution`, then `verify`.
    case solution
    /// Leave the task undone (the step is reported as skipped).
    case skip
    /// End the lab (cleanup runs).
    case quit
}
