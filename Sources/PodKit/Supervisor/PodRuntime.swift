import Foundation
import PodlabCore

/// What the supervisor (kubelet's role: restarts, back-off, probes, phases) needs from a
/// container runtime, shaped like CRI's `runtime.v1` RuntimeService verbs so that a second
/// runtime (containerd's CRI plugin) plugs in as one more implementation
/// (kubernetes `staging/src/k8s.io/cri-api/pkg/apis/services.go`, docs/FIDELITY.md #155).
///
/// `LinuxPodRuntime` builds the sandbox itself (podlab's runtime); Linux-only details (reaping
/// children, signals, handler processes, the termination-message host path) stay behind it.
/// The kubelet logic is unit-tested without root against a fake.
public protocol PodRuntime: AnyObject {
    // MARK: sandbox

    /// CRI `RunPodSandbox`: pod cgroup, network namespace + IP, /dev/shm, pod files and the
    /// sandbox (pause) process. On failure nothing is left behind.
    func runPodSandbox(_ record: PodRecord) throws -> SandboxStatus
    /// CRI `StopPodSandbox`: stops the sandbox process (if alive) and its network. Idempotent.
    func stopPodSandbox(_ record: PodRecord)
    /// CRI `RemovePodSandbox`: removes what is left of a stopped sandbox. Idempotent.
    func removePodSandbox(_ record: PodRecord)

    // MARK: volumes (kubelet's volume manager: host directories that outlive sandboxes)

    /// Prepares the pod's volumes (emptyDir, configMap) on the host.
    func prepareVolumes(_ record: PodRecord) throws
    /// Removes the pod's volumes (on delete only).
    func removeVolumes(_ record: PodRecord)

    // MARK: containers

    /// CRI `CreateContainer` for one attempt (`status.id`): fresh writable rootfs, mounts, its
    /// cgroup. A `ContainerConfigError` means the configuration cannot be generated (kubelet's
    /// CreateContainerConfigError); nothing is left behind then.
    func createContainer(_ spec: ContainerSpec, status: ContainerStatus, record: PodRecord) throws
    /// CRI `StartContainer` of an attempt `createContainer` made: its pid and cgroup.
    func startContainer(_ status: ContainerStatus, record: PodRecord) throws -> StartedContainer
    /// Sends `signal` to a running attempt. kubelet's killContainer times SIGTERM and SIGKILL
    /// itself here (preStop, grace, the 2 s minimum), where CRI's `StopContainer(timeout)`
    /// would do both in the runtime.
    func stopContainer(_ status: ContainerStatus, signal: Int32, record: PodRecord)
    /// CRI `RemoveContainer`: the finished attempt's writable layer and cgroup. Idempotent.
    func removeContainer(_ status: ContainerStatus, record: PodRecord)
    /// CRI `ContainerStatus` of a finished attempt (read before `removeContainer`): the OOM
    /// reason and where its termination message is.
    func containerStatus(_ status: ContainerStatus, record: PodRecord) -> RuntimeContainerStatus

    // MARK: exec (probes and hooks)

    /// Starts `command` in a running container (CRI `Exec`/`ExecSync` started asynchronously)
    /// for an exec probe or hook, without waiting: its end arrives as `.execExited` or, for
    /// podlab's runtime, `.processExited` of the returned handle. stdin is /dev/null.
    func execStart(_ command: [String], container: ContainerStatus, record: PodRecord, timeout: TimeInterval) throws -> HandlerProcess
    /// Ends an exec that outlived its timeout.
    func cancelExec(_ handle: Int32)

    // MARK: events

    /// The next thing that happened, without blocking (podlab's runtime: one reaped child;
    /// CRI: a relist of the pod's sandbox and containers, like kubelet's PLEG).
    func nextEvent() -> RuntimeEvent
    /// How often the supervisor must ask for events when nothing wakes it: nil when a signal
    /// (SIGCHLD) wakes it; CRI runtimes are relisted on this interval.
    var relistInterval: TimeInterval? { get }
    /// Whether the sandbox is going away although its exit has not been reported yet. A
    /// restart must not be started into it: kubelet's `computePodActions` sees the dead
    /// sandbox and the dead containers in one relist and recreates the sandbox first.
    func sandboxIsExiting(_ record: PodRecord) -> Bool
}

