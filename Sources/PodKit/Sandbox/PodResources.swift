import Cgroups

extension ContainerSpec {
    /// This container's requests and limits in the Cgroups module's terms.
    public func resourceSpec(isSidecar: Bool = false) -> ContainerResourceSpec {
        ContainerResourceSpec(
            cpuRequestMilli: resources.cpuRequestMilli, cpuLimitMilli: resources.cpuLimitMilli,
            memoryRequestBytes: resources.memoryRequest, memoryLimitBytes: resources.memoryLimit, isSidecar: isSidecar)
    }
}

extension PodSpec {
    /// All containers' resources, for QoS, pod cgroup values and oom_score_adj.
    public var resourceSpec: PodResourceSpec {
        PodResourceSpec(
            containers: containers.map { $0.resourceSpec() },
            initContainers: initContainers.map { $0.resourceSpec(isSidecar: $0.restartPolicy == .always) })
    }

    /// The pod's QoS class (docs/FIDELITY.md #37).
    public var qosClass: QoSClass { KubernetesResources.qosClass(of: resourceSpec) }
}
