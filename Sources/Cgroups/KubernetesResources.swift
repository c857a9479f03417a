#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore

/// One container's `resources` from a pod spec, in millicores and bytes (nil = not set).
///
/// Parse manifest strings with ``KubernetesQuantity``. The functions in ``KubernetesResources``
/// apply the API server's defaulting themselves (``defaulted()``), because podlab has no API server.
public struct ContainerResourceSpec: Sendable, Equatable {
    public var cpuRequestMilli: Int64?
    public var cpuLimitMilli: Int64?
    public var memoryRequestBytes: Int64?
    public var memoryLimitBytes: Int64?
    /// A native sidecar: an init container with `restartPolicy: Always`. Only meaningful in
    /// ``PodResourceSpec/initContainers``.
    public var isSidecar: Bool

    public init(
        cpuRequestMilli: Int64? = nil, cpuLimitMilli: Int64? = nil,
        memoryRequestBytes: Int64? = nil, memoryLimitBytes: Int64? = nil, isSidecar: Bool = false
    ) {
        self.cpuRequestMilli = cpuRequestMilli
        self.cpuLimitMilli = cpuLimitMilli
        self.memoryRequestBytes = memoryRequestBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.isSidecar = isSidecar
    }

    /// The API server's defaulting: a resource with a limit but no request gets request = limit
    /// (kubernetes `pkg/apis/core/v1/defaults.go`, `SetDefaults_Pod`; kubelet repeats it for cpu in
    /// `calculateLinuxResources`).
    public func defaulted() -> ContainerResourceSpec {
        var copy = self
        if copy.cpuRequestMilli == nil { copy.cpuRequestMilli = cpuLimitMilli }
        if copy.memoryRequestBytes == nil { copy.memoryRequestBytes = memoryLimitBytes }
        return copy
    }
}

/// The resources of every container of a pod.
public struct PodResourceSpec: Sendable, Equatable {
    /// `spec.containers`.
    public var containers: [ContainerResourceSpec]
    /// `spec.initContainers`, in order; sidecars are marked with `isSidecar`.
    public var initContainers: [ContainerResourceSpec]

    public init(containers: [ContainerResourceSpec], initContainers: [ContainerResourceSpec] = []) {
        self.containers = containers
        self.initContainers = initContainers
    }
}

/// A pod's quality-of-service class (docs/FIDELITY.md #37).
public enum QoSClass: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case guaranteed = "Guaranteed"
    case burstable = "Burstable"
    case bestEffort = "BestEffort"

    public var description: String { rawValue }
}

/// Kubelet's resource arithmetic, reproduced exactly (docs/FIDELITY.md #32–#38). Pure functions,
/// no I/O: the drivers only write what these return.
public enum KubernetesResources {
    /// `MinShares` (kubernetes `pkg/kubelet/cm/helpers_linux.go`).
    public static let minShares: UInt64 = 2
    /// `MaxShares` (helpers_linux.go).
    public static let maxShares: UInt64 = 262_144
    /// `SharesPerCPU` (helpers_linux.go).
    public static let sharesPerCPU: Int64 = 1024
    /// `MilliCPUToCPU` (helpers_linux.go).
    public static let milliCPUToCPU: Int64 = 1000
    /// `QuotaPeriod`, 100 ms in µs (helpers_linux.go).
    public static let quotaPeriod: UInt64 = 100_000
    /// `MinQuotaPeriod`, 1 ms in µs (helpers_linux.go).
    public static let minQuotaPeriod: Int64 = 1000

    // MARK: CPU conversions

    /// `MilliCPUToShares` (helpers_linux.go): `milliCPU*1024/1000`, at least 2, at most 262144;
    /// 0 (no request) gives 2. 250m → 256, 1 CPU → 1024.
    public static func milliCPUToShares(_ milliCPU: Int64) -> UInt64 {
        if milliCPU <= 0 { return minShares }
        let shares = milliCPU.multipliedReportingOverflow(by: sharesPerCPU)
        if shares.overflow { return maxShares }
        return UInt64(min(max(shares.partialValue / milliCPUToCPU, Int64(minShares)), Int64(maxShares)))
    }

