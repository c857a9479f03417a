import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// A pod with one container `app` whose YAML body (probes, lifecycle) is `container`, and a
/// back-off scale of 0.1 (so a 10 s probe period is 1 s).
func probePod(policy: String = "Always", grace: Int = 30, container: String, initContainers: String = "") -> String {
    """
    apiVersion: v1
    kind: Pod
    metadata:
      name: web
      annotations: {podlab.dev/backoff-scale: "0.1"}
    spec:
      restartPolicy: \(policy)
      terminationGracePeriodSeconds: \(grace)
    \(initContainers)
      containers:
      - name: app
        image: busybox
    \(container)
    """
}

/// Wait statuses: exit code `n`, or death by signal `n`.
func exited(_ n: Int32) -> Int32 { n << 8 }

/// A supervisor of `yaml` on `runtime`, started at the returned instant (the tests' t0).
func startedSupervisor(_ yaml: String, runtime: FakeRuntime) throws -> (PodSupervisor, Date) {
    let supervisor = PodSupervisor(record: try makeRecord(yaml), runtime: runtime, store: nil)
    let t0 = Date()
    try supervisor.start(now: t0)
    return (supervisor, t0)
}

@Suite("Supervisor: probes, hooks and kills (docs/FIDELITY.md #47–#58)")
struct ProbeSupervisorTests {
    @Test("failureThreshold failed liveness runs kill the container with SIGTERM and restart it; lastState says why")
    func livenessRestarts() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                livenessProbe:
                  exec: {command: [cat, /tmp/healthy]}
                  periodSeconds: 10
                  failureThreshold: 3
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        let app = try #require(supervisor.record.containers[0].pid)
        for run in 0..<3 {
            supervisor.tick(now: t0.addingTimeInterval(Double(run) * 1.0 + 0.05))
            #expect(runtime.handlers.count == run + 1, "one probe run per period")
            #expect(runtime.handlers.last?.command == ["cat", "/tmp/healthy"])
            #expect(!runtime.signals.contains { $0.pid == app }, "no kill before the threshold")
            supervisor.handleExit(pid: try #require(runtime.handlers.last?.pid), waitStatus: exited(1), now: t0.addingTimeInterval(Double(run) + 0.06))
        }
        #expect(runtime.signals.contains { $0.pid == app && $0.signal == SIGTERM })
        // No further probes while the container is being killed.
        supervisor.tick(now: t0.addingTimeInterval(3.5))
        #expect(runtime.handlers.count == 3)
        supervisor.handleExit(pid: app, waitStatus: SIGTERM, now: t0.addingTimeInterval(3.6))
        supervisor.tick(now: t0.addingTimeInterval(3.6))
        let status = supervisor.record.containers[0]
        #expect(status.restartCount == 1)
        #expect(status.state == .running)
        #expect(status.lastTerminated?.exitCode == 143)
        #expect(status.lastTerminated?.message == "Container app failed liveness probe, will be restarted")
        #expect(supervisor.events.contains { $0.hasPrefix("Normal Killing: Container app failed liveness probe") })
    }

    @Test("a probe between failures resets the count: fail, fail, pass, fail, fail does not kill")
    func consecutiveFailuresOnly() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                livenessProbe:
                  exec: {command: ["true"]}
                  failureThreshold: 3
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        let app = try #require(supervisor.record.containers[0].pid)
        for (run, code) in [1, 1, 0, 1, 1].enumerated() {
            supervisor.tick(now: t0.addingTimeInterval(Double(run) + 0.05))
            supervisor.handleExit(pid: try #require(runtime.handlers.last?.pid), waitStatus: exited(Int32(code)), now: t0.addingTimeInterval(Double(run) + 0.06))
        }
        #expect(runtime.handlers.count == 5)
        #expect(!runtime.signals.contains { $0.pid == app })
    }

    @Test("readiness: not ready until successThreshold passes, unready after failureThreshold fails, never killed")
    func readiness() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                readinessProbe:
                  exec: {command: [test, -f, /tmp/ready]}
                  initialDelaySeconds: 20
                  successThreshold: 2
                  failureThreshold: 1
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        let app = try #require(supervisor.record.containers[0].pid)
        #expect(supervisor.record.containers[0].ready == false)
        supervisor.tick(now: t0.addingTimeInterval(1.9))
        #expect(runtime.handlers.isEmpty, "initialDelaySeconds (20 s × 0.1) not over")
        var now = t0.addingTimeInterval(2.05)
        func run(_ code: Int32) throws {
            supervisor.tick(now: now)
            supervisor.handleExit(pid: try #require(runtime.handlers.last?.pid), waitStatus: exited(code), now: now)
            now = now.addingTimeInterval(1.0)
        }
        try run(0)
        #expect(supervisor.record.containers[0].ready == false)
        try run(0)
        #expect(supervisor.record.containers[0].ready == true)
        try run(1)
        #expect(supervisor.record.containers[0].ready == false)
        #expect(supervisor.record.containers[0].state == .running)
        #expect(!runtime.signals.contains { $0.pid == app })
    }

