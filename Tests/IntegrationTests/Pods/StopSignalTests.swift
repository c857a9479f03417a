import Foundation
import Testing

extension PodTests {
    /// docs/FIDELITY.md #104 on a real pod: containerd stops a container with its image's
    /// `StopSignal` (`internal/cri/server/container_stop.go`: `stopSignal` from the image
    /// config, else SIGTERM), and kubelet's liveness kill is that same StopContainer.
    @Suite("the image's StopSignal")
    struct StopSignalTests {
        @Test("a liveness kill sends the image's StopSignal (SIGUSR1 here); an image without one gets SIGTERM")
        func imageStopSignal() throws {
            let cli = try PodlabCLI("stopSignal")
            defer { cli.tearDown() }
            let scratch = "\(cli.directory)/image"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            let image = "stopsig-\(cli.namespace):1"
            try TestImageArchive.write(to: "\(scratch)/image.tar", scratch: scratch, files: [],
                                       config: #""StopSignal":"SIGUSR1","Cmd":["sh"]"#)
            try cli.succeed(["rootfs", "import", "\(scratch)/image.tar", "--name", image], timeout: 120)
            // Each container records the signal it got in the emptyDir, removes the trigger and
            // exits; its liveness probe fails while /v/kill-<name> exists. PID 1's shell gets the signal because it
            // traps it (the kernel drops only default-action signals for a namespace's init).
            func container(_ name: String, image: String) -> String {
                """
                  - name: \(name)
                    image: \(image)
                    command:
                    - sh
                    - -c
                    - 'trap "echo USR1 >> /v/got-\(name); rm -f /v/kill-\(name); exit 0" USR1; trap "echo TERM >> /v/got-\(name); rm -f /v/kill-\(name); exit 0" TERM; while true; do sleep 0.1; done'
                    volumeMounts: [{name: v, mountPath: /v}]
                    livenessProbe:
                      exec: {command: [sh, -c, 'test ! -e /v/kill-\(name)']}
                      periodSeconds: 1
                      failureThreshold: 1
                """
            }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: stopsig}
                spec:
                  terminationGracePeriodSeconds: 5
                  volumes: [{name: v, emptyDir: {}}]
                  containers:
                \(container("custom", image: image))
                \(container("plain", image: "busybox"))
                """)
            try waitUntil("both containers run", timeout: 20) {
                try ["custom", "plain"].allSatisfy { try cli.inspect($0, pod: "stopsig")["status"]["kubeState"].string == "running" }
            }
            for name in ["custom", "plain"] {
                #expect(try cli.exec("stopsig", name, "touch", "/v/kill-\(name)").status == 0)
            }
            try waitUntil("both were killed by their liveness probe and restarted", timeout: 30) {
                try ["custom", "plain"].allSatisfy { try cli.inspect($0, pod: "stopsig")["status"]["restartCount"].int ?? 0 >= 1 }
            }
            // The restarted containers share the emptyDir: read what their first attempts got.
            #expect(try cli.exec("stopsig", "plain", "cat", "/v/got-custom").output == "USR1", "the image's StopSignal")
            #expect(try cli.exec("stopsig", "plain", "cat", "/v/got-plain").output == "TERM", "no StopSignal: SIGTERM")
        }
    }
}
