import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// A runtime that records what the supervisor asks for, with fake pids.
final class FakeRuntime: PodRuntime {
    var nextPID: Int32 = 1000
    var sandboxes = 0
    var destroyed = 0
    var started: [(name: String, attempt: Int, pid: Int32)] = []
    var cleaned: [String] = []
    var oomContainers: Set<String> = []
    var failStart: Set<String> = []

    func runPodSandbox(_ record: PodRecord) throws -> SandboxStatus {
        sandboxes += 1
        nextPID += 1
        return SandboxStatus(ready: true, attempt: record.sandbox.attempt, pausePID: nextPID, netnsPath: "/run/netns/podlab-\(record.key)",
                             ip: "10.88.0.\(sandboxes + 1)", gateway: "10.88.0.1", hostVeth: "plvtest", createdAt: Date())
    }
    func stopPodSandbox(_ record: PodRecord) { destroyed += 1 }
    func removePodSandbox(_ record: PodRecord) {}
    func prepareVolumes(_ record: PodRecord) throws {}
    func removeVolumes(_ record: PodRecord) {}
    func createContainer(_ spec: ContainerSpec, status: ContainerStatus, record: PodRecord) throws {
        if failStart.contains(spec.name) { throw PodlabError.syscall("execve(/bin/nope)", .noSuchFileOrDirectory) }
    }
    func startContainer(_ status: ContainerStatus, record: PodRecord) throws -> StartedContainer {
        nextPID += 1
        started.append((status.name, status.restartCount, nextPID))
        return StartedContainer(pid: nextPID, cgroupPath: nil)
    }
    func removeContainer(_ status: ContainerStatus, record: PodRecord) { cleaned.append(status.id) }
    func containerStatus(_ status: ContainerStatus, record: PodRecord) -> RuntimeContainerStatus {
        RuntimeContainerStatus(oomKilled: oomContainers.contains(status.name), terminationMessageFile: nil)
    }
    /// Handler processes (exec probes, hooks) the supervisor started: command and pid.
    var handlers: [(command: [String], pid: Int32)] = []
    var signals: [(pid: Int32, signal: Int32)] = []
    func execStart(_ command: [String], container: ContainerStatus, record: PodRecord, timeout: TimeInterval) throws -> HandlerProcess {
        nextPID += 1
        handlers.append((command, nextPID))
        return HandlerProcess(pid: nextPID, output: nil)
    }
    func stopContainer(_ status: ContainerStatus, signal: Int32, record: PodRecord) {
        if let pid = status.pid { signals.append((pid, signal)) }
    }
    func cancelExec(_ handle: Int32) { signals.append((handle, SIGKILL)) }
    /// Events the test queued (a CRI runtime's relist), else none: the fake has no real
    /// children, and never the test process's own (`waitpid(-1)` here stole the exits of
    /// `podlab` processes other tests were waiting for).
    var events: [RuntimeEvent] = []
    func nextEvent() -> RuntimeEvent { events.isEmpty ? .nothingToWatch : events.removeFirst() }
    var relistInterval: TimeInterval? { nil }
}

func makeRecord(_ yaml: String) throws -> PodRecord {
    let pod = try #require(try ManifestParser(randomSuffix: { "abcde" }).parse(yaml: yaml, file: "t.yaml").pods.first)
    let statuses = pod.initContainers.map { makeStatus($0, isInit: true) } + pod.containers.map { makeStatus($0, isInit: false) }
    return PodRecord(key: pod.name, id: generateID(), uid: UUID().uuidString.lowercased(), spec: pod, createdAt: Date(), phase: .pending,
                     supervisorPID: nil, sandbox: SandboxStatus(ready: false, attempt: 0), containers: statuses, failure: nil,
                     started: false, terminating: false, imageRoots: [:])
}

func makeStatus(_ spec: ContainerSpec, isInit: Bool) -> ContainerStatus {
    ContainerStatus(name: spec.name, id: "", image: spec.image, imageRef: spec.image, imageDigest: "", isInit: isInit,
                    isSidecar: isInit && spec.restartPolicy == .always, state: .created, restartCount: 0, logPath: "")
}

func podYAML(policy: String = "Always", extra: String = "", initContainers: String = "") -> String {
    """
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
      annotations: {podlab.dev/backoff-scale: "0.1"}
    spec:
      restartPolicy: \(policy)
    \(initContainers)
      containers:
      - {name: app, image: busybox}
    \(extra)
    """
}

