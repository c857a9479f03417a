import PodlabCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// cgroup v1 (legacy or hybrid layout): one directory per controller hierarchy.
///
/// podlab uses every mounted hierarchy runc's fs manager joins (``usedControllers``; memory is
/// required, and devices for every child): `<mount>/podlab/<pod>/<child>` in each. The freezer
/// is there only so ``killAll(_:)`` can stop a pod from forking while it is being killed, as
/// runc does on v1. The devices hierarchy carries each child's device allowlist.
public struct CgroupV1Driver: CgroupTreeDriver {
    public var version: CgroupVersion { .v1 }
    /// The parent cgroup name (`podlab`), below each hierarchy's mount point.
    public let parent: String
    /// Controller → mount point for the hierarchies this driver uses.
    public let mountPoints: [String: String]
    private let fileSystem: any CgroupFileSystem
    let tree: CgroupTree
    /// The Burstable pods' CPU requests (docs/FIDELITY.md #172).
    private let burstableRequests: BurstableCPURequests

    /// The controllers whose hierarchies podlab creates cgroups in, in write order. Only the
    /// first five carry podlab values, but runc's v1 manager places a container in every
    /// mounted hierarchy of its `subsystems` list (libcontainer/cgroups/fs/fs.go: cpuset,
    /// devices, memory, cpu, cpuacct, pids, blkio, hugetlb, net_cls, net_prio, perf_event,
    /// freezer, rdma and the named `name=systemd`), so its read-only `/sys/fs/cgroup` shows its
    /// own cgroup in each (docs/FIDELITY.md #174, #182). Hierarchies the host lacks are skipped.
    public static let usedControllers = ["memory", "cpu", "pids", "freezer", "devices", "cpuset", "blkio",
                                         "cpuacct", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "name=systemd"]

    /// Values at or above this in `memory.limit_in_bytes` mean "unlimited": the kernel shows
    /// `PAGE_COUNTER_MAX` pages (0x7FFFFFFFFFFFF000 with 4 KiB pages; lower for larger pages).
    static let unlimitedMemoryThreshold: UInt64 = 0x7FFF_FFFF_FFF0_0000

    /// - Parameters:
    ///   - mountPoints: controller → hierarchy mount point, usually ``CgroupLayout/v1MountPoints``;
    ///     tests pass directories of a fake tree.
    ///   - parent: the podlab parent cgroup name.
    ///   - fileSystem: the file operations (the host's, or a fake).
    /// - Throws: `PodlabError.unsupported` if the memory hierarchy is missing.
    public init(
        mountPoints: [String: String], parent: String = CgroupDefaults.parentName,
        fileSystem: any CgroupFileSystem = HostCgroupFileSystem(),
        burstableRequests: BurstableCPURequests = BurstableCPURequests(directory: nil)
    ) throws {
        self.burstableRequests = burstableRequests
        try validateCgroupParent(parent)
        guard mountPoints["memory"] != nil else {
            throw PodlabError(.unsupported, "cgroup v1 memory controller is not mounted (expected /sys/fs/cgroup/memory)")
        }
        self.mountPoints = mountPoints.filter { Self.usedControllers.contains($0.key) }
        self.parent = parent
        self.fileSystem = fileSystem
        self.tree = CgroupTree(fileSystem: fileSystem)
    }

    /// Distinct mount points used, memory first (co-mounted controllers share one hierarchy).
    private var hierarchies: [String] {
        var seen: Set<String> = []
        return Self.usedControllers.compactMap { mountPoints[$0] }.filter { seen.insert($0).inserted }
    }

    private func directory(_ controller: String, _ relativePath: String) -> String? {
        mountPoints[controller].map { $0 + "/" + parent + "/" + relativePath }
    }

    /// The directory for a controller that must be mounted to write `file`.
    private func requiredDirectory(_ controller: String, _ relativePath: String, for file: String) throws -> String {
        guard let dir = directory(controller, relativePath) else {
            throw PodlabError(.unsupported, "cgroup v1 \(controller) controller is not mounted; cannot write \(file)")
        }
        return dir
    }

    private var memoryRoot: String { (mountPoints["memory"] ?? "") + "/" + parent }

    public func directories(of cgroup: any CgroupNode) -> [String] {
        hierarchies.map { $0 + "/" + parent + "/" + cgroup.relativePath }
    }

