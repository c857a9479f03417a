import PodlabCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// cgroup v2 (unified): `<mount>/podlab/<pod>/<child>`, one directory per cgroup.
///
/// The memory, cpu and pids controllers are enabled in `cgroup.subtree_control` of the mount
/// root, of `podlab` and of each pod, as needed, so the children get their interface files.
/// Processes live only in the children, which satisfies v2's "no internal processes" rule.
/// Each child also gets a device filter program (``DeviceFilterProgram``), v2's devices cgroup.
public struct CgroupV2Driver: CgroupTreeDriver {
    public var version: CgroupVersion { .v2 }
    /// The parent cgroup name (`podlab`) below the mount point.
    public let parent: String
    /// The cgroup2 mount point (`/sys/fs/cgroup`), or a fake tree's root in tests.
    public let mountPoint: String
    /// Below the root, or in podlab's delegated systemd scope (``CgroupV2Placement``).
    public let placement: CgroupV2Placement
    private let fileSystem: any CgroupFileSystem
    let tree: CgroupTree
    /// The Burstable pods' CPU requests (docs/FIDELITY.md #172).
    private let burstableRequests: BurstableCPURequests

    /// Controllers podlab enables for its subtree, in the order written.
    public static let wantedControllers = ["memory", "cpu", "pids"]

    /// - Parameters:
    ///   - mountPoint: where cgroup2 is mounted, usually ``CgroupLayout/unifiedMountPoint``.
    ///   - parent: the podlab parent cgroup name.
    ///   - fileSystem: the file operations (the host's, or a fake).
    ///   - placement: `.root` (`<mount>/<parent>`) or `.systemdScope`
    ///     (`<mount>/system.slice/<parent>.scope`, ``SystemdScope``).
    public init(
        mountPoint: String, parent: String = CgroupDefaults.parentName,
        fileSystem: any CgroupFileSystem = HostCgroupFileSystem(),
        burstableRequests: BurstableCPURequests = BurstableCPURequests(directory: nil),
        placement: CgroupV2Placement = .root
    ) throws {
        self.burstableRequests = burstableRequests
        try validateCgroupParent(parent)
        self.mountPoint = mountPoint
        self.parent = parent
        self.placement = placement
        self.fileSystem = fileSystem
        self.tree = CgroupTree(fileSystem: fileSystem)
    }

    /// The parent cgroup's directory: `<mount>/podlab`, or the scope's on systemd hosts.
    public var parentDir: String {
        switch placement {
        case .root: return mountPoint + "/" + parent
        case .systemdScope: return mountPoint + "/" + SystemdScope.slice + "/" + parent + ".scope"
        }
    }

    private func directory(_ cgroup: any CgroupNode) -> String {
        parentDir + "/" + cgroup.relativePath
    }

    public func directories(of cgroup: any CgroupNode) -> [String] {
        [directory(cgroup)]
    }

    public func procsFiles(for cgroup: ContainerCgroup) -> [String] {
        [directory(cgroup) + "/cgroup.procs"]
    }

    public func interfaceFile(_ name: String, of cgroup: any CgroupNode) -> String {
        directory(cgroup) + "/" + name
    }

