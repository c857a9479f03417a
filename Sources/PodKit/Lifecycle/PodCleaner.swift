import Cgroups
import Foundation
import PodlabCore
import SystemPackage

/// `podlab clean`: removes everything podlab left, also after a crash or `kill -9` of any podlab
/// process: supervisors, pause and container processes, mounts, netns pins, veths, IPAM leases,
/// cgroups, pod directories.
///
/// Pods of *this* state directory are removed whether their supervisor lives or not. Then it
/// sweeps pieces no pod directory names any more (cgroups, pins, veths, leases) — only names
/// this state directory owns (`PodlabPaths.ownsHostName`: every host-wide name carries the
/// instance's tag), so one run's clean never touches another run's pods ("concurrent labs never
/// collide"), whatever bridge, data dir or cgroup parent they share. Last, the shared pieces
/// once unused: the bridge, the parent cgroups and the saved settings.
///
/// Bridge, subnet, netns dir, cgroup parent and data dir are the state directory's saved
/// `RuntimeConfiguration` (docs/FIDELITY.md #145), so cleaning another run's state directory
/// finds that run's pieces, whatever the cleaning shell's environment says.
public struct PodCleaner {
    public let paths: PodlabPaths
    /// The settings the pods being removed were made with.
    public let configuration: RuntimeConfiguration

    /// A cleaner for `paths`' state directory with its saved settings (else the environment's).
    public init(paths: PodlabPaths) {
        self.paths = paths
        self.configuration = RuntimeConfiguration.current(paths: paths)
    }

    /// A cleaner for another state directory `stateDir` (`clean --state-dir`, `clean --all`):
    /// its saved settings, data dir included; where none were saved (a run older than saved
    /// settings), `fallback`'s data dir and this process's environment.
    public init(stateDirectory stateDir: String, fallback: PodlabPaths) {
        let saved = (try? RuntimeConfiguration.load(stateDir: stateDir)) ?? nil
        let paths = PodlabPaths(stateDir: stateDir, dataDir: saved?.dataDir ?? fallback.dataDir, rootfsDir: fallback.rootfsDir,
                                labsDir: fallback.labsDir, reportsDir: fallback.reportsDir)
        self.paths = paths
        self.configuration = saved ?? RuntimeConfiguration.fromEnvironment(paths: paths)
    }

    static func canonical(_ path: String) -> String { PodlabPaths.canonicalPath(path) }

    /// A running `podlab supervise KEY` process and the state directory it serves.
    struct Supervisor {
        var pid: Int32
        var key: String
        var stateDir: String
    }

    /// Returns one line per thing removed (or that could not be removed, prefixed "failed:").
    public func cleanAll() -> [String] {
        var report: [String] = []
        let deleter = PodDeleter(paths: paths, configuration: configuration)
        let supervisors = Self.supervisors()
        let ours = Self.canonical(paths.stateDir)
        // 1. Our supervisors first, so nothing restarts what we remove.
        for supervisor in supervisors where Self.canonical(supervisor.stateDir) == ours {
            kill(supervisor.pid, SIGKILL)
            report.append("killed supervisor \(supervisor.pid) (pod \(supervisor.key))")
        }
        // 2. Every pod directory, with or without a readable record.
        var keys: [String] = []
        do { keys = try FileSystem.list(paths.podsDir) } catch { report.append("failed: \(error)") }
        for key in keys.sorted() {
            let problems = deleter.forceRemove(key: key)
            report.append("removed pod \(key)")
            report += problems.map { "failed: \($0)" }
        }
        let others = Set(supervisors.filter { Self.canonical($0.stateDir) != ours }.map(\.key))
        report += sweepMachine(keeping: others)
        // Any mount left in a pod directory (shm, memory-backed volumes, container roots): only
        // below `pods/`, podlab's own layout. A mount at or elsewhere under the state directory
        // is not podlab's to remove (someone may have put the state dir on a tmpfs).
        for mount in MountTable.mountPoints(under: paths.podsDir).reversed() where mount != paths.podsDir {
            if umount2(mount, Int32(MNT_DETACH)) == 0 {
                report.append("unmounted \(mount)")
            } else {
                report.append("failed: umount2(\(mount), MNT_DETACH): \(Errno(rawValue: errno))")
            }
        }
        do { try FileSystem.removeTree(paths.podsDir) } catch { report.append("failed: \(error)") }
        // The settings go last, and only when everything they name is gone: a failed clean
        // can be run again and still finds the bridge and cgroup parent.
        if !report.contains(where: { $0.hasPrefix("failed:") }) {
            do { try RuntimeConfiguration.remove(stateDir: paths.stateDir) } catch { report.append("failed: \(error)") }
        }
        return report
    }