    /// `MilliCPUToQuota` (helpers_linux.go): `milliCPU*period/1000`, at least 1000 µs; 0 (no
    /// limit) gives 0, which means "do not set a quota". 500m → 50000.
    public static func milliCPUToQuota(_ milliCPU: Int64, period: UInt64 = quotaPeriod) -> Int64 {
        if milliCPU <= 0 { return 0 }
        let product = milliCPU.multipliedReportingOverflow(by: Int64(clamping: period))
        if product.overflow { return Int64.max }
        return max(product.partialValue / milliCPUToCPU, minQuotaPeriod)
    }

    /// v1 shares → v2 `cpu.weight`, the runtimes' current conversion (opencontainers/cgroups
    /// PR #20, runc #4785, crun #1767; kubernetes `test/e2e/framework/pod`
    /// `ConvertCPUSharesToCgroupV2Value`). With `l = log2(shares)`:
    ///
    ///     weight = ceil(10 ^ ((l² + 125·l) / 612 − 7/34))
    ///
    /// a quadratic in log space through (2 → 1), (1024 → 100), (262144 → 10000), so the v1
    /// default maps to the v2 default. 0 means unset and stays 0; ≤2 → 1; ≥262144 → 10000;
    /// 102 → 17.
    public static func cpuWeight(fromShares shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        if shares <= 2 { return 1 }
        if shares >= 262_144 { return 10_000 }
        let l = log2(Double(shares))
        let exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0
        return UInt64(ceil(pow(10, exponent)))
    }

    /// The old linear conversion `1 + ((shares−2)·9999)/262142` (runc < 1.3.2, crun < 1.23):
    /// 1024 → 39, 102 → 4. Kept so checks can accept either runtime generation (docs/FIDELITY.md #34).
    public static func cpuWeightLinear(fromShares shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        let clamped = min(max(shares, 2), 262_144)
        return 1 + ((clamped - 2) * 9999) / 262_142
    }

    // MARK: Container level

    /// What kubelet asks the runtime to write for one container (`calculateLinuxResources`,
    /// kubernetes `pkg/kubelet/kuberuntime/kuberuntime_container_linux.go`):
    /// - shares from the cpu request, or from the limit when only a limit is set, else 2;
    /// - memory limit as is (none → unlimited); NoSwap pins swap (`ConfigureNoSwap`);
    /// - quota from the cpu limit with period 100000 (none → no quota);
    /// - `memory.oom.group=1` on v2 unless `singleProcessOOMKill` (docs/FIDELITY.md #21).
    public static func containerCgroupResources(
        for container: ContainerResourceSpec, singleProcessOOMKill: Bool = false
    ) -> ContainerCgroupResources {
        let shares: UInt64
        if container.cpuRequestMilli == nil, let limit = container.cpuLimitMilli {
            shares = milliCPUToShares(limit)
        } else {
            shares = milliCPUToShares(container.cpuRequestMilli ?? 0)
        }
        let quota = milliCPUToQuota(container.cpuLimitMilli ?? 0)
        let memory = container.memoryLimitBytes ?? 0
        return ContainerCgroupResources(
            memoryLimitBytes: memory > 0 ? memory : nil,
            cpuShares: shares,
            cpuQuotaMicros: quota > 0 ? quota : nil,
            cpuPeriodMicros: quotaPeriod,
            oomGroup: !singleProcessOOMKill,
            noSwap: true)
    }

    // MARK: Pod level

    /// CPU (millicores) and memory (bytes) summed over a pod; 0 means none.
    public struct Totals: Sendable, Equatable {
        public var cpuMilli: Int64
        public var memoryBytes: Int64

        public init(cpuMilli: Int64, memoryBytes: Int64) {
            self.cpuMilli = cpuMilli
            self.memoryBytes = memoryBytes
        }
    }

    /// The pod's effective requests (`PodRequests`, kubernetes
    /// `staging/src/k8s.io/component-helpers/resource/helpers.go`): the sum over app containers
    /// and sidecars, or the largest init container plus the sidecars started before it, whichever
    /// is larger, per resource.
    public static func podRequests(_ pod: PodResourceSpec) -> Totals {
        aggregate(pod) { spec in
            let defaulted = spec.defaulted()
            return Totals(cpuMilli: defaulted.cpuRequestMilli ?? 0, memoryBytes: defaulted.memoryRequestBytes ?? 0)
        }
    }