    public func createPod(_ pod: String, resources: PodCgroupResources) throws -> PodCgroup {
        try validatePodPath(pod)
        let cgroup = PodCgroup(pod: pod)
        let dir = directory(cgroup)
        switch placement {
        case .root:
            // Level by level: the parent may have several components (containerd's
            // `podlab/cri-containerd`, docs/FIDELITY.md #211); each delegates to the next.
            var level = mountPoint
            for component in parent.split(separator: "/") {
                try enableControllers(in: level, required: resources.memoryLimitBytes != nil)
                level += "/" + component
                try fileSystem.makeDirectory(level)
            }
        case .systemdScope:
            // systemd enables the controllers down to a Delegate=yes scope; podlab writes only
            // inside it, after leaving its own cgroup empty (docs/FIDELITY.md #187).
            try SystemdScope(parent: parent).join(mountPoint: mountPoint, fileSystem: fileSystem)
        }
        try enableControllers(in: parentDir, required: resources.memoryLimitBytes != nil)
        // The QoS parents (kubepods, kubepods/burstable), shared and kept, each delegating the
        // controllers to the next level.
        var shared = parentDir
        for component in pod.split(separator: "/").dropLast() {
            shared += "/" + component
            try fileSystem.makeDirectory(shared)
            try enableControllers(in: shared, required: resources.memoryLimitBytes != nil)
        }
        if let qos = KubepodsTree.pinnedQoSParent(of: pod), fileSystem.exists(parentDir + "/" + qos.path + "/cpu.weight") {
            try writeCommon(parentDir + "/" + qos.path, memoryLimit: nil, cpuShares: qos.cpuShares, quota: nil, period: 0, pids: nil)
        }
        let existed = fileSystem.exists(dir)
        do {
            try fileSystem.makeDirectory(dir)
            // Enable in the pod too: its children (containers) carry the limits. A child that
            // asks for a memory limit without the controller gets a clear error in createChild.
            try enableControllers(in: dir, required: resources.memoryLimitBytes != nil)
            try writeCommon(
                dir, memoryLimit: resources.memoryLimitBytes, cpuShares: resources.cpuShares,
                quota: resources.cpuQuotaMicros, period: resources.cpuPeriodMicros, pids: resources.pidsLimit)
            if let name = KubepodsTree.burstablePodName(of: pod) {
                try updateBurstableShares(adding: (name, resources.cpuRequestMilli))
            }
        } catch {
            if !existed { try? fileSystem.removeDirectory(dir) }
            throw error
        }
        return cgroup
    }

    /// kubelet's `setCPUCgroupConfig` for `kubepods/burstable`, the shares converted to
    /// `cpu.weight` as for every other cgroup (docs/FIDELITY.md #172).
    func updateBurstableShares(adding: (podName: String, milliCPU: Int64)? = nil) throws {
        let dir = parentDir + "/" + KubepodsTree.qosDirectory(.burstable)
        guard fileSystem.exists(dir + "/cpu.weight") else { return }
        try burstableRequests.update(lockDirectory: dir, adding: adding, pods: { try KubepodsTree.burstablePods(in: dir, fileSystem: fileSystem) }) { shares in
            try writeCommon(dir, memoryLimit: nil, cpuShares: shares, quota: nil, period: 0, pids: nil)
        }
    }

    public func createChild(pod: String, name: String, resources: ContainerCgroupResources) throws -> ContainerCgroup {
        try validatePodPath(pod)
        try validateCgroupName(name, role: "child")
        let podDir = directory(PodCgroup(pod: pod))
        guard fileSystem.exists(podDir) else {
            throw PodlabError(.notFound, "pod cgroup \(podDir) does not exist (create the pod cgroup first)")
        }
        let cgroup = ContainerCgroup(pod: pod, name: name)
        let dir = directory(cgroup)
        let existed = fileSystem.exists(dir)
        do {
            try fileSystem.makeDirectory(dir)
            try writeCommon(
                dir, memoryLimit: resources.memoryLimitBytes, cpuShares: resources.cpuShares,
                quota: resources.cpuQuotaMicros, period: resources.cpuPeriodMicros, pids: resources.pidsLimit)
            // kubelet NoSwap on v2: memory.swap.max=0 (ConfigureNoSwap), when swap accounting exists.
            if resources.noSwap, fileSystem.exists(dir + "/memory.swap.max") {
                try fileSystem.write(dir + "/memory.swap.max", "0")
            }
            // Kill the whole container on OOM, not one process (kubelet, docs/FIDELITY.md #21).
            if resources.oomGroup, fileSystem.exists(dir + "/memory.oom.group") {
                try fileSystem.write(dir + "/memory.oom.group", "1")
            }
            // Deny every device node but the allowlist, as runc does for each container's
            // cgroup (devices/v2.go: a BPF_CGROUP_DEVICE program; v2 has no devices files).
            // Only children get one: kubelet sets SkipDevices for pod cgroups, and with
            // BPF_F_ALLOW_MULTI a pod-level program would only repeat the children's.
            try fileSystem.attachDeviceFilter(try DeviceFilterProgram(allowing: resources.deviceRules), to: dir)
        } catch {
            if !existed { try? fileSystem.removeDirectory(dir) }
            throw error
        }
        return cgroup
    }