    public func procsFiles(for cgroup: ContainerCgroup) -> [String] {
        directories(of: cgroup).map { $0 + "/cgroup.procs" }
    }

    public func interfaceFile(_ name: String, of cgroup: any CgroupNode) -> String {
        let controller = name.split(separator: ".").first.map(String.init) ?? ""
        let dir = directory(controller, cgroup.relativePath) ?? memoryRoot + "/" + cgroup.relativePath
        return dir + "/" + name
    }

    public func createPod(_ pod: String, resources: PodCgroupResources) throws -> PodCgroup {
        try validatePodPath(pod)
        let cgroup = PodCgroup(pod: pod)
        try createDirectories(for: cgroup) {
            if let qos = KubepodsTree.pinnedQoSParent(of: pod), mountPoints["cpu"] != nil {
                try applyCommon(PodCgroup(pod: qos.path), memoryLimit: nil, pinSwap: false, cpuShares: qos.cpuShares,
                                quota: nil, period: 0, pids: nil)
            }
            try applyCommon(
                cgroup, memoryLimit: resources.memoryLimitBytes, pinSwap: false, cpuShares: resources.cpuShares,
                quota: resources.cpuQuotaMicros, period: resources.cpuPeriodMicros, pids: resources.pidsLimit)
            if let name = KubepodsTree.burstablePodName(of: pod) {
                try updateBurstableShares(adding: (name, resources.cpuRequestMilli))
            }
        }
        return cgroup
    }

    /// kubelet's `setCPUCgroupConfig` for `kubepods/burstable` (docs/FIDELITY.md #172).
    func updateBurstableShares(adding: (podName: String, milliCPU: Int64)? = nil) throws {
        guard let dir = directory("cpu", KubepodsTree.qosDirectory(.burstable)), fileSystem.exists(dir) else { return }
        try burstableRequests.update(lockDirectory: dir, adding: adding, pods: { try KubepodsTree.burstablePods(in: dir, fileSystem: fileSystem) }) { shares in
            try fileSystem.write(dir + "/cpu.shares", String(shares))
        }
    }

    public func createChild(pod: String, name: String, resources: ContainerCgroupResources) throws -> ContainerCgroup {
        try validatePodPath(pod)
        try validateCgroupName(name, role: "child")
        let podDir = memoryRoot + "/" + pod
        guard fileSystem.exists(podDir) else {
            throw PodlabError(.notFound, "pod cgroup \(podDir) does not exist (create the pod cgroup first)")
        }
        let cgroup = ContainerCgroup(pod: pod, name: name)
        try createDirectories(for: cgroup) {
            try applyCommon(
                cgroup, memoryLimit: resources.memoryLimitBytes, pinSwap: resources.noSwap,
                cpuShares: resources.cpuShares, quota: resources.cpuQuotaMicros,
                period: resources.cpuPeriodMicros, pids: resources.pidsLimit)
            try applyDeviceRules(cgroup, resources.deviceRules)
        }
        return cgroup
    }

    /// Puts the child in "deny all" mode and allows `rules`, as runc's devices/v1.go `setV1`
    /// does for a fresh container cgroup: "a" to `devices.deny`, then each rule to
    /// `devices.allow`, then a check that `devices.list` holds exactly the rules.
    ///
    /// Only children get rules, never the pod cgroup (kubelet's cgroup manager sets
    /// SkipDevices for pod cgroups; no process runs there). That also keeps the one write the
    /// kernel refuses out of reach: "a" to `devices.deny` fails with EINVAL once a cgroup has
    /// children. A reused child whose list already matches is left alone.
    private func applyDeviceRules(_ cgroup: ContainerCgroup, _ rules: [DeviceRule]) throws {
        guard let dir = directory("devices", cgroup.relativePath) else {
            throw PodlabError(
                .unsupported,
                "cgroup v1 devices controller is not mounted (expected /sys/fs/cgroup/devices): without it "
                    + "a container with CAP_MKNOD could open any device node of the host")
        }
        if try deviceList(dir) == Set(rules) { return }
        try fileSystem.write(dir + "/devices.deny", "a")
        for rule in rules {
            try fileSystem.write(dir + "/devices.allow", rule.description)
        }
        let applied = try deviceList(dir)
        guard applied == Set(rules) else {
            throw PodlabError(
                .invalidState,
                "\(dir)/devices.list does not match the rules written: has \(applied.map(\.description).sorted()), "
                    + "wanted \(rules.map(\.description).sorted())")
        }
    }

