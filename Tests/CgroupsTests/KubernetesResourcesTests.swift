import Cgroups
import PodlabCore
import Testing

private let mi: Int64 = 1024 * 1024
private let gi: Int64 = 1024 * mi

/// Kubelet's numbers from docs/FIDELITY.md #32–#38.
@Suite struct KubernetesResourcesTests {
    // MARK: #34 shares, #35 quota

    static let sharesCases: [(Int64, UInt64)] = [
        (250, 256), (1000, 1024), (100, 102), (0, 2), (1, 2), (2000, 2048), (300_000, 262_144), (Int64.max, 262_144),
    ]
    static let quotaCases: [(Int64, Int64)] = [(500, 50_000), (1000, 100_000), (2500, 250_000), (5, 1000), (1, 1000), (0, 0)]
    static let weightCases: [(UInt64, UInt64)] = [
        (1024, 100), (102, 17), (2, 1), (1, 1), (262_144, 10_000), (500_000, 10_000), (0, 0),
    ]

    @Test(arguments: sharesCases)
    func sharesFromMilliCPU(_ milli: Int64, _ shares: UInt64) {
        #expect(KubernetesResources.milliCPUToShares(milli) == shares)
    }

    @Test(arguments: quotaCases)
    func quotaFromMilliCPU(_ milli: Int64, _ quota: Int64) {
        #expect(KubernetesResources.milliCPUToQuota(milli) == quota)
    }

    @Test(arguments: weightCases)
    func cpuWeightNewConversion(_ shares: UInt64, _ weight: UInt64) {
        #expect(KubernetesResources.cpuWeight(fromShares: shares) == weight)
    }

    @Test func cpuWeightGrowsWithSharesAcrossTheWholeRange() {
        var previous: UInt64 = 0
        for shares in stride(from: UInt64(2), through: 262_144, by: 97) {
            let weight = KubernetesResources.cpuWeight(fromShares: shares)
            #expect(weight >= previous && (1...10_000).contains(weight), "shares \(shares) → \(weight)")
            previous = weight
        }
    }

    @Test func cpuWeightOldLinearConversion() {
        #expect(KubernetesResources.cpuWeightLinear(fromShares: 1024) == 39)
        #expect(KubernetesResources.cpuWeightLinear(fromShares: 102) == 4)
        #expect(KubernetesResources.cpuWeightLinear(fromShares: 2) == 1)
        #expect(KubernetesResources.cpuWeightLinear(fromShares: 262_144) == 10_000)
    }

    // MARK: container level

    @Test func containerWithRequestsAndLimits() {
        let spec = ContainerResourceSpec(
            cpuRequestMilli: 250, cpuLimitMilli: 500, memoryRequestBytes: 50 * mi, memoryLimitBytes: 100 * mi)
        let resources = KubernetesResources.containerCgroupResources(for: spec)
        #expect(resources.memoryLimitBytes == 104_857_600)
        #expect(resources.cpuShares == 256)
        #expect(resources.cpuQuotaMicros == 50_000)
        #expect(resources.cpuPeriodMicros == 100_000)
        #expect(resources.oomGroup)
        #expect(resources.noSwap)
    }

    @Test func containerWithOnlyACPULimitTakesSharesFromTheLimit() {
        let resources = KubernetesResources.containerCgroupResources(for: ContainerResourceSpec(cpuLimitMilli: 500))
        #expect(resources.cpuShares == 512)
        #expect(resources.cpuQuotaMicros == 50_000)
    }

    @Test func containerWithoutResourcesKeepsDefaults() {
        let resources = KubernetesResources.containerCgroupResources(for: ContainerResourceSpec())
        #expect(resources.memoryLimitBytes == nil)
        #expect(resources.cpuQuotaMicros == nil)
        #expect(resources.cpuShares == 2)
    }

