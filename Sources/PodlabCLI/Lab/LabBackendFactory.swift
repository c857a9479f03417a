import Foundation
import LabKit
import PodKit
import PodlabCore
import PodObservations

/// The real pods behind lab runs.
func makeLabBackend() throws -> any LabBackend {
    try Preflight.requireRoot("run")
    return PodKitLabBackend(paths: .fromEnvironment())
}

/// `LabBackend` over `PodAPI`: the same calls as `podlab apply`, `ps`, `ns`, `exec`, `kill`,
/// `logs`, `wait` and `delete`, in-process, so a lab observes exactly what a student would with
/// those commands. Each method only maps PodKit's answer to LabKit's types.
final class PodKitLabBackend: LabBackend {
    let paths: PodlabPaths
    let api: PodAPI
    var store: PodStore { api.store }

    init(paths: PodlabPaths) {
        self.paths = paths
        self.api = PodAPI(paths: paths)
    }

    func apply(manifestPath: String, imageMap: [String: String], namespace: String) throws -> [LabPodRef] {
        let parsed = try ManifestParser().parse(file: manifestPath)
        let pods = try PodLauncher(paths: paths).apply(parsed, imageMap: imageMap, namespace: namespace)
        // Labs name a Deployment's pod by the Deployment, as `kubectl get deploy` users think of it.
        return pods.map { LabPodRef(name: $0.spec.ownerDeployment ?? $0.spec.name, id: $0.key) }
    }

    func record(_ pod: LabPodRef) throws -> PodRecord { try api.record(pod.id) }

    func podStatus(_ pod: LabPodRef) throws -> LabPodStatus { Self.status(pod, try record(pod)) }

    /// The lab's view of a record: readiness is `PodReadiness.ready`, the rule of `podlab wait`.
    static func status(_ pod: LabPodRef, _ record: PodRecord) -> LabPodStatus {
        LabPodStatus(
            ref: pod, phase: record.phase.rawValue,
            ready: PodReadiness.ready(record).status,
            ip: record.sandbox.ip, pausePID: record.sandbox.pausePID, netnsPath: record.sandbox.netnsPath,
            containers: record.containers.map { container in
                LabContainerStatus(
                    name: container.name, id: container.id, image: container.image,
                    pid: container.state == .running ? container.pid : nil,
                    state: container.labState,
                    reason: container.waitingReason ?? container.reason, restartCount: container.restartCount,
                    exitCode: container.exitCode, lastExitCode: container.lastTerminated?.exitCode,
                    lastReason: container.lastTerminated?.reason, ready: container.isReady)
            },
            sandboxID: record.sandboxID)
    }

    func waitForStatus(_ pod: LabPodRef, until deadline: Date, _ check: (LabPodStatus) throws -> Bool) throws -> LabPodStatus {
        var last: LabPodStatus?
        _ = try PodWatcher(store: store, key: pod.id).wait(until: deadline) { state -> Bool? in
            switch state {
            case .present(let record), .supervisorGone(let record):
                let status = Self.status(pod, record)
                last = status
                return try check(status) ? true : nil
            case .deleted:
                throw PodlabError(.notFound, "pod \(pod.name) was deleted while waiting")
            }
        }
        if let last { return last }
        return try podStatus(pod)
    }

    func containers(_ pod: LabPodRef) throws -> [ContainerRow] { api.containerRows(try record(pod)) }

    func namespaces(_ pod: LabPodRef) throws -> [NamespaceRow] { api.namespaces(try record(pod)) }

    func exec(_ pod: LabPodRef, container: String?, command: [String], timeout: Double) throws -> LabExecResult {
        let output = try api.exec(try record(pod), container: container, command: command, timeout: timeout)
        return LabExecResult(exitCode: output.exitCode, stdout: String(decoding: output.stdout, as: UTF8.self),
                             stderr: String(decoding: output.stderr, as: UTF8.self))
    }

    func kill(_ pod: LabPodRef, container: String?, signal: Int32) throws -> LabSignalledProcess {
        let killed = try api.kill(try record(pod), target: PodProcessTarget(name: container), signal: signal)
        return LabSignalledProcess(name: killed.name, pid: killed.pid)
    }

    func processTree(_ pod: LabPodRef) throws -> ProcessNode { try api.processTree(try record(pod)) }

    func logs(_ pod: LabPodRef, container: String?, previous: Bool) throws -> String {
        String(decoding: try api.logs(try record(pod), container: container, previous: previous), as: UTF8.self)
    }

    func delete(_ pod: LabPodRef, gracePeriod: Double) throws {
        let record = try record(pod)
        let problems = PodDeleter(paths: paths).delete(record, grace: gracePeriod)
        if !problems.isEmpty { throw PodlabError(.invalidState, "delete \(pod.name): \(problems.joined(separator: "; "))") }
    }

    func deleteAll(namespace: String) throws {
        // The safety net must be quick: no grace period (Ctrl-C, failed lab), all pods at once.
        PodDeleter(paths: paths).delete(store.list().filter { $0.spec.namespace == namespace }, grace: 0)
    }

    func deleteTogether(_ pods: [LabPodRef], gracePeriod: Double) -> [(any Error)?] {
        var errors: [(any Error)?] = Array(repeating: nil, count: pods.count)
        var found: [(index: Int, record: PodRecord)] = []
        for (index, pod) in pods.enumerated() {
            do { found.append((index, try record(pod))) } catch { errors[index] = error }
        }
        let problems = PodDeleter(paths: paths).delete(found.map(\.record), grace: gracePeriod)
        for ((index, _), failures) in zip(found, problems) where !failures.isEmpty {
            errors[index] = PodlabError(.invalidState, "delete \(pods[index].name): \(failures.joined(separator: "; "))")
        }
        return errors
    }
}
