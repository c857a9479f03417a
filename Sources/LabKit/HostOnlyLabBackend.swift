import Foundation
import PodlabCore
import PodObservations

/// The backend for labs that never touch a pod (only `script` and `sleep`): every pod call
/// fails with a message saying so, and there is nothing to delete. Lets `podlab walk` run such
/// labs (demos, tests) on a host where the pod backend is not available.
public final class HostOnlyLabBackend: LabBackend {
    public init() {}

    private func refuse(_ call: String) -> PodlabError {
        PodlabError(.unsupported, "\(call): this run has no pod backend (the lab was expected to use only script and sleep)")
    }

    public func apply(manifestPath: String, imageMap: [String: String], namespace: String) throws -> [LabPodRef] { throw refuse("apply \(manifestPath)") }
    public func podStatus(_ pod: LabPodRef) throws -> LabPodStatus { throw refuse("status of pod \(pod.name)") }
    public func namespaces(_ pod: LabPodRef) throws -> [NamespaceRow] { throw refuse("namespaces of pod \(pod.name)") }
    public func exec(_ pod: LabPodRef, container: String?, command: [String], timeout: Double) throws -> LabExecResult { throw refuse("exec in pod \(pod.name)") }
    public func kill(_ pod: LabPodRef, container: String?, signal: Int32) throws -> LabSignalledProcess { throw refuse("kill in pod \(pod.name)") }
    public func containers(_ pod: LabPodRef) throws -> [ContainerRow] { throw refuse("containers of pod \(pod.name)") }
    public func waitForStatus(_ pod: LabPodRef, until deadline: Date, _ check: (LabPodStatus) throws -> Bool) throws -> LabPodStatus {
        throw refuse("wait for pod \(pod.name)")
    }
    public func processTree(_ pod: LabPodRef) throws -> ProcessNode { throw refuse("process tree of pod \(pod.name)") }
    public func logs(_ pod: LabPodRef, container: String?, previous: Bool) throws -> String { throw refuse("logs of pod \(pod.name)") }
    public func delete(_ pod: LabPodRef, gracePeriod: Double) throws {}
    public func deleteAll(namespace: String) throws {}
}

extension Lab {
    /// False when every operation is a `script` or `sleep` that names no pod, so the lab can
    /// run without a pod backend.
    public var needsPods: Bool {
        var operations = cleanup
        for step in steps {
            operations += step.tryOperations + step.catchOperations + step.finallyOperations
            operations += (step.task?.verify ?? []) + (step.task?.solution ?? [])
        }
        return operations.contains { operation in
            switch operation.action {
            case let .script(pod, _, _): return pod != nil
            case .sleep: return false
            default: return true
            }
        }
    }
}
