import ContainerdKit
import Foundation
import PodKit
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Nested in `PodTests` so the pod suite's final leak check runs after these labs, not beside them.
extension PodTests {
    /// Seed labs run with `podlab run --runtime containerd` on a containerd this test starts
    /// itself (`ContainerdInstance.up`, its own root, socket, bridge and subnet inside
    /// 10.231.0.0/16): the supervisor speaks CRI through `ContainerdPodRuntime` (issue 13 item 2,
    /// docs/FIDELITY.md #155–#159). Afterwards nothing of it may be left: no containerd, shim,
    /// container process, netns pin, bridge, mount or cgroup.
    @Suite("labs on containerd", .serialized)
    struct ContainerdLabTests {
        /// The test's own `PODLAB_CRI` (a podlab-cri built elsewhere), which `PodlabCLI` would
        /// otherwise filter out with every `PODLAB_` variable.
        static var shimEnvironment: [String: String] {
            ProcessInfo.processInfo.environment["PODLAB_CRI"].map { ["PODLAB_CRI": $0] } ?? [:]
        }

        /// The seed labs that pass on containerd; `PODLAB_TEST_CONTAINERD_LABS` (comma
        /// separated) picks others.
        static let labs: [String] = ProcessInfo.processInfo.environment["PODLAB_TEST_CONTAINERD_LABS"]
            .map { $0.split(separator: ",").map(String.init) }
            ?? ["pause-persistence", "pause-namespaces", "pause-process-tree", "sidecar-busybox", "memory-limits"]

        @Test("seed labs pass with --runtime containerd, and down leaves nothing",
              .enabled(if: PodlabTestEnvironment.canRun))
        func seedLabsOnContainerd() throws {
            let cli = try PodlabCLI("containerd labs")
            defer { cli.tearDown() }
            let containerd = try TestContainerd(cli, bridgePrefix: "plsm", subnetBlock: "10.231")
            defer { containerd.stop() }
            let paths = containerd.paths, setup = containerd.setup, instance = containerd.instance, daemon = containerd.daemon

            // The pod really runs on containerd: its sandbox process is a child of a
            // containerd shim, and its CRI ids are saved for later commands.
            let endpoint = ["--runtime", "containerd", "--cri-endpoint", "unix://" + setup.socket]
            let applied = try cli.run(["apply", "-f", LabClaimTests.labsDirectory + "/manifests/alpine-deployment.yaml", "-n", cli.namespace,
                                       "--image", "alpine:3.2=busybox"] + endpoint, environment: Self.shimEnvironment)
            cli.adopt(applied)
            try #require(applied.status == 0, "\(applied.description)")
            let store = PodStore(paths: paths)
            let record = try #require(store.list().first, "no pod after \(applied.description)")
            let saved = try #require(ContainerdPodRuntime.state(paths: paths, key: record.key), "no cri.json for \(record.key)")
            #expect(saved.sandboxID != nil && saved.containers.count == 1, "\(saved)")
            let pause = try #require(record.sandbox.pausePID)
            #expect(Self.parentCommand(of: pause).hasPrefix("containerd-shim"), "pause's parent is \(Self.parentCommand(of: pause))")
            let app = try #require(record.containers.first?.pid)
            #expect(Self.parentCommand(of: app).hasPrefix("containerd-shim"), "the app's parent is \(Self.parentCommand(of: app))")
            let listed = try cli.run(["pods"])
            #expect(listed.stdout.contains("containerd"), "pods' RUNTIME column: \(listed.description)")
            let hosts = try cli.run(["exec", record.spec.name, "--", "cat", "/etc/hosts"])
            #expect(hosts.stdout.contains(record.sandbox.ip ?? "no IP"), "\(hosts.description)")

            // Exec probes go through CRI ExecSync off the supervisor's thread: the readiness
            // probe makes the pod Ready, the failing liveness probe restarts the container.
            let probed = try cli.run(["apply", "-f", "-", "-n", cli.namespace] + endpoint, environment: Self.shimEnvironment, input: """
                apiVersion: v1
                kind: Pod
                metadata: {name: probed, annotations: {podlab.dev/backoff-scale: "0.1"}}
                spec:
                  terminationGracePeriodSeconds: 2
                  containers:
                  - name: app
                    image: busybox
                    command: [sh, -c, "touch /tmp/ok; sleep 3600"]
                    readinessProbe: {exec: {command: [cat, /tmp/ok]}, periodSeconds: 1}
                  - name: sick
                    image: busybox
                    command: [sleep, "3600"]
                    livenessProbe: {exec: {command: [sh, -c, "echo sick; exit 3"]}, periodSeconds: 1, failureThreshold: 1}
                """)
            cli.adopt(probed)
            try #require(probed.status == 0, "\(probed.description)")
            let key = cli.key("probed")
            var restarted: PodRecord?
            for _ in 0..<60 {
                if let current = try? store.load(key: key), current.containers.first(where: { $0.name == "sick" })?.restartCount ?? 0 >= 1 {
                    restarted = current
                    break
                }
                usleep(500_000)
            }
            let afterProbes = try #require(restarted, "the failing liveness probe never restarted sick: \(String(describing: try? store.load(key: key).containers))")
            #expect(afterProbes.containers.first { $0.name == "app" }?.ready == true, "readiness via ExecSync: \(afterProbes.containers)")
            #expect(afterProbes.containers.first { $0.name == "sick" }?.lastTerminated?.message?.contains("liveness") == true,
                    "\(String(describing: afterProbes.containers.last?.lastTerminated))")
            #expect(try cli.run(["delete", "--all", "--grace-period", "0"], timeout: 120).status == 0)

