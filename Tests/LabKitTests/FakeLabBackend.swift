import Foundation
import LabKit
import PodObservations

/// An in-memory pod backend: one pod per apply (named by `podName`) with one container per
/// name in `containerNames`. Killing a container restarts it (new id and PID, restartCount+1,
/// lastExitCode 128+signal) after `restartAfterPolls` status reads, like the supervisor would.
final class FakeLabBackend: LabBackend {
    var podName = "web"
    var containerNames = ["app"]
    var ip = "10.88.0.5"
    var sharedNetwork = true
    var restartAfterPolls = 2
    /// Answers `exec`; default: echo the argv.
    var execHandler: ([String]) -> LabExecResult = { LabExecResult(exitCode: 0, stdout: $0.joined(separator: " ") + "\n", stderr: "") }

    private(set) var applied: [(path: String, images: [String: String], namespace: String)] = []
    private(set) var execCalls: [(command: [String], timeout: Double)] = []
    private(set) var deleted: [LabPodRef] = []
    private(set) var deletedNamespaces: [String] = []
    /// The pods of each `deleteTogether` call, by name.
    private(set) var deleteBatches: [[String]] = []
    /// The grace period of each `deleteTogether` call.
    private(set) var deleteBatchGracePeriods: [Double] = []
    /// Names for the next applies' pods, in order (then `podName`).
    var nextPodNames: [String] = []
    private(set) var killed: [(container: String?, signal: Int32)] = []

    private var containers: [String: [LabContainerStatus]] = [:]
    private var pendingRestarts: [String: Int] = [:]
    private var nextPID: Int32 = 200

    var execCommands: [String] { execCalls.map { $0.command.joined(separator: " ") } }

    func apply(manifestPath: String, imageMap: [String: String], namespace: String) throws -> [LabPodRef] {
        applied.append((manifestPath, imageMap, namespace))
        let name = nextPodNames.isEmpty ? podName : nextPodNames.removeFirst()
        let ref = LabPodRef(name: name, id: "\(namespace)-\(name)")
        containers[ref.id] = containerNames.enumerated().map { index, name in
            LabContainerStatus(name: name, id: "ctr-\(name)-0", image: "busybox", pid: Int32(101 + index), state: "running")
        }
        return [ref]
    }

    func podStatus(_ pod: LabPodRef) throws -> LabPodStatus {
        guard var list = containers[pod.id] else { throw FakeError.noSuchPod(pod.id) }
        for (index, container) in list.enumerated() where pendingRestarts[container.name] != nil {
            let remaining = (pendingRestarts[container.name] ?? 0) - 1
            if remaining > 0 {
                pendingRestarts[container.name] = remaining
                continue
            }
            pendingRestarts[container.name] = nil
            nextPID += 1
            list[index].restartCount += 1
            list[index].id = "ctr-\(container.name)-\(list[index].restartCount)"
            list[index].pid = nextPID
            list[index].state = "running"
        }
        containers[pod.id] = list
        return LabPodStatus(ref: pod, phase: "Running", ready: list.allSatisfy { $0.state == "running" }, ip: ip, pausePID: 100,
                            netnsPath: "/run/netns/podlab-\(pod.name)", containers: list)
    }

    func containers(_ pod: LabPodRef) throws -> [ContainerRow] {
        let status = try podStatus(pod)
        return [ContainerRow(id: pod.id, name: "pause", image: "pause", state: "running", pid: 100, restartCount: 0, isSandbox: true)]
            + status.containers.map {
                ContainerRow(id: $0.id, name: $0.name, image: $0.image, state: $0.state, pid: $0.pid, restartCount: $0.restartCount, isSandbox: false)
            }
    }

    func namespaces(_ pod: LabPodRef) throws -> [NamespaceRow] {
        let status = try podStatus(pod)
        var rows = [NamespaceRow(process: "pause", pid: 100, inodes: ["net": 4026532500, "ipc": 4026532501, "uts": 4026532502, "mnt": 4026532503, "pid": 4026532504])]
        for (index, container) in status.containers.enumerated() {
            let own = UInt64(4026533000 + index * 10)
            rows.append(NamespaceRow(process: container.name, pid: container.pid ?? 0, inodes: [
                "net": sharedNetwork ? 4026532500 : own, "ipc": 4026532501, "uts": 4026532502, "mnt": own + 1, "pid": own + 2,
            ]))
        }
        return rows
    }