    /// The pod's effective limits (`PodLimits`, same file and rule as ``podRequests(_:)``).
    public static func podLimits(_ pod: PodResourceSpec) -> Totals {
        aggregate(pod) { Totals(cpuMilli: $0.cpuLimitMilli ?? 0, memoryBytes: $0.memoryLimitBytes ?? 0) }
    }

    private static func aggregate(_ pod: PodResourceSpec, _ value: (ContainerResourceSpec) -> Totals) -> Totals {
        func add(_ a: Totals, _ b: Totals) -> Totals {
            Totals(cpuMilli: a.cpuMilli &+ b.cpuMilli, memoryBytes: a.memoryBytes &+ b.memoryBytes)
        }
        func largest(_ a: Totals, _ b: Totals) -> Totals {
            Totals(cpuMilli: max(a.cpuMilli, b.cpuMilli), memoryBytes: max(a.memoryBytes, b.memoryBytes))
        }
        let zero = Totals(cpuMilli: 0, memoryBytes: 0)
        var total = pod.containers.map(value).reduce(zero, add)
        var sidecarsSoFar = zero
        var initPeak = zero
        for container in pod.initContainers {
            let own = value(container)
            if container.isSidecar {
                // A sidecar keeps running next to the app containers and later init containers.
                total = add(total, own)
                sidecarsSoFar = add(sidecarsSoFar, own)
                initPeak = largest(initPeak, sidecarsSoFar)
            } else {
                initPeak = largest(initPeak, add(own, sidecarsSoFar))
            }
        }
        return largest(total, initPeak)
    }

    /// QoS class as `ComputePodQOS` computes it (kubernetes
    /// `pkg/apis/core/v1/helper/qos/qos.go`), over app and init containers after defaulting:
    /// - BestEffort: no container has any positive cpu/memory request or limit;
    /// - Guaranteed: every container has positive cpu and memory limits, and the summed requests
    ///   equal the summed limits for both resources;
    /// - Burstable: everything else.
    public static func qosClass(of pod: PodResourceSpec) -> QoSClass {
        var requests: [String: Int64] = [:]
        var limits: [String: Int64] = [:]
        var guaranteed = true
        for container in (pod.containers + pod.initContainers).map({ $0.defaulted() }) {
            for (name, value) in [("cpu", container.cpuRequestMilli), ("memory", container.memoryRequestBytes)] {
                if let value, value > 0 { requests[name, default: 0] &+= value }
            }
            var limitsFound = 0
            for (name, value) in [("cpu", container.cpuLimitMilli), ("memory", container.memoryLimitBytes)] {
                if let value, value > 0 {
                    limits[name, default: 0] &+= value
                    limitsFound += 1
                }
            }
            if limitsFound < 2 { guaranteed = false }
        }
        if requests.isEmpty && limits.isEmpty { return .bestEffort }
        if guaranteed && requests == limits { return .guaranteed }
        return .burstable
    }

    /// The pod-level cgroup values (`ResourceConfigForPod`, helpers_linux.go; docs/FIDELITY.md #36):
    /// - Guaranteed: shares from summed requests, quota from summed limits, memory = summed limits;
    /// - Burstable: shares always; quota only if every app container has a cpu limit; memory only
    ///   if every app container has a memory limit;
    /// - BestEffort: shares 2 only.
    ///
    /// - Parameter enforceCPULimits: kubelet's `cpuCFSQuota` (default true); false writes no quota.
    public static func podCgroupResources(
        for pod: PodResourceSpec, enforceCPULimits: Bool = true
    ) -> PodCgroupResources {
        let requests = podRequests(pod)
        let limits = podLimits(pod)
        let shares = milliCPUToShares(requests.cpuMilli)
        let quota = enforceCPULimits ? milliCPUToQuota(limits.cpuMilli) : 0
        let cpuLimitsDeclared = pod.containers.allSatisfy { ($0.cpuLimitMilli ?? 0) > 0 }
        let memoryLimitsDeclared = pod.containers.allSatisfy { ($0.memoryLimitBytes ?? 0) > 0 }
        switch qosClass(of: pod) {
        case .guaranteed:
            return PodCgroupResources(
                memoryLimitBytes: limits.memoryBytes > 0 ? limits.memoryBytes : nil,
                cpuShares: shares,
                cpuQuotaMicros: quota > 0 ? quota : nil)
        case .burstable:
            return PodCgroupResources(
                memoryLimitBytes: memoryLimitsDeclared && limits.memoryBytes > 0 ? limits.memoryBytes : nil,
                cpuShares: shares,
                cpuQuotaMicros: cpuLimitsDeclared && quota > 0 ? quota : nil,
                cpuRequestMilli: requests.cpuMilli)
        case .bestEffort:
            return PodCgroupResources(cpuShares: minShares)
        }
    }

