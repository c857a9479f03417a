import Foundation
import PodlabCore
import PodlabSyscalls

/// `podlab delete`: asks the pod's supervisor to stop it gracefully (SIGTERM, grace period,
/// SIGKILL, then the sandbox), and removes what is left itself if the supervisor is gone.
public struct PodDeleter {
    public let paths: PodlabPaths
    public let store: PodStore
    /// The state directory's settings (bridge, cgroup parent, …) for forced removal.
    public let configuration: RuntimeConfiguration

    /// - Parameter configuration: nil reads the state directory's saved settings.
    public init(paths: PodlabPaths, configuration: RuntimeConfiguration? = nil) {
        self.paths = paths
        self.store = PodStore(paths: paths)
        self.configuration = configuration ?? RuntimeConfiguration.current(paths: paths)
    }

    /// Deletes one pod; never throws (what cannot be removed is left for `podlab clean`, and
    /// reported in the returned list).
    @discardableResult
    public func delete(_ record: PodRecord, grace: TimeInterval? = nil) -> [String] {
        delete([record], grace: grace).first ?? []
    }

    /// Deletes several pods together: every supervisor gets its SIGTERM before the first one is
    /// waited for, so the pods' grace periods and teardowns overlap instead of adding up (kubelet
    /// stops each pod in its own pod worker goroutine, `pkg/kubelet/pod_workers.go`; `kubectl
    /// delete` of several pods does not wait between them either). docs/FIDELITY.md #192.
    /// Never throws; returns, in the order of `records`, what could not be removed for each pod.
    @discardableResult
    public func delete(_ records: [PodRecord], grace: TimeInterval? = nil) -> [[String]] {
        let signalled = records.map { askToStop($0, grace: grace) }
        return zip(records, signalled).map { record, stopping in
            if let stopping {
                // Removing the pod directory is the supervisor's last act before it exits: once it
                // has exited with the directory gone, "deleted" means no podlab process of the pod is left.
                if stopping.supervisor.waitForExit(timeout: stopping.deadline - monotonicSeconds()),
                   !FileSystem.exists(store.directory(for: record.key)) {
                    return []
                }
                stopping.supervisor.send(SIGKILL)
            }
            return forceRemove(key: record.key)
        }
    }

    /// A supervisor that was sent SIGTERM, and when `delete` stops waiting for it.
    struct Stopping {
        var supervisor: WatchedProcess
        var deadline: Double
    }

    /// Leaves the grace period for the pod's supervisor and sends it SIGTERM; nil if the pod
    /// has no live supervisor (it is then removed by force).
    func askToStop(_ record: PodRecord, grace: TimeInterval?) -> Stopping? {
        let effectiveGrace = grace ?? TimeInterval(record.spec.terminationGracePeriodSeconds)
        // A supervisor that has not written its pid yet (the pod is still starting) is found by
        // its command line and state directory.
        // The pidfd is opened before the identity check, so the process checked is the one signalled.
        guard let pid = record.supervisorPID ?? supervisorPID(key: record.key), let supervisor = try? WatchedProcess(pid: pid),
              PodRecord.isSupervisor(pid, key: record.key) else { return nil }
        // Only an explicit --grace-period is passed on: it overrides the spec and 0 is the
        // force kill, while the spec's own value gets kubelet's 2 s minimum (docs/FIDELITY.md #54).
        // Without the file the supervisor uses the pod's own grace period: worth a line, not a stop.
        if let grace {
            var problems = TeardownLog()
            problems.attempt("grace period for the supervisor") {
                try StateFile.replace(SupervisorLoop.gracePath(store, key: record.key), with: Data("\(grace)".utf8))
            }
            problems.failures.forEach { StandardStreams.error("podlab: delete \(record.spec.name): \($0)\n") }
        }
        supervisor.send(SIGTERM)
        return Stopping(supervisor: supervisor, deadline: monotonicSeconds() + effectiveGrace + 15)
    }

    /// Removes a pod without its supervisor: kill every process in its cgroups, destroy the
    /// sandbox, remove volumes and state. Used after a crash or `kill -9` of the supervisor.
    @discardableResult
    public func forceRemove(key: String) -> [String] {
        var problems = TeardownLog()
        let runtime = LinuxPodRuntime(paths: paths, configuration: configuration)
        // Stop the supervisor first (whether or not the record names it), or it could go on
        // building the sandbox we are removing.
        if let pid = supervisorPID(key: key), let supervisor = try? WatchedProcess(pid: pid), PodRecord.isSupervisor(pid, key: key) {
            supervisor.send(SIGKILL)
            supervisor.waitForExit(timeout: 2)
        }
        // Another runtime's sandbox (containerd's CRI pod) first, while its ids are on disk.
        SandboxTeardownHooks.run(key: key, podDirectory: store.directory(for: key), supervisorPID: (try? store.load(key: key))?.supervisorPID,
                                 paths: paths).forEach { problems.record($0) }
        if let record = try? store.load(key: key) {
            runtime.killPod(record)
            problems.append(runtime.tearDownSandbox(record))
            PodVolumes(podDirectory: store.directory(for: key)).removeAll().forEach { problems.record($0) }
        } else {
            runtime.forceRemoveUnknown(key: key).forEach { problems.record($0) }
        }
        // Anything still mounted below the pod directory (a container root left mounted in
        // this namespace by an interrupted start) would make the removal fail with EBUSY.
        problems.append(runtime.unmountAll(under: store.directory(for: key)))
        problems.attempt("pod directory") { try store.remove(key: key) }
        return problems.failures
    }

    /// The live `podlab supervise <key>` process of this state directory, if any.
    func supervisorPID(key: String) -> Int32? {
        let ours = PodCleaner.canonical(paths.stateDir)
        return PodCleaner.supervisors().first { $0.key == key && PodCleaner.canonical($0.stateDir) == ours }?.pid
    }
}
