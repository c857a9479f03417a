import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// The supervisor driven through the CRI-shaped events a CRI runtime produces (a relist's
/// container EXITED, sandbox NOTREADY, an ExecSync's exit code), with no pids involved
/// (docs/FIDELITY.md #155, #156).
@Suite("Runtime seam: CRI-shaped events")
struct RuntimeSeamTests {
    @Test("a relisted containerExited(id) restarts the container as a reaped pid does: restartCount 1, exit code and OOMKilled recorded")
    func containerExitedByID() throws {
        let runtime = FakeRuntime()
        runtime.oomContainers = ["app"]
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        let t0 = Date()
        try supervisor.start(now: t0)
        let firstID = supervisor.record.containers[0].id
        supervisor.handle(.containerExited(id: "not-this-pod", exitCode: 1, finishedAt: nil), now: t0)
        #expect(supervisor.record.containers[0].state == .running, "an unknown id is ignored")
        let finished = t0.addingTimeInterval(2)
        supervisor.handle(.containerExited(id: firstID, exitCode: 137, finishedAt: finished), now: t0.addingTimeInterval(3))
        #expect(supervisor.record.containers[0].state == .exited)
        #expect(supervisor.record.containers[0].reason == "OOMKilled")
        #expect(supervisor.record.containers[0].finishedAt == finished, "finishedAt is the runtime's, not the relist's")
        #expect(runtime.cleaned == [firstID], "RemoveContainer after the status was read")
        supervisor.tick(now: finished)
        #expect(supervisor.record.containers[0].state == .running)
        #expect(supervisor.record.containers[0].restartCount == 1)
        #expect(supervisor.record.containers[0].lastTerminated?.exitCode == 137)
    }

    @Test("sandboxExited recreates the sandbox (StopPodSandbox, RunPodSandbox) and the container, once")
    func sandboxExitedRecreates() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        try supervisor.start()
        let sandboxID = supervisor.record.sandbox.id
        supervisor.handle(.sandboxExited)
        #expect(runtime.sandboxes == 2)
        #expect(runtime.destroyed == 1)
        #expect(supervisor.record.sandbox.id != sandboxID)
        #expect(supervisor.record.containers[0].state == .running)
        #expect(supervisor.record.containers[0].restartCount == 1)
    }

    @Test("an exec probe's execExited(handle, code) fails the liveness probe and kills the container through stopContainer")
    func execExitedDrivesProbes() throws {
        let runtime = FakeRuntime()
        let yaml = podYAML(extra: "").replacingOccurrences(
            of: "- {name: app, image: busybox}",
            with: "- {name: app, image: busybox, livenessProbe: {exec: {command: [check]}, periodSeconds: 1, failureThreshold: 1}}")
        let supervisor = PodSupervisor(record: try makeRecord(yaml), runtime: runtime, store: nil)
        let t0 = Date()
        try supervisor.start(now: t0)
        let app = try #require(supervisor.record.containers[0].pid)
        supervisor.tick(now: t0.addingTimeInterval(0.05))
        let handle = try #require(runtime.handlers.last?.pid)
        supervisor.handle(.execExited(handle: handle, exitCode: 1), now: t0.addingTimeInterval(0.1))
        #expect(runtime.signals.contains { $0.pid == app && $0.signal == SIGTERM })
    }

    @Test("exitWaitStatus round-trips through exitCode(fromWaitStatus:) and clamps codes outside 0...255")
    func exitWaitStatusRoundTrip() {
        for code: Int32 in [0, 1, 3, 255] { #expect(exitCode(fromWaitStatus: exitWaitStatus(code)).code == code) }
        #expect(exitCode(fromWaitStatus: exitWaitStatus(-1)).code == 255)
        #expect(exitCode(fromWaitStatus: exitWaitStatus(4096)).code == 255)
    }
}
