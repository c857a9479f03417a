import Cgroups
import Foundation
import Testing

extension PodTests {
    /// Issue 12 item 10, docs/FIDELITY.md #90: pod cgroups follow kubelet's cgroupfs tree under
    /// podlab's parent, `kubepods[/<qos>]/pod<uid>/<container>`.
    @Suite("cgroups: kubelet's kubepods/<qos>/pod<uid> tree")
    struct KubepodsTreeTests {
        /// The container's path in the memory hierarchy (v1) or the unified one (v2), from the
        /// host's /proc/<pid>/cgroup.
        static func cgroupPath(of pid: Int32) -> String? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
            // Keep empty fields: the v2 line `0::/path` has an empty controller list (a plain
            // split dropped it, so this found nothing on a pure v2 host).
            let lines = text.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init) }
            let memory = lines.first { $0.count == 3 && $0[1].split(separator: ",").contains("memory") }
            return (memory ?? lines.first { $0.count == 3 && $0[0] == "0" && $0[1].isEmpty }).map { $0[2] }
        }

        /// podlab's parent as /proc/PID/cgroup names it here: `podlab`, or the delegated scope
        /// `system.slice/podlab.scope` on a systemd host such as the test VM (docs/FIDELITY.md #216).
        /// This run's cgroup parent as `/proc/<pid>/cgroup` shows it (the delegated scope on a
        /// systemd v2 host).
        static let parent = (try? CgroupLayout.detect())?.parentCgroupPath(parent: PodlabTestEnvironment.shared.cgroupParent)
            ?? PodlabTestEnvironment.shared.cgroupParent

        @Test("Guaranteed pods sit in kubepods/pod<uid>, Burstable in kubepods/burstable, BestEffort in kubepods/besteffort; the QoS parents exist")
        func qosTree() throws {
            let cli = try PodlabCLI("qosTree")
            defer { cli.tearDown() }
            try cli.apply([
                QoSTests.pod("gu", resources: "    resources: {limits: {cpu: 100m, memory: 64Mi}}"),
                QoSTests.pod("bu", resources: "    resources: {requests: {memory: 32Mi}}"),
                QoSTests.pod("be", resources: ""),
            ].joined(separator: "\n---\n"))
            for (name, qos) in [("gu", "kubepods"), ("bu", "kubepods/burstable"), ("be", "kubepods/besteffort")] {
                let pid = try cli.pid("app", pod: name)
                let id = try #require(try cli.inspect("app", pod: name)["status"]["id"].string)
                let path = try #require(Self.cgroupPath(of: pid))
                #expect(path == "/\(Self.parent)/\(qos)/pod\(cli.hostName(name))/\(id)", "\(name): \(path)")
                let pause = try #require(Self.cgroupPath(of: try cli.pausePID(name)))
                #expect(pause == "/\(Self.parent)/\(qos)/pod\(cli.hostName(name))/pause", "\(name): \(pause)")
                // inspectp's runtime spec names the same cgroup (crictl inspectp's cgroupsPath).
                #expect(try cli.inspectPod(name)["info"]["runtimeSpec"]["linux"]["cgroupsPath"].string == "\(Self.parent)/\(qos)/pod\(cli.hostName(name))/pause")
            }
            // kubelet pins BestEffort's CPU shares to MinShares (#91): 2 on v1, weight 1 on v2.
            let v1 = "/sys/fs/cgroup/cpu/\(PodlabTestEnvironment.shared.cgroupParent)/kubepods/besteffort/cpu.shares"
            let v2 = "/sys/fs/cgroup/\(Self.parent)/kubepods/besteffort/cpu.weight"
            if let shares = try? String(contentsOfFile: v1, encoding: .utf8) {
                #expect(shares.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
            } else if let weight = try? String(contentsOfFile: v2, encoding: .utf8) {
                #expect(weight.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
            } else {
                Issue.record("neither \(v1) nor \(v2) exists")
            }
        }
    }
}

extension PodTests {
    /// Issue 12 item 11, docs/FIDELITY.md #94: the longest pod name podlab accepts today (a
    /// 63-character DNS label) in a namespace makes a pod key longer than 63 (`<ns>-<name>`);
    /// it starts (it used to fail: the network validated the key as a DNS label) and every
    /// host-side name derived from it fits.
    @Suite("names: a 63-character pod name")
    struct LongPodNameTests {
        @Test("a 63-character pod runs: hostname is the name, veth within IFNAMSIZ, cgroup and netns pin made, all removed on delete")
        func longestPodName() throws {
            let cli = try PodlabCLI("longName")
            defer { cli.tearDown() }
            let name = String(repeating: "a", count: 30) + "-" + String(repeating: "b", count: 32)
            try #require(name.count == 63)
            try #require(cli.key(name).count > 63, "the key passes a DNS label's length")
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: \(name)}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            #expect(try cli.exec(name, "app", "hostname").output == name)
            let info = try cli.inspectPod(name)["info"]["podlab"]
            let veth = try #require(info["hostVeth"].string)
            #expect(veth.utf8.count <= 15, "IFNAMSIZ-1: \(veth)")
            #expect(FileManager.default.fileExists(atPath: "/sys/class/net/\(veth)"))
            #expect(!PodlabTestEnvironment.cgroupDirectories(named: cli.hostName(name)).isEmpty)
            #expect(try cli.succeed(["delete", name]).status == 0)
            #expect(PodlabTestEnvironment.cgroupDirectories(named: cli.hostName(name)).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(veth)"))
        }
    }
}
