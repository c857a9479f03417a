import Foundation
import PodNetwork
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// Issue 4, docs/FIDELITY.md #22: pause dying recreates the sandbox (SandboxChanged).
    @Suite("sandbox death: pause killed")
    struct SandboxRecreationTests {
        static func pod(policy: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: sb
              annotations: {podlab.dev/backoff-scale: "0.05"}
            spec:
              restartPolicy: \(policy)
              terminationGracePeriodSeconds: 1
              volumes: [{name: data, emptyDir: {}}]
              initContainers:
              - name: init
                image: busybox
                command: ["sh", "-c", "echo ran >> /data/init-runs"]
                volumeMounts: [{name: data, mountPath: /data}]
              containers:
              - name: app
                image: busybox
                command: ["sleep", "3600"]
                volumeMounts: [{name: data, mountPath: /data}]
            """
        }

        @Test("kill pause: new pause PID and netns inode, every restartCount +1, init containers run again, emptyDir data survives")
        func pauseKilledUnderAlways() throws {
            let cli = try PodlabCLI("pauseKilledUnderAlways")
            defer { cli.tearDown() }
            try cli.apply(Self.pod(policy: "Always"))
            try waitUntil("app runs") { try cli.inspect("app", pod: "sb")["status"]["kubeState"].string == "running" }
            let pause = try cli.pausePID("sb")
            let netns = try #require(namespaceLink("net", of: pause))
            let vethIndex = try Self.hostVethIndex(cli, pod: "sb")
            #expect(try cli.exec("sb", "app", "sh", "-c", "echo precious > /data/mark").status == 0)

            try cli.succeed(["kill", "sb", "-c", "pause", "-s", "KILL"])
            // The old containers get the grace period (1 s) before the new sandbox is built.
            try waitUntil("a new sandbox runs the app again", timeout: 15) {
                let pod = try cli.inspectPod("sb")
                guard pod["status"]["state"].string == "SANDBOX_READY", pod["status"]["metadata"]["attempt"].int == 1 else { return false }
                return try cli.inspect("app", pod: "sb")["status"]["kubeState"].string == "running"
            }
            let newPause = try cli.pausePID("sb")
            #expect(newPause != pause)
            // A new network namespace. Its inode number alone cannot show it: the kernel frees
            // the old namespace's number (proc_free_inum) and may hand it to the new one. Its
            // veth pair is new too, and host ifindexes only grow (dev_new_index), so one of the
            // two differs for a new namespace and neither for a reused one.
            let newVethIndex = try Self.hostVethIndex(cli, pod: "sb")
            #expect(namespaceLink("net", of: newPause) != netns || newVethIndex != vethIndex,
                    "a new network namespace: netns \(netns) → \(String(describing: namespaceLink("net", of: newPause))), host veth ifindex \(vethIndex) → \(newVethIndex)")
            let appPID = try cli.pid("app", pod: "sb")
            #expect(namespaceLink("net", of: appPID) == namespaceLink("net", of: newPause), "the app joined the new sandbox")
            #expect(try cli.inspect("app", pod: "sb")["status"]["restartCount"].int == 1)
            #expect(try cli.inspect("init", pod: "sb")["status"]["restartCount"].int == 1)
            #expect(try cli.exec("sb", "app", "cat", "/data/init-runs").output == "ran\nran", "init ran again in the new sandbox")
            #expect(try cli.exec("sb", "app", "cat", "/data/mark").output == "precious", "emptyDir belongs to the pod, not the sandbox")
            let ip = try #require(try cli.inspectPod("sb")["status"]["network"]["ip"].string)
            #expect(try host("/bin/busybox", ["ping", "-c1", "-W1", ip]).status == 0, "the new sandbox is wired")
        }

        /// The ifindex of the pod's host-side veth (`/sys/class/net/<veth>/ifindex`).
        static func hostVethIndex(_ cli: PodlabCLI, pod: String) throws -> String {
            let file = "/sys/class/net/\(HostVethName.forPod(cli.hostName(pod)))/ifindex"
            return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test("kill pause under restartPolicy Never: no new sandbox, the pod goes terminal")
        func pauseKilledUnderNever() throws {
            let cli = try PodlabCLI("pauseKilledUnderNever")
            defer { cli.tearDown() }
            try cli.apply(Self.pod(policy: "Never"))
            try waitUntil("app runs") { try cli.inspect("app", pod: "sb")["status"]["kubeState"].string == "running" }
            let pause = try cli.pausePID("sb")
            try cli.succeed(["kill", "sb", "-c", "pause", "-s", "KILL"])
            try waitUntil("the pod is Failed", timeout: 10) { try cli.inspectPod("sb")["info"]["podlab"]["phase"].string == "Failed" }
            usleep(500_000)
            let pod = try cli.inspectPod("sb")
            #expect(pod["status"]["state"].string == "SANDBOX_NOTREADY")
            #expect(pod["status"]["metadata"]["attempt"].int == 0, "no new sandbox")
            #expect(!isAlive(pause))
            #expect(!FileManager.default.fileExists(atPath: "/run/netns/podlab-\(cli.hostName("sb"))"), "the netns is removed with the sandbox")
            let app = try cli.inspect("app", pod: "sb")["status"]
            #expect(app["kubeState"].string == "terminated")
            #expect(app["exitCode"].int == 137, "sleep ignores SIGTERM as PID 1, so it is SIGKILLed after the grace period")
            #expect(app["restartCount"].int == 0)
        }
    }
}
