import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Nested in `PodTests` so the pod suite's final leak check runs after these labs, not beside them.
extension PodTests {
    /// Every shipped lab must be able to fail: with one of its claims made false, `podlab run`
    /// exits 1 and the report names the failing step and check (issue 5's "tests that can fail").
    @Suite("Labs fail when their claim is false")
    struct LabClaimTests {
        /// One deliberately wrong expectation per lab: (lab, text in the lab file, replacement, the
        /// step whose check must fail).
        static let brokenClaims: [(lab: String, original: String, broken: String, step: String)] = [
            ("pause-namespaces", "shared: [net, ipc, uts]", "shared: [net, ipc, uts, mnt]", "compare-namespace-inodes"),
            ("pause-process-tree", #"NSpid:\s+[0-9]+\s+1$"#, #"NSpid:\s+[0-9]+\s+2$"#, "pause-is-pause"),
            ("pause-persistence", "ip: $IP_BEFORE", "ip: {notEquals: $IP_BEFORE}", "ip-survived"),
            ("sidecar-shared-logs", "ready: 2/2", "ready: 3/3", "ready-two-of-two"),
            ("sidecar-busybox", "ready: 2/2", "ready: 3/3", "ready-two-of-two"),
            ("command-and-args", "logs: entry from-args", "logs: from-args", "args-only"),
            ("memory-limits", "stdout: \"104857600\"", "stdout: \"52428800\"", "limit-in-cgroup"),
            ("security-context", "stdout: uid=1000 gid=3000 groups=2000,3000", "stdout: uid=0 gid=3000 groups=2000,3000", "who-am-i"),
            ("container-view", #"matches: '^67108864\s*$'"#, #"matches: '^134217728\s*$'"#, "own-cgroup"),
        ]

        static let labsDirectory: String = {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Labs").path
        }()

        @Test("each lab with a false claim fails with exit 1 and the failing check in its reports")
        func brokenLabsFail() throws {
            let cli = try PodlabCLI("broken labs")
            defer { cli.tearDown() }
            let labs = "\(cli.directory)/labs"
            let reports = "\(cli.directory)/reports"
            try FileManager.default.createDirectory(atPath: labs, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(Self.labsDirectory)/manifests", toPath: "\(labs)/manifests")
            for claim in Self.brokenClaims {
                let text = try String(contentsOfFile: "\(Self.labsDirectory)/\(claim.lab).lab.yaml", encoding: .utf8)
                try #require(text.contains(claim.original), "\(claim.lab).lab.yaml no longer contains \(claim.original): update this test")
                try text.replacingOccurrences(of: claim.original, with: claim.broken)
                    .write(toFile: "\(labs)/\(claim.lab).lab.yaml", atomically: true, encoding: .utf8)
            }
            let result = try cli.run(["run", "--all", "--parallel", "2", "--report-dir", reports, "--report-format", "junit"],
                                     environment: ["PODLAB_LABS_DIR": labs], timeout: 1500)
            #expect(result.status == 1, "\(result.description)")
            for claim in Self.brokenClaims {
                let markdown = try String(contentsOfFile: "\(reports)/\(claim.lab).md", encoding: .utf8)
                #expect(markdown.hasPrefix("# ❌ \(claim.lab): failed"), "\(claim.lab): \(markdown.prefix(200))")
                #expect(markdown.contains(claim.step), "\(claim.lab) report does not name step \(claim.step)")
            }
            let junit = try String(contentsOfFile: "\(reports)/podlab-report.xml", encoding: .utf8)
            #expect(junit.components(separatedBy: "<failure").count - 1 == Self.brokenClaims.count, "\(junit)")
            // The labs' pods are gone although every lab failed.
            let pods = try cli.run(["pods", "-q"])
            #expect(pods.output.isEmpty, "pods left after failed labs: \(pods.stdout)")
        }

        /// Ctrl-C in the middle of a lab: `podlab run` deletes the lab's pods, then exits 130.
        @Test("SIGINT during a lab deletes its pods and exits 130")
        func interruptedRunDeletesItsPods() throws {
            let cli = try PodlabCLI("interrupted run")
            defer { cli.tearDown() }
            let labs = "\(cli.directory)/labs"
            try FileManager.default.createDirectory(atPath: labs, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(Self.labsDirectory)/manifests", toPath: "\(labs)/manifests")
            try """
                apiVersion: podlab.dev/v1alpha1
                kind: Lab
                metadata: {name: slow, title: A pod then a long sleep}
                spec:
                  images: {alpine:3.2: busybox}
                  steps:
                  - name: create
                    try:
                    - apply: {file: manifests/alpine-deployment.yaml}
                    - wait: {phase: Running, ready: true}
                  - name: nap
                    try:
                    - sleep: {duration: 60s}
                """.write(toFile: "\(labs)/slow.lab.yaml", atomically: true, encoding: .utf8)
            let run = try cli.start(["run", "\(labs)/slow.lab.yaml", "--report-dir", "\(cli.directory)/reports"])
            try waitUntil("the lab's pod runs", timeout: 30) { !(try cli.run(["pods", "-q"]).output.isEmpty) }
            let pod = try cli.run(["inspectp", "alpine-deployment", "--template", ".info.pid"])
            let pause = try #require(Int32(pod.output), "\(pod.description)")
            #expect(kill(run.pid, SIGINT) == 0)
            let result = try run.wait(timeout: 30)
            #expect(result.status == 130, "\(result.description)")
            #expect(try cli.run(["pods", "-q"]).output.isEmpty, "the interrupted lab's pod is still there")
            #expect(!isAlive(pause), "pause \(pause) still runs after the interrupt")
        }
    }
}
