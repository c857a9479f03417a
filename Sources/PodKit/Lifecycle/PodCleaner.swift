import Cgroups
import Foundation
import PodlabCore

/// `podlab clean`: removes everything podlab left, also after a crash or `kill -9` of any podlab
/// process: supervisors, pause and container processes, mounts, netns pins, veths, IPAM leases,
/// cgroups, pod directories.
///
/// With the default state directory (`/run/podlab`) it sweeps the whole machine, including
/// pieces no pod directory names any more. With `PODLAB_STATE_DIR` set elsewhere (a test run,
/// a CI job next to others) it removes only that state directory's pods and their supervisors,
/// so one run's clean never kills another run's pods ("concurrent labs never collide").
public struct PodCleaner {
    public let paths: PodlabPaths

    public init(paths: PodlabPaths) {
        self.paths = paths
    }

    /// Whether this clean sweeps every podlab object on the machine (default state dir) or only
    /// the pods of its own state dir.
    public var sweepsMachine: Bool { paths.stateDir == PodlabPaths.fromEnvironment([:]).stateDir }

    /// Returns one line per thing removed (or that could not be removed, prefixed "failed:").
    public func cleanAll() -> [String] {
        var report: [String] = []
        let deleter = PodDeleter(paths: paths)
        // 1. Supervisors first, so nothing restarts what we remove.
        for pid in Self.supervisorPIDs(stateDir: sweepsMachine ? nil : paths.stateDir) {
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
        if sweepsMachine { report += sweepMachine() }
        // 5. Any mount left under the state directory (shm, memory-backed volumes).
        for mount in MountTable.mountPoints(under: paths.stateDir).reversed() {
            if umount2(mount, Int32(MNT_DETACH)) == 0 { report.append("unmounted \(mount)") }
        }
        try? FileManager.default.removeItem(atPath: paths.podsDir)
        return report
    }

    /// Pieces no pod directory names any more: every podlab cgroup, netns pin, veth on the
    /// bridge and lease (default state dir only).
    func sweepMachine() -> [String] {
        var report: [String] = []
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
        return report
    }

    /// Pids of `podlab supervise` processes: all of them, or those of one state dir (the
    /// launcher always passes `PODLAB_STATE_DIR` to the supervisor explicitly).
    static func supervisorPIDs(stateDir: String?) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard args.count >= 3, (args[0] as NSString).lastPathComponent == "podlab", args[1] == "supervise" else { return false }
            guard let stateDir else { return true }
            return environment(of: pid)["PODLAB_STATE_DIR"] == stateDir
        }
    }

    /// A process's environment (`/proc/<pid>/environ`).
    static func environment(of pid: Int32) -> [String: String] {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
        var result: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return result
    }
}
