import Foundation
import PodKit
import PodlabCore
import Testing

extension PodlabCLI {
    /// The pod's record as its supervisor last wrote it (phase, readiness, messages).
    func record(_ pod: String) throws -> PodRecord {
        let paths = PodlabPaths(stateDir: stateDir, dataDir: environment.dataDir, rootfsDir: "", labsDir: "", reportsDir: "")
        return try PodStore(paths: paths).load(key: key(pod))
    }
}

extension PodTests {
    /// Issue 12 items 1–4, docs/FIDELITY.md #47–#58: probes, lifecycle hooks, termination and
    /// pod shutdown on real pods. Back-off scale 0.1 makes a 10 s probe period 1 s.
    @Suite("probes, hooks, termination, phases")
    struct ProbeTests {
        @Test("a failing exec liveness probe kills and restarts the app; lastState says why; the kill waited at least 2 s for a SIGTERM-deaf pid 1")
        func livenessRestarts() throws {
            let cli = try PodlabCLI("livenessRestarts")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: live
                  annotations: {podlab.dev/backoff-scale: "0.1"}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600"]
                    livenessProbe:
                      exec: {command: [cat, /tmp/healthy]}
                      periodSeconds: 10
                      failureThreshold: 2
                """)
            try waitUntil("app restarted after failing liveness", timeout: 20) {
                try cli.inspect("app", pod: "live")["status"]["restartCount"].int == 1
            }
            let last = try cli.inspect("app", pod: "live")["status"]["lastState"]
            #expect(last["message"].string == "Container app failed liveness probe, will be restarted")
            // sleep as pid 1 ignores SIGTERM: SIGKILL came after kubelet's 2 s minimum, not at once.
            #expect(last["exitCode"].int == 137)
            let finished = try #require(try cli.record("live").containers[0].lastTerminated)
            let log = try String(contentsOfFile: "\(cli.podDirectory("live"))/supervisor.log", encoding: .utf8)
            // kubelet's exec prober keeps the command's output for the message.
            #expect(log.contains("liveness probe failed: command exited with code 1: cat: can't open '/tmp/healthy'"), "\(log)")
            #expect(finished.exitCode == 137)
        }

        @Test("httpGet readiness gates ready; tcpSocket liveness keeps passing; nothing restarts")
        func readinessHTTP() throws {
            let cli = try PodlabCLI("readinessHTTP")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  annotations: {podlab.dev/backoff-scale: "0.1"}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "mkdir -p /www && exec httpd -f -p 8080 -h /www"]
                    ports: [{containerPort: 8080, name: http}]
                    readinessProbe:
                      httpGet: {path: /healthz, port: http}
                      periodSeconds: 5
                      failureThreshold: 1
                    livenessProbe:
                      tcpSocket: {port: 8080}
                      periodSeconds: 5
                """)
            try waitUntil("a few readiness probes failed with 404", timeout: 10) {
                let log = try String(contentsOfFile: "\(cli.podDirectory("web"))/supervisor.log", encoding: .utf8)
                return log.contains("readiness probe failed: HTTP probe failed with statuscode: 404")
            }
            #expect(try cli.inspect("app", pod: "web")["status"]["ready"].bool == false)
            #expect(try cli.exec("web", "app", "touch", "/www/healthz").status == 0)
            try waitUntil("ready once /healthz answers 200", timeout: 5) {
                try cli.inspect("app", pod: "web")["status"]["ready"].bool == true
            }
            #expect(try cli.exec("web", "app", "rm", "/www/healthz").status == 0)
            try waitUntil("unready again", timeout: 5) {
                try cli.inspect("app", pod: "web")["status"]["ready"].bool == false
            }
            #expect(try cli.inspect("app", pod: "web")["status"]["restartCount"].int == 0, "tcpSocket liveness passed throughout")
        }

