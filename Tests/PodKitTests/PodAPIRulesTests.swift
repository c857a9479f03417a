import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// The pod API's rules, without root: readiness (kubelet's ContainersReady), the default
/// container of kill/logs/exec (kubectl's), the wait conditions, and the wait engine's wake-ups
/// on a real state directory.
@Suite("Pod API rules")
struct PodAPIRulesTests {
    static let sidecarPod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          annotations: {kubectl.kubernetes.io/default-container: app}
        spec:
          initContainers:
          - {name: setup, image: busybox}
          - {name: logs, image: busybox, restartPolicy: Always}
          containers:
          - {name: first, image: busybox}
          - {name: app, image: busybox}
        """

    /// Every container running (init: exited 0), sandbox up, phase Running.
    static func running(_ yaml: String) throws -> PodRecord {
        var record = try makeRecord(yaml)
        record.phase = .running
        record.sandbox = SandboxStatus(ready: true, attempt: 0, pausePID: 4000)
        for index in record.containers.indices {
            let plainInit = record.containers[index].isInit && !record.containers[index].isSidecar
            record.containers[index].state = plainInit ? .exited : .running
            record.containers[index].pid = plainInit ? nil : Int32(4001 + index)
        }
        return record
    }

    @Test("Ready: every app container and native sidecar ready; plain init containers do not count")
    func readinessCountsSidecars() throws {
        var record = try Self.running(Self.sidecarPod)
        #expect(PodReadiness.ready(record) == PodCondition(status: true))
        // The exited plain init container is not an input.
        #expect(record.containers.first { $0.name == "setup" }?.state == .exited)

        // A sidecar that stopped makes the pod unready (kubelet counts restartable init containers).
        let sidecar = try #require(record.containers.firstIndex { $0.name == "logs" })
        record.containers[sidecar].state = .exited
        let condition = PodReadiness.ready(record)
        #expect(condition.status == false)
        #expect(condition.reason == "ContainersNotReady")
        #expect(condition.message == "containers with unready status: [logs]")
    }

    @Test("Ready takes the probe's verdict: a running container with ready=false is not ready")
    func readinessTakesTheProbeFlag() throws {
        var record = try Self.running(podYAML())
        record.containers[0].ready = false
        #expect(PodReadiness.ready(record).status == false)
        record.containers[0].ready = true
        #expect(PodReadiness.ready(record).status == true)
        record.containers[0].readyFlag = nil  // no readiness probe: running is ready
        #expect(PodReadiness.ready(record).status == true)
    }

    @Test("Ready is false in a terminal phase, for a missing status, and without a sandbox")
    func readinessNegatives() throws {
        var record = try Self.running(podYAML())
        record.phase = .succeeded
        #expect(PodReadiness.ready(record) == PodCondition(status: false, reason: "PodCompleted"))
        record.phase = .failed
        #expect(PodReadiness.ready(record).reason == "PodFailed")

        record = try Self.running(podYAML())
        record.containers.removeAll()
        #expect(PodReadiness.ready(record).message == "containers with unknown status: [app]")

        record = try Self.running(podYAML())
        record.sandbox.ready = false
        #expect(PodReadiness.ready(record).reason == "SandboxNotReady")
    }

    @Test("kill/logs/exec default: the default-container annotation, else the first app container")
    func defaultContainer() throws {
        let annotated = try Self.running(Self.sidecarPod)
        #expect(annotated.defaultContainerName == "app")
        #expect(try annotated.process(.defaultContainer).name == "app")

        var unannotated = try Self.running(Self.sidecarPod)
        unannotated.spec.annotations = [:]
        #expect(unannotated.defaultContainerName == "first")
        #expect(try unannotated.process(PodProcessTarget(name: nil)).name == "first")

        // An annotation naming no container falls back, as kubectl does (with a warning there).
        unannotated.spec.annotations[PodRecord.defaultContainerAnnotation] = "gone"
        #expect(unannotated.defaultContainerName == "first")
    }

    @Test("kill targets: pause by name, containers by name, errors for unknown or stopped ones")
    func killTargets() throws {
        var record = try Self.running(Self.sidecarPod)
        #expect(PodProcessTarget(name: "pause") == .pause)
        #expect(PodProcessTarget(name: "logs") == .container("logs"))
        let pause = try record.process(.pause)
        #expect(pause.name == "pause" && pause.pid == 4000)
        #expect(try record.process(.container("logs")).name == "logs")

        let unknown = #expect(throws: PodlabError.self) { try record.process(.container("nope")) }
        #expect(unknown?.code == .notFound)
        #expect(unknown?.message.contains("containers: setup, logs, first, app") == true)

        let setup = #expect(throws: PodlabError.self) { try record.process(.container("setup")) }
        #expect(setup?.code == .invalidState)

        record.sandbox.pausePID = nil
        #expect(throws: PodlabError.self) { try record.process(.pause) }
    }

    @Test("wait conditions: ready uses the readiness rule; terminal phases and deletion end the wait")
    func waitConditions() throws {
        var record = try Self.running(Self.sidecarPod)
        #expect(try PodWaitCondition.ready.evaluate(.present(record), name: "web") == true)
        record.containers[1].state = .exited  // the sidecar
        #expect(try PodWaitCondition.ready.evaluate(.present(record), name: "web") == nil)

        record.phase = .succeeded
        let terminal = #expect(throws: PodlabError.self) { try PodWaitCondition.ready.evaluate(.present(record), name: "web") }
        #expect(terminal?.message.contains("terminal phase") == true)

        #expect(try PodWaitCondition.deleted.evaluate(.deleted, name: "web") == true)
        #expect(throws: PodlabError.self) { try PodWaitCondition.ready.evaluate(.deleted, name: "web") }
        #expect(PodWaitCondition(argument: "condition=ContainersReady") == .ready)
        #expect(PodWaitCondition(argument: "exited=app") == .exited(container: "app"))
        #expect(PodWaitCondition(argument: "phase=Sleeping") == nil)
    }

    /// A state directory in /tmp with one pod record, no supervisor.
    static func store() throws -> (PodStore, PodRecord) {
        let root = (NSTemporaryDirectory() as NSString).appendingPathComponent("podlab-watch-\(UUID().uuidString.prefix(8))")
        let paths = PodlabPaths(stateDir: root, dataDir: root + "/data", rootfsDir: root, labsDir: root, reportsDir: root)
        let store = PodStore(paths: paths)
        let record = try makeRecord(podYAML())
        try store.create(record)
        return (store, record)
    }

    @Test("the wait engine wakes on the record's rename, not on a tick: latency is the writer's")
    func watcherWakesOnRename() throws {
        let (store, record) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: store.paths.stateDir) }
        let writer = Thread {
            usleep(40_000)
            var changed = record
            changed.phase = .running
            try? store.save(changed)
        }
        let started = Date()
        writer.start()
        var reads = 0
        let phase = try PodWatcher(store: store, key: record.key).wait(until: Date().addingTimeInterval(5)) { state -> PodPhase? in
            guard case .present(let current) = state else { return nil }
            reads += 1
            return current.phase == .running ? current.phase : nil
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(phase == .running)
        #expect(elapsed >= 0.035 && elapsed < 0.5, "woke after \(elapsed) s")
        // One read before the write, one after it: the writer's temporary file does not count.
        #expect(reads == 2)
    }

    @Test("the wait engine reports deletion of the pod directory and returns nil at the deadline")
    func watcherDeletionAndDeadline() throws {
        let (store, record) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: store.paths.stateDir) }
        let started = Date()
        let none = try PodWatcher(store: store, key: record.key).wait(until: Date().addingTimeInterval(0.15)) { _ -> Bool? in nil }
        #expect(none == nil)
        #expect(Date().timeIntervalSince(started) >= 0.15)

        let remover = Thread {
            usleep(30_000)
            try? store.remove(key: record.key)
        }
        remover.start()
        let deleted = try PodWatcher(store: store, key: record.key).wait(until: Date().addingTimeInterval(5)) { state -> Bool? in
            if case .deleted = state { return true }
            return nil
        }
        #expect(deleted == true)
        let gone = #expect(throws: PodlabError.self) {
            try PodAPI(paths: store.paths).wait(record.key, name: "web", for: .ready, until: Date().addingTimeInterval(1))
        }
        #expect(gone?.code == .notFound)
    }
}
