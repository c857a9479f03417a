import PodlabCore

/// What the v1 and v2 drivers share once a cgroup's directories are known: both keep one
/// ``CgroupTree`` over their hierarchies, so listing, removing and path validation are written once.
protocol CgroupTreeDriver: CgroupDriver {
    /// The process/rmdir engine over this driver's hierarchies.
    var tree: CgroupTree { get }

    /// The interface file whose `oom_kill` line counts OOM kills (v1 `memory.oom_control`,
    /// v2 `memory.events`).
    static var oomKillCounterFile: String { get }

    /// Recomputes the Burstable QoS cgroup's CPU value from the Burstable pods' requests
    /// (docs/FIDELITY.md #172), with `adding` counted even before its cgroup exists.
    func updateBurstableShares(adding: (podName: String, milliCPU: Int64)?) throws
}

extension CgroupTreeDriver {
    public func oomKillCount(_ cgroup: any CgroupNode) throws -> UInt64 {
        try validateCgroupPath(cgroup)
        return try tree.oomKillCounter(in: interfaceFile(Self.oomKillCounterFile, of: cgroup))
    }

    public func processes(in cgroup: any CgroupNode) throws -> [Int32] {
        try validateCgroupPath(cgroup)
        return try tree.processes(inTrees: directories(of: cgroup))
    }

    public func remove(_ cgroup: any CgroupNode) throws {
        try validateCgroupPath(cgroup)
        try tree.removeTrees(directories(of: cgroup), timeout: CgroupDefaults.busyRetrySeconds)
        // A Burstable pod left: its request leaves the QoS cgroup's CPU value (kubelet's
        // UpdateQOSCgroups after pod cleanup).
        if let pod = cgroup as? PodCgroup, KubepodsTree.burstablePodName(of: pod.pod) != nil {
            try updateBurstableShares(adding: nil)
        }
    }
}

/// Refuses a cgroup whose relative path has an empty, `.`/`..` or otherwise invalid component,
/// before any path built from it reaches the filesystem.
func validateCgroupPath(_ cgroup: any CgroupNode) throws {
    for component in cgroup.relativePath.split(separator: "/", omittingEmptySubsequences: false) {
        try validateCgroupName(String(component), role: "path component")
    }
}
