import Cgroups
import Foundation
import PodlabCore
import Testing

/// Where the v2 parent goes (docs/FIDELITY.md #186–#190): detection and the D-Bus call, on any host.
struct SystemdPlacementTests {
    @Test func systemdIsDetectedByItsRunDirectoryAndCanBeTurnedOff() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sd-\(UInt32.random(in: 0...UInt32.max))").path
        #expect(CgroupV2Placement.detect(environment: [:], runDirectory: dir) == .root)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(CgroupV2Placement.detect(environment: [:], runDirectory: dir) == .systemdScope)
        #expect(CgroupV2Placement.detect(environment: ["PODLAB_CGROUP_SYSTEMD": "0"], runDirectory: dir) == .root)
    }

    @Test func theScopeIsDelegatedInSystemSliceWithTheCallerAsItsProcess() throws {
        let scope = try SystemdScope(parent: "podlab")
        #expect(scope.unitName == "podlab.scope")
        #expect(scope.relativePath == "system.slice/podlab.scope")
        let args = scope.startTransientUnitArguments(pid: 4242)
        #expect(args.contains("StartTransientUnit"))
        // The property count matches the properties passed: name, type, value each.
        let properties = try #require(args.firstIndex(of: "fail"))
        let count = try #require(Int(args[properties + 1]))
        let names = ["Description", "Slice", "Delegate", "DefaultDependencies", "CollectMode", "PIDs"]
        #expect(count == names.count)
        for name in names { #expect(args.contains(name)) }
        let delegate = try #require(args.firstIndex(of: "Delegate"))
        #expect(Array(args[delegate...(delegate + 2)]) == ["Delegate", "b", "true"])
        let pids = try #require(args.firstIndex(of: "PIDs"))
        #expect(Array(args[pids...(pids + 3)]) == ["PIDs", "au", "1", "4242"])
        #expect(args.last == "0")
        #expect(throws: PodlabError.self) { try SystemdScope(parent: "../etc") }
    }

    @Test func aFakeTreeDriverKeepsTheRootPlacementAndTheScopePathIsUnderSystemSlice() throws {
        let root = try CgroupV2Driver(mountPoint: "/x", parent: "podlab")
        #expect(root.parentDir == "/x/podlab")
        let scoped = try CgroupV2Driver(mountPoint: "/x", parent: "podlab", placement: .systemdScope)
        #expect(scoped.parentDir == "/x/system.slice/podlab.scope")
        #expect(scoped.interfaceFile("memory.max", of: PodCgroup(pod: "kubepods/pod1")) == "/x/system.slice/podlab.scope/kubepods/pod1/memory.max")
    }

    /// What inspectp's cgroupsPath starts with (#216): the driver's real parent directory below
    /// the mount, on every layout.
    @Test func theDisplayedParentPathIsTheDriversParentDirectory() throws {
        let v2 = CgroupLayout(version: .v2, unifiedMountPoint: "/x", v1MountPoints: [:])
        for placement in [CgroupV2Placement.root, .systemdScope] {
            let driver = try CgroupV2Driver(mountPoint: "/x", parent: "pl-a", placement: placement)
            #expect("/x/" + v2.parentCgroupPath(parent: "pl-a", placement: placement) == driver.parentDir)
        }
        // v1 (and hybrid) never use the scope: the memory hierarchy's `pl-a`.
        let v1 = CgroupLayout(version: .v1, unifiedMountPoint: "/x/unified", v1MountPoints: ["memory": "/x/memory"])
        #expect(v1.parentCgroupPath(parent: "pl-a", placement: .systemdScope) == "pl-a")
    }
}

/// On a systemd host with pure cgroup v2 (the test VM, scripts/test-vm): the real scope.
@Suite(.enabled(if: getuid() == 0 && CgroupV2Placement.detect() == .systemdScope
                && (try? CgroupLayout.detect().version) == .v2, "needs root, systemd as PID 1 and pure cgroup v2"))
struct SystemdDelegationTests {
    @Test func podsLiveInADelegatedScopeThatSystemdRemovesOnceEmpty() throws {
        let mount = "/sys/fs/cgroup"
        let parent = "podlab-sdtest-\(UInt32.random(in: 0...UInt32.max))"
        let scope = try SystemdScope(parent: parent)
        let scopeDir = mount + "/" + scope.relativePath
        // Where to go back to: the cgroup the test started in, unless it is gone by then (an
        // earlier test's scope, emptied when this process left it), then the root cgroup.
        let started = try #require(try ownCgroup())
        var original: String { FileManager.default.fileExists(atPath: mount + started) ? started : "" }
        let driver = try CgroupV2Driver(mountPoint: mount, parent: parent, placement: .systemdScope)
        defer {
            try? driver.removeAll()
            // Back to where the test started, so the scope empties and systemd stops it.
            try? HostCgroupFileSystem().write(mount + original + "/cgroup.procs", String(getpid()))
        }
        _ = try driver.createPod("kubepods/burstable/pod1", resources: PodCgroupResources(memoryLimitBytes: 64 << 20))
        let child = try driver.createChild(pod: "kubepods/burstable/pod1", name: "app", resources: ContainerCgroupResources(memoryLimitBytes: 32 << 20))

        // This process joined the scope's leaf; the scope's own cgroup holds no process and
        // delegates the controllers; systemd sees an active scope with Delegate=yes.
        #expect(try ownCgroup() == "/" + scope.relativePath + "/" + SystemdScope.leafName)
        #expect(try HostCgroupFileSystem().read(scopeDir + "/cgroup.procs").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let enabled = try HostCgroupFileSystem().read(scopeDir + "/cgroup.subtree_control")
        for controller in ["memory", "cpu", "pids"] { #expect(enabled.contains(controller), "\(scopeDir): \(enabled)") }
        #expect(try HostCgroupFileSystem().read(driver.interfaceFile("memory.max", of: child)).trimmingCharacters(in: .whitespacesAndNewlines) == String(32 << 20))
        let show = try systemctl(["show", "-p", "ActiveState", "-p", "Delegate", "-p", "ControlGroup", scope.unitName])
        #expect(show.contains("ActiveState=active"), "\(show)")
        #expect(show.contains("Delegate=yes"), "\(show)")
        #expect(show.contains("ControlGroup=/" + scope.relativePath), "\(show)")

        // Leave: systemd stops the empty scope and removes its whole tree.
        try driver.remove(PodCgroup(pod: "kubepods/burstable/pod1"))
        try HostCgroupFileSystem().write(mount + original + "/cgroup.procs", String(getpid()))
        let gone = pollUntil(timeout: 15) { !FileManager.default.fileExists(atPath: scopeDir) }
        #expect(gone, "\(scopeDir) still exists after its last process left")
        let failed = try systemctl(["--failed", "--no-legend", "--plain"])
        #expect(!failed.contains(scope.unitName), "\(failed)")
    }

    private func ownCgroup() throws -> String? {
        try HostCgroupFileSystem().read("/proc/self/cgroup").split(separator: "\n")
            .first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    private func systemctl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemctl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }
}
