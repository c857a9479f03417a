import Reports

/// Progress callbacks while labs run (the console log implements them). Called from the
/// lab's own thread; with `--parallel` several labs call at once, so implementations lock.
public protocol LabRunObserver: AnyObject {
    func labStarted(_ lab: Lab, namespace: String)
    /// An operation is about to run (`summary` as in its report). Default: nothing.
    func operationStarted(_ lab: Lab, step: String, summary: String, operation: LabOperation)
    /// An `eventually` attempt failed and the operation will run again. Default: nothing.
    func operationRetrying(_ lab: Lab, step: String, summary: String, attempt: Int, lastError: String)
    func operationFinished(_ lab: Lab, step: String, _ operation: OperationReport)
    func stepFinished(_ lab: Lab, _ step: StepReport)
    func labFinished(_ lab: Lab, _ report: LabReport)
}

extension LabRunObserver {
    public func operationStarted(_ lab: Lab, step: String, summary: String, operation: LabOperation) {}
    public func operationRetrying(_ lab: Lab, step: String, summary: String, attempt: Int, lastError: String) {}
}