    @Test("the startup probe holds liveness and readiness off until it succeeds")
    func startupHoldsOthers() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                startupProbe:
                  exec: {command: [startup]}
                  failureThreshold: 30
                livenessProbe:
                  exec: {command: [live]}
                readinessProbe:
                  exec: {command: [ready]}
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        supervisor.tick(now: t0.addingTimeInterval(0.05))
        #expect(runtime.handlers.map(\.command) == [["startup"]])
        #expect(supervisor.record.containers[0].started == false)
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: exited(1), now: t0.addingTimeInterval(0.06))
        supervisor.tick(now: t0.addingTimeInterval(1.05))
        #expect(runtime.handlers.map(\.command) == [["startup"], ["startup"]])
        supervisor.handleExit(pid: runtime.handlers[1].pid, waitStatus: 0, now: t0.addingTimeInterval(1.06))
        #expect(supervisor.record.containers[0].started == true)
        #expect(supervisor.record.containers[0].ready == false, "readiness has not passed yet")
        supervisor.tick(now: t0.addingTimeInterval(1.1))
        #expect(Set(runtime.handlers.dropFirst(2).map(\.command)) == [["live"], ["ready"]])
        // The startup probe does not run again once it has succeeded.
        supervisor.tick(now: t0.addingTimeInterval(5))
        #expect(runtime.handlers.filter { $0.command == ["startup"] }.count == 2)
    }

    @Test("a startup probe failure kills with the probe's own terminationGracePeriodSeconds")
    func startupProbeGrace() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(grace: 60, container: """
                startupProbe:
                  exec: {command: [startup]}
                  failureThreshold: 1
                  terminationGracePeriodSeconds: 5
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        let app = try #require(supervisor.record.containers[0].pid)
        supervisor.tick(now: t0.addingTimeInterval(0.05))
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: exited(1), now: t0.addingTimeInterval(0.1))
        #expect(runtime.signals.map(\.signal) == [SIGTERM])
        supervisor.tick(now: t0.addingTimeInterval(5.0))
        #expect(runtime.signals.map(\.signal) == [SIGTERM], "5 s grace, not over yet")
        supervisor.tick(now: t0.addingTimeInterval(5.2))
        #expect(runtime.signals.filter { $0.pid == app }.map(\.signal) == [SIGTERM, SIGKILL])
    }

    @Test("terminationGracePeriodSeconds: 0 still leaves kubelet's 2 s between SIGTERM and SIGKILL")
    func minimumGrace() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(grace: 0, container: """
                livenessProbe:
                  exec: {command: [live]}
                  failureThreshold: 1
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        supervisor.tick(now: t0.addingTimeInterval(0.05))
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: exited(1), now: t0.addingTimeInterval(0.1))
        #expect(runtime.signals.map(\.signal) == [SIGTERM])
        supervisor.tick(now: t0.addingTimeInterval(1.5))
        #expect(runtime.signals.map(\.signal) == [SIGTERM])
        supervisor.tick(now: t0.addingTimeInterval(2.2))
        #expect(runtime.signals.map(\.signal) == [SIGTERM, SIGKILL])
    }

    @Test("preStop runs before SIGTERM; SIGTERM follows as soon as it is done")
    func preStopBeforeTerm() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                livenessProbe:
                  exec: {command: [live]}
                  failureThreshold: 1
                lifecycle:
                  preStop:
                    exec: {command: [drain]}
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        supervisor.tick(now: t0.addingTimeInterval(0.05))
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: exited(1), now: t0.addingTimeInterval(0.1))
        #expect(runtime.handlers.last?.command == ["drain"])
        #expect(runtime.signals.isEmpty, "no SIGTERM while preStop runs")
        supervisor.tick(now: t0.addingTimeInterval(0.5))
        #expect(runtime.signals.isEmpty)
        supervisor.handleExit(pid: try #require(runtime.handlers.last?.pid), waitStatus: 0, now: t0.addingTimeInterval(0.6))
        #expect(runtime.signals.map(\.signal) == [SIGTERM])
    }

    @Test("a sleep preStop delays SIGTERM by its seconds")
    func sleepPreStop() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                livenessProbe:
                  exec: {command: [live]}
                  failureThreshold: 1
                lifecycle:
                  preStop:
                    sleep: {seconds: 3}
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        supervisor.tick(now: t0.addingTimeInterval(0.05))
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: exited(1), now: t0.addingTimeInterval(0.1))
        supervisor.tick(now: t0.addingTimeInterval(2.9))
        #expect(runtime.signals.isEmpty)
        supervisor.tick(now: t0.addingTimeInterval(3.2))
        #expect(runtime.signals.map(\.signal) == [SIGTERM])
    }

    @Test("a failing postStart hook kills the container (FailedPostStartHook) and its message is kept")
    func postStartFailure() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                lifecycle:
                  postStart:
                    exec: {command: [setup]}
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        let app = try #require(supervisor.record.containers[0].pid)
        #expect(runtime.handlers.map(\.command) == [["setup"]])
        #expect(supervisor.record.containers[0].ready == false, "not ready while postStart runs")
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: exited(2), now: t0.addingTimeInterval(0.1))
        #expect(runtime.signals.map(\.signal) == [SIGTERM])
        #expect(supervisor.events.contains { $0.hasPrefix("Warning FailedPostStartHook:") })
        supervisor.handleExit(pid: app, waitStatus: SIGTERM, now: t0.addingTimeInterval(0.2))
        let status = supervisor.record.containers[0]
        #expect(status.lastTerminated?.message?.contains("Exec lifecycle hook ([\"setup\"]) for Container \"app\"") == true)
        #expect(status.lastTerminated?.message?.contains("command exited with code 2") == true)
    }

    @Test("a waiting probe adds no deadline in the past while postStart runs (the loop must not spin)")
    func noSpinWhileHeld() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                livenessProbe:
                  exec: {command: [live]}
                lifecycle:
                  postStart:
                    exec: {command: [setup]}
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        supervisor.tick(now: t0.addingTimeInterval(3))
        #expect(runtime.handlers.map(\.command) == [["setup"]], "liveness waits for postStart")
        let deadline = try #require(supervisor.nextDeadline)
        #expect(deadline > Date().addingTimeInterval(5), "only the hook's own timeout, not the overdue probe")
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: 0, now: Date())
        #expect(runtime.handlers.map(\.command) == [["setup"], ["live"]], "the probe starts once the hook is done")
    }

    @Test("a postStart that succeeds makes the container ready")
    func postStartSuccess() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: """
                lifecycle:
                  postStart:
                    exec: {command: [setup]}
            """)
        let supervisor = PodSupervisor(record: try makeRecord(yaml), runtime: runtime, store: nil)
        try supervisor.start()
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: 0)
        #expect(supervisor.record.containers[0].ready == true)
        #expect(runtime.signals.isEmpty)
    }

    @Test("a failed init container under restartPolicy Never makes the pod Failed and stops the sandbox")
    func initFailureNever() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(policy: "Never", container: "", initContainers: """
              initContainers:
              - {name: setup, image: busybox}
            """)
        let supervisor = PodSupervisor(record: try makeRecord(yaml), runtime: runtime, store: nil)
        try supervisor.start()
        #expect(supervisor.record.phase == .pending)
        supervisor.handleExit(pid: runtime.started[0].pid, waitStatus: exited(1))
        #expect(supervisor.record.phase == .failed)
        #expect(supervisor.record.containers[1].state == .created, "the app never starts")
        #expect(runtime.destroyed == 1)
        #expect(supervisor.record.sandbox.ready == false)
    }

    @Test("when the app is done and will not restart, the sidecar is stopped and the sandbox torn down; phase stays Succeeded")
    func podFinishesWithSidecar() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(policy: "Never", container: "", initContainers: """
              initContainers:
              - {name: logger, image: busybox, restartPolicy: Always}
            """)
        let supervisor = PodSupervisor(record: try makeRecord(yaml), runtime: runtime, store: nil)
        try supervisor.start()
        #expect(runtime.started.map(\.name) == ["logger", "app"])
        supervisor.handleExit(pid: runtime.started[1].pid, waitStatus: 0)
        #expect(supervisor.podFinished)
        #expect(supervisor.record.containers[0].state == .exited, "the sidecar was stopped")
        #expect(supervisor.record.phase == .succeeded)
        #expect(runtime.destroyed == 1)
        #expect(supervisor.record.sandbox.ready == false)
        // Nothing restarts afterwards.
        supervisor.tick(now: Date().addingTimeInterval(60))
        #expect(runtime.started.count == 2)
    }

    @Test("a crashed native sidecar is not ready, so the pod is not ContainersReady")
    func sidecarCrashUnready() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: "", initContainers: """
              initContainers:
              - {name: logger, image: busybox, restartPolicy: Always}
            """)
        let supervisor = PodSupervisor(record: try makeRecord(yaml), runtime: runtime, store: nil)
        try supervisor.start()
        let allReady = supervisor.record.containers.allSatisfy { $0.ready }
        #expect(allReady)
        supervisor.handleExit(pid: runtime.started[0].pid, waitStatus: exited(1))
        #expect(supervisor.record.containers[0].ready == false)
        #expect(supervisor.record.containers[1].ready == true)
    }

    @Test("the next init container waits for a sidecar's startup probe")
    func sidecarStartupGatesNextInit() throws {
        let runtime = FakeRuntime()
        let yaml = probePod(container: "", initContainers: """
              initContainers:
              - name: proxy
                image: busybox
                restartPolicy: Always
                startupProbe:
                  exec: {command: [up]}
            """)
        let (supervisor, t0) = try startedSupervisor(yaml, runtime: runtime)
        #expect(runtime.started.map(\.name) == ["proxy"])
        supervisor.tick(now: t0.addingTimeInterval(0.05))
        supervisor.handleExit(pid: runtime.handlers[0].pid, waitStatus: 0, now: t0.addingTimeInterval(0.1))
        #expect(runtime.started.map(\.name) == ["proxy", "app"])
    }
}
