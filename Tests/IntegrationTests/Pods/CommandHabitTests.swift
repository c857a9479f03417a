import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// Mistyped and kubectl-shaped commands get podlab's spelling; delete says what it waits for.
    @Suite("command habits: did you mean, delete's grace period")
    struct CommandHabitTests {
        @Test("podlab rn, podlab get pods -n x, podlab describ: exit 2 with the podlab spelling")
        func didYouMean() throws {
            let cli = try PodlabCLI("did-you-mean")
            defer { cli.tearDown() }
            let cases: [([String], String)] = [
                (["rn"], "did you mean: podlab run?"),
                (["get", "pods", "-n", "web"], "did you mean: podlab pods --namespace web"),
                (["describ", "x"], "did you mean: podlab describe?"),
                (["get", "containers"], "did you mean: podlab ps"),
            ]
            for (arguments, hint) in cases {
                let result = try cli.run(arguments)
                #expect(result.status == 2, "\(result.description)")
                #expect(result.stderr.contains(hint), "\(result.description)")
            }
            let nothingClose = try cli.run(["xyzzy"])
            #expect(nothingClose.status == 2 && !nothingClose.stderr.contains("did you mean"), "\(nothingClose.description)")
        }

        @Test("delete names the grace period it waits for, from the pod or --grace-period")
        func deleteSaysWhy() throws {
            let cli = try PodlabCLI("delete-grace")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: slow}
                spec:
                  terminationGracePeriodSeconds: 3
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let result = try cli.succeed(["delete", "slow", "-n", cli.namespace])
            #expect(result.stdout.contains("pod/slow: SIGTERM (preStop hooks first), waiting up to 3 s (the pod's terminationGracePeriodSeconds)"), "\(result.description)")
            #expect(result.stdout.contains("pod/slow deleted"), "\(result.description)")
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: quick}
                spec:
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """, file: "quick.yaml")
            let forced = try cli.succeed(["delete", "quick", "-n", cli.namespace, "--grace-period", "0"])
            #expect(forced.stdout.contains("pod/quick: --grace-period 0: SIGKILL now"), "\(forced.description)")
        }
    }
}
