import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The repository checkout (for `Labs/manifests`): four levels above this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Runs a host program and returns its exit status and stdout (ip, busybox ping/wget: checks only).
func host(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    // Spawn with no signal blocked (test threads block most; busybox ping's -W needs SIGALRM).
    var none = sigset_t()
    var saved = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

extension PodTests {
    /// Issue 3: the seed post's pod, its namespaces and its network, checked as a reader would.
    @Suite("sandbox: namespaces and network")
    struct SandboxNetworkTests {
        @Test("the seed's alpine Deployment applies as written; pause and app share net/ipc/uts, not mnt/pid; ip netns identify names the pin; eth0 has the pod IP; the host can ping it")
        func seedDeployment() throws {
            let cli = try PodlabCLI("seedDeployment")
            defer { cli.tearDown() }
            let pods = try cli.applyFile("\(repositoryRoot)/Labs/manifests/alpine-deployment.yaml", extra: ["--image", "alpine:3.2=busybox"])
            let pod = try #require(pods.first)
            #expect(pods.count == 1)
            #expect(pod.hasPrefix("alpine-deployment-"), "Deployment pods are named <deployment>-<hash>-<random>")
            try waitUntil("alpine runs") { try cli.inspect("alpine", pod: pod)["status"]["kubeState"].string == "running" }

            let ns = try JSON(parsing: try cli.succeed(["ns", pod, "-o", "json"]).stdout)
            let processes = ns["processes"].array
            let pause = try #require(processes.first { $0["process"].string == "pause" })
            let app = try #require(processes.first { $0["process"].string == "alpine" })
            for type in ["net", "ipc", "uts"] {
                #expect(pause["inodes"][type].int != nil)
                #expect(pause["inodes"][type].int == app["inodes"][type].int, "\(type) is shared with pause")
            }
            for type in ["mnt", "pid"] {
                #expect(pause["inodes"][type].int != app["inodes"][type].int, "\(type) is the container's own")
            }

            let pausePID = try cli.pausePID(pod)
            let identify = try host("/sbin/ip", ["netns", "identify", "\(pausePID)"])
            #expect(identify.output == "podlab-\(cli.hostName(pod))")

            let ip = try #require(try cli.inspectPod(pod)["status"]["network"]["ip"].string)
            let addr = try cli.exec(pod, "alpine", "ip", "addr", "show", "eth0")
            #expect(addr.status == 0)
            let prefix = PodlabTestEnvironment.subnet.split(separator: "/").last.map(String.init) ?? ""
            #expect(addr.stdout.contains("inet \(ip)/\(prefix)"), "eth0 carries the pod IP and the subnet's prefix: \(addr.stdout)")
            let ping = try host("/bin/busybox", ["ping", "-c1", "-W1", ip])
            #expect(ping.status == 0, "the host reaches the pod over the bridge: \(ping.output)")
        }

        @Test("a container reaches another pod's IP: ping and HTTP to a busybox httpd")
        func podToPod() throws {
            let cli = try PodlabCLI("podToPod")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: server}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: httpd
                    image: busybox
                    command: ["sh", "-c", "mkdir -p /www && echo served-by-$(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: client}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: shell, image: busybox, command: ["sleep", "3600"]}
                """)
            let serverIP = try #require(try cli.inspectPod("server")["status"]["network"]["ip"].string)
            let clientIP = try cli.inspectPod("client")["status"]["network"]["ip"].string
            #expect(serverIP != clientIP, "each pod has its own IP")
            let ping = try cli.exec("client", "shell", "ping", "-c1", "-W1", serverIP)
            #expect(ping.status == 0, "ping \(serverIP): \(ping.description)")
            let page = try #require(eventually { () -> CommandResult? in
                let result = try cli.exec("client", "shell", "wget", "-q", "-O", "-", "http://\(serverIP):8080/")
                return result.status == 0 ? result : nil
            })
            #expect(page.output == "served-by-server", "the hostname is the pod name, and the page came from the other pod")
        }

        @Test("exec passes the command's exit code through (7, and 128+9 for a SIGKILLed command)")
        func execExitCode() throws {
            let cli = try PodlabCLI("execExitCode")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: exec}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            #expect(try cli.exec("exec", "app", "true").status == 0)
            #expect(try cli.exec("exec", "app", "sh", "-c", "exit 7").status == 7)
            #expect(try cli.exec("exec", "app", "sh", "-c", "kill -9 $$").status == 137)
            let missing = try cli.exec("exec", "app", "/no/such/binary")
            #expect(missing.status != 0)
            #expect(!missing.stderr.isEmpty, "a failed exec says why")
        }
    }
}