    /// The rules in `devices.list`; `a *:* rwm` (allow-all mode) comes back as that one rule.
    private func deviceList(_ dir: String) throws -> Set<DeviceRule> {
        let file = dir + "/devices.list"
        var rules: Set<DeviceRule> = []
        for line in try fileSystem.read(file).split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
            guard let rule = DeviceRule(listLine: line) else {
                throw PodlabError(.invalidState, "\(file) has a line that is not a device rule: \"\(line)\"")
            }
            rules.insert(rule)
        }
        return rules
    }

    /// Makes the cgroup in every hierarchy, runs `configure`, and on failure removes the
    /// directories this call created (leaving nothing half-made behind).
    private func createDirectories(for cgroup: any CgroupNode, configure: () throws -> Void) throws {
        var created: [String] = []
        do {
            for mount in hierarchies {
                // The parent level by level: it may have several components (containerd's
                // `podlab/cri-containerd`, docs/FIDELITY.md #211).
                var parentDir = mount
                var levels: [String] = []
                for component in parent.split(separator: "/") {
                    parentDir += "/" + component
                    levels.append(parentDir)
                    if !fileSystem.exists(parentDir) {
                        try fileSystem.makeDirectory(parentDir)
                        try enableMemoryHierarchy(parentDir)
                    }
                }
                var dir = parentDir
                // The QoS parents (kubepods, kubepods/burstable) are shared by every pod: made
                // when missing, never removed on failure (another pod may be moving in).
                let shared = cgroup.pod.split(separator: "/").count - 1
                for (index, component) in cgroup.relativePath.split(separator: "/").enumerated() {
                    dir += "/" + component
                    levels.append(dir)
                    if !fileSystem.exists(dir) {
                        try fileSystem.makeDirectory(dir)
                        if index >= shared { created.append(dir) }
                    }
                }
                if mount == mountPoints["cpuset"] { try initializeCpuset(mount, levels: levels) }
            }
            try configure()
        } catch {
            for dir in created.reversed() { try? fileSystem.removeDirectory(dir) }
            throw error
        }
    }

    /// A new v1 cpuset cgroup starts with empty `cpuset.cpus` and `cpuset.mems`, and no task
    /// can join it (ENOSPC) until both are set: each level, from the top, takes its parent's
    /// values when its own are empty, as runc's `cpusetEnsureParent`/`cpusetCopyIfNeeded`
    /// (libcontainer/cgroups/fs/cpuset.go) do. Existing levels are checked too: another
    /// podlab may have made a shared QoS parent a moment ago and not yet filled it.
    private func initializeCpuset(_ mount: String, levels: [String]) throws {
        var parentDir = mount
        for dir in levels {
            for file in ["cpuset.cpus", "cpuset.mems"] where fileSystem.exists(dir + "/" + file) {
                guard try fileSystem.read(dir + "/" + file).trimmingWhitespace().isEmpty else { continue }
                try fileSystem.write(dir + "/" + file, try fileSystem.read(parentDir + "/" + file).trimmingWhitespace())
            }
            parentDir = dir
        }
    }

    /// Old kernels default `memory.use_hierarchy` to 0, under which a pod's limit would not cover
    /// its children; set it on the fresh parent (newer kernels always report 1).
    private func enableMemoryHierarchy(_ parentDir: String) throws {
        let file = parentDir + "/memory.use_hierarchy"
        guard fileSystem.exists(file), try fileSystem.read(file).trimmingWhitespace() == "0" else { return }
        try fileSystem.write(file, "1")
    }

    private func applyCommon(
        _ cgroup: any CgroupNode, memoryLimit: Int64?, pinSwap: Bool, cpuShares: UInt64?,
        quota: Int64?, period: UInt64, pids: Int64?
    ) throws {
        let path = cgroup.relativePath
        if let memoryLimit {
            try writeMemoryLimit(memoryRoot + "/" + path, limit: memoryLimit, pinSwap: pinSwap)
        }
        if let cpuShares {
            try fileSystem.write(try requiredDirectory("cpu", path, for: "cpu.shares") + "/cpu.shares", String(cpuShares))
        }
        if let quota {
            try writeQuota(try requiredDirectory("cpu", path, for: "cpu.cfs_quota_us"), quota: quota, period: period)
        }
        if let pids {
            try fileSystem.write(try requiredDirectory("pids", path, for: "pids.max") + "/pids.max", String(pids))
        }
    }

    /// `memory.limit_in_bytes`, and with NoSwap `memory.memsw.limit_in_bytes` = the same value
    /// when swap accounting exists (kubelet `ConfigureNoSwap`: MemorySwapLimitInBytes =
    /// MemoryLimitInBytes). The kernel requires memsw ≥ limit at every moment, so the order
    /// follows runc's `setMemoryAndSwap` (libcontainer/cgroups/fs/memory.go): swap first when
    /// the new value is above the current limit, else limit first.
    private func writeMemoryLimit(_ dir: String, limit: Int64, pinSwap: Bool) throws {
        let limitFile = dir + "/memory.limit_in_bytes"
        let swapFile = dir + "/memory.memsw.limit_in_bytes"
        let value = String(limit)
        guard pinSwap, fileSystem.exists(swapFile) else {
            try fileSystem.write(limitFile, value)
            return
        }
        let current = UInt64(try fileSystem.read(limitFile).trimmingWhitespace()) ?? UInt64.max
        // -1 (unlimited) raises both, so swap goes first, as in runc.
        if limit < 0 || current < UInt64(limit) {
            try fileSystem.write(swapFile, value)
            try fileSystem.write(limitFile, value)
        } else {
            try fileSystem.write(limitFile, value)
            try fileSystem.write(swapFile, value)
        }
    }

    /// `cpu.cfs_period_us` then `cpu.cfs_quota_us`; if the kernel rejects the period first (the
    /// current quota does not fit it), quota first, as runc's fs/cpu.go does.
    private func writeQuota(_ dir: String, quota: Int64, period: UInt64) throws {
        let periodFile = dir + "/cpu.cfs_period_us"
        let quotaFile = dir + "/cpu.cfs_quota_us"
        do {
            try fileSystem.write(periodFile, String(period))
        } catch let error as PodlabError where (error.cause as? Errno) == .invalidArgument {
            try fileSystem.write(quotaFile, String(quota))
            try fileSystem.write(periodFile, String(period))
            return
        }
        try fileSystem.write(quotaFile, String(quota))
    }

    /// Where the kernel counts OOM kills (the `oom_kill` line) on this cgroup API.
    static let oomKillCounterFile = "memory.oom_control"

    public func memoryLimit(of cgroup: any CgroupNode) throws -> Int64? {
        try validateCgroupPath(cgroup)
        let file = interfaceFile("memory.limit_in_bytes", of: cgroup)
        let text = try fileSystem.read(file).trimmingWhitespace()
        guard let value = UInt64(text) else {
            throw PodlabError(.invalidState, "\(file) holds \"\(text)\", not a byte count")
        }
        return value >= Self.unlimitedMemoryThreshold ? nil : Int64(value)
    }

    public func killAll(_ cgroup: any CgroupNode) throws {
        try validateCgroupPath(cgroup)
        let roots = directories(of: cgroup)
        // Nothing to kill (the usual case at teardown: the supervisor reaped pause and the
        // containers itself): skip the freeze/thaw round trip.
        if try tree.processes(inTrees: roots).isEmpty { return }
        if let freezerDir = directory("freezer", cgroup.relativePath), fileSystem.exists(freezerDir + "/freezer.state") {
            let state = freezerDir + "/freezer.state"
            try fileSystem.write(state, "FROZEN")
            // Freezing is asynchronous (FREEZING → FROZEN); wait briefly. If it does not settle,
            // the SIGKILL loop below still catches anything forked meanwhile.
            let deadline = monotonicSeconds() + 1
            while (try? fileSystem.read(state).trimmingWhitespace()) == "FREEZING", monotonicSeconds() < deadline {
                usleep(1000)
            }
            // Frozen tasks take the SIGKILL as soon as they are thawed.
            let pids = try? tree.processes(inTrees: roots)
            tree.sigkill(pids ?? [])
            try fileSystem.write(state, "THAWED")
        }
        try tree.killUntilEmpty(roots, timeout: CgroupDefaults.killWaitSeconds)
    }

    public func listPods() throws -> [String] {
        var pods: Set<String> = []
        for mount in hierarchies where fileSystem.exists(mount + "/" + parent) {
            pods.formUnion(try KubepodsTree.listPods(under: mount + "/" + parent, fileSystem: fileSystem))
        }
        return pods.sorted()
    }
}
