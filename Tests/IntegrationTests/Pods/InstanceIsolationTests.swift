import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// Issue 10 #6–#7: two podlab instances (state directories) on one machine, even on the same
    /// bridge, data dir and cgroup parent, never touch each other's pods; `clean` removes only
    /// what it made.
    @Suite("instances: per-state-dir names, clean touches only its own")
    struct InstanceIsolationTests {
        @Test("the same pod in two state directories: both run, deleting and cleaning one leaves the other intact")
        func samePodTwoInstances() throws {
            let first = try PodlabCLI("samePodTwoInstances")
            defer { first.tearDown() }
            let second = try PodlabCLI("samePodTwoInstances-b", sharing: first)
            defer { second.tearDown() }
            let pod = """
                apiVersion: v1
                kind: Pod
                metadata: {name: twin}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """
            try first.apply(pod)
            // Before: "already has a network namespace", or (other cgroup parent) the second apply
            // killed the first pod's processes.
            try second.apply(pod)
            let firstInfo = try first.inspectPod("twin")["info"]
            let secondInfo = try second.inspectPod("twin")["info"]
            let firstPause = try first.pausePID("twin")
            let secondPause = try second.pausePID("twin")
            #expect(firstPause != secondPause)
            #expect(firstInfo["podlab"]["netnsName"].string != secondInfo["podlab"]["netnsName"].string)
            #expect(kill(firstPause, 0) == 0 && kill(secondPause, 0) == 0)
            let firstApp = try first.pid("app", pod: "twin")

            // Deleting the second instance's pod and cleaning its state dir leaves the first's.
            #expect(try second.run(["delete", "twin", "--grace-period", "0"]).status == 0)
            let cleaned = try second.run(["clean"])
            #expect(cleaned.status == 0, "\(cleaned.description)")
            #expect(kill(firstPause, 0) == 0, "the first instance's pause was killed")
            #expect(kill(firstApp, 0) == 0, "the first instance's container was killed")
            let netns = firstInfo["podlab"]["netnsName"].string ?? ""
            #expect(FileManager.default.fileExists(atPath: "/run/netns/\(netns)"), "the first instance's netns pin was removed")
            #expect(try first.exec("twin", "app", "true").status == 0)
        }

        @Test("clean unmounts only podlab's own mounts: a tmpfs at the state dir and a mount beside pods/ stay")
        func cleanLeavesForeignMounts() throws {
            let cli = try PodlabCLI("cleanLeavesForeignMounts")
            defer { cli.tearDown() }
            // The state dir itself on a tmpfs, and someone else's mount inside it.
            #expect(mount("tmpfs", cli.stateDir, "tmpfs", 0, "size=1m") == 0)
            defer { umount2(cli.stateDir, Int32(MNT_DETACH)) }
            let foreign = cli.stateDir + "/not-podlab"
            try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
            #expect(mount("tmpfs", foreign, "tmpfs", 0, "size=1m") == 0)
            defer { umount2(foreign, Int32(MNT_DETACH)) }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: mounted}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let cleaned = try cli.run(["clean"])
            #expect(cleaned.status == 0, "\(cleaned.description)")
            let mounts = PodlabTestEnvironment.mounts(under: cli.stateDir)
            #expect(mounts.contains(cli.stateDir), "clean unmounted the tmpfs at the state dir")
            #expect(mounts.contains(foreign), "clean unmounted a mount it did not make")
            #expect(!mounts.contains { $0.hasPrefix(cli.stateDir + "/pods") }, "clean left a pod mount: \(mounts)")
        }

        @Test("a system directory as state or data dir is refused before anything is touched")
        func systemStateDirsAreRefused() throws {
            let cli = try PodlabCLI("systemStateDirsAreRefused")
            defer { cli.tearDown() }
            for (variable, dir) in [("PODLAB_STATE_DIR", "/run"), ("PODLAB_STATE_DIR", "/"), ("PODLAB_STATE_DIR", "/var/"), ("PODLAB_DATA_DIR", "/tmp")] {
                let result = try cli.run(["clean"], environment: [variable: dir])
                #expect(result.status != 0)
                #expect(result.stderr.contains("\(variable)=\(dir) is a system directory"), "\(result.description)")
            }
        }
    }
}
