import Foundation
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// Issue 11 item 3 (docs/FIDELITY.md #145–#146): a state directory's settings are saved in
    /// it, so `clean --state-dir` removes an interrupted run's own bridge and cgroup parent,
    /// whatever the cleaning shell's environment says.
    @Suite("saved settings: clean --state-dir after an interrupted run")
    struct SavedSettingsCleanTests {
        /// A pod with a memory-backed volume (a mount in the pod directory), as the crash tests use.
        static let pod = CrashCleanupTests.pod

        /// `/sys/fs/cgroup/<controller>/<parent>` (v1) and `/sys/fs/cgroup/<parent>` (v2) that exist.
        static func cgroupParents(_ parent: String) -> [String] {
            let controllers = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
            return (controllers.map { "/sys/fs/cgroup/\($0)/\(parent)" } + ["/sys/fs/cgroup/\(parent)"])
                .filter { FileManager.default.fileExists(atPath: $0) }
        }

        @Test("supervisor and pause killed -9 on a run with its own bridge, subnet and cgroup parent: clean --state-dir from a shell with other settings leaves no bridge, cgroup parent, netns, mount, process or lease of it, and another instance's pod runs on")
        func interruptedRunWithOwnSettings() throws {
            let interrupted = try PodlabCLI("savedSettings-interrupted")
            defer { interrupted.tearDown() }
            let bystander = try PodlabCLI("savedSettings-bystander")
            defer { bystander.tearDown() }
            // `clean` always cleans its own state dir too: the cleaner has no pods of its own.
            let cleaner = try PodlabCLI("savedSettings-cleaner")
            defer { cleaner.tearDown() }
            let tag = String(format: "%04x", UInt16.random(in: 0...UInt16.max))
            let bridge = "plb\(tag)"
            let parent = "podlab-it-\(tag)"
            interrupted.overrides = [
                "PODLAB_BRIDGE": bridge, "PODLAB_SUBNET": "10.222.\(Int.random(in: 0...255)).0/24", "PODLAB_CGROUP_PARENT": parent,
            ]
            try interrupted.apply(Self.pod)
            try bystander.apply(Self.pod)

            let saved = "\(interrupted.stateDir)/runtime.json"
            let settings = try JSON(parsing: try String(contentsOfFile: saved, encoding: .utf8))
            #expect(settings["bridge"].string == bridge && settings["cgroupParent"].string == parent, "\(settings)")
            #expect(FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)"))
            #expect(!Self.cgroupParents(parent).isEmpty, "the pod's cgroups are not under \(parent)")
            let info = try interrupted.inspectPod("victim")["info"]
            let cgroupsPath = info["runtimeSpec"]["linux"]["cgroupsPath"].string ?? ""
            #expect(cgroupsPath.hasPrefix("\(parent)/kubepods") && cgroupsPath.hasSuffix("/pause"), "inspectp names another cgroup parent: \(cgroupsPath)")
            let supervisor = try #require(info["podlab"]["supervisorPid"].int.map(Int32.init))
            let pause = try #require(info["pid"].int.map(Int32.init))
            let app = try interrupted.pid("app", pod: "victim")
            let bystanderPause = try bystander.pausePID("victim")

            // The interrupted run: its supervisor and its pause die by SIGKILL, nothing cleans up.
            #expect(kill(supervisor, SIGKILL) == 0 && kill(pause, SIGKILL) == 0)
            try waitUntil("the supervisor and pause are gone") { !isAlive(supervisor) && !isAlive(pause) }

            // Cleaned from another shell: its environment names the test bridge and the default
            // cgroup parent, not the interrupted run's.
            let clean = try cleaner.succeed(["clean", "--state-dir", interrupted.stateDir])
            #expect(clean.stdout.contains("\(interrupted.stateDir): removed pod \(interrupted.key("victim"))"), "\(clean.stdout)")
            #expect(clean.stdout.contains("\(interrupted.stateDir): removed bridge \(bridge)"), "\(clean.stdout)")
            try waitUntil("the app is gone", timeout: 5) { !isAlive(app) }
            #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)"), "bridge \(bridge) is left")
            #expect(Self.cgroupParents(parent).isEmpty, "cgroup parent left: \(Self.cgroupParents(parent))")
            let leftovers = PodlabTestEnvironment.leftovers(
                keys: [interrupted.key("victim")], under: interrupted.directory, dataDir: interrupted.environment.dataDir)
            #expect(leftovers.isEmpty, "after clean --state-dir: \(leftovers)")
            let leaseDir = "\(interrupted.environment.dataDir)/ipam/\(bridge)"
            let leases = ((try? FileManager.default.contentsOfDirectory(atPath: leaseDir)) ?? []).filter { $0.first?.isNumber == true }
            #expect(leases.isEmpty, "leases left on \(bridge): \(leases)")
            #expect(!FileManager.default.fileExists(atPath: saved), "the saved settings outlived everything they name")

            #expect(isAlive(bystanderPause))
            #expect(try bystander.inspectPod("victim")["status"]["state"].string == "SANDBOX_READY")
        }

        @Test("apply refuses other host settings while the state dir has pods, naming the setting; the saved ones stay")
        func conflictingSettingsRefused() throws {
            let cli = try PodlabCLI("savedSettings-conflict")
            defer { cli.tearDown() }
            try cli.apply(Self.pod)
            let parent = "podlab-other-\(String(format: "%04x", UInt16.random(in: 0...UInt16.max)))"
            let manifest = "\(cli.directory)/second.yaml"
            try Self.pod.replacingOccurrences(of: "name: victim", with: "name: second").write(toFile: manifest, atomically: true, encoding: .utf8)
            let result = try cli.run(["apply", "-f", manifest, "-n", cli.namespace], environment: ["PODLAB_CGROUP_PARENT": parent])
            #expect(result.status != 0)
            #expect(result.stderr.contains("PODLAB_CGROUP_PARENT=\(parent) (the pods there use \(PodlabTestEnvironment.shared.cgroupParent))"), "\(result.description)")
            #expect(Self.cgroupParents(parent).isEmpty)
            let settings = try JSON(parsing: try String(contentsOfFile: "\(cli.stateDir)/runtime.json", encoding: .utf8))
            #expect(settings["cgroupParent"].string == PodlabTestEnvironment.shared.cgroupParent)
        }
    }
}