    func exec(_ pod: LabPodRef, container: String?, command: [String], timeout: Double) throws -> LabExecResult {
        execCalls.append((command, timeout))
        return execHandler(command)
    }

    /// Reads the status until `check` holds: every read may advance a pending restart, as a
    /// supervisor's record write would wake the real engine.
    func waitForStatus(_ pod: LabPodRef, until deadline: Date, _ check: (LabPodStatus) throws -> Bool) throws -> LabPodStatus {
        while true {
            let status = try podStatus(pod)
            if try check(status) || Date() >= deadline { return status }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    func kill(_ pod: LabPodRef, container: String?, signal: Int32) throws -> LabSignalledProcess {
        killed.append((container, signal))
        // nil: the default container, the first one here (the fake has no annotations).
        let name = container ?? containerNames.first ?? "pause"
        let pid = name == "pause" ? 100 : containers[pod.id]?.first { $0.name == name }?.pid
        defer { restart(pod, name, signal: signal) }
        return LabSignalledProcess(name: name, pid: pid)
    }

    private func restart(_ pod: LabPodRef, _ container: String, signal: Int32) {
        guard var list = containers[pod.id], let index = list.firstIndex(where: { $0.name == container }) else { return }
        list[index].state = "waiting"
        list[index].lastExitCode = 128 + signal
        list[index].lastReason = "Error"
        list[index].pid = nil
        containers[pod.id] = list
        pendingRestarts[container] = restartAfterPolls
    }

    func processTree(_ pod: LabPodRef) throws -> ProcessNode {
        ProcessNode(pid: 99, command: "podlab-supervisor", children: [
            ProcessNode(pid: 100, command: "pause"),
            ProcessNode(pid: 101, command: "sh", children: [ProcessNode(pid: 102, command: "sleep")]),
        ])
    }

    func logs(_ pod: LabPodRef, container: String?, previous: Bool) throws -> String { previous ? "old log\n" : "log\n" }

    func delete(_ pod: LabPodRef, gracePeriod: Double) throws {
        deleted.append(pod)
        containers[pod.id] = nil
    }

    func deleteAll(namespace: String) throws {
        deletedNamespaces.append(namespace)
    }

    func deleteTogether(_ pods: [LabPodRef], gracePeriod: Double) -> [(any Error)?] {
        deleteBatches.append(pods.map(\.name))
        deleteBatchGracePeriods.append(gracePeriod)
        return pods.map { pod in
            do {
                try delete(pod, gracePeriod: gracePeriod)
                return nil
            } catch {
                return error
            }
        }
    }

    enum FakeError: Error { case noSuchPod(String) }
}

/// A temporary directory removed when the test ends, pass or fail.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("podlab-labkit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// A one-container Pod, valid for `lint` (which parses every applied manifest); the fake
/// backend ignores its content.
let minimalPodManifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: app, image: busybox}]\n"

/// Writes `NAME.lab.yaml` (and a minimal `pod.yaml` manifest next to it) and parses it.
func writeLab(_ yaml: String, name: String = "t", in directory: String) throws -> (path: String, lab: Lab) {
    let path = (directory as NSString).appendingPathComponent("\(name).lab.yaml")
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    try minimalPodManifest.write(toFile: (directory as NSString).appendingPathComponent("pod.yaml"), atomically: true, encoding: .utf8)
    return (path, try LabParser.parse(file: path))
}

/// The common head of test labs: a lab called `name` whose first step applies one pod.
func labHeader(_ name: String = "t", timeouts: String = "") -> String {
    """
    apiVersion: podlab.dev/v1alpha1
    kind: Lab
    metadata: {name: \(name)}
    spec:
    \(timeouts.isEmpty ? "" : "  timeouts: \(timeouts)\n")  steps:
      - name: create
        try:
        - apply: {file: pod.yaml}

    """
}
