import Foundation

/// A pod condition as kubelet reports it: status plus the reason and message `kubectl describe`
/// shows when it is false.
public struct PodCondition: Codable, Sendable, Equatable {
    public var status: Bool
    public var reason: String?
    public var message: String?

    public init(status: Bool, reason: String? = nil, message: String? = nil) {
        self.status = status
        self.reason = reason
        self.message = message
    }
}

extension ContainerStatus {
    /// Kubelet's per-container `ready`: the readiness probe's verdict when one runs
    /// (`readyFlag`, set by the supervisor's prober), else "running" (kubelet
    /// `prober_manager.go`: a container without a readiness probe is ready once started).
    public var isReady: Bool {
        guard state == .running else { return false }
        return readyFlag ?? true
    }

    /// Kubernetes' state word as labs and `podlab` rows use it: `running`, `waiting` or `exited`
    /// (`kubeState`'s `terminated`).
    public var labState: String { kubeState == "terminated" ? "exited" : kubeState }
}

/// The one readiness rule of podlab (docs/FIDELITY.md #140): `podlab wait --for=condition=Ready`,
/// `podlab get`, `inspectp` and a lab's `wait: {ready: true}` all ask this.
///
/// After kubelet `pkg/kubelet/status/generate.go` (`GenerateContainersReadyCondition`,
/// `GeneratePodReadyCondition`): ContainersReady is true when every app container and every
/// native sidecar (restartable init container) has a status and is ready; a terminal phase
/// makes it false (`PodCompleted`, `PodFailed`). Ready is ContainersReady (podlab has no
/// readiness gates). podlab adds one input kubelet gets from the runtime: a pod whose sandbox
/// (pause) is not ready has no ready containers.
public enum PodReadiness {
    /// The ContainersReady condition of `record`.
    public static func containersReady(_ record: PodRecord) -> PodCondition {
        switch record.phase {
        case .succeeded: return PodCondition(status: false, reason: "PodCompleted")
        case .failed: return PodCondition(status: false, reason: "PodFailed")
        case .pending, .running: break
        }
        let required = record.spec.initContainers.filter { $0.restartPolicy == .always }.map(\.name) + record.spec.containers.map(\.name)
        var unknown: [String] = []
        var unready: [String] = []
        for name in required {
            guard let status = record.containers.first(where: { $0.name == name }) else {
                unknown.append(name)
                continue
            }
            if !status.isReady { unready.append(name) }
        }
        var messages: [String] = []
        if !unknown.isEmpty { messages.append("containers with unknown status: [\(unknown.joined(separator: " "))]") }
        if !unready.isEmpty { messages.append("containers with unready status: [\(unready.joined(separator: " "))]") }
        if !messages.isEmpty { return PodCondition(status: false, reason: "ContainersNotReady", message: messages.joined(separator: ", ")) }
        if !record.sandbox.ready { return PodCondition(status: false, reason: "SandboxNotReady", message: "the pause process is not running") }
        return PodCondition(status: true)
    }

    /// The Ready condition of `record`: ContainersReady (no readiness gates in podlab).
    public static func ready(_ record: PodRecord) -> PodCondition { containersReady(record) }
}
