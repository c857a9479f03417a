import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// kubectl selectors and crictl list flags (issue 15 section 3; docs/FIDELITY.md #153, #154).
    @Suite("selectors and crictl list flags")
    struct SelectorAndListFlagTests {
        static func pod(_ name: String, labels: String, containers: [String] = ["app"]) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: \(name)
              labels: {\(labels)}
            spec:
              containers:
            \(containers.map { "  - {name: \($0), image: busybox, command: [sleep, \"3600\"]}" }.joined(separator: "\n"))
            """
        }

        @Test("set-based and negated selectors select as kubectl does; a malformed one is an error, never an empty list")
        func selectors() throws {
            let cli = try PodlabCLI("selectors")
            defer { cli.tearDown() }
            try cli.apply(Self.pod("web", labels: "app: shop, tier: web"), file: "web.yaml")
            try cli.apply(Self.pod("db", labels: "app: shop, tier: db"), file: "db.yaml")
            try cli.apply(Self.pod("canary", labels: "app: shop, tier: web, canary: \"true\""), file: "canary.yaml")
            func names(_ selector: String) throws -> [String] {
                let out = try cli.succeed(["pods", "--namespace", cli.namespace, "--label", selector]).stdout
                return ["canary", "db", "web"].filter { out.contains("   \($0)   ") }
            }
            #expect(try names("tier in (web, db)") == ["canary", "db", "web"])
            #expect(try names("tier notin (web)") == ["db"])
            #expect(try names("!canary") == ["db", "web"])
            #expect(try names("canary") == ["canary"])
            #expect(try names("app=shop,tier!=db") == ["canary", "web"])
            #expect(try names("app==shop,tier=db") == ["db"])
            // Kubectl-shaped commands keep kubectl's -l.
            #expect(try cli.succeed(["exec", "-l", "tier=db", "-n", cli.namespace, "--", "true"]).status == 0)
            for bad in ["tier ~ web", "tier in web", "tier in (web", "=web", "a b"] {
                let result = try cli.run(["pods", "--namespace", cli.namespace, "--label", bad])
                #expect(result.status != 0 && result.stderr.contains("label selector"), "\(bad): \(result.description)")
            }
        }

        @Test("ps/pods: -l is --latest and -n is --last as in crictl; kubectl spellings there are errors that give the right one")
        func crictlFlags() throws {
            let cli = try PodlabCLI("crictl-flags")
            defer { cli.tearDown() }
            try cli.apply(Self.pod("first", labels: "app: a", containers: ["app", "sidecar"]), file: "first.yaml")
            usleep(50_000)
            try cli.apply(Self.pod("second", labels: "app: b"), file: "second.yaml")
            let ns = cli.namespace
            let latestPod = try cli.succeed(["pods", "--namespace", ns, "-l"]).stdout
            #expect(latestPod.contains("second") && !latestPod.contains("first"), "\(latestPod)")
            #expect(try cli.succeed(["pods", "--namespace", ns, "-n", "2", "-q"]).output.split(separator: "\n").count == 2)
            let latestContainer = try cli.succeed(["ps", "--namespace", ns, "--latest"]).stdout
            #expect(latestContainer.contains("second") && !latestContainer.contains("first"), "\(latestContainer)")
            let sidecars = try cli.succeed(["ps", "--namespace", ns, "--name", "^side"]).stdout
            #expect(sidecars.contains("sidecar") && !sidecars.contains(" app "), "\(sidecars)")
            let byPod = try cli.succeed(["ps", "--namespace", ns, "-p", "first", "-q"]).output.split(separator: "\n")
            #expect(byPod.count == 2)
            #expect(try cli.succeed(["ps", "--namespace", ns, "--state", "exited", "-q"]).output.isEmpty)
            #expect(try cli.succeed(["ps", "--namespace", ns, "--state", "Running", "-q"]).output.split(separator: "\n").count == 3)

            let kubectlLabel = try cli.run(["pods", "-l", "app=a"])
            #expect(kubectlLabel.status != 0 && kubectlLabel.stderr.contains("--label 'app=a'"), "\(kubectlLabel.description)")
            let kubectlNamespace = try cli.run(["ps", "-n", ns])
            #expect(kubectlNamespace.status != 0 && kubectlNamespace.stderr.contains("--namespace \(ns)"), "\(kubectlNamespace.description)")
            let badState = try cli.run(["ps", "--state", "sleeping"])
            #expect(badState.status != 0 && badState.stderr.contains("created, running, exited, unknown"), "\(badState.description)")
        }
    }
}
