import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// `podlab wait`, kubectl-style: exit 0 once the condition holds, 1 with the pod's state when
    /// it times out or can never hold.
    @Suite("podlab wait")
    struct WaitCommandTests {
        static func pod(_ name: String, command: String, policy: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name)}
            spec:
              restartPolicy: \(policy)
              containers:
              - {name: app, image: busybox, command: ["sh", "-c", "\(command)"]}
            """
        }

        @Test("--for exited returns once the container ended; a condition that can never hold fails at once")
        func exitedAndImpossible() throws {
            let cli = try PodlabCLI("wait")
            defer { cli.tearDown() }
            try cli.apply(Self.pod("quick", command: "sleep 0.3; exit 3", policy: "Never"), file: "quick.yaml")
            let started = Date()
            try cli.succeed(["wait", "quick", "--for", "exited", "--timeout", "20s"])
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(try cli.inspect("app", pod: "quick")["status"]["exitCode"].int == 3)
            // Failed (Never + exit 3) can never become Running: no need to wait for the timeout.
            let impossible = try cli.run(["wait", "quick", "--for", "phase=Running", "--timeout", "30s"])
            #expect(impossible.status == 1, "\(impossible.description)")
            #expect(impossible.stderr.contains("Failed"), "\(impossible.description)")
        }

        @Test("a timeout exits 1 and says what the pod looks like now")
        func timeout() throws {
            let cli = try PodlabCLI("wait-timeout")
            defer { cli.tearDown() }
            try cli.apply(Self.pod("sleeper", command: "sleep 3600", policy: "Always"), file: "sleeper.yaml")
            let result = try cli.run(["wait", "sleeper", "--for", "exited", "--timeout", "300ms"])
            #expect(result.status == 1, "\(result.description)")
            #expect(result.stderr.contains("timed out"), "\(result.description)")
            try cli.succeed(["wait", "sleeper", "--for", "condition=Ready"])
        }
    }
}
