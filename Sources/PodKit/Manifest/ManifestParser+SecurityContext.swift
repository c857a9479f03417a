import Cgroups
import PodNetwork
import PodlabCore

/// `securityContext`, `hostNetwork`/`hostPID`/`hostIPC`, `env[].valueFrom` and `envFrom`
/// (docs/FIDELITY.md #63–#79). What podlab does not model is an error here, with its position
/// and the reason, never a warning: a pod must not run with other semantics than it asks for.
extension ManifestParser {
    /// The largest id `runAsUser`, `runAsGroup`, `fsGroup` and `supplementalGroups` take
    /// (`validation.go` checks them as non-negative int32 values).
    static let maxID = Int(Int32.max)

    // MARK: pod level

    /// `hostNetwork`, `hostPID`, `hostIPC`: `false` is the default; `true` is refused.
    func checkHostNamespaces(_ spec: MappingReader) throws {
        for field in ["hostNetwork", "hostPID", "hostIPC"] {
            guard let node = spec.optional(field) else { continue }
            if try node.bool() {
                // Refused like Pod Security's "baseline" level refuses it: podlab runs manifests
                // from anyone as root, and the node's namespaces expose the host.
                throw node.error("not modelled by podlab: the pod would share the node's \(field.dropFirst(4).lowercased()) namespace, which exposes the host (Pod Security \"baseline\" forbids it too); remove the field or set it to false")
            }
        }
    }

    func parsePodSecurityContext(_ node: YAMLCursor?) throws -> PodSecurityContext? {
        guard let node else { return nil }
        let map = try node.mapping()
        var context = PodSecurityContext()
        context.shared = try parseSharedSecurityFields(map)
        if context.shared.runAsUser == nil, let group = map.optional("runAsGroup") {
            // The pod-level user goes to the sandbox: containerd's `GenerateUserString`
            // (internal/cri/util) refuses a group without a user, so RunPodSandbox would fail
            // on every retry (docs/FIDELITY.md #176).
            throw group.error("not modelled by podlab: a pod-level runAsGroup without runAsUser makes containerd's RunPodSandbox fail (\"user group is specified without user\"); set runAsUser too, or set runAsGroup on the containers")
        }
        if let groups = map.optional("supplementalGroups") {
            context.supplementalGroups = try groups.sequence().map { Int64(try $0.int(in: 0...Self.maxID)) }
        }
        if let fsGroup = map.optional("fsGroup") { context.fsGroup = Int64(try fsGroup.int(in: 0...Self.maxID)) }
        if let policy = map.optional("fsGroupChangePolicy") {
            // Both policies give a new volume the same ownership; podlab's volumes are always new.
            let text = try policy.string()
            guard text == "Always" || text == "OnRootMismatch" else {
                throw policy.error("Unsupported value: \(KubeValidation.quoted(text)): supported values: \"OnRootMismatch\", \"Always\"")
            }
        }
        if let policy = map.optional("supplementalGroupsPolicy") {
            let text = try policy.string()
            guard text == "Merge" else {
                throw policy.error("not modelled by podlab: only \"Merge\" (the default: the image's /etc/group memberships are kept)")
            }
        }
        try refuseUnmodelled(map, ["seLinuxOptions", "windowsOptions", "sysctls", "appArmorProfile", "seLinuxChangePolicy"])
        try map.rejectUnknown()
        return context
    }

    // MARK: container level

