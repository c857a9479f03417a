import Cgroups
import Foundation
import PodlabCore

/// `podlab clean`: removes everything podlab ever left on this machine, also after a crash or
/// `kill -9` of any podlab process: supervisors, pause and container processes, mounts, netns
/// pins, veths, IPAM leases, cgroups, pod directories.
public struct PodCleaner {
    public let paths: PodlabPaths

    public init(paths: PodlabPaths) {
        self.paths = paths
    }

    /// Returns one line per thing removed (or that could not be removed, prefixed "failed:").
    public func cleanAll() -> [String] {
        var report: [String] = []
        let deleter = PodDeleter(paths: paths)
        // 1. Supervisors first, so nothing restarts what we remove.
        for pid in Self.supervisorPIDs() {
            kill(pid, SIGKILL)
            report.append("killed supervisor \(pid)")
        }
        // 2. Every pod directory, with or without a readable record.
        let keys = (try? FileManager.default.contentsOfDirectory(atPath: paths.podsDir)) ?? []
        for key in keys.sorted() {
            let problems = deleter.forceRemove(key: key)
            report.append("removed pod \(key)")
            report += problems.map { "failed: \($0)" }
        }
        let runtime = LinuxPodRuntime(paths: paths)
        // 3. Cgroups of pods whose directory was already gone.
        if let driver = try? runtime.cgroups() {
            let pods = (try? driver.listPods()) ?? []
            do {
                try driver.removeAll()
                report += pods.map { "removed cgroup podlab/\($0)" }
            } catch { report.append("failed: cgroups: \(error)") }
        }
        // 4. Netns pins, veths and leases.
        if let network = try? runtime.network() {
            do { report += try network.cleanAll() } catch { report.append("failed: network: \(error)") }
        }
        // 5. Any mount left under the state directory (shm, memory-backed volumes).
        for mount in MountTable.mountPoints(under: paths.stateDir).reversed() {
            if umount2(mount, Int32(MNT_DETACH)) == 0 { report.append("unmounted \(mount)") }
        }
        try? FileManager.default.removeItem(atPath: paths.podsDir)
        return report
    }

    /// Pids of every `podlab supervise` process on the machine.
    static func supervisorPIDs() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return args.count >= 3 && (args[0] as NSString).lastPathComponent == "podlab" && args[1] == "supervise"
        }
    }
}
