import Foundation
import Testing

extension PodTests {
    /// Issue 10, "host escapes from a manifest": each test is the attack, run on a real pod.
    @Suite("host escapes: subPath symlinks")
    struct HostEscapeTests {
        /// The CVE-2017-1002101 class: an init container plants `escape -> <host dir>` in an
        /// emptyDir; the app mounts the volume with `subPath: escape`. Resolving the subPath by
        /// path made the app's mount the host directory, read-write. Now it is resolved inside
        /// the volume (openat2 RESOLVE_BENEATH) and refused, as kubelet refuses it ("not within
        /// volume path"): the app never starts and the host directory is untouched.
        @Test("a subPath through a symlink planted by a container does not reach the host")
        func subPathSymlinkEscape() throws {
            let cli = try PodlabCLI("subPathSymlinkEscape")
            defer { cli.tearDown() }
            let hostDir = "\(cli.directory)/host-target"
            try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: escape
                  annotations: {podlab.dev/backoff-scale: "0.02"}
                spec:
                  terminationGracePeriodSeconds: 0
                  volumes: [{name: vol, emptyDir: {}}]
                  initContainers:
                  - name: plant
                    image: busybox
                    command: ["sh", "-c", "ln -s \(hostDir) /vol/escape && ln -s ../.. /vol/up && mkdir -p /vol/real/sub && ln -s real/sub /vol/inside"]
                    volumeMounts: [{name: vol, mountPath: /vol}]
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "touch /mnt/pwned; exec sleep 3600"]
                    volumeMounts: [{name: vol, mountPath: /mnt, subPath: escape}]
                  - name: climber
                    image: busybox
                    command: ["sh", "-c", "touch /mnt/pwned; exec sleep 3600"]
                    volumeMounts: [{name: vol, mountPath: /mnt, subPath: up}]
                  - name: fine
                    image: busybox
                    command: ["sh", "-c", "echo ok > /mnt/file; exec sleep 3600"]
                    volumeMounts: [{name: vol, mountPath: /mnt, subPath: inside}]
                """)
            // The relative symlink that stays inside the volume works, as in kubelet.
            try waitUntil("the container with an in-volume subPath symlink runs", timeout: 15) {
                try cli.inspect("fine", pod: "escape")["status"]["kubeState"].string == "running"
            }
            // Like kubelet: never created, waiting with CreateContainerConfigError and the
            // reason, retried without counting restarts.
            try waitUntil("both escaping containers wait with CreateContainerConfigError", timeout: 15) {
                try ["app", "climber"].allSatisfy { try cli.inspect($0, pod: "escape")["status"]["reason"].string == "CreateContainerConfigError" }
            }
            for (name, subPath) in [("app", "escape"), ("climber", "up")] {
                let status = try cli.inspect(name, pod: "escape")["status"]
                #expect(status["kubeState"].string == "waiting", "\(name) must not run")
                #expect(status["restartCount"].int == 0)
                let message = status["message"].string ?? ""
                #expect(message.contains("failed to prepare subPath \"\(subPath)\" for volumeMount \"vol\" of container \"\(name)\""), "\(name): \(message)")
                #expect(message.contains("RESOLVE_BENEATH") && message.contains("cross-device"), "\(name): \(message)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: hostDir).isEmpty, "a container wrote into the host directory")
            #expect(!FileManager.default.fileExists(atPath: "\(cli.directory)/pwned"))
            #expect(try cli.exec("escape", "fine", "cat", "/mnt/file").output == "ok")
        }
    }
}