    @Test func singleProcessOOMKillTurnsOffTheOOMGroup() {
        let resources = KubernetesResources.containerCgroupResources(
            for: ContainerResourceSpec(memoryLimitBytes: 100 * mi), singleProcessOOMKill: true)
        #expect(!resources.oomGroup)
    }

    @Test func pauseGetsTwoSharesAndNothingElse() {
        let pause = ContainerCgroupResources.pause
        #expect(pause.cpuShares == 2)
        #expect(pause.memoryLimitBytes == nil && pause.cpuQuotaMicros == nil)
        #expect(!pause.oomGroup)
    }

    // MARK: #37 QoS

    @Test func limitsOnlyDefaultRequestsAndMakeAGuaranteedPod() {
        let pod = PodResourceSpec(containers: [ContainerResourceSpec(cpuLimitMilli: 500, memoryLimitBytes: 100 * mi)])
        #expect(KubernetesResources.qosClass(of: pod) == .guaranteed)
    }

    @Test func qosClasses() {
        let guaranteed = ContainerResourceSpec(
            cpuRequestMilli: 500, cpuLimitMilli: 500, memoryRequestBytes: 100 * mi, memoryLimitBytes: 100 * mi)
        let requestBelowLimit = ContainerResourceSpec(
            cpuRequestMilli: 250, cpuLimitMilli: 500, memoryRequestBytes: 50 * mi, memoryLimitBytes: 100 * mi)
        let memoryOnly = ContainerResourceSpec(memoryLimitBytes: 100 * mi)
        let none = ContainerResourceSpec()
        func qos(_ containers: [ContainerResourceSpec], initContainers: [ContainerResourceSpec] = []) -> QoSClass {
            KubernetesResources.qosClass(of: PodResourceSpec(containers: containers, initContainers: initContainers))
        }
        #expect(qos([guaranteed, guaranteed]) == .guaranteed)
        #expect(qos([requestBelowLimit]) == .burstable)
        #expect(qos([memoryOnly]) == .burstable)
        #expect(qos([guaranteed, none]) == .burstable)
        #expect(qos([none, none]) == .bestEffort)
        // An init container without limits breaks Guaranteed, as in ComputePodQOS.
        #expect(qos([guaranteed], initContainers: [none]) == .burstable)
        #expect(qos([none], initContainers: [memoryOnly]) == .burstable)
    }

    // MARK: #36 pod level

    @Test func guaranteedPodSumsEverything() {
        let container = ContainerResourceSpec(cpuLimitMilli: 500, memoryLimitBytes: 100 * mi)
        let pod = PodResourceSpec(containers: [container, container])
        let resources = KubernetesResources.podCgroupResources(for: pod)
        #expect(resources.memoryLimitBytes == 200 * mi)
        #expect(resources.cpuShares == 1024)
        #expect(resources.cpuQuotaMicros == 100_000)
    }

    @Test func burstablePodLimitsOnlyWhatEveryContainerLimits() {
        let limited = ContainerResourceSpec(cpuRequestMilli: 100, cpuLimitMilli: 500, memoryLimitBytes: 100 * mi)
        let memoryOnly = ContainerResourceSpec(cpuRequestMilli: 150, memoryRequestBytes: 10 * mi, memoryLimitBytes: 50 * mi)
        let resources = KubernetesResources.podCgroupResources(for: PodResourceSpec(containers: [limited, memoryOnly]))
        #expect(KubernetesResources.qosClass(of: PodResourceSpec(containers: [limited, memoryOnly])) == .burstable)
        #expect(resources.cpuShares == KubernetesResources.milliCPUToShares(250))
        #expect(resources.cpuQuotaMicros == nil)  // memoryOnly has no cpu limit
        #expect(resources.memoryLimitBytes == 150 * mi)  // both have memory limits

        let unlimited = ContainerResourceSpec(cpuRequestMilli: 100)
        let mixed = KubernetesResources.podCgroupResources(for: PodResourceSpec(containers: [limited, unlimited]))
        #expect(mixed.memoryLimitBytes == nil)
        #expect(mixed.cpuQuotaMicros == nil)
    }