    /// Enables the wanted controllers available in `dir/cgroup.controllers` that are not yet in
    /// `dir/cgroup.subtree_control`, in one write (`+memory +cpu +pids`).
    ///
    /// - Parameter required: memory must be available (the cgroup gets a memory limit);
    ///   otherwise a missing memory controller is reported by the write that needs it.
    private func enableControllers(in dir: String, required: Bool) throws {
        let available = Set(try fileSystem.read(dir + "/cgroup.controllers").split(separator: " ").map {
            $0.trimmingWhitespace()
        })
        if required && !available.contains("memory") {
            throw PodlabError(
                .unsupported,
                "cgroup v2 memory controller is not available in \(dir)/cgroup.controllers "
                    + "(enable it in the parent's cgroup.subtree_control)")
        }
        let enabled = Set(try fileSystem.read(dir + "/cgroup.subtree_control").split(separator: " ").map {
            $0.trimmingWhitespace()
        })
        let missing = Self.wantedControllers.filter { available.contains($0) && !enabled.contains($0) }
        if missing.isEmpty { return }
        let controllers = missing.map { "+" + $0 }.joined(separator: " ")
        let deadline = monotonicSeconds() + CgroupDefaults.busyRetrySeconds
        while true {
            do {
                return try fileSystem.write(dir + "/cgroup.subtree_control", controllers)
            } catch let error as PodlabError where (error.cause as? Errno) == .resourceBusy {
                // The no-internal-process rule: a process is still in `dir` itself. In a
                // delegated systemd scope that is the podlab systemd put there at creation,
                // until it has moved itself into its leaf (SystemdScope.join); wait for it.
                guard monotonicSeconds() < deadline else {
                    let procs = ((try? fileSystem.read(dir + "/cgroup.procs")) ?? "?").split(separator: "\n").joined(separator: " ")
                    throw PodlabError(.syscall, "\(error) (processes in \(dir) itself: \(procs.isEmpty ? "none" : procs))")
                }
                usleep(10_000)
            }
        }
    }

    private func writeCommon(
        _ dir: String, memoryLimit: Int64?, cpuShares: UInt64?, quota: Int64?, period: UInt64, pids: Int64?
    ) throws {
        if let memoryLimit {
            guard fileSystem.exists(dir + "/memory.max") else {
                throw PodlabError(
                    .unsupported,
                    "cgroup v2 memory controller is not enabled for \(dir) (no memory.max); "
                        + "it must be listed in \(mountPoint)/cgroup.controllers")
            }
            try fileSystem.write(dir + "/memory.max", String(memoryLimit))
        }
        if let cpuShares {
            let weight = KubernetesResources.cpuWeight(fromShares: cpuShares)
            if weight > 0 { try fileSystem.write(dir + "/cpu.weight", String(weight)) }
        }
        if let quota {
            try fileSystem.write(dir + "/cpu.max", "\(quota) \(period)")
        }
        if let pids {
            try fileSystem.write(dir + "/pids.max", String(pids))
        }
    }

    /// Where the kernel counts OOM kills (the `oom_kill` line) on this cgroup API.
    static let oomKillCounterFile = "memory.events"

    public func memoryLimit(of cgroup: any CgroupNode) throws -> Int64? {
        try validateCgroupPath(cgroup)
        let file = interfaceFile("memory.max", of: cgroup)
        let text = try fileSystem.read(file).trimmingWhitespace()
        if text == "max" { return nil }
        guard let value = Int64(text) else {
            throw PodlabError(.invalidState, "\(file) holds \"\(text)\", not a byte count or max")
        }
        return value
    }

    public func killAll(_ cgroup: any CgroupNode) throws {
        try validateCgroupPath(cgroup)
        let dir = directory(cgroup)
        guard fileSystem.exists(dir) else { return }
        // cgroup.kill (Linux 5.14+) kills the whole subtree atomically, forks included.
        if fileSystem.exists(dir + "/cgroup.kill") {
            try fileSystem.write(dir + "/cgroup.kill", "1")
        }
        try tree.killUntilEmpty([dir], timeout: CgroupDefaults.killWaitSeconds)
    }

    public func listPods() throws -> [String] {
        guard fileSystem.exists(parentDir) else { return [] }
        return try KubepodsTree.listPods(under: parentDir, fileSystem: fileSystem).sorted()
    }
}
