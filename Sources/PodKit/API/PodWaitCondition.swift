import Foundation
import PodlabCore

/// What `podlab wait --for` asks for (kubectl wait's conditions, docs/FIDELITY.md #141).
public enum PodWaitCondition: Sendable, Equatable {
    case phase(PodPhase)
    /// The pod's Ready condition (`PodReadiness.ready`).
    case ready
    /// nil: every app container's current attempt has exited.
    case exited(container: String?)
    case deleted

    /// `phase=Running`, `condition=Ready`, `exited`, `exited=app`, `delete`.
    public init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        let key = parts.first?.lowercased() ?? ""
        let value = parts.count == 2 ? parts[1] : nil
        switch (key, value) {
        case ("phase", let value?):
            guard let phase = [PodPhase.pending, .running, .succeeded, .failed].first(where: { $0.rawValue.lowercased() == value.lowercased() }) else {
                return nil
            }
            self = .phase(phase)
        case ("condition", let value?) where ["ready", "containersready"].contains(value.lowercased()):
            self = .ready
        case ("exited", nil):
            self = .exited(container: nil)
        case ("exited", let name?) where !name.isEmpty:
            self = .exited(container: name)
        case ("delete", nil), ("deleted", nil):
            self = .deleted
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .phase(let phase): return "phase=\(phase.rawValue)"
        case .ready: return "condition=Ready"
        case .exited(let container?): return "exited=\(container)"
        case .exited(nil): return "exited"
        case .deleted: return "delete"
        }
    }

    /// Whether the record meets the condition (`.deleted` never does while a record exists).
    public func holds(for pod: PodRecord) throws -> Bool {
        switch self {
        case .phase(let phase):
            return pod.phase == phase
        case .ready:
            return PodReadiness.ready(pod).status
        case .exited(let name?):
            return try pod.container(name).state == .exited
        case .exited(nil):
            let apps = pod.containers.filter { !$0.isInit }
            return !apps.isEmpty && apps.allSatisfy { $0.state == .exited }
        case .deleted:
            return false
        }
    }

    /// Why the condition can never hold any more, if that is already certain: Succeeded and
    /// Failed are terminal (kubelet never restarts containers of such a pod).
    public func impossible(for pod: PodRecord) -> String? {
        if let failure = pod.failure { return "pod \(pod.spec.name) failed: \(failure)" }
        guard pod.phase == .succeeded || pod.phase == .failed else { return nil }
        let terminal = "pod \(pod.spec.name) is \(pod.phase.rawValue), a terminal phase: \(description) can no longer hold"
        switch self {
        case .phase(let phase): return phase == pod.phase ? nil : terminal
        case .ready: return terminal
        case .exited, .deleted: return nil
        }
    }

    /// The answer for one state the wait engine saw: true when met, nil to keep waiting; throws
    /// when the condition can no longer hold.
    public func evaluate(_ state: PodWatchState, name: String) throws -> Bool? {
        switch state {
        case .deleted:
            if self == .deleted { return true }
            throw PodlabError(.notFound, "pod \(name) was deleted while waiting for \(description)")
        case .present(let record):
            if try holds(for: record) { return true }
            if let reason = impossible(for: record) { throw PodlabError(.invalidState, reason) }
            return nil
        case .supervisorGone(let record):
            if try holds(for: record) { return true }
            return nil  // the engine reports the dead supervisor
        }
    }

    /// `phase Running, sandbox ready, containers: app Running (restarts 0)`, for timeout messages.
    public static func summary(_ pod: PodRecord) -> String {
        let containers = pod.containers.map { "\($0.name) \($0.state.display)" + ($0.restartCount > 0 ? " (restarts \($0.restartCount))" : "") }
        return "phase \(pod.phase.rawValue), sandbox \(pod.sandbox.ready ? "ready" : "not ready"), containers: \(containers.joined(separator: ", "))"
    }
}