    // MARK: oom_score_adj

    /// `guaranteedOOMScoreAdj` (kubernetes `pkg/kubelet/qos/policy.go`); also node-critical pods.
    public static let guaranteedOOMScoreAdj = -997
    /// `besteffortOOMScoreAdj` (policy.go).
    public static let bestEffortOOMScoreAdj = 1000
    /// containerd's `defaultSandboxOOMAdj` for pause
    /// (`internal/cri/server/podsandbox/helpers_linux.go`).
    public static let pauseOOMScoreAdj = -998
    /// `KubeletOOMScoreAdj` / `KubeProxyOOMScoreAdj` (policy.go), for comparison tables.
    public static let kubeletOOMScoreAdj = -999

    /// A container's `oom_score_adj` (`GetContainerOOMScoreAdjust`, policy.go; docs/FIDELITY.md #38):
    /// Guaranteed (or node-critical) −997, BestEffort 1000, Burstable
    /// `1000 − 1000·memRequest/memCapacity` in integer arithmetic, a sidecar capped at the value of
    /// the app container with the smallest memory request, then clamped to 3…999
    /// (4 GiB request on a 16 GiB node → 750).
    ///
    /// - Parameters:
    ///   - container: the container (its memory request after defaulting is used).
    ///   - pod: the pod it belongs to (for the QoS class and the sidecar rule).
    ///   - memoryCapacityBytes: the node's memory (``MemoryCapacity/host(meminfoPath:)``).
    ///   - isNodeCritical: `system-node-critical`/`system-cluster-critical` priority pods.
    /// - Throws: `PodlabError.invalidArgument` if the capacity is not positive.
    public static func oomScoreAdj(
        for container: ContainerResourceSpec, in pod: PodResourceSpec,
        memoryCapacityBytes: Int64, isNodeCritical: Bool = false
    ) throws -> Int {
        guard memoryCapacityBytes > 0 else {
            throw PodlabError(.invalidArgument, "memory capacity must be positive, got \(memoryCapacityBytes)")
        }
        if isNodeCritical { return guaranteedOOMScoreAdj }
        switch qosClass(of: pod) {
        case .guaranteed: return guaranteedOOMScoreAdj
        case .bestEffort: return bestEffortOOMScoreAdj
        case .burstable: break
        }
        func adjust(forRequest request: Int64) -> Int64 {
            // A request at or above capacity scores ≤ 0, which the clamp below turns into 3.
            if request >= memoryCapacityBytes { return 0 }
            // Full-width product: 1000 × a petabyte-sized request must not overflow Int64. The
            // quotient is below 1000 because request < capacity.
            let product = Int64(1000).multipliedFullWidth(by: max(request, 0))
            return 1000 - memoryCapacityBytes.dividingFullWidth(product).quotient
        }
        var score = adjust(forRequest: container.defaulted().memoryRequestBytes ?? 0)
        if container.isSidecar {
            let smallest = pod.containers.map { $0.defaulted().memoryRequestBytes ?? 0 }.min() ?? 0
            // Kubelet skips the cap when the smallest request is 0 (the result would be the same).
            if smallest != 0 { score = min(score, adjust(forRequest: smallest)) }
        }
        if score < Int64(1000 + guaranteedOOMScoreAdj) { return 1000 + guaranteedOOMScoreAdj }
        if score == Int64(bestEffortOOMScoreAdj) { return bestEffortOOMScoreAdj - 1 }
        return Int(score)
    }
}
