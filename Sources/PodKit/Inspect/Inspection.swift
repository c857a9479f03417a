import Cgroups
import Foundation
import PodlabCore
import RootfsKit

/// One namespace in an OCI runtime spec: `{"type": "network", "path": "/proc/42/ns/net"}`.
public struct OCINamespace: Codable, Sendable, Equatable {
    public var type: String
    public var path: String?
}

/// `podlab inspectp`: containerd's `{status, info}` shape for a sandbox (ECOSYSTEM.md).
public enum PodInspection {
    public struct Metadata: Codable, Sendable { public var name, uid, namespace: String; public var attempt: Int }
    public struct Network: Codable, Sendable { public var ip: String; public var additionalIps: [String] }
    public struct NamespaceOptions: Codable, Sendable { public var network, pid, ipc: String }
    public struct Linux: Codable, Sendable { public var namespaces: [String: NamespaceOptions] }
    public struct Status: Codable, Sendable {
        public var id: String
        public var metadata: Metadata
        public var state: String
        public var createdAt: Date
        public var network: Network
        public var linux: Linux
        public var labels: [String: String]
        public var annotations: [String: String]
    }
    public struct RuntimeSpec: Codable, Sendable {
        public var hostname: String
        public var linux: LinuxSpec
        public struct LinuxSpec: Codable, Sendable { public var namespaces: [OCINamespace]; public var cgroupsPath: String? }
    }
    public struct Info: Codable, Sendable {
        public var pid: Int32
        public var processStatus: String
        public var netNamespaceClosed: Bool
        public var image: String
        public var runtimeType: String
        public var runtimeSpec: RuntimeSpec
        /// podlab's own facts: phase, QoS class, supervisor, veth, netns name.
        public var podlab: Extra
    }
    public struct Extra: Codable, Sendable {
        public var phase: String
        public var qosClass: String
        public var supervisorPid: Int32?
        public var netnsName: String
        public var netnsPath: String?
        public var hostVeth: String?
        public var gateway: String?
        public var failure: String?
        public var containers: [String]
    }
    public struct Document: Codable, Sendable { public var status: Status; public var info: Info }

    public static func status(_ pod: PodRecord) -> Status {
        Status(
            id: pod.sandboxID,
            metadata: Metadata(name: pod.spec.name, uid: pod.uid, namespace: pod.spec.namespace, attempt: pod.sandbox.attempt),
            state: pod.isSandboxReady ? "SANDBOX_READY" : "SANDBOX_NOTREADY",
            createdAt: pod.createdAt,
            network: Network(ip: pod.sandbox.ip ?? "", additionalIps: []),
            linux: Linux(namespaces: ["options": NamespaceOptions(network: "POD", pid: pod.spec.shareProcessNamespace ? "POD" : "CONTAINER", ipc: "POD")]),
            labels: pod.spec.labels, annotations: pod.spec.annotations)
    }

    /// Pause's cgroup below the state dir's real cgroup parent (the saved `PODLAB_CGROUP_PARENT`,
    /// not a hard-coded `podlab/`), as containerd's sandbox spec carries kubelet's cgroup parent
    /// (containerd pkg/cri sandbox_run: `WithCgroup(config.Linux.CgroupParent)`).
    static func sandboxCgroupPath(_ pod: PodRecord) -> String {
        let paths = PodlabPaths.fromEnvironment()
        let name = RuntimeConfiguration.current(paths: paths).cgroupParent
        // The real directory: `system.slice/podlab.scope/…` on systemd hosts (FIDELITY #216).
        let parent = (try? CgroupLayout.detect())?.parentCgroupPath(parent: name) ?? name
        return "\(parent)/\(LinuxPodRuntime.podCgroupPath(for: pod, paths: paths))/pause"
    }

    public static func document(_ pod: PodRecord, qosClass: String) -> Document {
        let namespaces = [
            OCINamespace(type: "pid", path: nil), OCINamespace(type: "ipc", path: nil), OCINamespace(type: "uts", path: nil),
            OCINamespace(type: "mount", path: nil), OCINamespace(type: "network", path: pod.sandbox.netnsPath),
        ]
        return Document(
            status: status(pod),
            info: Info(
                pid: pod.sandbox.pausePID ?? 0, processStatus: pod.isSandboxReady ? "running" : (pod.supervisorAlive ? "deleted" : "unknown (supervisor gone: podlab delete or podlab clean)"),
                netNamespaceClosed: pod.sandbox.netnsPath.map { !FileManager.default.fileExists(atPath: $0) } ?? true,
                image: "podlab/pause", runtimeType: "podlab",
                runtimeSpec: RuntimeSpec(hostname: pod.spec.effectiveHostname, linux: .init(namespaces: namespaces, cgroupsPath: sandboxCgroupPath(pod))),
                podlab: Extra(phase: pod.phase.rawValue, qosClass: qosClass, supervisorPid: pod.supervisorPID, netnsName: pod.netnsName,
                              netnsPath: pod.sandbox.netnsPath, hostVeth: pod.sandbox.hostVeth, gateway: pod.sandbox.gateway,
                              failure: pod.failure, containers: pod.containers.map(\.name))))
    }
}

