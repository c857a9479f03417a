import Foundation

// The CRI (`runtime.v1`) messages podlab sends and reads, in the proto3 JSON mapping that
// podlab-cri speaks (lowerCamelCase names, int64 as JSON strings, enums by name). Field names
// follow kubernetes/cri-api pkg/apis/runtime/v1/api.proto; Runtimes/CRI/Protos/podlab-cri-api.proto
// is podlab's subset. Only what podlab uses is here; a reply's other fields are ignored.

/// proto3 JSON writes int64 as a string; accepts either on decode and writes a string.
public struct CRIInt64: Codable, Equatable, Sendable, ExpressibleByIntegerLiteral {
    public var value: Int64
    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else {
            let text = try container.decode(String.self)
            guard let number = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "int64 \(text.prefix(40)) is not a number")
            }
            value = number
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

/// `PodSandboxMetadata`.
public struct CRIPodSandboxMetadata: Codable, Equatable, Sendable {
    public var name: String
    public var uid: String
    public var namespace: String
    public var attempt: UInt32?
    public init(name: String, uid: String, namespace: String, attempt: UInt32 = 0) {
        self.name = name; self.uid = uid; self.namespace = namespace; self.attempt = attempt
    }
}

/// `DNSConfig`.
public struct CRIDNSConfig: Codable, Equatable, Sendable {
    public var servers: [String]?
    public var searches: [String]?
    public var options: [String]?
    public init(servers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.servers = servers; self.searches = searches; self.options = options
    }
}

/// `PortMapping`.
public struct CRIPortMapping: Codable, Equatable, Sendable {
    public var protocol_: String?
    public var containerPort: Int32?
    public var hostPort: Int32?
    public var hostIp: String?
    enum CodingKeys: String, CodingKey { case protocol_ = "protocol", containerPort, hostPort, hostIp }
    public init(protocolName: String = "TCP", containerPort: Int32, hostPort: Int32, hostIp: String = "") {
        self.protocol_ = protocolName; self.containerPort = containerPort; self.hostPort = hostPort; self.hostIp = hostIp
    }
}

/// `NamespaceOption`: modes are "POD", "CONTAINER", "NODE", "TARGET".
public struct CRINamespaceOption: Codable, Equatable, Sendable {
    public var network: String?
    public var pid: String?
    public var ipc: String?
    public var targetId: String?
    public init(network: String = "POD", pid: String = "CONTAINER", ipc: String = "POD", targetId: String? = nil) {
        self.network = network; self.pid = pid; self.ipc = ipc; self.targetId = targetId
    }
}

/// `Int64Value`.
public struct CRIInt64Value: Codable, Equatable, Sendable {
    public var value: CRIInt64
    public init(_ value: Int64) { self.value = CRIInt64(value) }
}

/// `SecurityProfile` (used for seccomp): `profileType` is "RuntimeDefault" (the proto3 zero
/// value), "Unconfined" or "Localhost" (with `localhostRef`, an absolute path on the node).
public struct CRISecurityProfile: Codable, Equatable, Sendable {
    public var profileType: String
    public var localhostRef: String?
    public init(profileType: String, localhostRef: String? = nil) { self.profileType = profileType; self.localhostRef = localhostRef }
    public static let runtimeDefault = CRISecurityProfile(profileType: "RuntimeDefault")
    public static let unconfined = CRISecurityProfile(profileType: "Unconfined")
}

/// `LinuxSandboxSecurityContext`.
public struct CRILinuxSandboxSecurityContext: Codable, Equatable, Sendable {
    public var namespaceOptions: CRINamespaceOption?
    public var runAsUser: CRIInt64Value?
    public var runAsGroup: CRIInt64Value?
    public var readonlyRootfs: Bool?
    public var supplementalGroups: [CRIInt64]?
    public var privileged: Bool?
    /// Field 9: the sandbox (pause) container's seccomp profile.
    public var seccomp: CRISecurityProfile?
    public init(namespaceOptions: CRINamespaceOption? = CRINamespaceOption()) { self.namespaceOptions = namespaceOptions }
}

