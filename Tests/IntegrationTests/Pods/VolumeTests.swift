import Foundation
import Testing

extension PodTests {
    /// Issue 4, docs/FIDELITY.md #28–#31: emptyDir, medium Memory, configMap, per-mount readOnly.
    @Suite("volumes: emptyDir, configMap, readOnly")
    struct VolumeTests {
        @Test("emptyDir is 0777 and shared at different paths; Memory is tmpfs; configMap is read-only with ..data, 0644, defaultMode and items; readOnly is per container")
        func volumes() throws {
            let cli = try PodlabCLI("volumes")
            defer { cli.tearDown() }
            // Modes are decimal (384 = 0600, 416 = 0640): the manifest parser reads YAML 1.2,
            // where a leading-zero 0600 is not octal (see the report).
            try cli.apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data:
                  app.conf: "color=blue"
                  motd: "hello"
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: vol}
                spec:
                  terminationGracePeriodSeconds: 0
                  volumes:
                  - {name: shared, emptyDir: {}}
                  - {name: mem, emptyDir: {medium: Memory}}
                  - {name: mem-small, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
                  - {name: cfg, configMap: {name: settings}}
                  - name: picked
                    configMap:
                      name: settings
                      defaultMode: 384
                      items:
                      - {key: app.conf, path: conf/renamed.conf, mode: 416}
                      - {key: motd, path: motd.txt}
                  containers:
                  - name: writer
                    image: busybox
                    command: ["sleep", "3600"]
                    resources: {limits: {memory: 64Mi}}
                    volumeMounts:
                    - {name: shared, mountPath: /out}
                    - {name: mem, mountPath: /fast}
                    - {name: mem-small, mountPath: /small}
                    - {name: cfg, mountPath: /etc/cfg}
                    - {name: picked, mountPath: /etc/picked}
                  - name: reader
                    image: busybox
                    command: ["sleep", "3600"]
                    resources: {limits: {memory: 32Mi}}
                    volumeMounts:
                    - {name: shared, mountPath: /in, readOnly: true}
                """)
            func run(_ container: String, _ script: String) throws -> CommandResult {
                try cli.exec("vol", container, "sh", "-c", script)
            }
            // emptyDir: 0777, same files at different paths.
            #expect(try run("writer", "stat -c %a /out").output == "777")
            #expect(try run("writer", "echo from-writer > /out/note").status == 0)
            #expect(try run("reader", "cat /in/note").output == "from-writer")
            // readOnly on the reader's mount only.
            let denied = try run("reader", "echo x > /in/other")
            #expect(denied.status != 0)
            #expect(denied.stderr.contains("Read-only file system"), "\(denied.stderr)")
            #expect(try run("writer", "echo y > /out/other").status == 0, "the writer's view of the same emptyDir is writable")
            // medium: Memory is a tmpfs, sized by the smallest of sizeLimit and the sum of the
            // containers' memory limits (64 + 32 MiB), kubelet's calculateEmptyDirMemorySize (#29).
            #expect(try run("writer", "awk '$2 == \"/fast\" {print $3}' /proc/mounts").output == "tmpfs")
            #expect(try run("writer", "df -k /fast | awk 'NR == 2 {print $2}'").output == "98304", "96 MiB: the pod's memory limit")
            #expect(try run("writer", "df -k /small | awk 'NR == 2 {print $2}'").output == "16384", "16 MiB: sizeLimit")
            // configMap: read-only, ..data layout, 0644 files.
            let write = try run("writer", "echo z > /etc/cfg/app.conf")
            #expect(write.status != 0)
            #expect(write.stderr.contains("Read-only file system"), "\(write.stderr)")
            #expect(try run("writer", "cat /etc/cfg/app.conf").output == "color=blue")
            #expect(try run("writer", "readlink /etc/cfg/app.conf").output == "..data/app.conf")
            #expect(try run("writer", "readlink /etc/cfg/..data").output.hasPrefix("..20"), "..data points at a timestamped directory")
            #expect(try run("writer", "stat -L -c %a /etc/cfg/app.conf /etc/cfg/motd").output == "644\n644")
            // items: key → path, item mode, defaultMode for the rest.
            #expect(try run("writer", "cat /etc/picked/conf/renamed.conf").output == "color=blue")
            #expect(try run("writer", "stat -L -c %a /etc/picked/conf/renamed.conf").output == "640")
            #expect(try run("writer", "stat -L -c %a /etc/picked/motd.txt").output == "600")
            #expect(try run("writer", "test -e /etc/picked/app.conf").status != 0, "only the listed items are projected")
        }

        @Test("the seed's nginx + sidecar manifest: the sidecar reads nginx's log through the shared emptyDir, read-only")
        func seedSidecar() throws {
            let cli = try PodlabCLI("seedSidecar")
            defer { cli.tearDown() }
            let pods = try cli.applyFile("\(repositoryRoot)/Labs/manifests/nginx-sidecar-busybox.yaml", extra: ["--image", "nginx:latest=busybox"])
            let pod = try #require(pods.first)
            try waitUntil("both containers run") {
                try ["nginx", "nginx-sidecar-container"].allSatisfy { try cli.inspect($0, pod: pod)["status"]["kubeState"].string == "running" }
            }
            let ip = try #require(try cli.inspectPod(pod)["status"]["network"]["ip"].string)
            let page = try #require(eventually { () -> String? in
                let result = try host("/bin/busybox", ["wget", "-q", "-O", "-", "http://\(ip)/"])
                return result.status == 0 ? result.output : nil
            })
            #expect(page.contains("Kano"), "the ConfigMap's index page: \(page)")
            try waitUntil("the request shows in the sidecar's view of the log") {
                try cli.exec(pod, "nginx-sidecar-container", "cat", "/var/log/nginx/access.log").stdout.contains("url:")
            }
            let write = try cli.exec(pod, "nginx-sidecar-container", "sh", "-c", "echo x >> /var/log/nginx/access.log")
            #expect(write.stderr.contains("Read-only file system"), "the sidecar mounts the log volume readOnly")
        }
    }
}
