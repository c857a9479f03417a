import Foundation
import RootfsKit
import PodlabCore

/// CRI container states (`runtime/v1` ContainerState), as crictl prints them.
public enum ContainerState: String, Codable, Sendable {
    case created = "CONTAINER_CREATED"
    case running = "CONTAINER_RUNNING"
    case exited = "CONTAINER_EXITED"
    case unknown = "CONTAINER_UNKNOWN"

    /// crictl's STATE column: `Created`, `Running`, `Exited`, `Unknown`.
    public var display: String {
        switch self {
        case .created: return "Created"
        case .running: return "Running"
        case .exited: return "Exited"
        case .unknown: return "Unknown"
        }
    }
}

/// Pod phase (docs/FIDELITY.md #23).
public enum PodPhase: String, Codable, Sendable {
    case pending = "Pending"
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"
}

/// How a container attempt ended (docs/FIDELITY.md #20): `exitCode` is 128+signal for signal deaths.
public struct TerminatedState: Codable, Sendable, Equatable {
    public var containerID: String
    public var exitCode: Int32
    /// The signal that killed it, if any.
    public var signal: Int32?
    /// `Completed` (exit 0), `Error`, or `OOMKilled`.
    public var reason: String
    public var startedAt: Date
    public var finishedAt: Date
    public var logPath: String
    /// `terminated.message`: the termination message, or why podlab killed it (docs/FIDELITY.md #49, #55).
    public var message: String? = nil
}

/// One container of a pod (init, sidecar or app) and its current attempt.
public struct ContainerStatus: Codable, Sendable {
    public var name: String
    /// 64 hex characters, new for every attempt (a restart is a new container).
    public var id: String
    /// The image as the manifest wrote it, and the catalog entry it resolved to.
    public var image: String
    public var imageRef: String
    public var imageDigest: String
    public var isInit: Bool
    public var isSidecar: Bool
    public var state: ContainerState
    /// Kubelet's `restartCount`, used as the CRI attempt.
    public var restartCount: Int
    public var pid: Int32?
    public var createdAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32?
    public var signal: Int32?
    public var reason: String?
    /// `waiting.reason`, e.g. `CrashLoopBackOff`, with kubelet's message.
    public var waitingReason: String?
    public var waitingMessage: String?
    /// When the supervisor will start the next attempt (back-off), if one is scheduled.
    public var nextStartAt: Date?
    public var lastTerminated: TerminatedState?
    public var logPath: String
    public var cgroupPath: String?
    /// Stored readiness (docs/FIDELITY.md #50); nil in records written before probes existed.
    public var readyFlag: Bool? = nil
    /// Stored `started` (the startup probe, #48); nil in older records.
    public var startedFlag: Bool? = nil
    /// `terminated.message` of the current attempt once it ended (#49, #55).
    public var message: String? = nil

    /// kubelet's `ContainerStatus.ready`: running, started, and its readiness probe (if any)
    /// succeeded (`prober_manager.go` UpdatePodStatus). Records without the flag had no
    /// probes, so there a running container is ready.
    public var ready: Bool {
        get { readyFlag ?? (state == .running) }
        set { readyFlag = newValue }
    }

    /// kubelet's `ContainerStatus.started`: running and past its startup probe.
    public var started: Bool {
        get { startedFlag ?? (state == .running) }
        set { startedFlag = newValue }
    }

    /// Kubernetes' waiting/running/terminated view.
    public var kubeState: String {
        switch state {
        case .running: return "running"
        case .exited: return waitingReason != nil || nextStartAt != nil ? "waiting" : "terminated"
        case .created, .unknown: return "waiting"
        }
    }
}

/// The sandbox: pause process plus the namespaces and network it holds.
public struct SandboxStatus: Codable, Sendable {
    /// `SANDBOX_READY` while pause runs, `SANDBOX_NOTREADY` otherwise (CRI PodSandboxState).
    public var ready: Bool
    /// Incremented each time the sandbox is recreated (pause died).
    public var attempt: Int
    public var pausePID: Int32?
    public var netnsPath: String?
    public var ip: String?
    public var gateway: String?
    public var hostVeth: String?
    public var createdAt: Date?
    /// This sandbox's own id (docs/FIDELITY.md #89): a recreated sandbox gets a new one. nil
    /// for the pod's first sandbox, whose id is the record's `id` (and in older records).
    public var id: String? = nil
}

/// Everything podlab knows about one pod, persisted as `<stateDir>/pods/<key>/pod.json`.
///
/// Written by `apply` (once) and then only by the pod's supervisor, atomically; every other
/// podlab process (ps, inspect, ns, exec, delete) only reads it.
public struct PodRecord: Codable, Sendable {
    /// Directory name and unique handle: `PodRecord.key(name:namespace:)` when the record was
    /// created (stored, never recomputed: host names of a live pod derive from it).
    public var key: String
    /// Sandbox id: 64 hex characters (crictl shows the first 13).
    public var id: String
    public var uid: String
    public var spec: PodSpec
    public var createdAt: Date
    public var phase: PodPhase
    public var supervisorPID: Int32?
    public var sandbox: SandboxStatus
    public var containers: [ContainerStatus]
    /// Set when the supervisor could not build or keep the pod: the reason, for `apply` to show.
    public var failure: String?
    /// Set by the supervisor when it has tried to start every container once.
    public var started: Bool
    /// Set while the pod is being deleted.
    public var terminating: Bool
    /// Resolved image lower directories by container name (the read-only cache).
    public var imageRoots: [String: String]
    /// The image config of each container's image, by container name (docs/FIDELITY.md #95);
    /// nil in records written before podlab kept image configs, and no entry for an image that
    /// carries none.
    public var imageConfigs: [String: ImageConfig]? = nil
    /// Sandboxes this pod had before the current one, oldest first, each NotReady with its own
    /// id and attempt (docs/FIDELITY.md #89); nil in older records and before pause first died.
    public var previousSandboxes: [SandboxStatus]? = nil
    /// Replaced container attempts not yet garbage-collected, oldest first (docs/FIDELITY.md
    /// #178, `DeadContainer`); nil in records written before podlab kept them.
    public var deadContainers: [DeadContainer]? = nil

    /// The pinned netns's name for `ip netns` (`podlab-<pod>`, qualified by the state directory
    /// outside the default one): the pin the sandbox made, else the name it would have.
    public var netnsName: String {
        if let path = sandbox.netnsPath { return (path as NSString).lastPathComponent }
        return "podlab-" + PodlabPaths.fromEnvironment().hostName(forPod: key)
    }

    /// The record's pod key for a name/namespace pair: `<name>` or `<namespace>--<name>`, the
    /// name of the pod's state directory and the seed of every host-side name; one key per
    /// pair (`PodKey.make`, docs/FIDELITY.md #94, #173). A record keeps the key it was created
    /// with, so pods made under an older scheme (`<namespace>-<name>`) keep theirs.
    public static func key(name: String, namespace: String) -> String {
        PodKey.make(name: name, namespace: namespace)
    }
}