/// `LinuxPodSandboxConfig`.
public struct CRILinuxPodSandboxConfig: Codable, Equatable, Sendable {
    public var cgroupParent: String?
    public var securityContext: CRILinuxSandboxSecurityContext?
    public var sysctls: [String: String]?
    public init(cgroupParent: String? = nil, securityContext: CRILinuxSandboxSecurityContext? = CRILinuxSandboxSecurityContext(), sysctls: [String: String] = [:]) {
        self.cgroupParent = cgroupParent; self.securityContext = securityContext; self.sysctls = sysctls
    }
}

/// `PodSandboxConfig`: what kubelet's `generatePodSandboxConfig` (pkg/kubelet/kuberuntime/
/// kuberuntime_sandbox.go) fills in, and podlab with it.
public struct CRIPodSandboxConfig: Codable, Equatable, Sendable {
    public var metadata: CRIPodSandboxMetadata
    public var hostname: String?
    public var logDirectory: String?
    public var dnsConfig: CRIDNSConfig?
    public var portMappings: [CRIPortMapping]?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var linux: CRILinuxPodSandboxConfig?
    public init(metadata: CRIPodSandboxMetadata, hostname: String? = nil, logDirectory: String? = nil, dnsConfig: CRIDNSConfig? = nil,
                portMappings: [CRIPortMapping] = [], labels: [String: String] = [:], annotations: [String: String] = [:],
                linux: CRILinuxPodSandboxConfig? = CRILinuxPodSandboxConfig()) {
        self.metadata = metadata; self.hostname = hostname; self.logDirectory = logDirectory; self.dnsConfig = dnsConfig
        self.portMappings = portMappings; self.labels = labels; self.annotations = annotations; self.linux = linux
    }
}

/// `ImageSpec`.
public struct CRIImageSpec: Codable, Equatable, Sendable {
    public var image: String
    public init(_ image: String) { self.image = image }
}

/// `KeyValue`.
public struct CRIKeyValue: Codable, Equatable, Sendable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) { self.key = key; self.value = value }
}

/// `Mount` (propagation by name: PROPAGATION_PRIVATE, _HOST_TO_CONTAINER, _BIDIRECTIONAL).
public struct CRIMount: Codable, Equatable, Sendable {
    public var containerPath: String
    public var hostPath: String
    public var readonly: Bool?
    public var propagation: String?
    public init(containerPath: String, hostPath: String, readonly: Bool = false) {
        self.containerPath = containerPath; self.hostPath = hostPath; self.readonly = readonly
    }
}

/// `LinuxContainerResources`.
public struct CRILinuxContainerResources: Codable, Equatable, Sendable {
    public var cpuPeriod: CRIInt64?
    public var cpuQuota: CRIInt64?
    public var cpuShares: CRIInt64?
    public var memoryLimitInBytes: CRIInt64?
    public var oomScoreAdj: CRIInt64?
    public init() {}
}

/// `Capability`.
public struct CRICapability: Codable, Equatable, Sendable {
    public var addCapabilities: [String]?
    public var dropCapabilities: [String]?
    public init(add: [String] = [], drop: [String] = []) { addCapabilities = add; dropCapabilities = drop }
}

/// `LinuxContainerSecurityContext`.
public struct CRILinuxContainerSecurityContext: Codable, Equatable, Sendable {
    public var capabilities: CRICapability?
    public var privileged: Bool?
    public var namespaceOptions: CRINamespaceOption?
    public var runAsUser: CRIInt64Value?
    public var runAsGroup: CRIInt64Value?
    public var runAsUsername: String?
    public var readonlyRootfs: Bool?
    public var supplementalGroups: [CRIInt64]?
    public var noNewPrivs: Bool?
    /// Fields 13 and 14: paths the runtime masks and remounts read-only (OCI `linux.maskedPaths`,
    /// `linux.readonlyPaths`). An empty list means none: containerd applies exactly what it gets.
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    /// Field 15: the container's seccomp profile.
    public var seccomp: CRISecurityProfile?
    public init(namespaceOptions: CRINamespaceOption? = CRINamespaceOption()) { self.namespaceOptions = namespaceOptions }
}

