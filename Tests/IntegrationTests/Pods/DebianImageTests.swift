import Foundation
import Testing

extension PodTests {
    /// Issue 14 items 1–2, docs/FIDELITY.md #95–#103: a real nginx built from Debian packages with
    /// mmdebstrap, run by its image config; the seed post's sidecar manifest unchanged.
    ///
    /// The first run on a checkout builds nginx (minutes: apt downloads); the build is cached by
    /// its inputs under `.build/podlab-build-cache` (PodlabCLI sets PODLAB_BUILD_CACHE_DIR), so
    /// later runs only copy it into the run's catalog.
    @Suite("Debian-built images: real nginx and image configs", .serialized)
    struct DebianImageTests {
        @Test("rootfs build nginx: mmdebstrap image with the official config; a second build is instant")
        func buildNginx() throws {
            let cli = try PodlabCLI("buildNginx")
            defer { cli.tearDown() }
            let first = try cli.succeed(["rootfs", "build", "nginx"], timeout: 1500)
            #expect(first.stdout.contains(#"Entrypoint ["/docker-entrypoint.sh"]  Cmd ["nginx", "-g", "daemon off;"]"#), "\(first.description)")
            let started = Date()
            let second = try cli.succeed(["rootfs", "build", "nginx"], timeout: 60)
            #expect(Date().timeIntervalSince(started) < 5, "the same inputs reuse the catalog entry")
            #expect(second.stdout.split(separator: " ").first == first.stdout.split(separator: " ").first)
            #expect(!second.stderr.contains("building"), "no second mmdebstrap run: \(second.stderr)")
        }

        @Test("the seed post's nginx + sidecar manifest, unchanged: nginx logs into the emptyDir, the sidecar reads it, Server: nginx")
        func seedSidecarOnRealNginx() throws {
            let cli = try PodlabCLI("seedSidecarNginx")
            defer { cli.tearDown() }
            _ = try cli.succeed(["rootfs", "build", "nginx"], timeout: 1500)
            let pods = try cli.applyFile("\(repositoryRoot)/Labs/manifests/nginx-sidecar.yaml")
            let pod = try #require(pods.first)
            try waitUntil("both containers run", timeout: 30) {
                try ["nginx", "nginx-sidecar-container"].allSatisfy { try cli.inspect($0, pod: pod)["status"]["kubeState"].string == "running" }
            }
            // No command in the manifest: the image's ENTRYPOINT + CMD (#95).
            let args = try cli.inspect("nginx", pod: pod)["info"]["runtimeSpec"]["process"]["args"]
            #expect(args.array.compactMap(\.string) == ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"])
            let fetch = try #require(eventually(timeout: 20, interval: 0.5) { () -> CommandResult? in
                let result = try cli.exec(pod, "nginx-sidecar-container", "wget", "-S", "-q", "-O", "-", "http://localhost:80/")
                return result.status == 0 ? result : nil
            })
            #expect(fetch.stdout.contains("Kano/鹿乃"), "the ConfigMap's page: \(fetch.description)")
            #expect(fetch.stderr.contains("Server: nginx/"), "nginx's Server header: \(fetch.stderr)")
            let log = try #require(eventually(timeout: 10, interval: 0.5) { () -> String? in
                let text = try cli.exec(pod, "nginx-sidecar-container", "cat", "/var/log/nginx/access.log").stdout
                return text.contains(#""GET / HTTP/1.1" 200"#) ? text : nil
            })
            // nginx's `main` format: a real file in the emptyDir, not the image's stdout symlink.
            #expect(log.contains(#"127.0.0.1 - - ["#) && log.contains(#""-" "Wget" "-""#), "\(log)")
            let kind = try cli.exec(pod, "nginx", "sh", "-c", "test -f /var/log/nginx/access.log && ! test -L /var/log/nginx/access.log")
            #expect(kind.status == 0, "access.log in the emptyDir is a regular file")
            let entry = try cli.succeed(["logs", pod, "-n", cli.namespace, "-c", "nginx"]).stdout
            #expect(entry.contains("/docker-entrypoint.sh: No files found in /docker-entrypoint.d/"), "the entrypoint script ran: \(entry)")
        }

        @Test("without a volume, nginx's access log is the container's stdout; image Env is under the pod's env")
        func nginxLogsToStdoutAndEnvMerges() throws {
            let cli = try PodlabCLI("nginxStdout")
            defer { cli.tearDown() }
            _ = try cli.succeed(["rootfs", "build", "nginx"], timeout: 1500)
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: web}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: nginx
                    image: nginx
                    env: [{name: PATH, value: "/usr/sbin:/usr/bin:/bin"}, {name: EXTRA, value: "pod"}]
                """)
            try waitUntil("nginx runs", timeout: 30) { try cli.inspect("nginx", pod: "web")["status"]["kubeState"].string == "running" }
            let ip = try #require(try cli.inspectPod("web")["status"]["network"]["ip"].string)
            let page = try #require(eventually(timeout: 20, interval: 0.5) { () -> String? in
                let result = try host("/bin/busybox", ["wget", "-q", "-O", "-", "http://\(ip)/"])
                return result.status == 0 ? result.output : nil
            })
            #expect(page.contains("nginx"), "Debian's default page: \(page)")
            try waitUntil("the request is in `podlab logs`") {
                try cli.succeed(["logs", "web", "-n", cli.namespace]).stdout.contains(#""GET / HTTP/1.1" 200"#)
            }
            let env = try cli.exec("web", "nginx", "env").stdout.split(separator: "\n").map(String.init)
            #expect(env.contains { $0.hasPrefix("NGINX_VERSION=1.") }, "the image's Env: \(env)")
            #expect(env.contains("PATH=/usr/sbin:/usr/bin:/bin"), "the pod's PATH wins over the image's: \(env)")
            #expect(env.contains("EXTRA=pod"))
        }
    }
}
