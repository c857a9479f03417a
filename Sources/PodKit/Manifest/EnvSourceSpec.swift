/// Where an `env` entry's value comes from when it is not a literal `value`
/// (`valueFrom`, docs/FIDELITY.md #64–#66). Resolved when the container starts
/// (`ContainerEnvironment`), as kubelet's `makeEnvironmentVariables` does.
public enum EnvVarSource: Codable, Sendable, Equatable {
    /// `fieldRef.fieldPath`: one of `EnvVarSource.supportedFieldPaths`, or
    /// `metadata.labels['k']` / `metadata.annotations['k']`.
    case fieldRef(fieldPath: String)
    /// `resourceFieldRef`: `resource` is `limits.cpu`, `limits.memory`, `requests.cpu` or
    /// `requests.memory`; `divisor` in millicores (cpu) or bytes (memory); `containerName` nil
    /// means this container.
    case resourceFieldRef(containerName: String?, resource: String, divisor: Int64)
    /// `configMapKeyRef`: a key of a ConfigMap of the same manifest. Its value is used as is
    /// (never `$(VAR)`-expanded); an optional reference to a missing key leaves the variable unset.
    case configMapKeyRef(name: String, key: String, optional: Bool)

    /// The `fieldRef` paths kubelet resolves for env (`validEnvDownwardAPIFieldPathExpressions`,
    /// pkg/apis/core/validation/validation.go), less `spec.serviceAccountName` (podlab has no
    /// service accounts) and the labels/annotations subscripts, checked separately.
    public static let supportedFieldPaths = [
        "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
        "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
    ]
}

/// One `envFrom` entry (only `configMapRef`; `secretRef` is refused at parse).
public struct EnvFromSource: Codable, Sendable, Equatable {
    public var configMapName: String
    /// Prepended to every key (`prefix`).
    public var prefix: String
    public var optional: Bool

    public init(configMapName: String, prefix: String, optional: Bool) {
        self.configMapName = configMapName
        self.prefix = prefix
        self.optional = optional
    }
}
