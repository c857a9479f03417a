import Foundation
import PodlabCore

/// `restartPolicy` (docs/FIDELITY.md #17): Always is Kubernetes' default.
public enum RestartPolicy: String, Codable, Sendable, CaseIterable {
    case always = "Always"
    case onFailure = "OnFailure"
    case never = "Never"
}

/// An `env` entry: a literal `value` (may hold `$(VAR)` references) or a `valueFrom` source.
public struct EnvVar: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
    /// `valueFrom`; when set, `value` is empty and unused.
    public var valueFrom: EnvVarSource?

    public init(name: String, value: String, valueFrom: EnvVarSource? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }
}

/// Requests and limits as parsed from `resources`, in bytes and millicores.
public struct ResourceRequirements: Codable, Sendable, Equatable {
    public var memoryRequest: Int64?
    public var memoryLimit: Int64?
    public var cpuRequestMilli: Int64?
    public var cpuLimitMilli: Int64?
    public init(memoryRequest: Int64? = nil, memoryLimit: Int64? = nil, cpuRequestMilli: Int64? = nil, cpuLimitMilli: Int64? = nil) {
        self.memoryRequest = memoryRequest
        self.memoryLimit = memoryLimit
        self.cpuRequestMilli = cpuRequestMilli
        self.cpuLimitMilli = cpuLimitMilli
    }
    /// Kubernetes defaults a missing request to the limit (`pkg/apis/core/v1/defaults.go`).
    public var effectiveMemoryRequest: Int64? { memoryRequest ?? memoryLimit }
    public var effectiveCPURequestMilli: Int64? { cpuRequestMilli ?? cpuLimitMilli }
}

/// One `volumeMounts` entry.
public struct VolumeMount: Codable, Sendable, Equatable {
    public var name: String
    public var mountPath: String
    public var readOnly: Bool
    public var subPath: String?
}

/// The volume kinds podlab models (docs/FIDELITY.md #28–#31).
public enum VolumeSource: Codable, Sendable, Equatable {
    /// `emptyDir`: `medium: Memory` is a tmpfs; `sizeLimit` in bytes.
    case emptyDir(memory: Bool, sizeLimit: Int64?)
    /// `configMap`: the named ConfigMap, optional key→path items, default file mode (0644).
    case configMap(name: String, items: [KeyToPath], defaultMode: Int, optional: Bool)
}

/// A `configMap.items` entry.
public struct KeyToPath: Codable, Sendable, Equatable {
    public var key: String
    public var path: String
    public var mode: Int?
}

public struct VolumeSpec: Codable, Sendable, Equatable {
    public var name: String
    public var source: VolumeSource
}

/// One container of a pod, as the manifest declares it.
public struct ContainerSpec: Codable, Sendable, Equatable {
    public var name: String
    /// The image as written (`alpine:3.2`); resolved through the image catalog at apply time.
    public var image: String
    public var imageLocation: SourceLocation
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var env: [EnvVar]
    public var resources: ResourceRequirements
    public var volumeMounts: [VolumeMount]
    public var ports: [Int]
    /// Only on init containers: `Always` makes it a native sidecar (docs/FIDELITY.md #40).
    public var restartPolicy: RestartPolicy?
    /// Probes (docs/FIDELITY.md #47–#51); not on regular init containers.
    public var livenessProbe: ProbeSpec? = nil
    public var readinessProbe: ProbeSpec? = nil
    public var startupProbe: ProbeSpec? = nil
    /// postStart / preStop hooks (#52, #53).
    public var lifecycle: LifecycleSpec? = nil
    /// `terminationMessagePath` as written (nil: `/dev/termination-log`) and its policy (#55).
    public var terminationMessagePath: String? = nil
    public var terminationMessagePolicy: TerminationMessagePolicy? = nil
    /// `envFrom` (ConfigMaps only), applied before `env` (docs/FIDELITY.md #66).
    public var envFrom: [EnvFromSource]? = nil
    /// `securityContext` (docs/FIDELITY.md #67–#79).
    public var securityContext: ContainerSecurityContext? = nil
}

/// A pod as podlab runs it: from a `Pod`, or from a `Deployment`'s template.
public struct PodSpec: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var restartPolicy: RestartPolicy
    public var shareProcessNamespace: Bool
    public var hostname: String?
    public var terminationGracePeriodSeconds: Int
    public var initContainers: [ContainerSpec]
    public var containers: [ContainerSpec]
    public var volumes: [VolumeSpec]
    /// ConfigMaps the volumes refer to, resolved from the same apply: name → key → content.
    public var configMaps: [String: [String: String]]
    /// Where the pod (or its Deployment) was declared.
    public var source: SourceLocation
    /// The owning Deployment's name, if the pod came from one.
    public var ownerDeployment: String?
    /// `spec.securityContext` (docs/FIDELITY.md #67–#79).
    public var securityContext: PodSecurityContext? = nil

    /// The pod's hostname (docs/FIDELITY.md #10): `spec.hostname` or the pod name, cut to 63
    /// characters with trailing `-`/`.` trimmed (kubelet `GeneratePodHostNameAndDomain`).
    public var effectiveHostname: String { PodFiles.podHostname(podName: name, specHostname: hostname) }
}
