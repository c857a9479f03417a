import Cgroups
import Foundation
import PodKit
import PodlabCore
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The spawn side of docs/FIDELITY.md #83, runnable on any host: a process spawned with
/// `join.cgroup` ends up in that cgroup namespace (as `runc exec` enters the container's).
@Suite("spawn: joining a cgroup namespace", .enabled(if: SpawnFixtures.isRoot))
struct CgroupNamespaceSpawnTests {
    @Test("join.cgroup enters the namespace after the cgroups: /proc/self/cgroup is relative to its root")
    func joinCgroupNamespace() throws {
        try ProcessSpawner.makeChildSubreaper()  // the sleeper is re-parented to us, so we can reap it
        var owner = SpawnRequest(arguments: ["sleep", "60"])
        owner.environment = ["PATH=/bin:/usr/bin"]
        owner.newNamespaces = [.cgroup]
        let pid = try ProcessSpawner().spawn(owner).pid
        defer { SpawnFixtures.killAndReap(pid) }
        let theirs = try SpawnFixtures.namespace("cgroup", of: pid)
        #expect(theirs != (try SpawnFixtures.namespace("cgroup", of: getpid())), "the sleeper has a cgroup namespace of its own")

        let dir = try SpawnFixtures.makeTempDir("cgroupns")
        defer { SpawnFixtures.removeTree(dir) }
        let output = try SpawnFixtures.openOutput(dir + "/out")
        defer { try? output.close() }
        var joiner = SpawnRequest(arguments: ["sh", "-c", "readlink /proc/self/ns/cgroup; cat /proc/self/cgroup"])
        joiner.environment = ["PATH=/bin:/usr/bin"]
        joiner.join.cgroup = "/proc/\(pid)/ns/cgroup"
        joiner.stdout = output
        joiner.waitForExit = true
        #expect(try ProcessSpawner().spawn(joiner).exit == .exited(0))
        let lines = SpawnFixtures.read(dir + "/out").split(separator: "\n").map(String.init)
        #expect(lines.first == theirs, "\(lines)")
        // Both are in this test's cgroups, the namespace's root: every hierarchy reads `/`.
        let paths = lines.dropFirst().map { $0.split(separator: ":", maxSplits: 2).last.map(String.init) ?? "" }
        #expect(!paths.isEmpty && paths.allSatisfy { $0 == "/" }, "\(lines)")
    }

    /// A cgroup2 hierarchy to make a cgroup in: a hybrid host's `unified`, else a v2 host's root.
    static var unifiedRoot: String? {
        ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].first { FileManager.default.fileExists(atPath: $0 + "/cgroup.procs") && FileManager.default.fileExists(atPath: $0 + "/cgroup.controllers") }
    }

    /// What `podlab exec` does on a v2 host, on a cgroup2 hierarchy of this one: the container
    /// (the sleeper) unshared its cgroup namespace inside its own cgroup; the exec starts outside
    /// it, moves itself into that cgroup, then enters the namespace, and reads `0::/`.
    @Test("on cgroup2: an exec-like process moved into the container's cgroup and then its namespace reads 0::/",
          .enabled(if: Self.unifiedRoot != nil))
    func joinAfterCgroup2Migration() throws {
        let root = try #require(Self.unifiedRoot)
        let group = "\(root)/podlab-cgns-test-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        try #require(mkdir(group, 0o755) == 0, "mkdir \(group): errno \(errno)")
        defer { _ = rmdir(group) }  // runs last: after the sleeper is reaped, the cgroup is empty
        try ProcessSpawner.makeChildSubreaper()
        var owner = SpawnRequest(arguments: ["sleep", "60"])
        owner.environment = ["PATH=/bin:/usr/bin"]
        owner.cgroupProcsFiles = [group + "/cgroup.procs"]
        owner.newNamespaces = [.cgroup]
        let pid = try ProcessSpawner().spawn(owner).pid
        defer { SpawnFixtures.killAndReap(pid) }
        let theirs = try SpawnFixtures.namespace("cgroup", of: pid)

        let dir = try SpawnFixtures.makeTempDir("cgroupns2")
        defer { SpawnFixtures.removeTree(dir) }
        let output = try SpawnFixtures.openOutput(dir + "/out")
        defer { try? output.close() }
        var joiner = SpawnRequest(arguments: ["sh", "-c", "readlink /proc/self/ns/cgroup; cat /proc/self/cgroup"])
        joiner.environment = ["PATH=/bin:/usr/bin"]
        joiner.cgroupProcsFiles = [group + "/cgroup.procs"]
        joiner.join.cgroup = "/proc/\(pid)/ns/cgroup"
        joiner.stdout = output
        joiner.waitForExit = true
        #expect(try ProcessSpawner().spawn(joiner).exit == .exited(0))
        let lines = SpawnFixtures.read(dir + "/out").split(separator: "\n").map(String.init)
        #expect(lines.first == theirs, "\(lines)")
        #expect(lines.contains("0::/"), "the cgroup2 line is relative to the namespace's root, the container's cgroup: \(lines)")
    }
}