    func parseContainerSecurityContext(_ node: YAMLCursor?) throws -> ContainerSecurityContext? {
        guard let node else { return nil }
        let map = try node.mapping()
        var context = ContainerSecurityContext()
        context.shared = try parseSharedSecurityFields(map)
        if let privileged = map.optional("privileged"), try privileged.bool() {
            throw privileged.error("not modelled by podlab: a privileged container gets every capability, every host device and a writable /sys and /proc, which is root on the host (Pod Security \"baseline\" forbids it too); podlab refuses it rather than run it unprivileged")
        }
        if let procMount = map.optional("procMount") {
            let text = try procMount.string()
            guard text == "Default" else { throw procMount.error("not modelled by podlab: only \"Default\" (masked and read-only /proc paths)") }
        }
        context.readOnlyRootFilesystem = try map.optional("readOnlyRootFilesystem")?.bool() ?? false
        context.allowPrivilegeEscalation = try map.optional("allowPrivilegeEscalation")?.bool()
        if let capabilities = map.optional("capabilities") {
            let caps = try capabilities.mapping()
            context.capabilitiesAdd = try (caps.optional("add")?.sequence() ?? []).map(capabilityName)
            context.capabilitiesDrop = try (caps.optional("drop")?.sequence() ?? []).map(capabilityName)
            try caps.rejectUnknown()
            // `ValidateSecurityContext` (pkg/apis/core/validation/validation.go).
            if context.allowPrivilegeEscalation == false, context.capabilitiesAdd.contains("SYS_ADMIN"),
               let add = caps.optional("add") {
                throw add.error("Invalid value: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN")
            }
        }
        try refuseUnmodelled(map, ["seLinuxOptions", "windowsOptions", "appArmorProfile"])
        try map.rejectUnknown()
        return context
    }

    /// A capability as kubelet passes it to containerd, which prefixes `CAP_` and upper-cases it
    /// (`WithCapabilities`, containerd's CRI `container_create_linux.go`); runc then refuses names
    /// it does not know. `ALL` stands for every capability.
    func capabilityName(_ node: YAMLCursor) throws -> String {
        let text = try node.string()
        let upper = text.uppercased()
        if upper == "ALL" { return upper }
        if upper.hasPrefix("CAP_") {
            throw node.invalid(KubeValidation.quoted(text), "containerd adds the CAP_ prefix itself, so this would be CAP_\(upper), which runc does not know; write \(upper.dropFirst(4))")
        }
        guard LinuxCapability(name: upper) != nil else {
            throw node.invalid(KubeValidation.quoted(text), "unknown capability \"CAP_\(upper)\" (runc refuses it)")
        }
        return upper
    }

    /// runAsUser, runAsGroup, runAsNonRoot, seccompProfile: the fields a container overrides.
    func parseSharedSecurityFields(_ map: MappingReader) throws -> SharedSecurityFields {
        var fields = SharedSecurityFields()
        if let user = map.optional("runAsUser") { fields.runAsUser = Int64(try user.int(in: 0...Self.maxID)) }
        if let group = map.optional("runAsGroup") { fields.runAsGroup = Int64(try group.int(in: 0...Self.maxID)) }
        fields.runAsNonRoot = try map.optional("runAsNonRoot")?.bool()
        if let profile = map.optional("seccompProfile") {
            let profileMap = try profile.mapping()
            let typeNode = try profileMap.required("type")
            let text = try typeNode.string()
            switch text {
            case "Unconfined": fields.seccompProfile = .unconfined
            case "RuntimeDefault": fields.seccompProfile = .runtimeDefault
            case "Localhost":
                throw typeNode.error("not modelled by podlab: Localhost profiles are read from the node's kubelet seccomp directory, which podlab does not have; use RuntimeDefault or Unconfined")
            default:
                throw typeNode.error("Unsupported value: \(KubeValidation.quoted(text)): supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\"")
            }
            if let localhost = profileMap.optional("localhostProfile") {
                throw localhost.error("Invalid value: can only be set when `type` is \"Localhost\"")
            }
            try profileMap.rejectUnknown()
        }
        return fields
    }

    /// Kubernetes fields podlab does not model, refused with their position.
    func refuseUnmodelled(_ map: MappingReader, _ fields: [String]) throws {
        for field in fields {
            if let node = map.optional(field) { throw node.error("not modelled by podlab") }
        }
    }

    // MARK: env

