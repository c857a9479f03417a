import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// docs/FIDELITY.md #178–#181: kubelet's container GC (`kuberuntime_gc.go`) on one pod's record.
@Suite("container garbage collection")
struct ContainerGCTests {
    @Test("the policy: kubelet's defaults, the period scaled like the back-off")
    func policy() {
        let real = ContainerGCPolicy()
        #expect(real.period == 60 && real.minAge == 0 && real.maxPerPodContainer == 1)
        #expect(ContainerGCPolicy(scale: 0.1).period == 6)
    }

    @Test("restarts add dead attempts; the pass one period after the start keeps only the newest per name")
    func supervisorCollectsOnItsPeriod() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        let t0 = Date()
        try supervisor.start(now: t0)
        supervisor.tick(now: t0)  // the GC clock starts: first pass at t0 + 6 s (scale 0.1)
        #expect(supervisor.nextDeadline == nil, "nothing to collect, no wake-up")
        supervisor.handleExit(pid: try #require(supervisor.record.containers[0].pid), waitStatus: SIGKILL, now: t0.addingTimeInterval(1))
        supervisor.tick(now: t0.addingTimeInterval(1))  // the immediate first restart
        supervisor.handleExit(pid: try #require(supervisor.record.containers[0].pid), waitStatus: SIGKILL, now: t0.addingTimeInterval(2))
        supervisor.tick(now: t0.addingTimeInterval(3))  // after the 1 s back-off
        let record = supervisor.record
        #expect(record.containers[0].restartCount == 2 && record.containers[0].state == .running)
        let dead = try #require(record.deadContainers)
        #expect(dead.map(\.attempt) == [0, 1])
        #expect(dead.allSatisfy { $0.sandboxID == record.sandboxID && $0.name == "app" })
        #expect(dead.last?.terminated == record.containers[0].lastTerminated)
        #expect(supervisor.nextDeadline == t0.addingTimeInterval(6), "the pass wakes the loop")
        supervisor.tick(now: t0.addingTimeInterval(5.9))
        #expect(supervisor.record.deadContainers?.count == 2, "not before the period")
        supervisor.tick(now: t0.addingTimeInterval(6))
        #expect(supervisor.record.deadContainers?.map(\.attempt) == [1])
        #expect(supervisor.record.deadAttempts(of: supervisor.record.containers[0]).map(\.attempt) == [1])
    }

    @Test("a container in back-off is itself the newest dead one: every older attempt goes")
    func currentExitedCounts() throws {
        var record = try makeRecord(podYAML())
        record.containers[0].state = .exited
        record.containers[0].restartCount = 2
        record.containers[0].id = "c2"
        record.deadContainers = [0, 1].map { attempt in
            DeadContainer(name: "app", attempt: attempt, sandboxID: record.sandboxID, createdAt: Date(timeIntervalSince1970: 0),
                          terminated: TerminatedState(containerID: "c\(attempt)", exitCode: 1, reason: "Error", startedAt: Date(),
                                                      finishedAt: Date(), logPath: ""))
        }
        let plan = ContainerGC.plan(record, policy: ContainerGCPolicy(), now: Date())
        #expect(plan.containers.map(\.attempt) == [1, 0])
        // MinAge: a dead container younger than it is not evictable, and takes no place.
        var young = ContainerGCPolicy()
        young.minAge = 3600
        record.deadContainers?[1].createdAt = Date()
        #expect(ContainerGC.plan(record, policy: young, now: Date()).containers.map(\.attempt) == [0])
    }

    @Test("an old sandbox goes once no kept dead container ran in it; the current one never")
    func sandboxes() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        let t0 = Date()
        try supervisor.start(now: t0)
        supervisor.tick(now: t0)
        let first = supervisor.record.sandboxID
        supervisor.handleExit(pid: try #require(supervisor.record.sandbox.pausePID), waitStatus: 0, now: t0.addingTimeInterval(1))
        let second = supervisor.record.sandboxID
        #expect(supervisor.record.deadContainers?.map(\.sandboxID) == [first])
        supervisor.tick(now: t0.addingTimeInterval(6))
        #expect(supervisor.record.previousSandboxes?.compactMap(\.id) == [first], "app attempt 0 is kept, so is its sandbox")
        supervisor.handleExit(pid: try #require(supervisor.record.containers[0].pid), waitStatus: SIGKILL, now: t0.addingTimeInterval(7))
        supervisor.tick(now: t0.addingTimeInterval(7))
        supervisor.tick(now: t0.addingTimeInterval(12))
        #expect(supervisor.record.previousSandboxes == nil)
        #expect(supervisor.record.deadContainers?.map(\.sandboxID) == [second])
        #expect(supervisor.record.sandboxViews.map(\.sandboxID) == [second])
    }

    @Test("a record without the dead list lists lastTerminated as before")
    func olderRecords() throws {
        var record = try makeRecord(podYAML())
        record.containers[0].id = "new"
        record.containers[0].restartCount = 3
        record.containers[0].lastTerminated = TerminatedState(containerID: "old", exitCode: 1, reason: "Error", startedAt: Date(),
                                                              finishedAt: Date(), logPath: "")
        #expect(record.deadAttempts(of: record.containers[0]).map(\.attempt) == [2])
        #expect(ContainerGC.plan(record, policy: ContainerGCPolicy(), now: Date()).isEmpty)
    }

    @Test("apply's old-key lookup is the key the pair had before #173")
    func legacyKeys() {
        #expect(PodKey.legacy(name: "web", namespace: "team") == "team-web")
        #expect(PodKey.legacy(name: "web", namespace: "default") == "web")
        #expect(PodKey.legacy(name: "a--b", namespace: "default") == "a--b")
        let long = String(repeating: "a.", count: 70) + "b"
        let key = PodKey.legacy(name: long, namespace: "ns")
        #expect(key.hasSuffix("-" + StableHash.fnv1a64Hex("ns-" + long)) && !key.contains("---"), "\(key)")
    }
}
