import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// The supervisor process's restart path (`deferCleanups`, set by `SupervisorLoop.run`): an
/// immediate restart starts before the ended attempt's rootfs and cgroups are removed.
@Suite("Supervisor: restart before cleanup")
struct SupervisorRestartOrderTests {
    @Test("an immediate restart starts the next attempt first; the ended one is cleaned up after, once")
    func immediateRestartStartsBeforeCleanup() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        supervisor.deferCleanups = true
        var warmUps = 0
        supervisor.restartDue = { warmUps += 1 }
        let t0 = Date()
        try supervisor.start(now: t0)
        let firstPID = try #require(supervisor.record.containers[0].pid)
        let firstID = supervisor.record.containers[0].id

        supervisor.handleExit(pid: firstPID, waitStatus: SIGKILL, now: t0.addingTimeInterval(1))
        #expect(warmUps == 1, "the cgroup warm-up starts when the restart is known")
        #expect(runtime.cleaned.isEmpty, "the ended attempt must wait for the restart")
        #expect(supervisor.record.containers[0].nextStartAt == t0.addingTimeInterval(1))

        supervisor.tick(now: t0.addingTimeInterval(1))
        #expect(runtime.started.count == 2)
        #expect(runtime.cleaned.isEmpty)
        #expect(supervisor.record.containers[0].state == .running)
        #expect(supervisor.record.containers[0].restartCount == 1)
        #expect(supervisor.record.containers[0].lastTerminated?.exitCode == 137)

        supervisor.flushCleanups()
        #expect(runtime.cleaned == [firstID])
        supervisor.flushCleanups()
        #expect(runtime.cleaned == [firstID], "a second flush cleans nothing again")
    }

    @Test("a back-off restart cleans up at once (nothing waits for a start 10 s away)")
    func backOffRestartCleansUpAtOnce() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        supervisor.deferCleanups = true
        var warmUps = 0
        supervisor.restartDue = { warmUps += 1 }
        var now = Date()
        try supervisor.start(now: now)
        // First exit: immediate restart, deferred cleanup.
        supervisor.handleExit(pid: try #require(supervisor.record.containers[0].pid), waitStatus: 1 << 8, now: now)
        supervisor.tick(now: now)
        supervisor.flushCleanups()
        #expect(runtime.cleaned.count == 1)
        // Second exit: CrashLoopBackOff (1 s at scale 0.1), so the cleanup is not deferred.
        now = now.addingTimeInterval(0.5)
        supervisor.handleExit(pid: try #require(supervisor.record.containers[0].pid), waitStatus: 1 << 8, now: now)
        #expect(runtime.cleaned.count == 2)
        #expect(warmUps == 1, "no warm-up for a restart 1 s away")
        #expect(supervisor.record.containers[0].waitingReason == "CrashLoopBackOff")
    }

    @Test("pause dying before the loop's tick still cleans up the ended attempt before the sandbox goes")
    func sandboxDeathFlushesFirst() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        supervisor.deferCleanups = true
        try supervisor.start()
        let firstID = supervisor.record.containers[0].id
        supervisor.handleExit(pid: try #require(supervisor.record.containers[0].pid), waitStatus: SIGKILL)
        let pause = try #require(supervisor.record.sandbox.pausePID)
        supervisor.handleExit(pid: pause, waitStatus: 0)
        #expect(runtime.cleaned.first == firstID)
        #expect(runtime.destroyed >= 1)
    }

    @Test("the supervisor log's timestamp is RFC 3339 UTC with milliseconds")
    func timestampFormat() {
        #expect(SupervisorLoop.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(SupervisorLoop.timestamp(Date(timeIntervalSince1970: 1_796_181_435.1439)) == "2026-12-02T03:17:15.143Z")
        #expect(SupervisorLoop.timestamp(Date(timeIntervalSince1970: 951_782_400.999)) == "2000-02-29T00:00:00.999Z")
    }
}