extension PodRuntime {
    /// CRI runtimes report the sandbox and its containers together in one relist.
    public func sandboxIsExiting(_ record: PodRecord) -> Bool { false }
}

/// What a runtime reports to the supervisor.
public enum RuntimeEvent: Equatable, Sendable {
    /// A process this runtime started (pause, a container, an exec) exited with this wait
    /// status; the supervisor matches the pid (podlab's runtime, `waitpid`).
    case processExited(pid: Int32, waitStatus: Int32)
    /// A container attempt (podlab's container id) exited (CRI: ContainerStatus EXITED).
    case containerExited(id: String, exitCode: Int32, finishedAt: Date?)
    /// The sandbox is no longer ready (CRI: PodSandboxStatus NOTREADY).
    case sandboxExited
    /// An exec started by `execStart` finished with this exit code.
    case execExited(handle: Int32, exitCode: Int32)
    /// Nothing happened yet.
    case nothing
    /// Nothing can ever happen: no process, no container (a fake runtime).
    case nothingToWatch
}

/// What CRI `ContainerStatus` says about a finished attempt beyond its exit code.
public struct RuntimeContainerStatus: Sendable, Equatable {
    /// The attempt's cgroup saw an OOM kill (CRI reason `OOMKilled`).
    public var oomKilled: Bool
    /// The host file behind the attempt's terminationMessagePath, if any.
    public var terminationMessageFile: String?
    public init(oomKilled: Bool, terminationMessageFile: String?) {
        self.oomKilled = oomKilled
        self.terminationMessageFile = terminationMessageFile
    }
}

/// An exec handler's handle (podlab's runtime: its pid) and an unlinked file holding its
/// combined output (the caller owns and closes the descriptor), as kubelet keeps an exec
/// probe's output for the probe's message.
public struct HandlerProcess: Sendable {
    public var pid: Int32
    public var output: Int32?
    public init(pid: Int32, output: Int32?) {
        self.pid = pid
        self.output = output
    }
}

/// What `LinuxPodRuntime.reapExitedChild` found.
public enum ChildReap: Equatable, Sendable {
    /// A child exited with this wait status.
    case exited(pid: Int32, waitStatus: Int32)
    /// Children exist, none has exited.
    case noneExited
    /// There are no children at all (ECHILD).
    case noChildren
}

/// What `startContainer` reports.
public struct StartedContainer: Sendable {
    public var pid: Int32
    public var cgroupPath: String?
    public init(pid: Int32, cgroupPath: String?) {
        self.pid = pid
        self.cgroupPath = cgroupPath
    }
}

/// A container whose configuration cannot be generated (kubelet's `generateContainerConfig`
/// failing, e.g. a subPath that leaves its volume): kubelet never creates it, reports it as
/// waiting with reason `CreateContainerConfigError` and retries on the pod worker's back-off,
/// without counting a restart (`pkg/kubelet/kuberuntime/kuberuntime_container.go`
/// startContainer; `pkg/kubelet/pod_workers.go` backOffPeriod).
public struct ContainerConfigError: Error, CustomStringConvertible, Sendable {
    public let underlying: PodlabError
    public init(_ underlying: PodlabError) { self.underlying = underlying }
    public var description: String { underlying.description }
}

extension SandboxStatus {
    /// A sandbox as a runtime in another module (ContainerdKit) reports it from `runPodSandbox`.
    public static func reported(ready: Bool, attempt: Int, pausePID: Int32?, netnsPath: String?, ip: String?,
                                createdAt: Date?, id: String?) -> SandboxStatus {
        var status = SandboxStatus(ready: ready, attempt: attempt)
        status.pausePID = pausePID
        status.netnsPath = netnsPath
        status.ip = ip
        status.createdAt = createdAt
        status.id = id
        return status
    }
}
