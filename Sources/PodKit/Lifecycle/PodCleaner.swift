import Cgroups
import Foundation
import PodlabCore

/// `podlab clean`: removes everything podlab left, also after a crash or `kill -9` of any podlab
/// process: supervisors, pause and container processes, mounts, netns pins, veths, IPAM leases,
/// cgroups, pod directories.
///
/// Pods of *this* state directory are removed whether their supervisor lives or not. Then it
/// sweeps pieces no pod directory names any more (cgroups, pins, veths, leases) — only names
/// this state directory owns (`PodlabPaths.ownsHostName`: every host-wide name carries the
/// instance's tag), so one run's clean never touches another run's pods ("concurrent labs never
/// collide"), whatever bridge, data dir or cgroup parent they share.
public struct PodCleaner {
    public let paths: PodlabPaths
    /// Whether this clean sweeps leftovers machine-wide (by default only with the default state
    /// dir) or only removes the pods of its own state dir.
    public let sweepsMachine: Bool

    /// - Parameter sweepMachine: nil sweeps only with the default state dir; `clean --all` sweeps
    ///   with every other state dir's settings (bridge, cgroup parent) once no supervisor is left.
    public init(paths: PodlabPaths, sweepMachine: Bool? = nil) {
        self.paths = paths
        self.sweepsMachine = sweepMachine ?? true
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
        // 2. Every pod directory, with or without a readable record.
        let keys = (try? FileManager.default.contentsOfDirectory(atPath: paths.podsDir)) ?? []
        for key in keys.sorted() {
            let problems = deleter.forceRemove(key: key)
            report.append("removed pod \(key)")
            report += problems.map { "failed: \($0)" }
        }
        if sweepsMachine {
            let others = Set(supervisors.filter { $0.stateDir != paths.stateDir }.map(\.key))
            report += sweepMachine(keeping: others)
        }
        // Any mount left in a pod directory (shm, memory-backed volumes, container roots): only
        // below `pods/`, podlab's own layout. A mount at or elsewhere under the state directory
        // is not podlab's to remove (someone may have put the state dir on a tmpfs).
        for mount in MountTable.mountPoints(under: paths.podsDir).reversed() where mount != paths.podsDir {
            if umount2(mount, Int32(MNT_DETACH)) == 0 { report.append("unmounted \(mount)") }
        }
        try? FileManager.default.removeItem(atPath: paths.podsDir)
        return report
    }

    /// Pieces no pod directory names any more: podlab cgroups, netns pins, veths on the bridge
    /// and leases, except those of `live` pods (run by supervisors of other state directories).
    func sweepMachine(keeping live: Set<String>) -> [String] {
        var report: [String] = []
        let runtime = LinuxPodRuntime(paths: paths)
        if let driver = try? runtime.cgroups() {
            let liveNames = Set(live.map(paths.hostName(forPod:)))
            // Only this state directory's cgroups: another instance's pods are not ours to kill.
            // Pod cgroups are `kubepods/<qos>/pod<host name>` (docs/FIDELITY.md #90).
            for pod in ((try? driver.listPods()) ?? []) {
                guard let name = KubepodsTree.name(ofPodPath: pod), paths.ownsHostName(name), !liveNames.contains(name) else { continue }
                do {
                    try driver.killAll(PodCgroup(pod: pod))
                    try driver.remove(PodCgroup(pod: pod))
                    report.append("removed cgroup \(pod)")
                } catch { report.append("failed: cgroup \(pod): \(error)") }
            }
        }
        if let network = try? runtime.network() {
            do { report += try network.cleanAll(keeping: live) } catch { report.append("failed: network: \(error)") }
        }
        // Also the shared pieces the first pod created, once nothing uses them: the bridge when
        // no link is enslaved to it (any instance's pod has a veth there), and the empty
        // `podlab` parent cgroups (rmdir only removes an empty cgroup).
        if let network = try? runtime.network() {
            do {
                if try network.removeBridgeIfUnused() { report.append("removed bridge \(network.config.bridgeName)") }
            } catch { report.append("failed: bridge \(network.config.bridgeName): \(error)") }
        }
        if let driver = try? runtime.cgroups() {
            // The QoS parents first (deepest first), then `podlab` itself.
            for parent in driver.directories(of: PodCgroup(pod: "parent-probe")).map({ ($0 as NSString).deletingLastPathComponent }) {
                for dir in KubepodsTree.qosDirectories.map({ parent + "/" + $0 }) + [parent] where rmdir(dir) == 0 {
                    report.append("removed cgroup \(dir)")
                }
            }
        }
        return report
    }

    /// How many `podlab supervise` processes run on the machine, whatever their state dir.
    public static var liveSupervisorCount: Int { supervisors().count }

    /// Every `podlab supervise KEY` process on the machine, with the state directory from its
    /// environment (the launcher always passes `PODLAB_STATE_DIR` explicitly).
    static func supervisors() -> [Supervisor] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).compactMap { pid -> Supervisor? in
            guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard args.count >= 3, (args[0] as NSString).lastPathComponent == "podlab", args[1] == "supervise" else { return nil }
            let stateDir = environment(of: pid)["PODLAB_STATE_DIR"] ?? PodlabPaths.fromEnvironment([:]).stateDir
            return Supervisor(pid: pid, key: args[2], stateDir: stateDir)
        }
    }

    /// The state directories other than ours that live supervisors serve, each with the
    /// `PODLAB_*` settings (bridge, subnet, cgroup parent, data dir) its supervisor runs with:
    /// what `podlab clean --all` cleans after an interrupted test run or another job's labs.
    public func otherStateDirectories() -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for supervisor in Self.supervisors() where supervisor.stateDir != paths.stateDir && result[supervisor.stateDir] == nil {
            result[supervisor.stateDir] = Self.environment(of: supervisor.pid).filter { $0.key.hasPrefix("PODLAB_") }
        }
        return result
    }

    /// The `PODLAB_*` settings to clean `stateDir` with: those of a live supervisor serving it,
    /// else `fallback` (the caller's) with `PODLAB_STATE_DIR` pointing there.
    public func settings(forStateDirectory stateDir: String, fallback: [String: String]) -> [String: String] {
        if let live = otherStateDirectories()[stateDir] { return live }
        var settings = fallback.filter { $0.key.hasPrefix("PODLAB_") }
        settings["PODLAB_STATE_DIR"] = stateDir
        return settings
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
