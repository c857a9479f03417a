import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whether `pid` has CAP_SYS_RESOURCE in its effective set (`CapEff` of /proc/<pid>/status).
func hasSysResource(_ pid: Int32) -> Bool {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
          let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
    return mask & (1 << 24) != 0  // CAP_SYS_RESOURCE = 24
}

func oomScoreAdj(_ pid: Int32) -> Int? {
    (try? String(contentsOfFile: "/proc/\(pid)/oom_score_adj", encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
}

/// Node memory capacity as kubelet's cadvisor sees it (MemTotal).
func memTotalBytes() -> Int64? {
    let text = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }) else { return nil }
    return line.split(separator: " ").dropFirst().first.flatMap { Int64($0) }.map { $0 * 1024 }
}

extension PodTests {
    /// Issue 4, docs/FIDELITY.md #37–#38: QoS class and oom_score_adj.
    @Suite("QoS: class and oom_score_adj")
    struct QoSTests {
        static func pod(_ name: String, resources: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name)}
            spec:
              terminationGracePeriodSeconds: 0
              containers:
              - name: app
                image: busybox
                command: ["sleep", "3600"]
            \(resources)
            """
        }

        @Test("inspectp shows Guaranteed/Burstable/BestEffort; oom_score_adj is 1000, the Burstable formula, and -997/-998 where CAP_SYS_RESOURCE allows it (else inherited)")
        func qosClasses() throws {
            let cli = try PodlabCLI("qosClasses")
            defer { cli.tearDown() }
            try cli.apply([
                Self.pod("guaranteed", resources: "    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 100m, memory: 64Mi}}"),
                Self.pod("burstable", resources: "    resources: {requests: {memory: 1Gi}}"),
                Self.pod("besteffort", resources: ""),
            ].joined(separator: "\n---\n"))
            let expectedClass = ["guaranteed": "Guaranteed", "burstable": "Burstable", "besteffort": "BestEffort"]
            for (pod, qos) in expectedClass {
                #expect(try cli.inspectPod(pod)["info"]["podlab"]["qosClass"].string == qos)
            }
            #expect(oomScoreAdj(try cli.pid("app", pod: "besteffort")) == 1000)

            // kubelet policy.go: 1000 - 1000 × request / capacity, clamped to [3, 999].
            let capacity = try #require(memTotalBytes())
            let expectedBurstable = min(max(1000 - Int((1000 * Int64(1 << 30)) / capacity), 3), 999)
            #expect(oomScoreAdj(try cli.pid("app", pod: "burstable")) == expectedBurstable)

            // -997 and -998 need CAP_SYS_RESOURCE; without it the runtime keeps the value
            // inherited from the supervisor instead of failing the pod.
            let supervisor = try #require(try cli.inspectPod("guaranteed")["info"]["podlab"]["supervisorPid"].int.map(Int32.init))
            let inherited = try #require(oomScoreAdj(supervisor))
            let privileged = hasSysResource(supervisor)
            #expect(oomScoreAdj(try cli.pid("app", pod: "guaranteed")) == (privileged ? -997 : inherited))
            #expect(oomScoreAdj(try cli.pausePID("guaranteed")) == (privileged ? -998 : inherited))
        }
    }

    /// Issue 4, docs/FIDELITY.md #20, #22: graceful termination on delete.
    @Suite("termination: grace period on delete")
    struct TerminationTests {
        @Test("delete --grace-period 1: a TERM-trapping container exits 143; one ignoring TERM is SIGKILLed (137) after about the grace period")
        func gracePeriod() throws {
            let cli = try PodlabCLI("gracePeriod")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: term}
                spec:
                  containers:
                  - name: polite
                    image: busybox
                    command: ["sh", "-c", "trap 'exit 143' TERM; while true; do sleep 0.05; done"]
                  - name: stubborn
                    image: busybox
                    command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.05; done"]
                """)
            try waitUntil("both run") {
                try ["polite", "stubborn"].allSatisfy { try cli.inspect($0, pod: "term")["status"]["kubeState"].string == "running" }
            }
            let log = try FileHandle(forReadingFrom: URL(fileURLWithPath: "\(cli.podDirectory("term"))/supervisor.log"))
            defer { try? log.close() }
            let started = Date()
            try cli.succeed(["delete", "term", "--grace-period", "1"])
            let took = Date().timeIntervalSince(started)
            #expect(took >= 0.9 && took < 4, "delete waits for the grace period, then kills: \(took) s")
            let text = String(decoding: log.readDataToEndOfFile(), as: UTF8.self)
            let lines = text.split(separator: "\n")
            #expect(lines.contains { $0.contains("container polite attempt 0 terminated: exitCode 143") }, "supervisor log:\n\(text)")
            #expect(lines.contains { $0.contains("container stubborn attempt 0 terminated: exitCode 137") && $0.contains("signal 9") },
                    "supervisor log:\n\(text)")
            #expect(!FileManager.default.fileExists(atPath: cli.podDirectory("term")), "the pod is gone")
        }
    }
}
