import Foundation
import PodObservations

/// The pod backend the lab runner drives. PodKit implements it for real pods (wired in
/// `PodlabCLI`'s `makeLabBackend()`); tests use an in-memory fake.

/// A pod created by `apply`.
public struct LabPodRef: Codable, Hashable, Sendable {
    /// The pod's name in the manifest (for a Deployment, the Deployment's name).
    public var name: String
    /// The backend's id of the pod, unique within the lab's namespace.
    public var id: String

    public init(name: String, id: String) {
        self.name = name
        self.id = id
    }
}

/// One container of a pod, as `kubectl get pod -o yaml` / `crictl inspect` would describe it.
public struct LabContainerStatus: Codable, Sendable {
    public var name: String
    public var id: String
    public var image: String
    public var pid: Int32?
    /// `"running"`, `"waiting"` or `"exited"`.
    public var state: String
    public var reason: String?
    public var restartCount: Int
    public var exitCode: Int32?
    public var lastExitCode: Int32?
    public var lastReason: String?
    /// Kubelet's per-container `ready` (PodKit's `ContainerStatus.isReady`); nil: a backend
    /// without probes, where running means ready.
    public var ready: Bool?

    /// Whether the container counts as ready in kubectl's READY column.
    public var isReady: Bool { ready ?? (state == "running") }

    public init(name: String, id: String, image: String, pid: Int32?, state: String, reason: String? = nil, restartCount: Int = 0,
                exitCode: Int32? = nil, lastExitCode: Int32? = nil, lastReason: String? = nil, ready: Bool? = nil) {
        self.ready = ready
        self.name = name
        self.id = id
        self.image = image
        self.pid = pid
        self.state = state
        self.reason = reason
        self.restartCount = restartCount
        self.exitCode = exitCode
        self.lastExitCode = lastExitCode
        self.lastReason = lastReason
    }
}

/// A pod's status: phase, readiness, network and its app containers (pause is not among them,
/// exactly like `kubectl describe`).
public struct LabPodStatus: Codable, Sendable {
    public var ref: LabPodRef
    /// `Pending`, `Running`, `Succeeded` or `Failed`.
    public var phase: String
    public var ready: Bool
    public var ip: String?
    public var pausePID: Int32?
    /// The pinned network namespace, e.g. `/run/netns/podlab-<pod>`.
    public var netnsPath: String?
    public var containers: [LabContainerStatus]
    /// The sandbox (pause) container's id as `crictl pods` shows it; nil if the backend has none.
    public var sandboxID: String?

    public init(ref: LabPodRef, phase: String, ready: Bool, ip: String?, pausePID: Int32?, netnsPath: String?, containers: [LabContainerStatus],
                sandboxID: String? = nil) {
        self.sandboxID = sandboxID
        self.ref = ref
        self.phase = phase
        self.ready = ready
        self.ip = ip
        self.pausePID = pausePID
        self.netnsPath = netnsPath
        self.containers = containers
    }
}

/// The process a `kill` signalled: `"pause"` or the container's name, and its pid.
public struct LabSignalledProcess: Codable, Sendable, Equatable {
    public var name: String
    public var pid: Int32?

    public init(name: String, pid: Int32?) {
        self.name = name
        self.pid = pid
    }
}

/// What a command run inside a container produced.
public struct LabExecResult: Codable, Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String

    public init(exitCode: Int32, stdout: String, stderr: String) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Everything the lab runner needs from pods. All calls are synchronous; the runner serialises
/// calls to one backend instance (parallel labs each get their own instance).
public protocol LabBackend: AnyObject {
    /// Applies a Kubernetes manifest file (multi-document YAML). `imageMap` maps manifest image names to catalog names (e.g. "alpine:3.2" -> "busybox"). Pods get a backend id unique to `namespace`, so parallel labs never collide.
    func apply(manifestPath: String, imageMap: [String: String], namespace: String) throws -> [LabPodRef]
    func podStatus(_ pod: LabPodRef) throws -> LabPodStatus
    /// The pod's containers on the node as crictl lists them: pause's sandbox first, then each
    /// container's current attempt.
    func containers(_ pod: LabPodRef) throws -> [ContainerRow]
    /// Reads the pod's status, then again after every change, until `check` returns true or
    /// `deadline` passes; returns the last status read. The real backend sleeps in PodKit's
    /// event-driven wait engine (no fixed-interval polling), so a wait ends as soon as the pod
    /// changes. Throws if the pod goes away or can no longer change (its supervisor is gone).
    func waitForStatus(_ pod: LabPodRef, until deadline: Date, _ check: (LabPodStatus) throws -> Bool) throws -> LabPodStatus
    func namespaces(_ pod: LabPodRef) throws -> [NamespaceRow]
    func exec(_ pod: LabPodRef, container: String?, command: [String], timeout: Double) throws -> LabExecResult
    /// Sends a signal to a container's main process: `container` names it, `"pause"` means the
    /// sandbox, nil the default container (the `kubectl.kubernetes.io/default-container`
    /// annotation, else the first app container: the rule of `podlab kill`). Returns which
    /// process got it.
    @discardableResult
    func kill(_ pod: LabPodRef, container: String?, signal: Int32) throws -> LabSignalledProcess
    func processTree(_ pod: LabPodRef) throws -> ProcessNode  // supervisor -> pause + containers
    func logs(_ pod: LabPodRef, container: String?, previous: Bool) throws -> String
    func delete(_ pod: LabPodRef, gracePeriod: Double) throws
    /// Deletes every pod of a namespace (the runner's safety net on failure or Ctrl-C).
    func deleteAll(namespace: String) throws
    /// Deletes several pods with overlapping grace periods (the lab's cleanup); one error per
    /// pod, in order, nil where the delete succeeded.
    func deleteTogether(_ pods: [LabPodRef], gracePeriod: Double) -> [(any Error)?]
}

extension LabBackend {
    /// One pod after another: for backends whose deletes are instant (fakes, host-only labs).
    public func deleteTogether(_ pods: [LabPodRef], gracePeriod: Double) -> [(any Error)?] {
        pods.map { pod in
            do {
                try delete(pod, gracePeriod: gracePeriod)
                return nil
            } catch {
                return error
            }
        }
    }
}
