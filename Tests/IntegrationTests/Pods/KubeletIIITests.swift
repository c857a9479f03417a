import Cgroups
import Foundation
import PodKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// Issue 12's remaining defects (docs/FIDELITY.md section U, #171–#173).
    @Suite("kubelet III: start errors, Burstable QoS shares, pod keys")
    struct KubeletIIITests {
        @Test("a start error under restartPolicy Always: waiting says back-off, lastState.terminated keeps runc's message")
        func startErrorSurvivesBackOff() throws {
            let cli = try PodlabCLI("startErrorSurvivesBackOff")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: broken
                  annotations: {podlab.dev/backoff-scale: "0.1"}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["no-such-program"]}
                """)
            try waitUntil("the container is in CrashLoopBackOff") {
                try cli.inspect("app", pod: "broken")["status"]["reason"].string == "CrashLoopBackOff"
            }
            let status = try cli.inspect("app", pod: "broken")["status"]
            #expect(status["kubeState"].string == "waiting")
            let waiting = status["message"].string ?? ""
            #expect(waiting.hasPrefix("back-off ") && waiting.contains("restarting failed container=app"), "\(waiting)")
            let last = status["lastState"]
            #expect(last["reason"].string == "StartError")
            #expect(last["exitCode"].int == 128)
            let message = last["message"].string ?? ""
            #expect(message.contains("exec: \"no-such-program\": executable file not found in $PATH"), "lastState: \(message)")
            let describe = try cli.succeed(["describe", "broken"]).stdout
            #expect(describe.contains("executable file not found in $PATH"), "\(describe)")
        }

        @Test("pods a-b/c and a/b-c get different keys and both run")
        func podKeysDoNotCollide() throws {
            let cli = try PodlabCLI("podKeysDoNotCollide")
            defer { cli.tearDown() }
            // Under the old `<namespace>-<name>` key both were `<ns>-a-b-c`.
            let pairs = [("\(cli.namespace)-a-b", "c"), ("\(cli.namespace)-a", "b-c")]
            for (namespace, name) in pairs {
                let path = "\(cli.directory)/\(name).yaml"
                try QoSTests.pod(name, resources: "").write(toFile: path, atomically: true, encoding: .utf8)
                _ = try cli.succeed(["apply", "-f", path, "-n", namespace])
            }
            let keys = try FileManager.default.contentsOfDirectory(atPath: "\(cli.stateDir)/pods").sorted()
            let expected = pairs.map { PodRecord.key(name: $0.1, namespace: $0.0) }.sorted()
            #expect(keys == expected, "\(keys)")
            #expect(Set(expected).count == 2)
            for (namespace, name) in pairs {
                let pods = try cli.succeed(["pods", "--namespace", namespace, "-q"]).stdout.split(separator: "\n")
                #expect(pods.count == 1, "\(namespace)/\(name): \(pods)")
                let output = try cli.succeed(["exec", String(pods.first ?? ""), "--", "hostname"]).stdout
                #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == name)
            }
            // A second apply of the same pair is refused; a different pair is not affected.
            let again = try cli.run(["apply", "-f", "\(cli.directory)/c.yaml", "-n", pairs[0].0])
            #expect(again.status != 0 && again.stderr.contains("already exists"), "\(again)")
        }

        @Test("the Burstable QoS cgroup's shares are MilliCPUToShares(sum of Burstable requests), recomputed as pods come and go; BestEffort 2")
        func burstableShares() throws {
            let cli = try PodlabCLI("burstableShares")
            // A parent of this test's own: the Burstable sum counts every pod under a parent.
            let parent = "podlab-\(cli.namespace)"
            cli.overrides["PODLAB_CGROUP_PARENT"] = parent
            let layout = try CgroupLayout.detect()
            let qosDir: (String) -> String = { qos in
                layout.version == .v1
                    ? "\(layout.v1MountPoints["cpu"] ?? "/sys/fs/cgroup/cpu")/\(parent)/kubepods/\(qos)"
                    : "\(layout.unifiedMountPoint ?? "/sys/fs/cgroup")/\(parent)/kubepods/\(qos)"
            }
            let file = layout.version == .v1 ? "cpu.shares" : "cpu.weight"
            func expected(_ milli: Int64) -> String {
                let shares = KubernetesResources.milliCPUToShares(milli)
                return layout.version == .v1 ? String(shares) : String(KubernetesResources.cpuWeight(fromShares: shares))
            }
            func value(_ qos: String) -> String {
                ((try? String(contentsOfFile: qosDir(qos) + "/" + file, encoding: .utf8)) ?? "missing")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            defer {
                cli.tearDown()
                // Every hierarchy podlab uses, named ones (`name=systemd`, docs/FIDELITY.md #182) included.
                for hierarchy in layout.version == .v1 ? Set(layout.v1MountPoints.values).union(layout.v1NamedMountPoints.values) : [layout.unifiedMountPoint ?? "/sys/fs/cgroup"] {
                    for dir in ["kubepods/burstable", "kubepods/besteffort", "kubepods", ""] {
                        rmdir("\(hierarchy)/\(parent)/\(dir)")
                    }
                }
                #expect(!FileManager.default.fileExists(atPath: "\(BurstableCPURequests.defaultRoot)/\(parent)"),
                        "the request directory goes with the last Burstable pod")
            }
            try cli.apply([
                QoSTests.pod("small", resources: "    resources: {requests: {cpu: 100m}}"),
                QoSTests.pod("large", resources: "    resources: {requests: {cpu: 250m, memory: 16Mi}, limits: {cpu: 500m}}"),
                QoSTests.pod("memonly", resources: "    resources: {requests: {memory: 16Mi}}"),
                QoSTests.pod("be", resources: ""),
            ].joined(separator: "\n---\n"))
            // 350m: 358 shares, not the 102 + 256 + 2 = 360 of the pods' own cgroups.
            #expect(value("burstable") == expected(350), "three Burstable pods")
            #expect(value("besteffort") == expected(0), "BestEffort")
            _ = try cli.succeed(["delete", "large", "--grace-period", "0"])
            #expect(value("burstable") == expected(100), "after deleting the 250m pod")
            _ = try cli.succeed(["delete", "small", "--grace-period", "0"])
            _ = try cli.succeed(["delete", "memonly", "--grace-period", "0"])
            #expect(value("burstable") == expected(0), "no Burstable pod left")
        }

        @Test("cgroup v1: the container sits in its own cpuset and blkio cgroups and sees them read-only at /sys/fs/cgroup")
        func cpusetAndBlkioView() throws {
            let layout = try CgroupLayout.detect()
            guard layout.version == .v1, let cpusetMount = layout.v1MountPoints["cpuset"], layout.v1MountPoints["blkio"] != nil else {
                return  // v2: the cgroup2 view shows every enabled controller (#82)
            }
            let cli = try PodlabCLI("cpusetAndBlkioView")
            defer { cli.tearDown() }
            try cli.apply(QoSTests.pod("cs", resources: ""))
            let pid = try cli.pid("app", pod: "cs")
            let id = try #require(try cli.inspect("app", pod: "cs")["status"]["id"].string)
            let own = "/\(PodlabTestEnvironment.shared.cgroupParent)/kubepods/besteffort/pod\(cli.hostName("cs"))/\(id)"
            let lines = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8).split(separator: "\n")
            for controller in ["cpuset", "blkio"] {
                let line = lines.first { $0.split(separator: ":", maxSplits: 2).dropFirst().first?.split(separator: ",").contains(Substring(controller)) == true }
                #expect(line.map { String($0).hasSuffix(":" + own) } == true, "\(controller): \(String(describing: line))")
            }
            func run(_ script: String) throws -> CommandResult { try cli.exec("cs", "app", "sh", "-c", script) }
            // The container's cpuset holds the CPUs its parents hold (runc copies them down).
            let hostCPUs = try String(contentsOfFile: cpusetMount + "/cpuset.cpus", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try run("cat /sys/fs/cgroup/cpuset/cpuset.cpus").output == hostCPUs)
            let listed = try run("cat /sys/fs/cgroup/cpuset/cgroup.procs").output.split(separator: "\n")
            #expect(!listed.isEmpty && listed.count < 10, "its own processes only: \(listed)")
            #expect(try run("ls /sys/fs/cgroup/blkio").output.contains("blkio."), "blkio's files")
            let write = try run("echo 0 > /sys/fs/cgroup/cpuset/cpuset.cpus")
            #expect(write.status != 0 && write.stderr.contains("Read-only file system"), "\(write)")
        }

        @Test("a container never created (CreateContainerConfigError) has no log: logs says it is waiting to start, as kubelet does")
        func configErrorWritesNoLog() throws {
            let cli = try PodlabCLI("configErrorWritesNoLog")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: nr}
                spec:
                  terminationGracePeriodSeconds: 0
                  securityContext: {runAsNonRoot: true}
                  containers:
                  - {name: root, image: busybox, command: ["sleep", "3600"]}
                """)
            try waitUntil("the container waits with CreateContainerConfigError", timeout: 15) {
                try cli.inspect("root", pod: "nr")["status"]["reason"].string == "CreateContainerConfigError"
            }
            let logs = try cli.run(["logs", "nr", "-c", "root"])
            #expect(logs.status != 0, "\(logs)")
            #expect(logs.stderr.contains("container \"root\" in pod \"nr\" is waiting to start: CreateContainerConfigError"), "\(logs)")
            #expect(!logs.stdout.contains("podlab:"), "no podlab text in the container's log: \(logs)")
        }
    }
}
