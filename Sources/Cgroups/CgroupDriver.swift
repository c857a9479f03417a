import PodlabCore

/// Creates, inspects and removes podlab's cgroups. One implementation per cgroup API
/// (``CgroupV1Driver``, ``CgroupV2Driver``); get the right one from
/// ``CgroupLayout/makeDriver(parent:fileSystem:placement:)``.
///
/// Layout: everything lives under one parent, `podlab/`:
/// v1 `/sys/fs/cgroup/<controller>/podlab/<pod>/<child>`, v2 `/sys/fs/cgroup/podlab/<pod>/<child>`.
/// Processes live only in the children (pause, one per container attempt), never in the pod
/// cgroup, as with kubelet + containerd (docs/FIDELITY.md #15).
public protocol CgroupDriver: Sendable {
    /// The cgroup API this driver speaks.
    var version: CgroupVersion { get }

    /// Creates (or reuses) the pod cgroup and writes the pod-level values (docs/FIDELITY.md #36).
    /// If a write fails, the directories this call created are removed again.
    func createPod(_ pod: String, resources: PodCgroupResources) throws -> PodCgroup

    /// Creates (or reuses) a child of an existing pod cgroup, for pause or one container attempt,
    /// and writes its values (docs/FIDELITY.md #32–#35, #21), including its device allowlist
    /// (``ContainerCgroupResources/deviceRules``: deny all devices but runc's defaults).
    func createChild(pod: String, name: String, resources: ContainerCgroupResources) throws -> ContainerCgroup

    /// The cgroup directories of a cgroup: one per hierarchy used on v1, one on v2.
    func directories(of cgroup: any CgroupNode) -> [String]

    /// The `cgroup.procs` files a spawner writes the new process's pid into (v1: memory, cpu,
    /// pids, freezer and devices hierarchies, as mounted; v2: one).
    func procsFiles(for cgroup: ContainerCgroup) -> [String]

    /// The path of an interface file such as `memory.limit_in_bytes` or `cpu.max` for a cgroup,
    /// in the hierarchy that carries it (for reports and checks).
    func interfaceFile(_ name: String, of cgroup: any CgroupNode) -> String

    /// How many processes the kernel OOM-killed in this cgroup and its descendants
    /// (v1 `memory.oom_control` `oom_kill`, v2 `memory.events` `oom_kill`).
    func oomKillCount(_ cgroup: any CgroupNode) throws -> UInt64

    /// The memory limit in bytes read back from the kernel, nil when unlimited.
    func memoryLimit(of cgroup: any CgroupNode) throws -> Int64?

    /// Pids of every process in this cgroup and its descendants.
    func processes(in cgroup: any CgroupNode) throws -> [Int32]

    /// SIGKILLs every process in the cgroup and its descendants and waits (up to
    /// ``CgroupDefaults/killWaitSeconds``) until none is left. v2: `cgroup.kill` when present,
    /// else a SIGKILL loop over `cgroup.procs`; v1: freeze, SIGKILL all, thaw (runc's
    /// `signalAllProcesses`), so nothing can fork in between.
    func killAll(_ cgroup: any CgroupNode) throws

    /// Removes the cgroup and its descendants, deepest first, retrying `rmdir` on EBUSY for up to
    /// ``CgroupDefaults/busyRetrySeconds`` while exiting processes leave. Missing cgroups are fine.
    func remove(_ cgroup: any CgroupNode) throws

    /// Names of the pod cgroups under the podlab parent (in any hierarchy used).
    func listPods() throws -> [String]
}

extension CgroupDriver {
    /// Whether the kernel OOM-killed a process in this cgroup. A cgroup that cannot be read
    /// (already removed) counts as not OOM-killed; use ``oomKillCount(_:)`` to see the error.
    public func oomKilled(_ cgroup: any CgroupNode) -> Bool {
        ((try? oomKillCount(cgroup)) ?? 0) > 0
    }

    /// `podlab clean`: kills the processes of every podlab pod cgroup and removes them all.
    /// Tries every pod even if one fails, then throws the first error. The empty `podlab/` parent
    /// is kept, so a concurrent `createPod` never loses its parent under it.
    public func removeAll() throws {
        var firstError: (any Error)?
        for pod in try listPods() {
            do {
                let cgroup = PodCgroup(pod: pod)
                try killAll(cgroup)
                try remove(cgroup)
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }
}
