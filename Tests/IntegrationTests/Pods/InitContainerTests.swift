import Foundation
import Testing

extension PodTests {
    /// Issue 4, docs/FIDELITY.md #39–#40: init containers and native sidecars.
    @Suite("init containers and native sidecars")
    struct InitContainerTests {
        @Test("init containers run in order, a failing one is retried with back-off while the app waits; a native sidecar starts before the app and keeps running")
        func initOrderAndRetry() throws {
            let cli = try PodlabCLI("initOrderAndRetry")
            defer { cli.tearDown() }
            // Every container appends "<name> <uptime>" to a shared file; `flaky` fails until
            // its third attempt.
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: boot
                  annotations: {podlab.dev/backoff-scale: "0.05"}
                spec:
                  terminationGracePeriodSeconds: 1
                  volumes: [{name: data, emptyDir: {}}]
                  initContainers:
                  - name: first
                    image: busybox
                    command: ["sh", "-c", "echo first $(cut -d' ' -f1 /proc/uptime) >> /data/order"]
                    volumeMounts: [{name: data, mountPath: /data}]
                  - name: flaky
                    image: busybox
                    command: ["sh", "-c", "echo flaky $(cut -d' ' -f1 /proc/uptime) >> /data/order; [ $(grep -c flaky /data/order) -ge 3 ]"]
                    volumeMounts: [{name: data, mountPath: /data}]
                  - name: sidecar
                    image: busybox
                    restartPolicy: Always
                    command: ["sh", "-c", "echo sidecar $(cut -d' ' -f1 /proc/uptime) >> /data/order; exec sleep 3600"]
                    volumeMounts: [{name: data, mountPath: /data}]
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "echo app $(cut -d' ' -f1 /proc/uptime) >> /data/order; exec sleep 3600"]
                    volumeMounts: [{name: data, mountPath: /data}]
                """)
            var appWaited = false
            try waitUntil("the app runs", timeout: 15) {
                let app = try cli.inspect("app", pod: "boot")["status"]
                if app["state"].string == "CONTAINER_CREATED" { appWaited = true }
                return app["kubeState"].string == "running"
            }
            #expect(appWaited, "the app was created but not started while init containers ran")
            let lines = try cli.exec("boot", "app", "cat", "/data/order").output.split(separator: "\n").map { $0.split(separator: " ") }
            let names = lines.map { String($0[0]) }
            #expect(names == ["first", "flaky", "flaky", "flaky", "sidecar", "app"], "spec order, flaky retried until it exits 0")
            let times = lines.compactMap { $0.count > 1 ? Double($0[1]) : nil }
            if times.count == 6 {
                #expect(times[2] - times[1] < 0.4, "the first retry is immediate: \(times)")
                #expect(times[3] - times[2] >= 0.45, "the second waits for the back-off (10 s × 0.05): \(times)")
            }
            #expect(try cli.inspect("flaky", pod: "boot")["status"]["restartCount"].int == 2)
            #expect(try cli.inspect("first", pod: "boot")["status"]["reason"].string == "Completed")
            #expect(try cli.inspect("sidecar", pod: "boot")["status"]["kubeState"].string == "running", "the sidecar keeps running")
            #expect(try cli.inspectPod("boot")["info"]["podlab"]["phase"].string == "Running")
        }

        @Test("on delete the native sidecar is stopped after the app (the app's slow TERM handler finishes first)")
        func sidecarStopsLast() throws {
            let cli = try PodlabCLI("sidecarStopsLast")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: order}
                spec:
                  terminationGracePeriodSeconds: 5
                  initContainers:
                  - name: sidecar
                    image: busybox
                    restartPolicy: Always
                    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.05; done"]
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "trap 'sleep 0.5; exit 0' TERM; while true; do sleep 0.05; done"]
                """)
            try waitUntil("both run") {
                try ["sidecar", "app"].allSatisfy { try cli.inspect($0, pod: "order")["status"]["kubeState"].string == "running" }
            }
            let log = try FileHandle(forReadingFrom: URL(fileURLWithPath: "\(cli.podDirectory("order"))/supervisor.log"))
            defer { try? log.close() }
            try cli.succeed(["delete", "order"])
            // The supervisor removed the pod directory; the open handle still reads its log.
            let text = String(decoding: log.readDataToEndOfFile(), as: UTF8.self)
            let terminated = text.split(separator: "\n").filter { $0.contains(" terminated: ") }
            let order = terminated.compactMap { line in ["app", "sidecar"].first { line.contains("container \($0) ") } }
            #expect(order == ["app", "sidecar"], "supervisor log:\n\(text)")
            #expect(terminated.allSatisfy { $0.contains("exitCode 0") }, "both exited on SIGTERM within the grace period:\n\(text)")
        }
    }
}
