import Cgroups
import Foundation
import PodlabCore

/// `podlab clean`: removes everything podlab left on this machine, also after a crash or
/// `kill -9` of any podlab process: supervisors, pause and container processes, mounts, netns
/// pins, veths, IPAM leases, cgroups, pod directories.
///
/// Pods of *this* state directory are removed whether their supervisor lives or not. Leftovers
/// with no pod directory (cgroups, pins, veths, leases) are swept too, except those of pods a
/// live supervisor of another state directory still runs (a parallel test run, a second
/// checkout), so one `clean` never breaks someone else's live pod.
public struct PodCleaner {
    public let paths: PodlabPaths

    public init(paths: PodlabPaths) {
        self.paths = paths
    }

    /// A running `podlab supervise KEY` process and the state directory it serves.
    struct Supervisor {
        var pid: Int32
        var key: String
        var stateDir: String
    }

    /// Returns one line per thing removed (or that could not be removed, prefixed "failed:").
    public func cleanAll() -> [String] {
        var report: [String] = []
        let deleter = PodDeleter(paths: paths)
        let supervisors = Self.supervisors()
        // 1. Our supervisors first, so nothing restarts what we remove.
        for supervisor in supervisors where supervisor.stateDir == paths.stateDir {
            kill(supervisor.pid, SIGKILL)
            report.append("killed supervisor \(supervisor.pid) (pod \(supervisor.key))")
        }
        let others = Set(supervisors.filter { $0.stateDir != paths.stateDir }.map(\.key))
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
            for pod in ((try? driver.listPods()) ?? []) where !others.contains(pod) {
                do {
                    try driver.killAll(PodCgroup(pod: pod))
                    try driver.remove(PodCgroup(pod: pod))
                    report.append("removed cgroup \(pod)")
                } catch { report.append("failed: cgroup \(pod): \(error)") }
            }
        }
        // 4. Netns pins, veths and leases.
        if let network = try? runtime.network() {
            do { report += try network.cleanAll(keeping: others) } catch { report.append("failed: network: \(error)") }
        }
        // 5. Any mount left under the state directory (shm, memory-backed volumes).
        for mount in MountTable.mountPoints(under: paths.stateDir).reversed() {
            if umount2(mount, Int32(MNT_DETACH)) == 0 { report.append("unmounted \(mount)") }
        }
        try? FileManager.default.removeItem(atPath: paths.podsDir)
        return report
    }

    /// Every `podlab supervise KEY` process on the machine, with the state directory from its
    /// environment (the launcher always sets `PODLAB_STATE_DIR`).
    static func supervisors() -> [Supervisor] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).compactMap { pid -> Supervisor? in
            guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard args.count >= 3, (args[0] as NSString).lastPathComponent == "podlab", args[1] == "supervise" else { return nil }
            let environ = (FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data())
                .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let stateDir = environ.first { $0.hasPrefix("PODLAB_STATE_DIR=") }.map { String($0.dropFirst("PODLAB_STATE_DIR=".count)) } ?? "/run/podlab"
            return Supervisor(pid: pid, key: args[2], stateDir: stateDir)
        }
    }
}
