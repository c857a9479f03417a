/// Values for a pod-level cgroup, already converted to cgroup units (see ``KubernetesResources``
/// for how kubelet derives them). `nil` means "leave the kernel default" (unlimited).
public struct PodCgroupResources: Sendable, Equatable {
    /// Hard memory limit in bytes (v1 `memory.limit_in_bytes`, v2 `memory.max`).
    public var memoryLimitBytes: Int64?
    /// v1 `cpu.shares` (2…262144); on v2 converted to `cpu.weight`.
    public var cpuShares: UInt64?
    /// CFS quota in µs per period (v1 `cpu.cfs_quota_us`, v2 first field of `cpu.max`).
    public var cpuQuotaMicros: Int64?
    /// CFS period in µs; written only together with a quota.
    public var cpuPeriodMicros: UInt64
    /// Maximum number of tasks (`pids.max`); kubelet leaves it unset unless configured.
    public var pidsLimit: Int64?
    /// The pod's CPU request in milli-CPU (`resource.PodRequests`), which a Burstable pod adds
    /// to its QoS cgroup's shares (``BurstableCPURequests``, docs/FIDELITY.md #172).
    public var cpuRequestMilli: Int64

    public init(
        memoryLimitBytes: Int64? = nil, cpuShares: UInt64? = nil, cpuQuotaMicros: Int64? = nil,
        cpuPeriodMicros: UInt64 = KubernetesResources.quotaPeriod, pidsLimit: Int64? = nil,
        cpuRequestMilli: Int64 = 0
    ) {
        self.cpuRequestMilli = cpuRequestMilli
        self.memoryLimitBytes = memoryLimitBytes
        self.cpuShares = cpuShares
        self.cpuQuotaMicros = cpuQuotaMicros
        self.cpuPeriodMicros = cpuPeriodMicros
        self.pidsLimit = pidsLimit
    }

    /// No limits at all: every file keeps its default.
    public static let unlimited = PodCgroupResources()
}

/// Values for a container's (or pause's) cgroup, in cgroup units. `nil` leaves the default.
public struct ContainerCgroupResources: Sendable, Equatable {
    /// Hard memory limit in bytes. Swap is pinned to the same limit (v1 `memory.memsw.limit_in_bytes`)
    /// or to 0 (v2 `memory.swap.max`) when those files exist: kubelet's NoSwap (docs/FIDELITY.md #32).
    public var memoryLimitBytes: Int64?
    /// v1 `cpu.shares`; on v2 converted to `cpu.weight`.
    public var cpuShares: UInt64?
    /// CFS quota in µs per period.
    public var cpuQuotaMicros: Int64?
    /// CFS period in µs; written only together with a quota.
    public var cpuPeriodMicros: UInt64
    /// Maximum number of tasks (`pids.max`).
    public var pidsLimit: Int64?
    /// v2 `memory.oom.group=1`: an OOM kill takes the whole container, as kubelet sets unless
    /// `singleProcessOOMKill: true` (docs/FIDELITY.md #21). No effect on v1.
    public var oomGroup: Bool
    /// v2 `memory.swap.max=0` (and v1 memsw = limit): kubelet's NoSwap behaviour.
    public var noSwap: Bool
    /// The device nodes the processes may create and open; every other one is denied (v1
    /// `devices.deny` "a" + `devices.allow`, v2 a device filter program). runc applies its
    /// default allowlist to every container's cgroup, pause's included, so this defaults to it.
    public var deviceRules: [DeviceRule]

    public init(
        memoryLimitBytes: Int64? = nil, cpuShares: UInt64? = nil, cpuQuotaMicros: Int64? = nil,
        cpuPeriodMicros: UInt64 = KubernetesResources.quotaPeriod, pidsLimit: Int64? = nil,
        oomGroup: Bool = true, noSwap: Bool = true, deviceRules: [DeviceRule] = DeviceRule.containerDefaults
    ) {
        self.memoryLimitBytes = memoryLimitBytes
        self.cpuShares = cpuShares
        self.cpuQuotaMicros = cpuQuotaMicros
        self.cpuPeriodMicros = cpuPeriodMicros
        self.pidsLimit = pidsLimit
        self.oomGroup = oomGroup
        self.noSwap = noSwap
        self.deviceRules = deviceRules
    }

    /// The pause (sandbox) container: cpu shares 2 (containerd `DefaultSandboxCPUshares`,
    /// internal/cri/opts/spec_opts.go), no memory limit, and neither OOM group nor NoSwap, which
    /// kubelet sets only on the containers it creates.
    public static let pause = ContainerCgroupResources(
        cpuShares: KubernetesResources.minShares, oomGroup: false, noSwap: false)
}
