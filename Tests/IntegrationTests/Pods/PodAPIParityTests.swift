import Foundation
import LabKit
import PodKit
import PodObservations
import PodlabCore
import Reports
import Testing

@preconcurrency @testable import PodlabCLI

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// `podlab kill`, `logs`, `wait`, `ns` and the lab backend's operations give the same answer
    /// for the same pod (issue 11): both are mappings over `PodAPI`.
    @Suite("pod API: the CLI and the lab backend agree")
    struct PodAPIParityTests {
        static let manifest = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              annotations: {kubectl.kubernetes.io/default-container: app, podlab.dev/backoff-scale: "0.05"}
            spec:
              restartPolicy: Always
              containers:
              - {name: helper, image: busybox, command: ["sh", "-c", "sleep 3600"]}
              - {name: app, image: busybox, command: ["sh", "-c", "echo attempt-$(cat /proc/uptime); exec sleep 3600"]}
            """

        @Test("wait Ready, default kill target, logs --previous, ns sharing and exec: one answer")
        func sameAnswers() throws {
            let cli = try PodlabCLI("api-parity")
            defer { cli.tearDown() }
            try cli.apply(Self.manifest)
            let backend = PodKitLabBackend(paths: .fromEnvironment(cli.variables))
            let ref = LabPodRef(name: "web", id: cli.key("web"))

            // wait Ready: the CLI's condition=Ready and the lab's `ready` are one rule.
            try cli.succeed(["wait", "web", "--for", "condition=Ready", "--timeout", "30s"])
            let ready = try backend.waitForStatus(ref, until: Date().addingTimeInterval(30)) { $0.ready }
            #expect(ready.ready)

            // ps: the lab's container rows are PodKit's, with the ids `podlab ps` shows.
            let rowsLab = try backend.containers(ref)
            let ps = try JSON(parsing: try cli.succeed(["ps", "web", "-o", "json"]).stdout)
            #expect(Set(ps["containers"].array.compactMap { $0["id"].string }) == Set(rowsLab.filter { !$0.isSandbox }.map(\.id)))
            #expect(rowsLab.first?.isSandbox == true && rowsLab.first?.pid == ready.pausePID)

            // ns: same rows, and the lab's shared/private verdicts match the CLI's SHARING column.
            let ns = try JSON(parsing: try cli.succeed(["ns", "web", "-o", "json"]).stdout)
            let rows = try backend.namespaces(ref)
            #expect(ns["processes"].array.count == rows.count)
            for (index, row) in rows.enumerated() {
                #expect(ns["processes"][index]["process"].string == row.process)
                #expect(ns["processes"][index]["pid"].int == Int(row.pid))
                for (kind, inode) in row.inodes { #expect(ns["processes"][index]["inodes"][kind].int == Int(inode)) }
            }
            // The lab's table (what a lab's `namespaces: {expect: …}` checks) against `podlab ns`.
            let table = NamespaceTable(pod: "web", rows: rows)
            for kind in table.presentKinds {
                let cliVerdict = try #require(ns["sharing"][kind].string, "podlab ns -o json has no sharing for \(kind)")
                let cli = try #require(NamespaceSharing(rawValue: cliVerdict))
                // The CLI also says when the namespace is the host's; shared/private agree.
                #expect(cli.isShared == table.isShared(kind) && cli.isPrivate == table.isPrivate(kind), "\(kind): podlab ns says \(cliVerdict)")
            }
            #expect(table.isShared("net") && table.isPrivate("mnt"))

            // exec in-process answers like `podlab exec`.
            let inProcess = try backend.exec(ref, container: nil, command: ["cat", "/proc/self/cgroup"], timeout: 10)
            let viaCLI = try cli.succeed(["exec", "web", "--", "cat", "/proc/self/cgroup"])
            #expect(inProcess.exitCode == 0 && inProcess.stdout == viaCLI.stdout)
            let failing = try backend.exec(ref, container: "helper", command: ["sh", "-c", "echo oops >&2; exit 3"], timeout: 10)
            #expect(failing.exitCode == 3 && failing.stderr == "oops\n")
            let slow = #expect(throws: PodlabError.self) { try backend.exec(ref, container: "helper", command: ["sleep", "30"], timeout: 0.3) }
            #expect(slow?.code == .timeout)
            // A background child holding stdout cannot make the lab hang past the timeout.
            let heldAt = Date()
            let held = #expect(throws: PodlabError.self) {
                try backend.exec(ref, container: "helper", command: ["sh", "-c", "sleep 30 & echo started"], timeout: 0.5)
            }
            #expect(held?.code == .timeout && Date().timeIntervalSince(heldAt) < 5)

            // kill with no container: both sides mean the annotated default container, not pause.
            let pause = try #require(ready.pausePID)
            let killed = try cli.succeed(["kill", "web", "-s", "KILL"])
            #expect(killed.stdout.hasPrefix("sent SIGKILL to app (pid "), "\(killed.description)")
            let afterCLI = try backend.waitForStatus(ref, until: Date().addingTimeInterval(30)) {
                ($0.containers.first { $0.name == "app" }?.restartCount ?? 0) >= 1 && $0.ready
            }
            let signalled = try backend.kill(ref, container: nil, signal: SIGKILL)
            #expect(signalled.name == "app")
            #expect(signalled.pid == afterCLI.containers.first { $0.name == "app" }?.pid)
            let started = Date()
            let afterLab = try backend.waitForStatus(ref, until: Date().addingTimeInterval(30)) {
                ($0.containers.first { $0.name == "app" }?.restartCount ?? 0) >= 2 && $0.ready
            }
            // The second restart waits out the (scaled) 10 s back-off; pause is never touched.
            #expect(afterLab.containers.first { $0.name == "app" }?.restartCount == 2)
            #expect(Date().timeIntervalSince(started) < 29)
            #expect(afterLab.pausePID == pause)
            #expect(afterLab.containers.first { $0.name == "helper" }?.restartCount == 0)

            // logs --previous: the same bytes.
            let previousCLI = try cli.succeed(["logs", "web", "--previous"]).stdout
            let previousLab = try backend.logs(ref, container: nil, previous: true)
            #expect(previousCLI.hasPrefix("attempt-") && previousCLI == previousLab)
            let noPrevious = try cli.run(["logs", "web", "-c", "helper", "--previous"])
            #expect(noPrevious.status != 0)
            let noPreviousLab = #expect(throws: PodlabError.self) { try backend.logs(ref, container: "helper", previous: true) }
            #expect(noPrevious.stderr.contains(noPreviousLab?.message ?? "?"), "\(noPrevious.description)")
        }

        @Test("a wait ends at once when the supervisor dies (its pidfd), for podlab wait and the lab backend")
        func waitNoticesSupervisorDeath() throws {
            let cli = try PodlabCLI("api-supervisor-gone")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: lonely}
                spec:
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let backend = PodKitLabBackend(paths: .fromEnvironment(cli.variables))
            let ref = LabPodRef(name: "lonely", id: cli.key("lonely"))
            let waiting = try cli.start(["wait", "lonely", "--for", "exited", "--timeout", "60s"])
            let supervisor = try #require(try cli.inspectPod("lonely")["info"]["podlab"]["supervisorPid"].int.map(Int32.init))
            // The lab side waits too, on its own thread.
            let labResult = LockedBox<Result<LabPodStatus, Error>>()
            let labDone = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                labResult.value = Result { try backend.waitForStatus(ref, until: Date().addingTimeInterval(60)) { $0.phase == "Succeeded" } }
                labDone.signal()
            }
            usleep(300_000)
            let killedAt = Date()
            #expect(kill(supervisor, SIGKILL) == 0)
            let result = try waiting.wait(timeout: 10)
            #expect(Date().timeIntervalSince(killedAt) < 5, "podlab wait took \(Date().timeIntervalSince(killedAt)) s")
            #expect(result.status == 1 && result.stderr.contains("supervisor"), "\(result.description)")
            #expect(labDone.wait(timeout: .now() + 10) == .success)
            #expect(throws: PodlabError.self) { try labResult.value?.get() }
            // The pod, supervisor-less, is podlab clean's to remove.
            try cli.succeed(["clean"])
        }

        @Test("wait --for delete returns when podlab delete removed the pod (the supervisor's exit is expected)")
        func waitForDelete() throws {
            let cli = try PodlabCLI("api-wait-delete")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: brief}
                spec:
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let waiting = try cli.start(["wait", "brief", "--for", "delete", "--timeout", "60s"])
            usleep(200_000)
            try cli.succeed(["delete", "brief", "--grace-period", "0"])
            let result = try waiting.wait(timeout: 20)
            #expect(result.status == 0 && result.stdout.contains("condition met"), "\(result.description)")
        }
    }
}

/// A value shared between a test and one helper thread.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
