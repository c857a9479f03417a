import Cgroups
import Foundation
import PodNetwork
import PodlabCore

/// What the downward API (`fieldRef`) reads about the pod and the node, known once the sandbox
/// exists.
public struct DownwardAPIValues: Sendable, Equatable {
    public var podName: String
    public var namespace: String
    public var uid: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var podIP: String
    /// The node's address as the pod sees it: podlab's bridge gateway on the host.
    public var hostIP: String
    public var nodeName: String

    public init(podName: String, namespace: String, uid: String, labels: [String: String], annotations: [String: String],
                podIP: String, hostIP: String, nodeName: String) {
        self.podName = podName
        self.namespace = namespace
        self.uid = uid
        self.labels = labels
        self.annotations = annotations
        self.podIP = podIP
        self.hostIP = hostIP
        self.nodeName = nodeName
    }

    /// The values for a running pod's record.
    public static func of(_ record: PodRecord) -> DownwardAPIValues {
        DownwardAPIValues(podName: record.spec.name, namespace: record.spec.namespace, uid: record.uid, labels: record.spec.labels,
                          annotations: record.spec.annotations, podIP: record.sandbox.ip ?? "", hostIP: record.sandbox.gateway ?? "",
                          nodeName: nodeName())
    }

    /// kubelet's node name: the host name, lower-cased (`nodeutil.GetHostname`).
    public static func nodeName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
    }
}

/// The machine's allocatable resources, which `resourceFieldRef` reports for an unset limit
/// (kubelet `defaultPodLimitsForDownwardAPI` uses the node's allocatable).
public struct NodeAllocatable: Sendable, Equatable {
    public var milliCPU: Int64
    public var memoryBytes: Int64

    public init(milliCPU: Int64, memoryBytes: Int64) {
        self.milliCPU = milliCPU
        self.memoryBytes = memoryBytes
    }

    /// Online CPUs × 1000 and MemTotal (podlab reserves nothing for system daemons).
    public static func host() -> NodeAllocatable {
        NodeAllocatable(milliCPU: Int64(ProcessInfo.processInfo.activeProcessorCount) * 1000, memoryBytes: (try? MemoryCapacity.host()) ?? 0)
    }
}

/// A container's environment and command line as kubelet computes them
/// (`makeEnvironmentVariables` and `ExpandContainerCommandAndArgs`, pkg/kubelet/kubelet_pods.go
/// and pkg/kubelet/container/helpers.go; docs/FIDELITY.md #63–#66).
public enum ContainerEnvironment {
    /// The variables kubelet passes to the runtime, in definition order: `envFrom` first (each
    /// ConfigMap's keys sorted, prefixed), then `env`, a later definition replacing an earlier
    /// one in place. `value`s are expanded against the variables defined before them; values
    /// from ConfigMaps and the downward API are used as is. The image's own `Env` is not visible
    /// to the expansion (kubelet never sees it), nor is HOSTNAME (containerd adds it later).
    ///
    /// - Parameter skippedKeys: receives `envFrom` keys that are not valid variable names once
    ///   prefixed (kubelet skips them and records an event).
    public static func variables(for container: ContainerSpec, in pod: PodSpec, downward: DownwardAPIValues,
                                 node: NodeAllocatable, skippedKeys: inout [String]) throws -> [(name: String, value: String)] {
        var order: [String] = []
        var values: [String: String] = [:]
        func define(_ name: String, _ value: String) {
            if values.updateValue(value, forKey: name) == nil { order.append(name) }
        }
        for source in container.envFrom ?? [] {
            guard let data = pod.configMaps[source.configMapName] else {
                if source.optional { continue }
                throw PodlabError(.notFound, "container \(container.name): envFrom: configmap \"\(source.configMapName)\" not found")
            }
            for key in data.keys.sorted() {
                let name = source.prefix + key
                guard KubeValidation.isRelaxedEnvVarName(name).isEmpty else {
                    skippedKeys.append(name)
                    continue
                }
                define(name, data[key] ?? "")
            }
        }
        for variable in container.env {
            var value = variable.value
            if !value.isEmpty {
                value = EnvExpansion.expand(value, mapping: EnvExpansion.mapping(values))
            } else if let source = variable.valueFrom {
                switch source {
                case .fieldRef(let path):
                    value = try fieldValue(path, downward: downward)
                case .resourceFieldRef(let containerName, let resource, let divisor):
                    let target = containerName.flatMap { name in (pod.initContainers + pod.containers).first { $0.name == name } } ?? container
                    value = resourceValue(resource, divisor: divisor, resources: target.resources, node: node)
                case .configMapKeyRef(let name, let key, let optional):
                    guard let found = pod.configMaps[name]?[key] else {
                        if optional { continue }
                        throw PodlabError(.notFound, "container \(container.name): env \(variable.name): couldn't find key \(key) in ConfigMap \(pod.namespace)/\(name)")
                    }
                    value = found
                }
            }
            define(variable.name, value)
        }
        return order.map { ($0, values[$0] ?? "") }
    }

    /// `ExpandContainerCommandAndArgs`: `$(VAR)` in `command` and `args` against the
    /// container's final variables.
    public static func expandCommandAndArgs(_ container: ContainerSpec, variables: [(name: String, value: String)]) -> (command: [String]?, args: [String]?) {
        var context: [String: String] = [:]
        for variable in variables { context[variable.name] = variable.value }
        let mapping = EnvExpansion.mapping(context)
        return (container.command.map { $0.map { EnvExpansion.expand($0, mapping: mapping) } },
                container.args.map { $0.map { EnvExpansion.expand($0, mapping: mapping) } })
    }

    /// `podFieldSelectorRuntimeValue` (kubelet_pods.go) for the paths the parser accepts.
    static func fieldValue(_ path: String, downward: DownwardAPIValues) throws -> String {
        switch path {
        case "metadata.name": return downward.podName
        case "metadata.namespace": return downward.namespace
        case "metadata.uid": return downward.uid
        case "spec.nodeName": return downward.nodeName
        case "status.hostIP", "status.hostIPs": return downward.hostIP
        case "status.podIP", "status.podIPs": return downward.podIP
        default:
            if let selector = ManifestParser.fieldPathSubscript(path) {
                return (selector.labels ? downward.labels : downward.annotations)[selector.key] ?? ""
            }
            throw PodlabError(.invalidArgument, "unsupported fieldRef.fieldPath \(path)")
        }
    }

    /// `ExtractContainerResourceValue` (pkg/api/v1/resource/helpers.go): the value divided by
    /// the divisor, rounded up (`math.Ceil`); an unset limit is the node's allocatable, an unset
    /// request is the limit (API defaulting) or 0.
    static func resourceValue(_ resource: String, divisor: Int64, resources: ResourceRequirements, node: NodeAllocatable) -> String {
        let amount: Int64
        switch resource {
        case "limits.cpu": amount = resources.cpuLimitMilli ?? node.milliCPU
        case "limits.memory": amount = resources.memoryLimit ?? node.memoryBytes
        case "requests.cpu": amount = resources.effectiveCPURequestMilli ?? 0
        default: amount = resources.effectiveMemoryRequest ?? 0
        }
        guard divisor > 0 else { return "\(amount)" }
        // Ceiling division without overflow: amounts and divisors are non-negative.
        let quotient = amount / divisor + (amount % divisor == 0 ? 0 : 1)
        return "\(quotient)"
    }
}
