import Foundation
import Testing

extension PodTests {
    /// Deleting several pods at once overlaps their grace periods (docs/FIDELITY.md #192): every
    /// supervisor gets SIGTERM before the first is waited for, as kubelet's pod workers stop pods
    /// side by side. Lab cleanup and `delete --all` both go through `PodDeleter.delete(_:grace:)`.
    @Suite("delete several pods together")
    struct DeleteTogetherTests {
        /// `sleep` as a container's PID 1 ignores SIGTERM (the kernel drops a default-action
        /// signal to a namespace init), so each pod holds its delete for the whole grace period.
        static func sleeper(_ name: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name)}
            spec:
              containers:
              - {name: app, image: busybox, command: ["sleep", "3600"]}
            """
        }

        @Test("delete --all of four pods that ignore SIGTERM takes about one grace period, not four")
        func gracePeriodsOverlap() throws {
            let cli = try PodlabCLI("delete-together")
            defer { cli.tearDown() }
            let names = ["s1", "s2", "s3", "s4"]
            for name in names { try cli.apply(Self.sleeper(name), file: "\(name).yaml") }
            for name in names { try cli.succeed(["wait", name, "--for", "condition=Ready", "--timeout", "60s"]) }
            let grace = 3.0
            let started = Date()
            let result = try cli.succeed(["delete", "--all", "--grace-period", "\(grace)"], timeout: 120)
            let elapsed = Date().timeIntervalSince(started)
            // The grace period is honoured (the sleeps only die of the SIGKILL after it)...
            #expect(elapsed >= grace, "\(elapsed) s: \(result.description)")
            // ...once for all four: one after another it took at least 4 x 3 s.
            #expect(elapsed < 2 * grace + 3, "\(elapsed) s for \(names.count) pods with a \(grace) s grace period: \(result.description)")
            for name in names { #expect(result.stdout.contains("pod/\(name) deleted"), "\(result.description)") }
            #expect(try cli.succeed(["pods", "-q"]).output.isEmpty)
        }
    }
}
