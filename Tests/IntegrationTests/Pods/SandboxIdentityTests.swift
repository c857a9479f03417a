import Foundation
import PodlabCore
import Testing

extension PodTests {
    /// Issue 12 items 10 and 11: who pause runs as (docs/FIDELITY.md #87), a recreated sandbox
    /// is a new sandbox (#89), pod names up to 253 characters (#94).
    @Suite("sandbox: pause's user, sandbox ids, long pod names")
    struct SandboxIdentityTests {
        /// One `Name:\tvalue` line of /proc/<pid>/status.
        static func statusField(_ name: String, pid: Int32) throws -> String {
            let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let line = text.split(separator: "\n").first { $0.hasPrefix("\(name):") } ?? ""
            return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }

        @Test("pause runs as 65535:65535 with no groups, containerd's bounding set and empty permitted/effective sets")
        func pauseRunsAsTheSandboxUser() throws {
            let cli = try PodlabCLI("pauseUser")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: sb}
                spec:
                  terminationGracePeriodSeconds: 0
                  shareProcessNamespace: true
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let pause = try cli.pausePID("sb")
            // Real, effective, saved and filesystem ids.
            #expect(try Self.statusField("Uid", pid: pause).split(whereSeparator: \.isWhitespace) == ["65535", "65535", "65535", "65535"])
            #expect(try Self.statusField("Gid", pid: pause).split(whereSeparator: \.isWhitespace) == ["65535", "65535", "65535", "65535"])
            #expect(try Self.statusField("Groups", pid: pause) == "")
            // containerd's default bounding set (CapBnd 00000000a80425fb); a non-root exec keeps
            // nothing in permitted/effective because the ambient set is empty.
            #expect(try Self.statusField("CapBnd", pid: pause) == "00000000a80425fb")
            #expect(try Self.statusField("CapPrm", pid: pause) == "0000000000000000")
            #expect(try Self.statusField("CapEff", pid: pause) == "0000000000000000")
            #expect(try Self.statusField("CapInh", pid: pause) == "0000000000000000")
            // As on a real node, `ps` in a shared PID namespace shows PID 1 as user 65535, and
            // root in the container (CAP_KILL) can still signal it.
            let ps = try cli.exec("sb", "app", "ps", "-o", "pid,user,comm")
            let pid1 = ps.output.split(separator: "\n").first { $0.split(whereSeparator: \.isWhitespace).first == "1" }.map(String.init) ?? ""
            #expect(pid1.contains("65535"), "\(ps.output)")
            #expect(try cli.exec("sb", "app", "kill", "-0", "1").status == 0)
            // pause still sleeps in pause() and the pod works.
            #expect(try Self.statusField("State", pid: pause).hasPrefix("S"))
            #expect(try cli.exec("sb", "app", "hostname").output == "sb")
        }
    
