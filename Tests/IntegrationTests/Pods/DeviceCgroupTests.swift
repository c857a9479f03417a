import Foundation
import Testing

extension PodTests {
    /// Security issue item 3: a container keeps CAP_MKNOD (containerd's default capabilities),
    /// so without a devices cgroup it could `mknod` host devices and use them — write the host's
    /// kernel log through a `/dev/kmsg` node, read `/dev/vcs`, open `loop-control` or a disk.
    /// Every container cgroup (pause's included) now gets runc's allowlist: creating nodes stays
    /// allowed (runc's `c *:* m`, `b *:* m`), opening one outside the list answers EPERM.
    @Suite("devices: runc's allowlist, everything else denied")
    struct DeviceCgroupTests {
        /// Each check prints `<name> ok` or `<name> fail: <busybox's message>`.
        static let probe = #"""
            t() { name=$1; shift; if out=$("$@" 2>&1); then echo "$name ok"; else echo "$name fail: $out"; fi; }
            rm -f /tmp/kmsg /tmp/null /tmp/tun /tmp/vcs /tmp/loop-control /tmp/loop0
            t mknod-kmsg mknod /tmp/kmsg c 1 11
            t write-kmsg sh -c 'echo "podlab device test: this must not reach the host kernel log" > /tmp/kmsg'
            t read-kmsg dd if=/tmp/kmsg of=/dev/null count=0
            t mknod-null mknod /tmp/null c 1 3
            t write-null sh -c 'echo > /tmp/null'
            t read-urandom head -c1 /dev/urandom
            t write-dev-null sh -c 'echo > /dev/null'
            t read-dev-zero head -c1 /dev/zero
            t mknod-tun mknod /tmp/tun c 10 200
            t open-tun dd if=/tmp/tun of=/dev/null count=0
            t mknod-vcs mknod /tmp/vcs c 7 0
            t read-vcs dd if=/tmp/vcs of=/dev/null count=0
            t mknod-loop-control mknod /tmp/loop-control c 10 237
            t open-loop-control dd if=/tmp/loop-control of=/dev/null count=0
            t mknod-loop0 mknod /tmp/loop0 b 7 0
            t read-loop0 dd if=/tmp/loop0 of=/dev/null count=0
            """#

        static let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: devices}
            spec:
              terminationGracePeriodSeconds: 0
              containers:
              - name: app
                image: busybox
                command: ["sh", "-c", "sh /probe/probe.sh > /tmp/main.txt 2>&1; sleep 3600"]
                volumeMounts:
                - {name: probe, mountPath: /probe}
              volumes:
              - {name: probe, configMap: {name: probe}}
            """

        /// `name → "ok"` or the failure message, from the probe's output.
        static func results(_ output: String) -> [String: String] {
            var results: [String: String] = [:]
            for line in output.split(separator: "\n") {
                guard let space = line.firstIndex(of: " ") else { continue }
                results[String(line[..<space])] = String(line[line.index(after: space)...])
            }
            return results
        }

        static func expectConfined(_ results: [String: String], _ who: String, sourceLocation: SourceLocation = #_sourceLocation) {
            // Creating nodes is allowed, as in runc.
            for name in ["mknod-kmsg", "mknod-null", "mknod-tun", "mknod-vcs", "mknod-loop-control", "mknod-loop0"] {
                #expect(results[name] == "ok", "\(who): \(name): \(results)", sourceLocation: sourceLocation)
            }
            // The allowlisted nodes work, wherever they are.
            for name in ["write-null", "read-urandom", "write-dev-null", "read-dev-zero"] {
                #expect(results[name] == "ok", "\(who): \(name): \(results)", sourceLocation: sourceLocation)
            }
            // Everything else: EPERM from the devices cgroup. (Reading kmsg would fail without
            // it too, for want of CAP_SYSLOG; writing it, and the others, did not: before this
            // fix the write landed in the host's kernel log.)
            for name in ["write-kmsg", "read-kmsg", "open-tun", "read-vcs", "open-loop-control", "read-loop0"] {
                let result = results[name] ?? "missing"
                #expect(result.hasPrefix("fail:") && result.contains("Operation not permitted"),
                        "\(who): \(name) must be denied: \(result)", sourceLocation: sourceLocation)
            }
        }

        @Test("a container creates device nodes but opens only null, zero, full, random, urandom, tty, ptmx and pts; kmsg, tun, vcs, loop-control and block devices answer EPERM, in the main process and in exec")
        func allowlist() throws {
            let cli = try PodlabCLI("deviceAllowlist")
            defer { cli.tearDown() }
            let configMap = """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: probe}
                data:
                  probe.sh: |
                \(Self.probe.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                ---

                """
            try cli.apply(configMap + Self.pod)

            // The container's own process (spawned into its cgroup).
            try waitUntil("the probe in the main process finished", timeout: 10) {
                try cli.exec("devices", "app", "sh", "-c", "grep -q read-loop0 /tmp/main.txt").status == 0
            }
            let main = try cli.exec("devices", "app", "cat", "/tmp/main.txt")
            try #require(main.status == 0, "\(main.description)")
            Self.expectConfined(Self.results(main.stdout), "main process")

            // A process started by `podlab exec` joins the same cgroup.
            let exec = try cli.exec("devices", "app", "sh", "/probe/probe.sh")
            try #require(exec.status == 0, "\(exec.description)")
            Self.expectConfined(Self.results(exec.stdout), "exec")

            // pause's cgroup carries the same list (v1: readable in devices.list).
            let pauseList = "/sys/fs/cgroup/devices/\(PodlabTestEnvironment.shared.cgroupParent)/kubepods/besteffort/pod\(cli.hostName("devices"))/pause/devices.list"
            if FileManager.default.fileExists(atPath: pauseList) {
                let list = try String(contentsOfFile: pauseList, encoding: .utf8)
                #expect(Set(list.split(separator: "\n").map(String.init)) == [
                    "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm", "c 1:5 rwm", "c 1:9 rwm",
                    "c 136:* rwm", "c 5:2 rwm",
                ])
            }
        }
    }
}
