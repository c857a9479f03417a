import Foundation
import PodlabCore

/// `podlab delete`: asks the pod's supervisor to stop it gracefully (SIGTERM, grace period,
/// SIGKILL, then the sandbox), and removes what is left itself if the supervisor is gone.
public struct PodDeleter {
    public let paths: PodlabPaths
    public let store: PodStore

    public init(paths: PodlabPaths) {
        self.paths = paths
        self.store = PodStore(paths: paths)
    }

    /// Deletes one pod; never throws (what cannot be removed is left for `podlab clean`, and
    /// reported in the returned list).
    @discardableResult
    public func delete(_ record: PodRecord, grace: TimeInterval? = nil) -> [String] {
        let effectiveGrace = grace ?? TimeInterval(record.spec.terminationGracePeriodSeconds)
        // A supervisor that has not written its pid yet (the pod is still starting) is found by
        // its command line and state directory.
        // The pidfd is opened before the identity check, so the process checked is the one signalled.
        if let pid = record.supervisorPID ?? supervisorPID(key: record.key), let supervisor = try? WatchedProcess(pid: pid),
           PodRecord.isSupervisor(pid, key: record.key) {
            // Only an explicit --grace-period is passed on: it overrides the spec and 0 is the
            // force kill, while the spec's own value gets kubelet's 2 s minimum (docs/FIDELITY.md #54).
            if let grace {
                try? "\(grace)".write(toFile: SupervisorLoop.gracePath(store, key: record.key), atomically: true, encoding: .utf8)
            }
            supervisor.send(SIGTERM)
            // Removing the pod directory is the supervisor's last act before it exits: once it
            // has exited with the directory gone, "deleted" means no podlab process of the pod is left.
            if supervisor.waitForExit(timeout: effectiveGrace + 15), !FileManager.default.fileExists(atPath: store.directory(for: record.key)) {
                return []
            }
            supervisor.send(SIGKILL)
        }
        return forceRemove(key: record.key)
    }

    /// Removes a pod without its supervisor: kill every process in its cgroups, destroy the
    /// sandbox, remove volumes and state. Used after a crash or `kill -9` of the supervisor.
    @discardableResult
    public func forceRemove(key: String) -> [String] {
        var problems: [String] = []
        let runtime = LinuxPodRuntime(paths: paths)
        // Stop the supervisor first (whether or not the record names it), or it could go on
        // building the sandbox we are removing.
        if let pid = supervisorPID(key: key), let supervisor = try? WatchedProcess(pid: pid), PodRecord.isSupervisor(pid, key: key) {
            supervisor.send(SIGKILL)
            supervisor.waitForExit(timeout: 2)
        }
        if let record = try? store.load(key: key) {
            runtime.killPod(record)
            runtime.destroySandbox(record)
            runtime.removeVolumes(record)
        } else {
            problems.append(contentsOf: runtime.forceRemoveUnknown(key: key))
        }
        do { try store.remove(key: key) } catch { problems.append("\(error)") }
        return problems
    }

    /// The live `podlab supervise <key>` process of this state directory, if any.
    func supervisorPID(key: String) -> Int32? {
        PodCleaner.supervisors().first { $0.key == key && $0.stateDir == paths.stateDir }?.pid
    }
}