    /// `valueFrom`: exactly one source (`validateEnvVarValueFrom`).
    func parseEnvVarSource(_ node: YAMLCursor) throws -> EnvVarSource {
        let map = try node.mapping()
        if let secret = map.optional("secretKeyRef") {
            throw secret.error("not modelled by podlab: there are no Secrets; use a configMapKeyRef")
        }
        if let file = map.optional("fileKeyRef") { throw file.error("not modelled by podlab") }
        let present = ["fieldRef", "resourceFieldRef", "configMapKeyRef"].filter { map.optional($0) != nil }
        guard present.count == 1, let kind = present.first, let source = map.optional(kind) else {
            throw node.error(present.isEmpty ? "Invalid value: must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"
                                             : "Invalid value: may not have more than one field specified at a time")
        }
        try map.rejectUnknown()
        let sourceMap = try source.mapping()
        switch kind {
        case "fieldRef":
            if let version = sourceMap.optional("apiVersion") {
                let text = try version.string()
                guard text == "v1" else { throw version.error("Unsupported value: \(KubeValidation.quoted(text)): supported values: \"v1\"") }
            }
            let pathNode = try sourceMap.required("fieldPath")
            let path = try pathNode.string()
            guard EnvVarSource.supportedFieldPaths.contains(path) || Self.fieldPathSubscript(path) != nil else {
                let supported = (EnvVarSource.supportedFieldPaths + ["metadata.labels['<KEY>']", "metadata.annotations['<KEY>']"]).map { "\"\($0)\"" }.joined(separator: ", ")
                throw pathNode.error("Unsupported value: \(KubeValidation.quoted(path)): supported values: \(supported)")
            }
            try sourceMap.rejectUnknown()
            return .fieldRef(fieldPath: path)
        case "resourceFieldRef":
            let resourceNode = try sourceMap.required("resource")
            let resource = try resourceNode.string()
            let supported = ["limits.cpu", "limits.memory", "requests.cpu", "requests.memory"]
            guard supported.contains(resource) else {
                throw resourceNode.error("\(resource.hasSuffix("ephemeral-storage") || resource.contains("hugepages") ? "not modelled by podlab" : "Unsupported value: \(KubeValidation.quoted(resource))"): supported values: \(supported.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
            var containerName: String?
            if let nameNode = sourceMap.optional("containerName") {
                let text = try nameNode.string()
                containerName = text.isEmpty ? nil : text
            }
            let isCPU = resource.hasSuffix(".cpu")
            var divisor: Int64 = isCPU ? 1000 : 1
            if let divisorNode = sourceMap.optional("divisor") {
                // `validateContainerResourceDivisor`.
                let text = try divisorNode.string()
                if isCPU {
                    let value = try? KubernetesQuantity.milliCPU(text)
                    guard let value, value == 1 || value == 1000 else {
                        throw divisorNode.invalid(KubeValidation.quoted(text), "only divisor's values 1m and 1 are supported with the cpu resource")
                    }
                    divisor = value
                } else {
                    let allowed: Set<Int64> = [1, 1_000, 1_000_000, 1_000_000_000, 1_000_000_000_000, 1_000_000_000_000_000, 1_000_000_000_000_000_000,
                                               1 << 10, 1 << 20, 1 << 30, 1 << 40, 1 << 50, 1 << 60]
                    let value = try? KubernetesQuantity.memoryBytes(text)
                    guard let value, allowed.contains(value) else {
                        throw divisorNode.invalid(KubeValidation.quoted(text), "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource")
                    }
                    divisor = value
                }
            }
            try sourceMap.rejectUnknown()
            return .resourceFieldRef(containerName: containerName, resource: resource, divisor: divisor)
        default:
            let nameNode = try sourceMap.required("name")
            let name = try nameNode.string()
            guard !name.isEmpty else { throw nameNode.error("Required value") }
            let keyNode = try sourceMap.required("key")
            let key = try keyNode.string()
            guard !key.isEmpty else { throw keyNode.error("Required value") }
            try keyNode.check(key, KubeValidation.isConfigMapKey(key))
            let optional = try sourceMap.optional("optional")?.bool() ?? false
            try sourceMap.rejectUnknown()
            return .configMapKeyRef(name: name, key: key, optional: optional)
        }
    }

    /// The key of `metadata.labels['key']` / `metadata.annotations['key']`, with which map.
    static func fieldPathSubscript(_ path: String) -> (labels: Bool, key: String)? {
        for (prefix, labels) in [("metadata.labels['", true), ("metadata.annotations['", false)] where path.hasPrefix(prefix) && path.hasSuffix("']") {
            let key = String(path.dropFirst(prefix.count).dropLast(2))
            guard !key.isEmpty, KubeValidation.isQualifiedName(labels ? key : key.lowercased()).isEmpty else { return nil }
            return (labels, key)
        }
        return nil
    }

    /// `envFrom`: ConfigMaps only.
    func parseEnvFrom(_ node: YAMLCursor?) throws -> [EnvFromSource]? {
        guard let node else { return nil }
        return try node.sequence().map { item in
            let map = try item.mapping()
            if let secret = map.optional("secretRef") { throw secret.error("not modelled by podlab: there are no Secrets; use a configMapRef") }
            var prefix = ""
            if let prefixNode = map.optional("prefix") {
                prefix = try prefixNode.string()
                if !prefix.isEmpty { try prefixNode.check(prefix, KubeValidation.isRelaxedEnvVarName(prefix)) }
            }
            let refNode = try map.required("configMapRef")
            let ref = try refNode.mapping()
            let nameNode = try ref.required("name")
            let name = try nameNode.string()
            guard !name.isEmpty else { throw nameNode.error("Required value") }
            let optional = try ref.optional("optional")?.bool() ?? false
            try ref.rejectUnknown()
            try map.rejectUnknown()
            return EnvFromSource(configMapName: name, prefix: prefix, optional: optional)
        }
    }

    /// Checks what containers' env refers to once every container is known, and records the
    /// ConfigMaps they use so `checkConfigMapReferences` finds missing ones.
    func checkEnvReferences(pod: String, containers: [ContainerSpec], cursors: [YAMLCursor], references: inout [ConfigMapReference]) throws {
        let names = Set(containers.map(\.name))
        for (container, cursor) in zip(containers, cursors) {
            let map = try cursor.mapping()
            let envNodes = try map.optional("env")?.sequence() ?? []
            var envIndex = 0
            for variable in container.env {
                defer { envIndex += 1 }
                guard let source = variable.valueFrom, envIndex < envNodes.count else { continue }
                let sourceNode = try envNodes[envIndex].mapping().required("valueFrom")
                switch source {
                case .resourceFieldRef(let containerName?, _, _) where !names.contains(containerName):
                    // kubelet's `containerResourceRuntimeValue`: the container must be in the pod.
                    throw sourceNode.error("resourceFieldRef: container \(KubeValidation.quoted(containerName)) not found in pod \(KubeValidation.quoted(pod))")
                case .configMapKeyRef(let name, let key, let optional):
                    let ref = try sourceNode.mapping().required("configMapKeyRef").mapping()
                    references.append(ConfigMapReference(
                        pod: pod, volume: "", name: name, nameCursor: try ref.required("name"), optional: optional,
                        items: [(key, try ref.required("key"))], user: "container \"\(container.name)\": env \(variable.name)"))
                default:
                    break
                }
            }
            let fromNodes = try map.optional("envFrom")?.sequence() ?? []
            for (source, node) in zip(container.envFrom ?? [], fromNodes) {
                let ref = try node.mapping().required("configMapRef").mapping()
                references.append(ConfigMapReference(
                    pod: pod, volume: "", name: source.configMapName, nameCursor: try ref.required("name"), optional: source.optional,
                    items: [], user: "container \"\(container.name)\": envFrom"))
            }
        }
    }
}
