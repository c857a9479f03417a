import Foundation
import Testing

/// `readlink /proc/<pid>/ns/<type>`, e.g. `net:[4026532508]`.
func namespaceLink(_ type: String, of pid: Int32) -> String? {
    try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(type)")
}

extension PodTests {
    /// Issue 4, docs/FIDELITY.md #17–#20, #23: restarts are new containers in the same sandbox,
    /// with kubelet's CrashLoopBackOff timing (scaled by `podlab.dev/backoff-scale`).
    @Suite("restarts: policy, back-off, lastState")
    struct RestartTests {
        @Test("kill -9 under Always: restartCount 1 within a second, same netns and IP, new container ID, fresh rootfs, emptyDir kept, logs --previous, lastState 137 Error")
        func killedAppRestarts() throws {
            let cli = try PodlabCLI("killedAppRestarts")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  annotations: {podlab.dev/backoff-scale: "0.05"}
                spec:
                  restartPolicy: Always
                  terminationGracePeriodSeconds: 0
                  volumes: [{name: cache, emptyDir: {}}]
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "echo attempt started at $(cat /proc/uptime); exec sleep 3600"]
                    volumeMounts: [{name: cache, mountPath: /cache}]
                """)
            let before = try cli.inspect("app", pod: "web")
            let firstID = try #require(before["status"]["id"].string)
            let firstPID = try #require(before["info"]["pid"].int.map(Int32.init))
            let pause = try cli.pausePID("web")
            let netns = try #require(namespaceLink("net", of: pause))
            let ip = try cli.inspectPod("web")["status"]["network"]["ip"].string
            #expect(try cli.exec("web", "app", "sh", "-c", "echo gone > /outside && echo kept > /cache/inside").status == 0)
            let firstLog = try cli.succeed(["logs", "web"]).output
            #expect(firstLog.hasPrefix("attempt started at"))

            let killedAt = Date()
            try cli.succeed(["kill", "web", "-c", "app", "-s", "KILL"])
            try waitUntil("app runs again with restartCount 1", timeout: 5) {
                let status = try cli.inspect("app", pod: "web")["status"]
                return status["restartCount"].int == 1 && status["kubeState"].string == "running"
            }
            let restartDelay = Date().timeIntervalSince(killedAt)
            #expect(restartDelay < 1.5, "the first restart is immediate (took \(restartDelay) s)")

            let after = try cli.inspect("app", pod: "web")
            let newPID = try #require(after["info"]["pid"].int.map(Int32.init))
            #expect(newPID != firstPID)
            #expect(after["status"]["id"].string != firstID, "a restart is a new container")
            #expect(after["status"]["lastState"]["containerID"].string == firstID)
            #expect(after["status"]["lastState"]["exitCode"].int == 137)
            #expect(after["status"]["lastState"]["reason"].string == "Error", "a manual kill -9 is Error, not OOMKilled")
            #expect(try cli.pausePID("web") == pause, "same sandbox")
            #expect(namespaceLink("net", of: newPID) == netns, "same network namespace inode")
            #expect(try cli.inspectPod("web")["status"]["network"]["ip"].string == ip, "same pod IP")
            #expect(try cli.exec("web", "app", "cat", "/outside").status != 0, "files outside volumes are gone (fresh rootfs)")
            #expect(try cli.exec("web", "app", "cat", "/cache/inside").output == "kept", "emptyDir survives the restart")
            #expect(try cli.succeed(["logs", "web", "--previous"]).output == firstLog)
            let currentLog = try cli.succeed(["logs", "web"]).output
            #expect(currentLog.hasPrefix("attempt started at") && currentLog != firstLog)
        }

        @Test("crashing three times: restarts after 0, then back-off doubling (scaled 0.05: 0.5 s, 1 s), waiting/CrashLoopBackOff in between")
        func crashLoopBackOff() throws {
            let cli = try PodlabCLI("crashLoopBackOff")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: crash
                  annotations: {podlab.dev/backoff-scale: "0.05"}
                spec:
                  restartPolicy: Always
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "cut -d' ' -f1 /proc/uptime; exit 1"]
                """)
            var sawBackOff = false
            try waitUntil("the 4th attempt has run", timeout: 15) {
                let status = try cli.inspect("app", pod: "crash")["status"]
                if status["kubeState"].string == "waiting" && status["reason"].string == "CrashLoopBackOff" {
                    sawBackOff = true
                    #expect(status["message"].string?.hasPrefix("back-off ") == true)
                    #expect(status["lastState"]["exitCode"].int == 1, "while waiting, lastState is the attempt that just failed")
                }
                return (status["restartCount"].int ?? 0) >= 3 && status["state"].string == "CONTAINER_EXITED"
            }
            #expect(sawBackOff, "inspect showed kubeState waiting, reason CrashLoopBackOff between attempts")
            // Each attempt printed its start time (/proc/uptime) into its own log, N.log (#16).
            let starts = try (0...3).map { attempt -> Double in
                let text = try String(contentsOfFile: "\(cli.podDirectory("crash"))/logs/app/\(attempt).log", encoding: .utf8)
                // A CRI log line (#200): `<time> stdout F <uptime>`; the message is the 4th field on.
                let message = text.split(separator: " ", maxSplits: 3).last.map(String.init) ?? ""
                return try #require(Double(message.trimmingCharacters(in: .whitespacesAndNewlines)), "attempt \(attempt) log: \(text)")
            }
            let delays = zip(starts.dropFirst(), starts).map { $0 - $1 }
            #expect(delays[0] < 0.4, "first restart immediate: \(delays)")
            #expect(delays[1] >= 0.45 && delays[1] < 0.95, "then 10 s × 0.05: \(delays)")
            #expect(delays[2] >= 0.95 && delays[2] < 1.6, "then doubled: \(delays)")
        }

        @Test("OnFailure + exit 0: no restart, phase Succeeded")
        func onFailureSucceeds() throws {
            let cli = try PodlabCLI("onFailureSucceeds")
            defer { cli.tearDown() }
            try cli.apply(Self.pod(policy: "OnFailure", exit: 0))
            try waitUntil("the pod Succeeded") { try cli.inspectPod("job")["info"]["podlab"]["phase"].string == "Succeeded" }
            usleep(300_000)
            let status = try cli.inspect("task", pod: "job")["status"]
            #expect(status["restartCount"].int == 0)
            #expect(status["kubeState"].string == "terminated")
            #expect(status["exitCode"].int == 0)
            #expect(status["reason"].string == "Completed")
        }

        @Test("Never + exit 1: no restart, phase Failed")
        func neverFails() throws {
            let cli = try PodlabCLI("neverFails")
            defer { cli.tearDown() }
            try cli.apply(Self.pod(policy: "Never", exit: 1))
            try waitUntil("the pod Failed") { try cli.inspectPod("job")["info"]["podlab"]["phase"].string == "Failed" }
            usleep(300_000)
            let status = try cli.inspect("task", pod: "job")["status"]
            #expect(status["restartCount"].int == 0)
            #expect(status["kubeState"].string == "terminated")
            #expect(status["exitCode"].int == 1)
            #expect(status["reason"].string == "Error")
        }

        static func pod(policy: String, exit code: Int) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: job
              annotations: {podlab.dev/backoff-scale: "0.05"}
            spec:
              restartPolicy: \(policy)
              containers:
              - {name: task, image: busybox, command: ["sh", "-c", "sleep 0.2; exit \(code)"]}
            """
        }
    }
}
