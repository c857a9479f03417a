import Foundation
import LabKit
import PodKit
import PodlabCore

/// The real pods behind lab runs.
func makeLabBackend() throws -> any LabBackend {
    try Preflight.requireRoot("run")
    return PodKitLabBackend(paths: .fromEnvironment())
}

/// `LabBackend` over PodKit: the same code paths as `podlab apply`, `ps`, `ns`, `exec`, `kill`,
/// `logs` and `delete`, so a lab observes exactly what a student would with those commands.
final class PodKitLabBackend: LabBackend {
    let paths: PodlabPaths
    let store: PodStore

    init(paths: PodlabPaths) {
        self.paths = paths
        self.store = PodStore(paths: paths)
    }

    func apply(manifestPath: String, imageMap: [String: String], namespace: String) throws -> [LabPodRef] {
        let parsed = try ManifestParser().parse(file: manifestPath)
        let pods = try PodLauncher(paths: paths).apply(parsed, imageMap: imageMap, namespace: namespace)
        // Labs name a Deployment's pod by the Deployment, as `kubectl get deploy` users think of it.
        return pods.map { LabPodRef(name: $0.spec.ownerDeployment ?? $0.spec.name, id: $0.key) }
    }

    func record(_ pod: LabPodRef) throws -> PodRecord { try store.load(key: pod.id) }

    func podStatus(_ pod: LabPodRef) throws -> LabPodStatus {
        let record = try record(pod)
        return LabPodStatus(
            ref: pod, phase: record.phase.rawValue,
            // Pod Ready: every regular container and native sidecar is ready (its readiness
            // probe passed; ContainerStatus.ready, docs/FIDELITY.md #50, #58).
            ready: record.sandbox.ready && record.containers.filter { !$0.isInit || $0.isSidecar }.allSatisfy(\.ready),
            ip: record.sandbox.ip, pausePID: record.sandbox.pausePID, netnsPath: record.sandbox.netnsPath,
            containers: record.containers.map { container in
                LabContainerStatus(
                    name: container.name, id: container.id, image: container.image,
                    pid: container.state == .running ? container.pid : nil,
                    state: container.kubeState == "terminated" ? "exited" : container.kubeState,
                    reason: container.waitingReason ?? container.reason, restartCount: container.restartCount,
                    exitCode: container.exitCode, lastExitCode: container.lastTerminated?.exitCode,
                    lastReason: container.lastTerminated?.reason)
            },
            sandboxID: record.id)
    }

    func namespaces(_ pod: LabPodRef) throws -> [LabNamespaceRow] {
        NamespaceInspector.table(for: try record(pod)).map { LabNamespaceRow(process: $0.process, pid: $0.pid, inodes: $0.inodes) }
    }

    func exec(_ pod: LabPodRef, container: String?, command: [String], timeout: Double) throws -> LabExecResult {
        // Runs `podlab exec` itself, so a timeout can kill it like any other process.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PodLauncher.currentExecutable())
        var arguments = ["exec", pod.id]
        if let container { arguments += ["-c", container] }
        process.arguments = arguments + ["--"] + command
        process.environment = ProcessInfo.processInfo.environment.merging(paths.environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        // Drain both pipes while waiting, so a chatty command cannot block on a full pipe.
        let stdoutReader = PipeReader(out), stderrReader = PipeReader(err)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw PodlabError(.timeout, "exec \(command.joined(separator: " ")) in \(pod.name) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        return LabExecResult(exitCode: process.terminationStatus, stdout: String(decoding: stdoutReader.wait(), as: UTF8.self),
                             stderr: String(decoding: stderrReader.wait(), as: UTF8.self))
    }

    func kill(_ pod: LabPodRef, container: String?, signal: Int32) throws {
        let record = try record(pod)
        let pid: Int32
        if let container {
            guard let status = record.containers.first(where: { $0.name == container }), status.state == .running, let running = status.pid else {
                throw PodlabError(.invalidState, "container \(container) of \(pod.name) is not running")
            }
            pid = running
        } else {
            guard let pause = record.sandbox.pausePID else { throw PodlabError(.invalidState, "pod \(pod.name) has no pause process") }
            pid = pause
        }
        try checkedSyscall("kill(\(pid), \(signal))") { Glibc.kill(pid, signal) }
    }

    func processTree(_ pod: LabPodRef) throws -> LabProcessNode {
        let record = try record(pod)
        guard let root = record.supervisorPID, let tree = ProcessTree.build(root: root) else {
            throw PodlabError(.invalidState, "the supervisor of \(pod.name) is not running")
        }
        func convert(_ node: ProcessTreeNode) -> LabProcessNode {
            LabProcessNode(pid: node.pid, command: node.command, children: node.children.map(convert))
        }
        return convert(tree)
    }

    func logs(_ pod: LabPodRef, container: String?, previous: Bool) throws -> String {
        let record = try record(pod)
        let status = try record.defaultContainer(container)
        let path = previous ? status.lastTerminated?.logPath : status.logPath
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PodlabError(.notFound, "no \(previous ? "previous " : "")logs for \(status.name) in \(pod.name)")
        }
        return text
    }

    func delete(_ pod: LabPodRef, gracePeriod: Double) throws {
        let record = try record(pod)
        let problems = PodDeleter(paths: paths).delete(record, grace: gracePeriod)
        if !problems.isEmpty { throw PodlabError(.invalidState, "delete \(pod.name): \(problems.joined(separator: "; "))") }
    }

    func deleteAll(namespace: String) throws {
        let deleter = PodDeleter(paths: paths)
        for record in store.list() where record.spec.namespace == namespace {
            // The safety net must be quick: no grace period (Ctrl-C, failed lab).
            deleter.delete(record, grace: 0)
        }
    }
}

/// Drains a pipe on a background thread (so a chatty child never blocks on a full pipe).
final class PipeReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// The whole output, once the writer closed the pipe.
    func wait() -> Data {
        done.wait()
        return data
    }
}