/// `podlab inspect`: containerd's `{status, info}` shape for a container.
public enum ContainerInspection {
    public struct Metadata: Codable, Sendable { public var name: String; public var attempt: Int }
    public struct Image: Codable, Sendable { public var image: String }
    public struct LastState: Codable, Sendable {
        public var containerID: String
        public var exitCode: Int32
        public var reason: String
        public var startedAt: Date
        public var finishedAt: Date
        /// terminated.message: the termination message, or why podlab killed it (docs/FIDELITY.md #49, #55).
        public var message: String?
    }
    public struct Status: Codable, Sendable {
        public var id: String
        public var podSandboxId: String
        public var metadata: Metadata
        public var state: String
        public var createdAt: Date?
        public var startedAt: Date?
        public var finishedAt: Date?
        public var exitCode: Int32
        public var image: Image
        public var imageRef: String
        public var reason: String
        public var message: String
        public var logPath: String
        /// Kubernetes' view: `running`, `waiting` (e.g. CrashLoopBackOff) or `terminated`.
        public var kubeState: String
        public var restartCount: Int
        public var lastState: LastState?
        /// kubelet's ContainerStatus.ready and .started (probes, docs/FIDELITY.md #48, #50).
        public var ready: Bool
        public var started: Bool
    }
    public struct Info: Codable, Sendable {
        public var sandboxID: String
        public var pid: Int32
        public var removing: Bool
        public var snapshotter: String
        public var runtimeType: String
        public var runtimeSpec: RuntimeSpec
        public struct RuntimeSpec: Codable, Sendable {
            public var process: Process
            public var linux: Linux
            public struct Process: Codable, Sendable { public var args: [String]; public var cwd: String }
            public struct Linux: Codable, Sendable { public var namespaces: [OCINamespace]; public var cgroupsPath: String? }
        }
    }
    public struct Document: Codable, Sendable { public var status: Status; public var info: Info }

    public static func status(_ container: ContainerStatus, pod: PodRecord) -> Status {
        Status(
            id: container.id, podSandboxId: pod.id,
            metadata: Metadata(name: container.name, attempt: container.restartCount),
            state: container.state.rawValue, createdAt: container.createdAt, startedAt: container.startedAt,
            finishedAt: container.finishedAt, exitCode: container.exitCode ?? 0, image: Image(image: container.image),
            imageRef: "sha256:\(container.imageDigest)", reason: container.waitingReason ?? container.reason ?? "",
            message: container.waitingMessage ?? container.message ?? "", logPath: container.logPath, kubeState: container.kubeState,
            restartCount: container.restartCount,
            lastState: container.lastTerminated.map {
                LastState(containerID: $0.containerID, exitCode: $0.exitCode, reason: $0.reason, startedAt: $0.startedAt, finishedAt: $0.finishedAt,
                          message: $0.message)
            }, ready: container.ready, started: container.started)
    }

    /// The namespaces a container has, in containerd's `WithPodNamespaces` form: net/ipc/uts
    /// (and pid when shared) by path into pause; mount (and pid) its own.
    public static func namespaces(pod: PodRecord) -> [OCINamespace] {
        let pause = pod.sandbox.pausePID.map { "/proc/\($0)/ns" }
        var result = [
            OCINamespace(type: "network", path: pause.map { "\($0)/net" }),
            OCINamespace(type: "ipc", path: pause.map { "\($0)/ipc" }),
            OCINamespace(type: "uts", path: pause.map { "\($0)/uts" }),
            OCINamespace(type: "mount", path: nil),
        ]
        result.append(OCINamespace(type: "pid", path: pod.spec.shareProcessNamespace ? pause.map { "\($0)/pid" } : nil))
        return result
    }

    public static func document(_ container: ContainerStatus, pod: PodRecord) -> Document {
        let spec = (pod.spec.initContainers + pod.spec.containers).first { $0.name == container.name }
        let image = pod.imageConfigs?[container.name]
        let process = spec.flatMap { try? ImageProcessDefaults.resolve(command: $0.command, args: $0.args, workingDir: $0.workingDir, image: image) }
        let args = process?.arguments ?? []
        return Document(
            status: status(container, pod: pod),
            info: Info(
                sandboxID: pod.sandboxID, pid: container.pid ?? 0, removing: pod.terminating, snapshotter: "overlayfs", runtimeType: "podlab",
                runtimeSpec: .init(process: .init(args: args, cwd: process?.workingDirectory ?? "/"),
                                   linux: .init(namespaces: namespaces(pod: pod), cgroupsPath: container.cgroupPath))))
    }
}
