import Cgroups
import Foundation
import PodKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// kubelet's container garbage collection on real pods, and the full cgroup v1 view
    /// (docs/FIDELITY.md section Z, #178–#182).
    @Suite("garbage collection and the full v1 view")
    struct GarbageCollectionTests {
        /// The full ids of the Exited rows `podlab ps -a` lists for container `name` of `pod`.
        static func exitedIDs(_ cli: PodlabCLI, pod: String, name: String) throws -> [String] {
            try cli.succeed(["ps", "-q", "--no-trunc", "-p", pod, "--name", "^\(name)$", "--state", "exited"]).stdout
                .split(separator: "\n").map(String.init)
        }

        static func sandboxIDs(_ cli: PodlabCLI, pod: String) throws -> [String] {
            try SandboxIdentityTests.sandboxes(cli, name: pod).map(\.id)
        }

        static func logFiles(_ cli: PodlabCLI, pod: String, container: String) -> Set<String> {
            Set((try? FileManager.default.contentsOfDirectory(atPath: "\(cli.podDirectory(pod))/logs/\(container)")) ?? [])
        }

        static func supervisorLog(_ cli: PodlabCLI, pod: String) -> String {
            (try? String(contentsOfFile: "\(cli.podDirectory(pod))/supervisor.log", encoding: .utf8)) ?? ""
        }

        @Test("dead attempts pile up in ps -a until the GC pass keeps only the newest one and removes the others' logs")
        func deadAttemptsAreCollected() throws {
            let cli = try PodlabCLI("deadAttemptsAreCollected")
            defer { cli.tearDown() }
            // Scale 0.25: back-off 2.5 s then 5 s, GC every 15 s. Attempts 0-2 fail, 3 stays up
            // (about 7.5 s after the start), before the first GC pass at 15 s.
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: gc
                  annotations: {podlab.dev/backoff-scale: "0.25"}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "n=`cat /data/n 2>/dev/null || echo 0`; echo attempt $n; expr $n + 1 > /data/n; test $n -ge 3 && exec sleep 3600; exit 1"]
                    volumeMounts: [{name: data, mountPath: /data}]
                  volumes: [{name: data, emptyDir: {}}]
                """)
            try waitUntil("attempt 3 runs", timeout: 30) {
                let status = try cli.inspect("app", pod: "gc")["status"]
                return status["restartCount"].int == 3 && status["kubeState"].string == "running"
            }
            let before = try Self.exitedIDs(cli, pod: "gc", name: "app")
            let logsBefore = Self.logFiles(cli, pod: "gc", container: "app")
            let collectedEarly = Self.supervisorLog(cli, pod: "gc").contains("garbage collection")
            try #require(!collectedEarly, "the first GC pass came before attempt 3 was up (machine too slow for this timing)")
            // A restart is a new container: every replaced attempt is listed Exited (crictl ps -a).
            #expect(before.count == 3, "\(before)")
            #expect(Set(before).count == 3 && before.allSatisfy { $0.count == 64 })
            #expect(logsBefore == ["0.log", "1.log", "2.log", "3.log"], "\(logsBefore)")

            // kubelet's evictContainers with MaxPerPodContainer 1: the newest dead one stays.
            let last = try #require(try cli.inspect("app", pod: "gc")["status"]["lastState"]["containerID"].string)
            try waitUntil("the GC pass removed attempts 0 and 1", timeout: 30) {
                try Self.exitedIDs(cli, pod: "gc", name: "app").count == 1
            }
            #expect(try Self.exitedIDs(cli, pod: "gc", name: "app") == [last], "the one kept is lastState's")
            #expect(Self.logFiles(cli, pod: "gc", container: "app") == ["2.log", "3.log"], "kubelet's removeContainer removes the log")
            #expect(try cli.succeed(["logs", "gc", "-c", "app", "--previous"]).output == "attempt 2")
            let log = Self.supervisorLog(cli, pod: "gc")
            #expect(log.contains("garbage collection: removed app attempt 1") && log.contains(", app attempt 0 ("), "\(log)")
            let table = try cli.succeed(["ps", "-a", "-p", "gc"]).stdout
            #expect(table.components(separatedBy: "Exited").count - 1 == 1, "\(table)")
        }

        @Test("an old NotReady sandbox stays while a dead container of it is kept, and goes with that container")
        func oldSandboxGoesWithItsLastContainer() throws {
            let cli = try PodlabCLI("oldSandboxGoesWithItsLastContainer")
            defer { cli.tearDown() }
            // Scale 0.1: GC every 6 s.
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: gcsb
                  annotations: {podlab.dev/backoff-scale: "0.1"}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let first = try #require(try cli.inspectPod("gcsb")["status"]["id"].string)
            try cli.succeed(["kill", "gcsb", "-c", "pause", "-s", "KILL"])
            try waitUntil("a new sandbox runs the app", timeout: 20) {
                let pod = try cli.inspectPod("gcsb")
                guard pod["status"]["state"].string == "SANDBOX_READY", pod["status"]["metadata"]["attempt"].int == 1 else { return false }
                return try cli.inspect("app", pod: "gcsb")["status"]["kubeState"].string == "running"
            }
            let second = try #require(try cli.inspectPod("gcsb")["status"]["id"].string)
            #expect(try Self.sandboxIDs(cli, pod: "gcsb") == [first, second])
            // App attempt 0 ran in the first sandbox; it is the newest dead `app`, so the GC
            // keeps it, and a sandbox holding a container is active (evictSandboxes).
            let deadInFirst = try Self.exitedIDs(cli, pod: "gcsb", name: "app")
            #expect(deadInFirst.count == 1)
            #expect(try cli.succeed(["ps", "-a", "-p", "gcsb"]).stdout.contains(String(first.prefix(13))), "the dead attempt's POD ID is the old sandbox")
            Thread.sleep(forTimeInterval: 8)  // more than one GC period
            #expect(try Self.sandboxIDs(cli, pod: "gcsb") == [first, second], "kept while its container is")
            #expect(try Self.exitedIDs(cli, pod: "gcsb", name: "app") == deadInFirst)

            // Attempt 1 dies in the new sandbox: attempt 0 is no longer the newest dead `app`, it
            // goes, and with it the first sandbox (not ready, no containers, not the newest).
            try cli.succeed(["kill", "gcsb", "-c", "app", "-s", "KILL"])
            try waitUntil("attempt 2 runs", timeout: 20) {
                let status = try cli.inspect("app", pod: "gcsb")["status"]
                return status["restartCount"].int == 2 && status["kubeState"].string == "running"
            }
            try waitUntil("the GC pass removed the first sandbox", timeout: 20) {
                try Self.sandboxIDs(cli, pod: "gcsb") == [second]
            }
            let kept = try Self.exitedIDs(cli, pod: "gcsb", name: "app")
            #expect(kept.count == 1 && kept != deadInFirst, "\(kept)")
            #expect(Self.logFiles(cli, pod: "gcsb", container: "app") == ["1.log", "2.log"])
            // The first sandbox's id is also the record's own id, which names the pod: inspectp
            // now answers with the current sandbox, no longer with the NotReady one.
            let inspected = try cli.inspectPod(String(first.prefix(13)))
            #expect(inspected["status"]["id"].string == second && inspected["status"]["state"].string == "SANDBOX_READY")
        }

        /// Issue 12 item 1 had unit tests only for the startup probe (docs/FIDELITY.md #48).
        @Test("a failing startup probe holds readiness and liveness off; once it passes both run (and a failing liveness restarts)")
        func startupProbeHoldsTheOthers() throws {
            let cli = try PodlabCLI("startupProbeHoldsTheOthers")
            defer { cli.tearDown() }
            // Scale 0.1: every probe runs each 0.5 s.
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: st
                  annotations: {podlab.dev/backoff-scale: "0.1"}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: app
                    image: busybox
                    command: ["sleep", "3600"]
                    startupProbe: {exec: {command: ["test", "-f", "/tmp/started"]}, periodSeconds: 5, failureThreshold: 1000}
                    readinessProbe: {exec: {command: ["true"]}, periodSeconds: 5}
                    livenessProbe: {exec: {command: ["false"]}, periodSeconds: 5, failureThreshold: 1}
                """)
            try waitUntil("the startup probe failed a few times", timeout: 15) {
                Self.supervisorLog(cli, pod: "st").components(separatedBy: "startup probe failed").count > 3
            }
            var status = try cli.inspect("app", pod: "st")["status"]
            #expect(status["started"].bool == false && status["ready"].bool == false, "\(status)")
            #expect(status["restartCount"].int == 0, "the failing liveness probe does not run before startup passed")
            #expect(!Self.supervisorLog(cli, pod: "st").contains("liveness probe failed"))
            #expect(try cli.exec("st", "app", "touch", "/tmp/started").status == 0)
            try waitUntil("liveness runs once startup passed, and restarts the app", timeout: 15) {
                try cli.inspect("app", pod: "st")["status"]["restartCount"].int == 1
            }
            status = try cli.inspect("app", pod: "st")["status"]
            #expect((status["lastState"]["message"].string ?? "").contains("failed liveness probe"), "\(status)")
            #expect(status["started"].bool == false, "the new attempt waits for its own startup probe")
        }

        /// The host's v1 hierarchies runc's fs manager joins, by their directory name under
        /// /sys/fs/cgroup, read from this process' mountinfo (not from podlab's layout code).
        static func hostJoinedHierarchies() throws -> [String: String] {
            let joined: Set<String> = ["cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb", "net_cls",
                                       "net_prio", "perf_event", "freezer", "rdma", "name=systemd"]
            var found: [String: String] = [:]  // directory name → the /proc/<pid>/cgroup controller field
            for line in try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n") {
                let halves = line.components(separatedBy: " - ")
                guard halves.count == 2 else { continue }
                let fields = halves[0].split(separator: " "), tail = halves[1].split(separator: " ")
                guard fields.count > 4, tail.count > 2, tail[0] == "cgroup", fields[3] == "/" else { continue }
                let options = tail[2].split(separator: ",").map(String.init).filter { joined.contains($0) }
                guard !options.isEmpty else { continue }
                let mountPoint = String(fields[4])
                guard mountPoint.hasPrefix("/sys/fs/cgroup/") else { continue }
                found[(mountPoint as NSString).lastPathComponent] = options.joined(separator: ",")
            }
            return found
        }

        @Test("cgroup v1: /sys/fs/cgroup in a container has every hierarchy runc joins that the host mounts, each the container's own cgroup")
        func fullV1View() throws {
            guard try CgroupLayout.detect().version == .v1 else { return }  // v2: one cgroup2 mount (#82)
            let host = try Self.hostJoinedHierarchies()
            try #require(host["memory"] != nil)
            let cli = try PodlabCLI("fullV1View")
            defer { cli.tearDown() }
            try cli.apply(QoSTests.pod("v1", resources: ""))
            func run(_ script: String) throws -> CommandResult { try cli.exec("v1", "app", "sh", "-c", script) }
            // The directories and, for co-mounted hierarchies, runc's links (cpu -> cpu,cpuacct).
            let listed = Set(try run("ls /sys/fs/cgroup").output.split(whereSeparator: \.isWhitespace).map(String.init))
            var expected = Set(host.keys)
            for name in host.keys where name.contains(",") { expected.formUnion(name.split(separator: ",").map(String.init)) }
            #expect(listed == expected, "inside: \(listed.sorted()), host: \(expected.sorted())")
            // Each is the container's own cgroup: the same path in every hierarchy as in memory.
            let pid = try cli.pid("app", pod: "v1")
            var paths: [String: String] = [:]
            for line in try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8).split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                if parts.count == 3 { paths[String(parts[1])] = String(parts[2]) }
            }
            let own = try #require(paths["memory"])
            #expect(own.hasSuffix(try #require(try cli.inspect("app", pod: "v1")["status"]["id"].string)))
            for (name, controllers) in host {
                #expect(paths[controllers] == own, "\(name) (\(controllers)): \(paths[controllers] ?? "none")")
                let procs = try run("cat /sys/fs/cgroup/\(name)/cgroup.procs").output.split(separator: "\n")
                #expect(!procs.isEmpty && procs.count < 10, "\(name): its own processes only: \(procs)")
            }
            if host["cpuacct"] != nil {
                #expect(UInt64(try run("cat /sys/fs/cgroup/cpuacct/cpuacct.usage").output) != nil)
            }
            let write = try run("mkdir /sys/fs/cgroup/systemd/x || mkdir /sys/fs/cgroup/cpuacct/x")
            #expect(write.status != 0 && write.stderr.contains("Read-only file system"), "\(write)")
        }
    }
}