            let reports = cli.directory + "/reports"
            let result = try cli.run(
                ["run"] + Self.labs + endpoint + ["--report-dir", reports],
                environment: Self.shimEnvironment.merging(["PODLAB_LABS_DIR": LabClaimTests.labsDirectory]) { $1 }, timeout: 600)
            #expect(result.status == 0, "\(result.description)")
            // For the side-by-side comparison by hand: keep the reports.
            if let keep = ProcessInfo.processInfo.environment["PODLAB_TEST_KEEP_REPORTS"] {
                try? FileManager.default.removeItem(atPath: keep)
                try? FileManager.default.copyItem(atPath: reports, toPath: keep)
            }
            for lab in Self.labs {
                let markdown = (try? String(contentsOfFile: "\(reports)/\(lab).md", encoding: .utf8)) ?? ""
                #expect(markdown.hasPrefix("# ✅ \(lab)"), "\(lab) on containerd: \(markdown.prefix(3000))")
            }
            let pods = try cli.run(["pods", "-q"])
            #expect(pods.output.isEmpty, "pods left after the labs: \(pods.stdout)")

            let removal = try instance.down()
            #expect(removal.containerdStopped)
            #expect(ContainerdCRITests.leftovers(setup: setup, root: cli.directory, pids: [daemon], netnsPins: []) == [])
        }

        /// The command name of `pid`'s parent.
        static func parentCommand(of pid: Int32) -> String {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("PPid:") }),
                  let parent = Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) else { return "" }
            return ((try? String(contentsOfFile: "/proc/\(parent)/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test("--runtime containerd with no containerd answering is refused before any pod exists")
        func noEndpointIsANamedError() throws {
            let cli = try PodlabCLI("containerd missing")
            defer { cli.tearDown() }
            let socket = cli.directory + "/nobody.sock"
            let result = try cli.run(["apply", "-f", LabClaimTests.labsDirectory + "/manifests/alpine-deployment.yaml",
                                      "--image", "alpine:3.2=busybox", "--runtime", "containerd", "--cri-endpoint", "unix://" + socket],
                                     environment: Self.shimEnvironment)
            #expect(result.status != 0)
            #expect(result.stderr.contains("containerd's CRI at unix://\(socket) does not answer"), "\(result.description)")
            #expect(result.stderr.contains("podlab runtime up"), "\(result.description)")
            #expect(try cli.run(["pods", "-q"]).output.isEmpty)
        }
    }
}
