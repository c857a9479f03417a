import Foundation
import PodlabCore

/// What the supervisor needs from the machine, behind one protocol so the kubelet logic
/// (restarts, back-off, sandbox recreation, phases) is unit-tested without root.
/// `LinuxPodRuntime` is the real implementation.
public protocol PodRuntime: AnyObject {
    /// Creates the sandbox: pod cgroup, network namespace + veth + IP, /dev/shm, pod files, and
    /// the pause process. On failure nothing is left behind.
    func createSandbox(_ record: PodRecord) throws -> SandboxStatus
    /// Stops pause (if alive) and removes the sandbox (netns, IP lease, shm, pod cgroup). Idempotent.
    func destroySandbox(_ record: PodRecord)
    /// Prepares the pod's volumes (emptyDir, configMap); they outlive sandbox recreation.
    func prepareVolumes(_ record: PodRecord) throws
    /// Removes the pod's volumes (on delete only).
    func removeVolumes(_ record: PodRecord)
    /// Starts one container attempt in the sandbox: fresh writable rootfs, its own cgroup.
    func startContainer(_ spec: ContainerSpec, status: ContainerStatus, record: PodRecord) throws -> StartedContainer
    /// Removes a finished attempt's writable layer and cgroup. Idempotent.
    func cleanupContainer(_ status: ContainerStatus, record: PodRecord)
    /// Whether the attempt's cgroup recorded an OOM kill.
    func wasOOMKilled(_ status: ContainerStatus, record: PodRecord) -> Bool
    /// Starts `command` in a running container (its namespaces, root, cgroup and capabilities,
    /// as `podlab exec`) for an exec probe or hook, without waiting: its exit arrives through
    /// `reapExitedChild`. stdin is /dev/null; stdout and stderr go to the returned file.
    func startHandlerProcess(_ command: [String], container: ContainerStatus, record: PodRecord) throws -> HandlerProcess
    /// The host path of the attempt's termination message file (read before `cleanupContainer`).
    func terminationMessageFile(_ status: ContainerStatus, record: PodRecord) -> String?
    /// Sends a signal to a process (the supervisor's children only).
    func signal(_ pid: Int32, _ signal: Int32)
    /// One exited child of this process, without blocking. Behind the protocol because
    /// `waitpid(-1)` reaps *any* child: run in-process (unit tests, a lab runner) it would steal
    /// other children's exits.
    func reapExitedChild() -> ChildReap
}

/// An exec handler's process: its pid and an unlinked file holding its combined output (the
/// caller owns and closes the descriptor), as kubelet keeps an exec probe's output for the
/// probe's message.
public struct HandlerProcess: Sendable {
    public var pid: Int32
    public var output: Int32?
    public init(pid: Int32, output: Int32?) {
        self.pid = pid
        self.output = output
    }
}

/// What `PodRuntime.reapExitedChild` found.
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
