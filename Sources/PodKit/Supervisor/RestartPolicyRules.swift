import Foundation

/// Kubelet's restart rules and CrashLoopBackOff timing.
///
/// Sources: `pkg/kubelet/container/helpers.go: ShouldContainerBeRestarted` (docs/FIDELITY.md #17),
/// `pkg/kubelet/kuberuntime/kuberuntime_manager.go: doBackOff` and `pkg/util/flowcontrol/backoff.go`
/// (#19): first restart immediate, then 10 s doubling to 300 s, reset after 10 minutes.
public struct CrashLoopBackOff: Sendable, Equatable {
    /// `initialCrashLoopBackOff` (10 s) times `scale`.
    public var initial: TimeInterval
    /// `MaxContainerBackOff` (300 s) times `scale`.
    public var maximum: TimeInterval
    /// flowcontrol's `HasExpired`: 2 × max (600 s) without a restart decision resets the back-off.
    public var resetAfter: TimeInterval

    /// Kubernetes' defaults scaled by `scale` (1 = real timing; the annotation
    /// `podlab.dev/backoff-scale` lets a lab use e.g. 0.05 for 0.5 s → 15 s).
    public init(scale: Double = 1) {
        initial = 10 * scale
        maximum = 300 * scale
        resetAfter = 600 * scale
    }

    /// The annotation a pod uses to scale back-off timing down (documented in the README).
    public static let scaleAnnotation = "podlab.dev/backoff-scale"

    /// Per-container back-off memory, kept across attempts (keyed by container name, like
    /// kubelet's `<pod>_<container>` key).
    public struct Entry: Sendable, Equatable, Codable {
        /// The delay applied at the last decision (0 for the immediate first restart).
        public var delay: TimeInterval
        public var lastUpdate: Date
    }

    /// Decides how long to wait before restarting a container that finished at `finishedAt`,
    /// updating its entry.
    public func nextDelay(entry: inout Entry?, finishedAt: Date) -> TimeInterval {
        if let current = entry, finishedAt.timeIntervalSince(current.lastUpdate) <= resetAfter {
            let delay = current.delay == 0 ? initial : min(current.delay * 2, maximum)
            entry = Entry(delay: delay, lastUpdate: finishedAt)
            return delay
        }
        // No entry yet, or it expired: the restart is immediate (within one PLEG relist).
        entry = Entry(delay: 0, lastUpdate: finishedAt)
        return 0
    }

    /// kubelet's message while waiting, with Go duration formatting (`5m0s`).
    public static func message(delay: TimeInterval, container: String, pod: String, namespace: String, uid: String) -> String {
        "back-off \(goDuration(delay)) restarting failed container=\(container) pod=\(pod)_\(namespace)(\(uid))"
    }

    static func goDuration(_ seconds: TimeInterval) -> String {
        if seconds < 60 {
            let rounded = (seconds * 1000).rounded() / 1000
            return rounded == rounded.rounded() ? "\(Int(rounded))s" : "\(rounded)s"
        }
        let whole = Int(seconds.rounded())
        return whole >= 3600 ? "\(whole / 3600)h\(whole % 3600 / 60)m\(whole % 60)s" : "\(whole / 60)m\(whole % 60)s"
    }
}

/// `ShouldContainerBeRestarted` for a container that has exited.
public func shouldRestart(policy: RestartPolicy, exitCode: Int32) -> Bool {
    switch policy {
    case .always: return true
    case .onFailure: return exitCode != 0
    case .never: return false
    }
}

/// containerd's exit code for a wait status: the code, or 128 + signal (`exitSignalOffset`).
public func exitCode(fromWaitStatus status: Int32) -> (code: Int32, signal: Int32?) {
    let exit = SpawnResult.Exit(waitStatus: status)
    if case .signaled(let signal) = exit { return (exit.exitCode, signal) }
    return (exit.exitCode, nil)
}

/// The wait status of a normal exit with `code` (an exec's exit code reported by a CRI
/// runtime, fed to code that reads wait statuses). Codes outside 0...255 become 255.
func exitWaitStatus(_ code: Int32) -> Int32 {
    (0...255).contains(code) ? code << 8 : 255 << 8
}

/// Pod phase from container states (docs/FIDELITY.md #23, `pkg/kubelet/kubelet_pods.go: getPhase`).
public func podPhase(containers: [ContainerStatus], policy: RestartPolicy, sandboxReady: Bool, started: Bool) -> PodPhase {
    let apps = containers.filter { !$0.isInit }
    guard started, !apps.isEmpty else { return .pending }
    // A regular init container that failed and will not be retried (`restartPolicy: Never`)
    // fails the pod (`getPhase`: failedInitialization > 0 with RestartPolicyNever, #57).
    if policy == .never, containers.contains(where: { $0.isInit && !$0.isSidecar && $0.state == .exited && ($0.exitCode ?? 0) != 0 }) {
        return .failed
    }
    if apps.contains(where: { $0.state == .running || $0.nextStartAt != nil }) { return .running }
    if apps.contains(where: { $0.state == .created }) { return .pending }
    let allExited = apps.allSatisfy { $0.state == .exited }
    guard allExited else { return .running }
    let failures = apps.contains { ($0.exitCode ?? 0) != 0 }
    switch policy {
    case .always: return .running
    case .onFailure: return failures ? .running : .succeeded
    case .never: return failures ? .failed : .succeeded
    }
}