    @Test func bestEffortPodGetsMinimumSharesOnly() {
        let resources = KubernetesResources.podCgroupResources(for: PodResourceSpec(containers: [ContainerResourceSpec()]))
        #expect(resources == PodCgroupResources(cpuShares: 2))
    }

    @Test func podRequestsCountInitContainersAndSidecars() {
        let app = ContainerResourceSpec(memoryRequestBytes: 100 * mi)
        let bigInit = ContainerResourceSpec(memoryRequestBytes: 1 * gi)
        #expect(KubernetesResources.podRequests(PodResourceSpec(containers: [app], initContainers: [bigInit])).memoryBytes == gi)

        let sidecar = ContainerResourceSpec(memoryRequestBytes: 50 * mi, isSidecar: true)
        let laterInit = ContainerResourceSpec(memoryRequestBytes: 200 * mi)
        let pod = PodResourceSpec(containers: [app], initContainers: [sidecar, laterInit])
        // The init container runs next to the sidecar (250Mi), more than app + sidecar (150Mi).
        #expect(KubernetesResources.podRequests(pod).memoryBytes == 250 * mi)
        #expect(KubernetesResources.podRequests(PodResourceSpec(containers: [app], initContainers: [sidecar])).memoryBytes == 150 * mi)
    }

    // MARK: #38 oom_score_adj

    @Test func oomScoreAdjByQoS() throws {
        let capacity = 16 * gi
        let guaranteed = ContainerResourceSpec(cpuLimitMilli: 500, memoryLimitBytes: 100 * mi)
        let burstable = ContainerResourceSpec(memoryRequestBytes: 4 * gi)
        let none = ContainerResourceSpec()
        func adj(_ c: ContainerResourceSpec, _ pod: [ContainerResourceSpec], critical: Bool = false) throws -> Int {
            try KubernetesResources.oomScoreAdj(
                for: c, in: PodResourceSpec(containers: pod), memoryCapacityBytes: capacity, isNodeCritical: critical)
        }
        #expect(try adj(guaranteed, [guaranteed]) == -997)
        #expect(try adj(none, [none]) == 1000)
        #expect(try adj(burstable, [burstable]) == 750)
        #expect(try adj(none, [none], critical: true) == -997)
        // A burstable container with no memory request would score 1000: clamped to 999.
        let cpuOnly = ContainerResourceSpec(cpuRequestMilli: 100)
        #expect(try adj(cpuOnly, [cpuOnly]) == 999)
        // A request at or near the node's capacity: clamped to 3.
        let huge = ContainerResourceSpec(memoryRequestBytes: capacity - 1)
        #expect(try adj(huge, [huge]) == 3)
        let enormous = ContainerResourceSpec(memoryRequestBytes: 4 * capacity)
        #expect(try adj(enormous, [enormous]) == 3)
        #expect(KubernetesResources.pauseOOMScoreAdj == -998)
    }

    @Test func sidecarScoresNoHigherThanTheSmallestAppContainer() throws {
        let app = ContainerResourceSpec(memoryRequestBytes: 4 * gi)
        let sidecar = ContainerResourceSpec(memoryRequestBytes: 1 * gi, isSidecar: true)
        let pod = PodResourceSpec(containers: [app], initContainers: [sidecar])
        let score = try KubernetesResources.oomScoreAdj(for: sidecar, in: pod, memoryCapacityBytes: 16 * gi)
        #expect(score == 750)  // its own 1Gi would give 938
    }

    @Test func oomScoreAdjNeedsAPositiveCapacity() {
        #expect(throws: PodlabError.self) {
            try KubernetesResources.oomScoreAdj(
                for: ContainerResourceSpec(), in: PodResourceSpec(containers: []), memoryCapacityBytes: 0)
        }
    }
}
