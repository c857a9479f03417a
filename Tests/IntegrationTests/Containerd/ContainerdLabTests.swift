import ContainerdKit
import Foundation
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

        /// The seed labs that pass on containerd today; the others are in the report.
        static let labs = ["pause-persistence"]

        @Test("seed labs pass with --runtime containerd, and down leaves nothing",
              .enabled(if: PodlabTestEnvironment.canRun))
        func seedLabsOnContainerd() throws {
            let cli = try PodlabCLI("containerd labs")
            defer { cli.tearDown() }
            let tag = String(format: "%03x", Int.random(in: 0...0xfff))
            let paths = PodlabPaths(stateDir: cli.stateDir, dataDir: cli.environment.dataDir, rootfsDir: cli.environment.rootfsDir,
                                    labsDir: "", reportsDir: "")
            var setup = ContainerdSetup.forPaths(paths, environment: cli.variables)
            setup.rootDir = cli.directory + "/containerd-root"
            setup.bridge = "plsm" + tag
            setup.subnet = "10.231.\(Int.random(in: 1...254)).0/24"
            let instance = ContainerdInstance(setup: setup)
            var daemon: Int32 = 0
            defer {
                _ = try? cli.run(["delete", "--all", "--grace-period", "0"], timeout: 120)
                _ = try? instance.down()
            }
            daemon = try instance.up(timeout: 90).pid
            try ContainerdImages(setup: setup).importPause(pause: ContainerdCRITests.pauseBinary)

            let reports = cli.directory + "/reports"
            let result = try cli.run(
                ["run"] + Self.labs + ["--runtime", "containerd", "--cri-endpoint", "unix://" + setup.socket, "--report-dir", reports],
                environment: Self.shimEnvironment.merging(["PODLAB_LABS_DIR": LabClaimTests.labsDirectory]) { $1 }, timeout: 600)
            #expect(result.status == 0, "\(result.description)")
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