    /// Pieces no pod directory names any more: podlab cgroups, netns pins, veths on the bridge
    /// and leases, except those of `live` pods (run by supervisors of other state directories).
    func sweepMachine(keeping live: Set<String>) -> [String] {
        var report: [String] = []
        let runtime = LinuxPodRuntime(paths: paths, configuration: configuration)
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
        if let driver = try? runtime.cgroups() { report += Self.removeUnusedParentCgroups(driver) }
        return report
    }

    /// Removes the cgroup parent's QoS cgroups (deepest first) and the parent itself in every
    /// hierarchy `driver` uses, where they are empty: `rmdir` only removes an empty cgroup, so
    /// another instance's pods under the same parent keep it. Returns what was done.
    public static func removeUnusedParentCgroups(_ driver: any CgroupDriver) -> [String] {
        var report: [String] = []
        for parent in driver.directories(of: PodCgroup(pod: "parent-probe")).map({ ($0 as NSString).deletingLastPathComponent }) {
            for dir in KubepodsTree.qosDirectories.map({ parent + "/" + $0 }) + [parent] {
                if rmdir(dir) == 0 {
                    report.append("removed cgroup \(dir)")
                } else if errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY {
                    // EBUSY/ENOTEMPTY: another instance's pods still live under the parent.
                    report.append("failed: rmdir(\(dir)): \(Errno(rawValue: errno))")
                }
            }
        }
        return report
    }

    /// How many `podlab supervise` processes run on the machine, whatever their state dir.
    public static var liveSupervisorCount: Int { supervisors().count }

    /// Every `podlab supervise KEY` process on the machine, with the state directory from its
    /// environment (the launcher always passes `PODLAB_STATE_DIR` explicitly). Only the state
    /// directory is taken from there: its settings are in its `runtime.json`.
    static func supervisors() -> [Supervisor] {
        let entries = (try? FileSystem.list("/proc")) ?? []
        return entries.compactMap(Int32.init).compactMap { pid -> Supervisor? in
            guard pid != getpid(), let key = SupervisorCommandLine.key(ofProcess: pid, executableName: "podlab") else { return nil }
            let stateDir = environment(of: pid)["PODLAB_STATE_DIR"] ?? PodlabPaths.defaultStateDir
            return Supervisor(pid: pid, key: key, stateDir: stateDir)
        }
    }

    /// The state directories other than ours that live supervisors serve: what `podlab clean
    /// --all` cleans after an interrupted test run or another job's labs.
    public func otherStateDirectories() -> [String] {
        let ours = Self.canonical(paths.stateDir)
        var seen: Set<String> = [ours]
        return Self.supervisors().map(\.stateDir).filter { seen.insert(Self.canonical($0)).inserted }.sorted()
    }

    /// A process's environment (`/proc/<pid>/environ`, all of it).
    static func environment(of pid: Int32) -> [String: String] {
        // Read to the end: a CI runner's environment is often longer than the 4 KiB Foundation
        // returns for a procfs file, and a PODLAB_STATE_DIR past it would make another
        // instance's supervisor look like the default instance's.
        let data = (try? FileSystem.readFile("/proc/\(pid)/environ")) ?? []
        var result: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return result
    }
}
