import Cgroups
import Foundation
import PodlabCore
import Testing

private let mi: Int64 = 1024 * 1024

/// Real cgroups on this host (v1 memory hierarchy here, cgroup2 on CI VMs), as root. Every test
/// uses its own `podlab-cgtest-<random>` parent (so it never races with other runs over the shared
/// `podlab/` parent) and removes its pod and that parent in a `defer`, killing leftovers first.
@Suite(.enabled(if: getuid() == 0, "needs root to create cgroups"))
struct HostCgroupTests {
    let driver: any CgroupDriver
    let pod = "cgtest-\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        driver = try CgroupLayout.detect().makeDriver(parent: "podlab-cgtest-\(UInt32.random(in: 0...UInt32.max))")
    }

    private func cleanUp() {
        let podCgroup = PodCgroup(pod: pod)
        try? driver.killAll(podCgroup)
        try? driver.remove(podCgroup)
        for dir in driver.directories(of: podCgroup) {
            try? HostCgroupFileSystem().removeDirectory((dir as NSString).deletingLastPathComponent)
        }
    }

    /// Starts `/bin/sh` that puts itself into the cgroup, then execs `command`.
    private func spawn(into cgroup: ContainerCgroup, _ command: String) throws -> Process {
        let join = driver.procsFiles(for: cgroup).map { "echo $$ > '\($0)'" }.joined(separator: " && ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(join) && exec \(command)"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func limitIsWrittenAndAProcessAboveItIsOOMKilled() throws {
        defer { cleanUp() }
        let app = ContainerResourceSpec(memoryRequestBytes: 50 * mi, memoryLimitBytes: 100 * mi)
        let podCgroup = try driver.createPod(
            pod, resources: KubernetesResources.podCgroupResources(for: PodResourceSpec(containers: [app])))
        let child = try driver.createChild(
            pod: pod, name: "app-0", resources: KubernetesResources.containerCgroupResources(for: app))

        // Read back from the kernel's own files, not from what we meant to write.
        let limitFile = driver.interfaceFile(driver.version == .v1 ? "memory.limit_in_bytes" : "memory.max", of: child)
        #expect(try String(contentsOfFile: limitFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            == "104857600")
        #expect(try driver.memoryLimit(of: child) == 104_857_600)
        #expect(try driver.memoryLimit(of: podCgroup) == 104_857_600)
        #expect(!driver.oomKilled(child))

        let python = "python3 -c 'b = bytearray(b\"x\") * (300 * 1024 * 1024); import time; time.sleep(1)'"
        let process = try spawn(into: child, python)
        process.waitUntilExit()
        // Killed by SIGKILL: what a runtime reports as exit code 137, reason OOMKilled.
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)
        #expect(driver.oomKilled(child))
        #expect(try driver.oomKillCount(child) >= 1)

        try driver.remove(podCgroup)
        for dir in driver.directories(of: podCgroup) {
            #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) left behind")
        }
        #expect(try !driver.listPods().contains(pod))
    }

    @Test func killAllStopsEveryProcessOfThePodAndRemoveSucceeds() throws {
        defer { cleanUp() }
        let podCgroup = try driver.createPod(pod, resources: .unlimited)
        let pause = try driver.createChild(pod: pod, name: "pause", resources: .pause)
        let app = try driver.createChild(pod: pod, name: "app-0", resources: ContainerCgroupResources())
        let sleepers = [try spawn(into: pause, "sleep 60"), try spawn(into: app, "sleep 60")]
        // Wait until both shells have joined (they write their pid before exec).
        let deadline = Date().addingTimeInterval(5)
        while try driver.processes(in: podCgroup).count < 2, Date() < deadline { usleep(10_000) }
        #expect(Set(try driver.processes(in: podCgroup)) == Set(sleepers.map(\.processIdentifier)))
        #expect(try driver.processes(in: app) == [sleepers[1].processIdentifier])

        try driver.killAll(podCgroup)
        for sleeper in sleepers {
            sleeper.waitUntilExit()
            #expect(sleeper.terminationReason == .uncaughtSignal && sleeper.terminationStatus == SIGKILL)
        }
        #expect(try driver.processes(in: podCgroup).isEmpty)
        #expect(!driver.oomKilled(app))  // a kill -9 is not an OOM kill (reason Error, not OOMKilled)
        try driver.remove(podCgroup)
        #expect(try !driver.listPods().contains(pod))
    }

    @Test func cpuValuesLandInTheKernelFiles() throws {
        defer { cleanUp() }
        let spec = ContainerResourceSpec(cpuRequestMilli: 250, cpuLimitMilli: 500)
        _ = try driver.createPod(pod, resources: KubernetesResources.podCgroupResources(for: PodResourceSpec(containers: [spec])))
        let child = try driver.createChild(
            pod: pod, name: "app-0", resources: KubernetesResources.containerCgroupResources(for: spec))
        func read(_ name: String) throws -> String {
            try String(contentsOfFile: driver.interfaceFile(name, of: child), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        switch driver.version {
        case .v1:
            #expect(try read("cpu.shares") == "256")
            #expect(try read("cpu.cfs_quota_us") == "50000")
            #expect(try read("cpu.cfs_period_us") == "100000")
        case .v2:
            #expect(try read("cpu.max") == "50000 100000")
            #expect(try read("cpu.weight") == String(KubernetesResources.cpuWeight(fromShares: 256)))
        }
    }

    @Test func aRejectedValueNamesTheFileAndValueAndLeavesNoChild() throws {
        defer { cleanUp() }
        _ = try driver.createPod(pod, resources: .unlimited)
        // The kernel refuses a CFS quota below 1 ms (which is why kubelet clamps to MinQuotaPeriod).
        let bad = ContainerCgroup(pod: pod, name: "bad")
        let (file, value) = driver.version == .v1
            ? (driver.interfaceFile("cpu.cfs_quota_us", of: bad), "500")
            : (driver.interfaceFile("cpu.max", of: bad), "500 100000")
        #expect {
            try driver.createChild(pod: pod, name: "bad", resources: ContainerCgroupResources(cpuQuotaMicros: 500))
        } throws: { error in
            "\(error)".hasPrefix("write(\(file), \"\(value)\"): ")
        }
        for dir in driver.directories(of: ContainerCgroup(pod: pod, name: "bad")) {
            #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) left behind")
        }
    }
}
