/// `seccompProfile.type`. `Localhost` is refused at parse (podlab has no profile directory).
public enum SeccompProfileType: String, Codable, Sendable, Equatable {
    case unconfined = "Unconfined"
    case runtimeDefault = "RuntimeDefault"
}

/// The `securityContext` fields shared by pod and container level; a container's value
/// overrides the pod's (`DetermineEffectiveSecurityContext`, pkg/securitycontext/util.go).
public struct SharedSecurityFields: Codable, Sendable, Equatable {
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var runAsNonRoot: Bool?
    public var seccompProfile: SeccompProfileType?

    public init(runAsUser: Int64? = nil, runAsGroup: Int64? = nil, runAsNonRoot: Bool? = nil, seccompProfile: SeccompProfileType? = nil) {
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsNonRoot = runAsNonRoot
        self.seccompProfile = seccompProfile
    }
}

/// `spec.securityContext` (PodSecurityContext), as far as podlab models it (docs/FIDELITY.md #67–#79).
public struct PodSecurityContext: Codable, Sendable, Equatable {
    public var shared = SharedSecurityFields()
    /// Extra groups of every container's first process.
    public var supplementalGroups: [Int64] = []
    /// Group owner (with the setgid bit) of emptyDir and configMap volumes, and a supplemental group.
    public var fsGroup: Int64?

    public init(shared: SharedSecurityFields = SharedSecurityFields(), supplementalGroups: [Int64] = [], fsGroup: Int64? = nil) {
        self.shared = shared
        self.supplementalGroups = supplementalGroups
        self.fsGroup = fsGroup
    }
}

/// `containers[].securityContext`, as far as podlab models it. `privileged: true`,
/// `procMount`, `seLinuxOptions`, `appArmorProfile` and `windowsOptions` are refused at parse.
public struct ContainerSecurityContext: Codable, Sendable, Equatable {
    public var shared = SharedSecurityFields()
    /// `capabilities.add` / `.drop`, upper-cased and without `CAP_`, `ALL` kept as written.
    public var capabilitiesAdd: [String] = []
    public var capabilitiesDrop: [String] = []
    public var readOnlyRootFilesystem = false
    /// nil: not set (no no_new_privs); false sets no_new_privs (`AddNoNewPrivileges`).
    public var allowPrivilegeEscalation: Bool?

    public init(shared: SharedSecurityFields = SharedSecurityFields(), capabilitiesAdd: [String] = [], capabilitiesDrop: [String] = [],
                readOnlyRootFilesystem: Bool = false, allowPrivilegeEscalation: Bool? = nil) {
        self.shared = shared
        self.capabilitiesAdd = capabilitiesAdd
        self.capabilitiesDrop = capabilitiesDrop
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
    }
}