        /// The pod-level user and groups reach pause, as kubelet passes them in the sandbox config
        /// and containerd applies them over the pause image's user (docs/FIDELITY.md #176).
        @Test("pause runs as the pod's runAsUser:runAsGroup with fsGroup and supplementalGroups; a user alone gets gid 0")
        func pauseTakesThePodsUser() throws {
            let cli = try PodlabCLI("pausePodUser")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: both}
                spec:
                  terminationGracePeriodSeconds: 0
                  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000]}
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: useronly}
                spec:
                  terminationGracePeriodSeconds: 0
                  securityContext: {runAsUser: 1001}
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let both = try cli.pausePID("both")
            #expect(try Self.statusField("Uid", pid: both).split(whereSeparator: \.isWhitespace) == ["1000", "1000", "1000", "1000"])
            #expect(try Self.statusField("Gid", pid: both).split(whereSeparator: \.isWhitespace) == ["3000", "3000", "3000", "3000"])
            #expect(try Self.statusField("Groups", pid: both) == "2000 4000")
            #expect(try Self.statusField("CapEff", pid: both) == "0000000000000000")
            let userOnly = try cli.pausePID("useronly")
            #expect(try Self.statusField("Uid", pid: userOnly).split(whereSeparator: \.isWhitespace).first == "1001")
            #expect(try Self.statusField("Gid", pid: userOnly).split(whereSeparator: \.isWhitespace).first == "0")
            #expect(try Self.statusField("Groups", pid: userOnly) == "")
        }

        /// `podlab pods -o json` items of pod `name`, as (id, state, attempt), in listing order.
        static func sandboxes(_ cli: PodlabCLI, name: String) throws -> [(id: String, state: String, attempt: Int)] {
            let items = try JSON(parsing: try cli.succeed(["pods", "-o", "json"]).stdout)["items"].array
            return items.filter { $0["metadata"]["name"].string == name }.map {
                ($0["id"].string ?? "", $0["state"].string ?? "", $0["metadata"]["attempt"].int ?? -1)
            }
        }

        @Test("pause killed: the new sandbox has a new id and attempt 1, the old one is listed NotReady until the pod is deleted")
        func recreatedSandboxIsANewSandbox() throws {
            let cli = try PodlabCLI("newSandboxID")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: sb}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let first = try #require(try cli.inspectPod("sb")["status"]["id"].string)
            #expect(try Self.sandboxes(cli, name: "sb").map { $0.id } == [first])

            try cli.succeed(["kill", "sb", "-c", "pause", "-s", "KILL"])
            try waitUntil("a new sandbox runs the app", timeout: 20) {
                let pod = try cli.inspectPod("sb")
                guard pod["status"]["state"].string == "SANDBOX_READY", pod["status"]["metadata"]["attempt"].int == 1 else { return false }
                return try cli.inspect("app", pod: "sb")["status"]["kubeState"].string == "running"
            }
            let second = try #require(try cli.inspectPod("sb")["status"]["id"].string)
            #expect(second != first, "crictl shows a new POD ID")
            #expect(second.count == 64)
            // `crictl pods`: both, the old one NotReady with its own attempt.
            let listed = try Self.sandboxes(cli, name: "sb")
            #expect(listed.map { $0.id } == [first, second], "\(listed)")
            #expect(listed.map { $0.state } == ["SANDBOX_NOTREADY", "SANDBOX_READY"], "\(listed)")
            #expect(listed.map { $0.attempt } == [0, 1], "\(listed)")
            let table = try cli.succeed(["pods"]).stdout
            #expect(table.contains(String(first.prefix(13))) && table.contains("NotReady"), "\(table)")
            // The old sandbox is inspectable by its id, NotReady, with no pause.
            let old = try cli.inspectPod(String(first.prefix(13)))
            #expect(old["status"]["id"].string == first)
            #expect(old["status"]["state"].string == "SANDBOX_NOTREADY")
            #expect(old["info"]["pid"].int == 0)
            // The containers belong to the new sandbox.
            #expect(try cli.inspect("app", pod: "sb")["info"]["sandboxID"].string == second)
            // The pod, the new sandbox id and the old listing go together on delete.
            try cli.succeed(["delete", second])
            #expect(try Self.sandboxes(cli, name: "sb").isEmpty)
        }

        @Test("a 253-character pod name with dots runs: kubelet's 63-character hostname, hashed host-side names within limits")
        func podNameOf253Characters() throws {
            let cli = try PodlabCLI("name253")
            defer { cli.tearDown() }
            // The first 63 characters end in "--", which kubelet trims from the hostname.
            var name = String(repeating: "a", count: 50) + "." + String(repeating: "b", count: 10) + "--c"
            while name.count < 253 { name += "." + String(repeating: "d", count: min(40, 253 - name.count - 1)) }
            try #require(name.count == 253 && !name.hasSuffix("."))
            let hostname = String(repeating: "a", count: 50) + "." + String(repeating: "b", count: 10)
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: \(name)}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            #expect(try cli.exec(name, "app", "hostname").output == hostname)
            #expect(try cli.exec(name, "app", "cat", "/etc/hostname").output == hostname)
            // The state directory entry: one, hashed, within NAME_MAX and label-shaped.
            let keys = try FileManager.default.contentsOfDirectory(atPath: "\(cli.stateDir)/pods")
            let key = try #require(keys.first)
            #expect(keys.count == 1)
            #expect(key.utf8.count <= 127 && !key.contains("."), "\(key)")
            #expect(key.hasPrefix("\(cli.namespace)-aaaa"), "readable prefix: \(key)")
            let info = try cli.inspectPod(name)["info"]["podlab"]
            let veth = try #require(info["hostVeth"].string)
            #expect(veth.utf8.count <= 15 && FileManager.default.fileExists(atPath: "/sys/class/net/\(veth)"), "\(veth)")
            let netns = try #require(info["netnsPath"].string)
            #expect(FileManager.default.fileExists(atPath: netns))
            #expect((netns as NSString).lastPathComponent.utf8.count <= 255)
            #expect((netns as NSString).lastPathComponent.hasPrefix("podlab-\(key)"), "\(netns)")
            let hostName = PodlabPaths(stateDir: cli.stateDir, dataDir: cli.environment.dataDir, rootfsDir: "", labsDir: "", reportsDir: "").hostName(forPod: key)
            #expect(!PodlabTestEnvironment.cgroupDirectories(named: hostName).isEmpty)
            // Found by its full name; the name in the listing is the manifest's.
            #expect(try Self.sandboxes(cli, name: name).count == 1)
            try cli.succeed(["delete", name])
            #expect(PodlabTestEnvironment.cgroupDirectories(named: hostName).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: netns))
            #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(veth)"))
        }

        @Test("a 254-character pod name is refused at file:line:column")
        func podNameOf254CharactersIsRefused() throws {
            let cli = try PodlabCLI("name254")
            defer { cli.tearDown() }
            let name = String(repeating: "a", count: 60) + "." + String(repeating: "b", count: 60) + "." + String(repeating: "c", count: 60) + "." + String(repeating: "d", count: 71)
            try #require(name.count == 254)
            try "apiVersion: v1\nkind: Pod\nmetadata: {name: \(name)}\nspec:\n  containers:\n  - {name: app, image: busybox}\n"
                .write(toFile: "\(cli.directory)/long.yaml", atomically: true, encoding: .utf8)
            let result = try cli.run(["apply", "-f", "\(cli.directory)/long.yaml", "-n", cli.namespace])
            #expect(result.status != 0)
            #expect(result.stderr.contains("long.yaml:3:") && result.stderr.contains("must be no more than 253 characters"), "\(result.stderr)")
        }
    }
}