@Suite("Supervisor: kubelet restart behaviour")
struct SupervisorTests {
    @Test("a killed container under Always restarts at once in the same sandbox, restartCount 1, exit 137 recorded")
    func restartAfterKill() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        let t0 = Date()
        try supervisor.start(now: t0)
        let firstPID = try #require(supervisor.record.containers[0].pid)
        let firstID = supervisor.record.containers[0].id
        let ip = supervisor.record.sandbox.ip
        supervisor.handleExit(pid: firstPID, waitStatus: SIGKILL, now: t0.addingTimeInterval(5))
        #expect(supervisor.record.containers[0].nextStartAt == t0.addingTimeInterval(5))  // immediate
        supervisor.tick(now: t0.addingTimeInterval(5))
        let status = supervisor.record.containers[0]
        #expect(status.state == .running)
        #expect(status.restartCount == 1)
        #expect(status.id != firstID)
        #expect(status.lastTerminated?.exitCode == 137)
        #expect(status.lastTerminated?.reason == "Error")
        #expect(supervisor.record.sandbox.ip == ip)
        #expect(runtime.sandboxes == 1)
    }

    @Test("crash loop delays follow 0, then 10 s doubling (scaled by the annotation), with CrashLoopBackOff while waiting")
    func backOffDelays() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        var now = Date()
        try supervisor.start(now: now)
        var delays: [TimeInterval] = []
        for _ in 0..<5 {
            let pid = try #require(supervisor.record.containers[0].pid)
            now = now.addingTimeInterval(0.5)
            supervisor.handleExit(pid: pid, waitStatus: 1 << 8, now: now)
            let at = try #require(supervisor.record.containers[0].nextStartAt)
            delays.append((at.timeIntervalSince(now) * 1000).rounded() / 1000)
            if at > now { #expect(supervisor.record.containers[0].waitingReason == "CrashLoopBackOff") }
            now = at
            supervisor.tick(now: now)
        }
        #expect(delays == [0, 1, 2, 4, 8])
        #expect(supervisor.record.containers[0].restartCount == 5)
    }

    @Test("OnFailure with exit 0 does not restart; the pod Succeeds")
    func onFailureExitZero() throws {
        let supervisor = PodSupervisor(record: try makeRecord(podYAML(policy: "OnFailure")), runtime: FakeRuntime(), store: nil)
        try supervisor.start()
        supervisor.handleExit(pid: try #require(supervisor.record.containers[0].pid), waitStatus: 0)
        #expect(supervisor.record.containers[0].nextStartAt == nil)
        #expect(supervisor.record.containers[0].reason == "Completed")
        #expect(supervisor.record.phase == .succeeded)
    }

    @Test("an OOM-killed container is reported as OOMKilled with 137")
    func oomKilled() throws {
        let runtime = FakeRuntime()
        runtime.oomContainers = ["app"]
        let supervisor = PodSupervisor(record: try makeRecord(podYAML(policy: "Never")), runtime: runtime, store: nil)
        try supervisor.start()
        supervisor.handleExit(pid: try #require(supervisor.record.containers[0].pid), waitStatus: SIGKILL)
        #expect(supervisor.record.containers[0].exitCode == 137)
        #expect(supervisor.record.containers[0].reason == "OOMKilled")
        #expect(supervisor.record.phase == .failed)
    }

    @Test("pause dying recreates the sandbox and bumps every restartCount; under Never the pod goes terminal")
    func pauseDeath() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        try supervisor.start()
        let pause = try #require(supervisor.record.sandbox.pausePID)
        supervisor.handleExit(pid: pause, waitStatus: 0)
        #expect(runtime.sandboxes == 2)
        #expect(runtime.destroyed == 1)
        #expect(supervisor.record.sandbox.attempt == 1)
        #expect(supervisor.record.sandbox.pausePID != pause)
        #expect(supervisor.record.containers[0].restartCount == 1)
        #expect(supervisor.record.containers[0].state == .running)

        let never = FakeRuntime()
        let terminal = PodSupervisor(record: try makeRecord(podYAML(policy: "Never")), runtime: never, store: nil)
        try terminal.start()
        terminal.handleExit(pid: try #require(terminal.record.sandbox.pausePID), waitStatus: 0)
        #expect(never.sandboxes == 1)
        #expect(terminal.record.phase == .failed)
    }

    @Test("init containers run in order before the app; a failing one is retried")
    func initOrder() throws {
        let runtime = FakeRuntime()
        let inits = """
              initContainers:
              - {name: first, image: busybox}
              - {name: second, image: busybox}
            """
        let supervisor = PodSupervisor(record: try makeRecord(podYAML(initContainers: inits)), runtime: runtime, store: nil)
        let now = Date()
        try supervisor.start(now: now)
        #expect(runtime.started.map(\.name) == ["first"])
        supervisor.handleExit(pid: runtime.started[0].pid, waitStatus: 0, now: now)
        #expect(runtime.started.map(\.name) == ["first", "second"])
        supervisor.handleExit(pid: runtime.started[1].pid, waitStatus: 1 << 8, now: now)
        #expect(runtime.started.map(\.name) == ["first", "second"])  // app waits
        supervisor.tick(now: now)
        #expect(runtime.started.map(\.name) == ["first", "second", "second"])
        supervisor.handleExit(pid: runtime.started[2].pid, waitStatus: 0, now: now)
        #expect(runtime.started.map(\.name) == ["first", "second", "second", "app"])
    }

    @Test("a start failure is StartError with exit 128 and is retried with back-off")
    func startError() throws {
        let runtime = FakeRuntime()
        runtime.failStart = ["app"]
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        try supervisor.start()
        let status = supervisor.record.containers[0]
        #expect(status.exitCode == 128)
        #expect(status.reason == "StartError")
        // The start error is the attempt's terminated message; waiting carries the back-off
        // (docs/FIDELITY.md #171).
        #expect(status.message?.contains("execve(/bin/nope)") == true)
        #expect(status.lastTerminated?.message?.contains("execve(/bin/nope)") == true)
        #expect(status.waitingMessage?.contains("execve") != true)
        #expect(status.nextStartAt != nil)
    }
}
