import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whether `pid` is a live process (not gone, not a zombie waiting for its parent).
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
    return state != "Z" && state != "X"
}

extension PodTests {
    /// Issue 3 / DESIGN "Bad input and faults": after `kill -9` of any podlab process,
    /// `podlab clean` leaves no process, mount, netns, veth, cgroup or lease.
    @Suite("faults: kill -9 then podlab clean")
    struct CrashCleanupTests {
        static let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: victim}
            spec:
              volumes:
              - {name: scratch, emptyDir: {medium: Memory}}
              containers:
              - name: app
                image: busybox
                command: ["sleep", "3600"]
                volumeMounts: [{name: scratch, mountPath: /scratch}]
            """

        @Test("kill -9 of the supervisor leaves the pod running; podlab clean removes all of it and nothing of another state dir's pods")
        func supervisorKilled() throws {
            let cli = try PodlabCLI("supervisorKilled")
            defer { cli.tearDown() }
            let bystander = try PodlabCLI("supervisorKilled-bystander")
            defer { bystander.tearDown() }
            try cli.apply(Self.pod)
            try bystander.apply(Self.pod)
            let info = try cli.inspectPod("victim")["info"]
            let supervisor = try #require(info["podlab"]["supervisorPid"].int.map(Int32.init))
            let pause = try #require(info["pid"].int.map(Int32.init))
            let app = try cli.pid("app", pod: "victim")
            let bystanderPause = try bystander.pausePID("victim")

            #expect(kill(supervisor, SIGKILL) == 0)
            try waitUntil("the supervisor is gone") { !isAlive(supervisor) }
            #expect(isAlive(pause) && isAlive(app), "without its supervisor the pod's processes keep running (like containerd-shim's)")

            let clean = try cli.succeed(["clean"])
            #expect(clean.stdout.contains("removed pod \(cli.key("victim"))"), "\(clean.stdout)")
            try waitUntil("pause and the app are gone", timeout: 5) { !isAlive(pause) && !isAlive(app) }
            let leftovers = PodlabTestEnvironment.leftovers(keys: [cli.key("victim")], under: cli.directory, dataDir: cli.environment.dataDir)
            #expect(leftovers.isEmpty, "after clean: \(leftovers)")
            #expect(try cli.succeed(["pods", "-q"]).output.isEmpty)

            // A clean scoped to one state dir never touches another's pods.
            #expect(isAlive(bystanderPause))
            #expect(try bystander.inspectPod("victim")["status"]["state"].string == "SANDBOX_READY")
        }

        @Test("an interrupted run's pods (supervisors alive, the run gone): podlab clean --state-dir from elsewhere removes them with that run's settings, and nothing of a third state dir")
        func otherStateDirectoryCleaned() throws {
            let interrupted = try PodlabCLI("otherStateDir-interrupted")
            defer { interrupted.tearDown() }
            let cleaner = try PodlabCLI("otherStateDir-cleaner")
            defer { cleaner.tearDown() }
            let bystander = try PodlabCLI("otherStateDir-bystander")
            defer { bystander.tearDown() }
            try interrupted.apply(Self.pod)
            try bystander.apply(Self.pod)
            let supervisor = try #require(try interrupted.inspectPod("victim")["info"]["podlab"]["supervisorPid"].int.map(Int32.init))
            let pause = try interrupted.pausePID("victim")
            let bystanderPause = try bystander.pausePID("victim")

            let clean = try cleaner.succeed(["clean", "--state-dir", interrupted.stateDir])
            #expect(clean.stdout.contains("\(interrupted.stateDir): killed supervisor \(supervisor)"), "\(clean.stdout)")
            #expect(clean.stdout.contains("\(interrupted.stateDir): removed pod \(interrupted.key("victim"))"), "\(clean.stdout)")
            try waitUntil("the interrupted run's supervisor and pause are gone", timeout: 5) { !isAlive(supervisor) && !isAlive(pause) }
            let leftovers = PodlabTestEnvironment.leftovers(
                keys: [interrupted.key("victim")], under: interrupted.directory, dataDir: interrupted.environment.dataDir)
            #expect(leftovers.isEmpty, "after clean --state-dir: \(leftovers)")
            #expect(isAlive(bystanderPause))
            #expect(try bystander.inspectPod("victim")["status"]["state"].string == "SANDBOX_READY")
        }

        @Test("pause cannot start (its binary is missing) while the network is being built: apply names the bind of the binary into pause's root and the path, exits 1, and leaves nothing")
        func pauseFailsWhileTheNetworkIsBuilt() throws {
            let cli = try PodlabCLI("pauseFails")
            defer { cli.tearDown() }
            let manifest = "\(cli.directory)/pod.yaml"
            try Self.pod.write(toFile: manifest, atomically: true, encoding: .utf8)
            cli.expectPod("victim")
            let missing = "\(cli.directory)/no-such-pause"
            let result = try cli.run(["apply", "-f", manifest, "-n", cli.namespace], environment: ["PODLAB_PAUSE": missing])
            #expect(result.status == 1, "\(result.description)")
            // pause is bound into its own root before it execs (docs/FIDELITY.md #88).
            #expect(result.stderr.contains("could not start") && result.stderr.contains("mount(\(missing),"), "\(result.stderr)")
            let leftovers = PodlabTestEnvironment.leftovers(keys: [cli.key("victim")], under: cli.directory, dataDir: cli.environment.dataDir)
            #expect(leftovers.isEmpty, "after the failed apply: \(leftovers)")
            #expect(!FileManager.default.fileExists(atPath: cli.podDirectory("victim")))
        }

        @Test("kill -9 of `podlab apply` while it waits for the pod, then podlab clean: nothing is left")
        func applyKilledMidway() throws {
            let cli = try PodlabCLI("applyKilledMidway")
            defer { cli.tearDown() }
            let manifest = "\(cli.directory)/pod.yaml"
            try Self.pod.write(toFile: manifest, atomically: true, encoding: .utf8)
            cli.expectPod("victim")
            let apply = try cli.start(["apply", "-f", manifest, "-n", cli.namespace])
            // The pod directory is created before the supervisor starts; apply then waits.
            let created = eventually(timeout: 30, interval: 0.001) { FileManager.default.fileExists(atPath: cli.podDirectory("victim")) ? true : nil }
            #expect(kill(apply.pid, SIGKILL) == 0)
            let result = try apply.wait(timeout: 10)
            #expect(result.status == 128 + SIGKILL)
            try #require(created == true, "apply never created the pod directory")
            usleep(300_000)  // let a launched supervisor build what it was building

            try cli.succeed(["clean"])
            let leftovers = PodlabTestEnvironment.leftovers(keys: [cli.key("victim")], under: cli.directory, dataDir: cli.environment.dataDir)
            #expect(leftovers.isEmpty, "after clean: \(leftovers)")
            #expect(!FileManager.default.fileExists(atPath: cli.podDirectory("victim")))
        }
    }
}