extension PodTests {
    /// docs/FIDELITY.md #83 on a real pod. containerd's CRI gives every non-privileged container a
    /// cgroup namespace of its own on a cgroup v2 host and none on v1
    /// (`internal/cri/server/container_create_linux.go`: "cgroupns is used for hiding
    /// /sys/fs/cgroup from containers. For compatibility, cgroupns is not used when running in
    /// cgroup v1 mode or in privileged"); `runc exec` enters the container's namespaces, that one
    /// included. The v2 half runs in `scripts/test-vm` (its filter names this suite); a hybrid
    /// host such as the development machine checks the v1 half.
    @Suite("a cgroup namespace per container on cgroup v2")
    struct CgroupNamespaceTests {
        @Test("v2: the container's cgroupns is its own (not pause's, not the host's) and /proc/self/cgroup reads 0::/ in it and in exec; v1: the host's")
        func cgroupNamespace() throws {
            let cli = try PodlabCLI("cgroupNamespace")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: cgns}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "cat /proc/self/cgroup > /tmp/cgroup; exec sleep 3600"]
                """)
            let v2 = try CgroupLayout.detect().makeDriver(parent: cli.environment.cgroupParent).version == .v2
            let host = try SpawnFixtures.namespace("cgroup", of: getpid())
            let pause = try SpawnFixtures.namespace("cgroup", of: try cli.pausePID("cgns"))
            let app = try SpawnFixtures.namespace("cgroup", of: try cli.pid("app", pod: "cgns"))
            try waitUntil("the container wrote /tmp/cgroup", timeout: 10) {
                try cli.exec("cgns", "app", "test", "-s", "/tmp/cgroup").status == 0
            }
            let own = try cli.exec("cgns", "app", "cat", "/tmp/cgroup").output
            let exec = try cli.exec("cgns", "app", "sh", "-c", "readlink /proc/self/ns/cgroup; cat /proc/self/cgroup").output.split(separator: "\n").map(String.init)
            if v2 {
                #expect(app != host, "the container has a cgroup namespace of its own, not the host's")
                #expect(app != pause, "nor the sandbox's")
                #expect(own == "0::/", "the container's /proc/self/cgroup: its cgroup is the namespace's root")
                #expect(exec.first == app, "exec enters the container's cgroup namespace, as runc exec does: \(exec)")
                #expect(Array(exec.dropFirst()) == ["0::/"], "\(exec)")
            } else {
                #expect(app == host, "no cgroup namespace on v1 (containerd)")
                #expect(exec.first == host, "\(exec)")
                // The full paths: the container's own cgroup below this run's parent.
                let memory = own.split(separator: "\n").first { $0.split(separator: ":").dropFirst().first?.split(separator: ",").contains("memory") == true } ?? ""
                #expect(memory.contains("/\(cli.environment.cgroupParent)"), "\(own)")
            }
        }
    }
}
