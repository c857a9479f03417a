import Reports

/// Progress callbacks while labs run (the console log implements them). Called from the
/// lab's own thread; with `--parallel` several labs call at once, so implementations lock.
public protocol LabRunObserver: AnyObject {
    func labStarted(_ lab: Lab, namespace: String)
    func operationFinished(_ lab: Lab, step: String, _ operation: OperationReport)
    func stepFinished(_ lab: Lab, _ step: StepReport)
    func labFinished(_ lab: Lab, _ report: LabReport)
}