/// `LinuxContainerConfig`.
public struct CRILinuxContainerConfig: Codable, Equatable, Sendable {
    public var resources: CRILinuxContainerResources?
    public var securityContext: CRILinuxContainerSecurityContext?
    public init(resources: CRILinuxContainerResources? = nil, securityContext: CRILinuxContainerSecurityContext? = CRILinuxContainerSecurityContext()) {
        self.resources = resources; self.securityContext = securityContext
    }
}

/// `ContainerMetadata`.
public struct CRIContainerMetadata: Codable, Equatable, Sendable {
    public var name: String
    public var attempt: UInt32?
    public init(name: String, attempt: UInt32 = 0) { self.name = name; self.attempt = attempt }
}

/// `ContainerConfig`.
public struct CRIContainerConfig: Codable, Equatable, Sendable {
    public var metadata: CRIContainerMetadata
    public var image: CRIImageSpec
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var envs: [CRIKeyValue]?
    public var mounts: [CRIMount]?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var logPath: String?
    public var stdin: Bool?
    public var tty: Bool?
    public var linux: CRILinuxContainerConfig?
    public init(metadata: CRIContainerMetadata, image: CRIImageSpec, command: [String] = [], args: [String] = [],
                envs: [CRIKeyValue] = [], mounts: [CRIMount] = [], logPath: String? = nil,
                linux: CRILinuxContainerConfig? = CRILinuxContainerConfig()) {
        self.metadata = metadata; self.image = image; self.command = command; self.args = args; self.envs = envs
        self.mounts = mounts; self.logPath = logPath; self.linux = linux
    }
}

/// `VersionResponse`.
public struct CRIVersion: Codable, Equatable, Sendable {
    public var version: String?
    public var runtimeName: String?
    public var runtimeVersion: String?
    public var runtimeApiVersion: String?
}

/// `PodSandboxStatus` (with the `info` map of the verbose reply, where containerd puts its pid).
public struct CRIPodSandboxStatus: Codable, Equatable, Sendable {
    public struct Network: Codable, Equatable, Sendable { public var ip: String? }
    public var id: String
    public var metadata: CRIPodSandboxMetadata?
    /// "SANDBOX_READY" or "SANDBOX_NOTREADY" (proto3 JSON omits the zero value: nil means READY).
    public var state: String?
    public var createdAt: CRIInt64?
    public var network: Network?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var isReady: Bool { (state ?? "SANDBOX_READY") == "SANDBOX_READY" }
}

/// `ContainerStatus`.
public struct CRIContainerStatus: Codable, Equatable, Sendable {
    public var id: String
    public var metadata: CRIContainerMetadata?
    /// "CONTAINER_CREATED" (omitted: the zero value), "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_UNKNOWN".
    public var state: String?
    public var createdAt: CRIInt64?
    public var startedAt: CRIInt64?
    public var finishedAt: CRIInt64?
    public var exitCode: Int32?
    public var reason: String?
    public var message: String?
    public var logPath: String?
    public var stateName: String { state ?? "CONTAINER_CREATED" }
}

/// `PodSandbox` (ListPodSandbox items).
public struct CRIPodSandbox: Codable, Equatable, Sendable {
    public var id: String
    public var metadata: CRIPodSandboxMetadata?
    public var state: String?
    public var labels: [String: String]?
}

/// `Container` (ListContainers items).
public struct CRIContainer: Codable, Equatable, Sendable {
    public var id: String
    public var podSandboxId: String?
    public var metadata: CRIContainerMetadata?
    public var state: String?
    public var labels: [String: String]?
}

/// `ExecSyncResponse`: stdout/stderr are bytes (base64 in JSON).
public struct CRIExecResult: Codable, Equatable, Sendable {
    public var stdout: Data?
    public var stderr: Data?
    public var exitCode: Int32?
    public var output: String { String(decoding: stdout ?? Data(), as: UTF8.self) }
}

/// `Image` (ImageStatus).
public struct CRIImage: Codable, Equatable, Sendable {
    public var id: String
    public var repoTags: [String]?
    public var size: CRIInt64?
}