        @Test("preStop runs before SIGTERM; the termination log becomes lastState.message; /dev/termination-log is 0666")
        func preStopAndTerminationMessage() throws {
            let cli = try PodlabCLI("preStopAndTerminationMessage")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: stop
                  annotations: {podlab.dev/backoff-scale: "0.1"}
                spec:
                  terminationGracePeriodSeconds: 10
                  volumes: [{name: shared, emptyDir: {}}]
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "trap 'echo term >> /shared/order; echo bye > /dev/termination-log; exit 0' TERM; touch /tmp/ok; while true; do sleep 0.1; done"]
                    volumeMounts: [{name: shared, mountPath: /shared}]
                    livenessProbe:
                      exec: {command: [cat, /tmp/ok]}
                      periodSeconds: 5
                      failureThreshold: 1
                    lifecycle:
                      preStop:
                        exec: {command: ["sh", "-c", "echo prestop >> /shared/order"]}
                """)
            #expect(try cli.exec("stop", "app", "stat", "-c", "%a", "/dev/termination-log").output == "666")
            #expect(try cli.exec("stop", "app", "rm", "/tmp/ok").status == 0)
            try waitUntil("app restarted", timeout: 15) {
                try cli.inspect("app", pod: "stop")["status"]["restartCount"].int == 1
            }
            #expect(try cli.exec("stop", "app", "cat", "/shared/order").output == "prestop\nterm")
            let last = try cli.inspect("app", pod: "stop")["status"]["lastState"]
            #expect(last["exitCode"].int == 0)
            #expect(last["message"].string == "bye\n")
            #expect(try cli.exec("stop", "app", "cat", "/dev/termination-log").output == "", "each attempt has its own empty file")
        }

        @Test("FallbackToLogsOnError uses the log tail on a failed exit; a Never pod that is done is stopped: NotReady, lease released, phase Failed")
        func fallbackToLogsAndPodShutdown() throws {
            let cli = try PodlabCLI("fallbackToLogs")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: done
                spec:
                  restartPolicy: Never
                  containers:
                  - name: logs
                    image: busybox
                    command: ["sh", "-c", "echo starting; echo disk full; exit 3"]
                    terminationMessagePolicy: FallbackToLogsOnError
                  - name: file
                    image: busybox
                    command: ["sh", "-c", "echo written > /tmp/msg; exit 1"]
                    terminationMessagePath: /tmp/msg
                """)
            try waitUntil("the pod is Failed and its sandbox stopped", timeout: 15) {
                let record = try cli.record("done")
                return record.phase == .failed && !record.sandbox.ready
            }
            let record = try cli.record("done")
            #expect(record.containers[0].message == "starting\ndisk full\n")
            #expect(record.containers[1].message == "written\n")
            #expect(try cli.inspectPod("done")["status"]["state"].string == "SANDBOX_NOTREADY")
            let owner = cli.hostName("done")
            #expect(!PodlabTestEnvironment.leases(in: cli.environment.dataDir).contains { $0.owner == owner }, "the IP lease was released")
        }

        @Test("a failed init container under Never fails the pod; the app never starts")
        func initFailureFailsPod() throws {
            let cli = try PodlabCLI("initFailureFailsPod")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: init
                spec:
                  restartPolicy: Never
                  initContainers:
                  - {name: migrate, image: busybox, command: ["sh", "-c", "exit 2"]}
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            // The phase is saved first, then the terminal pod's sandbox is stopped (as kubelet
            // reports Failed and then terminates the pod).
            try waitUntil("the pod is Failed and its sandbox stopped", timeout: 15) {
                let record = try cli.record("init")
                return record.phase == .failed && !record.sandbox.ready
            }
            #expect(try cli.record("init").containers[1].startedAt == nil)
        }

        @Test("when the app completes, the native sidecar is stopped (SIGTERM) and the pod Succeeds")
        func sidecarStoppedAfterApp() throws {
            let cli = try PodlabCLI("sidecarStoppedAfterApp")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: job
                spec:
                  restartPolicy: Never
                  terminationGracePeriodSeconds: 5
                  initContainers:
                  - name: proxy
                    image: busybox
                    restartPolicy: Always
                    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
                  containers:
                  - {name: app, image: busybox, command: ["sh", "-c", "sleep 1"]}
                """)
            try waitUntil("the pod Succeeded and its sandbox stopped", timeout: 15) {
                let record = try cli.record("job")
                return record.phase == .succeeded && !record.sandbox.ready && record.containers[0].state == .exited
            }
            let record = try cli.record("job")
            #expect(record.containers[0].exitCode == 0, "the sidecar got SIGTERM and exited by its trap")
            #expect(record.containers[0].restartCount == 0)
        }

        @Test("a failing postStart hook kills the container with FailedPostStartHook")
        func postStartFailure() throws {
            let cli = try PodlabCLI("postStartFailure")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: hook
                  annotations: {podlab.dev/backoff-scale: "0.1"}
                spec:
                  terminationGracePeriodSeconds: 2
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
                    lifecycle:
                      postStart:
                        exec: {command: ["sh", "-c", "echo migration missing; exit 7"]}
                """)
            try waitUntil("restarted after the hook failed", timeout: 15) {
                try cli.inspect("app", pod: "hook")["status"]["restartCount"].int ?? 0 >= 1
            }
            let message = try cli.inspect("app", pod: "hook")["status"]["lastState"]["message"].string ?? ""
            #expect(message.contains("Exec lifecycle hook"), "\(message)")
            #expect(message.contains("command exited with code 7: migration missing"), "\(message)")
        }

        @Test("terminationGracePeriodSeconds 0 still waits 2 s for a SIGTERM-deaf process; --grace-period 0 does not")
        func minimumGracePeriod() throws {
            let cli = try PodlabCLI("minimumGracePeriod")
            defer { cli.tearDown() }
            let manifest = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: deaf
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """
            try cli.apply(manifest)
            var start = Date()
            try cli.succeed(["delete", "deaf"])
            let graceful = Date().timeIntervalSince(start)
            #expect(graceful >= 2, "kubelet's minimum grace (took \(graceful) s)")
            try cli.apply(manifest)
            start = Date()
            try cli.succeed(["delete", "deaf", "--grace-period", "0"])
            let forced = Date().timeIntervalSince(start)
            #expect(forced < 1.9, "an explicit --grace-period 0 is a force kill (took \(forced) s)")
        }
    }
}
