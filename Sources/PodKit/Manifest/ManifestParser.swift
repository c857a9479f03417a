import Cgroups
import Foundation
import PodlabCore

/// A field or object in a manifest that podlab accepts but does not model, reported with its
/// position so nothing is ever silently dropped.
public struct ManifestWarning: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public var description: String { "\(location): warning: \(message)" }
}

/// What a manifest file contains once parsed.
public struct ParsedManifest: Sendable {
    public var pods: [PodSpec]
    public var configMaps: [String: [String: String]]
    public var warnings: [ManifestWarning]
}

/// Turns Kubernetes YAML (`Pod`, `Deployment`, `ConfigMap`, multi-document) into `PodSpec`s.
///
/// Fields Kubernetes knows but podlab does not model become warnings; fields Kubernetes would
/// reject (typos) are errors, as with kubectl's strict server-side field validation.
public struct ManifestParser {
    /// Makes the random part of Deployment pod names; injectable for tests.
    var randomSuffix: () -> String

    public init() {
        randomSuffix = { ManifestParser.randomAlnum(5) }
    }

    init(randomSuffix: @escaping () -> String) {
        self.randomSuffix = randomSuffix
    }

    public func parse(file: String) throws -> ParsedManifest {
        try parse(documents: YAMLCursor.documents(atPath: file))
    }

    public func parse(yaml: String, file: String) throws -> ParsedManifest {
        try parse(documents: YAMLCursor.documents(yaml: yaml, file: file))
    }

    func parse(documents: [YAMLCursor]) throws -> ParsedManifest {
        var result = ParsedManifest(pods: [], configMaps: [:], warnings: [])
        var podDocuments: [(kind: String, map: MappingReader)] = []
        for document in documents where !document.isNull {
            let map = try document.mapping()
            let kind = try map.required("kind").string()
            let apiVersion = try map.required("apiVersion").string()
            switch kind {
            case "ConfigMap":
                try parseConfigMap(map, into: &result)
            case "Pod", "Deployment":
                podDocuments.append((kind, map))
            default:
                let name = (try? map.optional("metadata")?.mapping().optional("name")?.string()) ?? nil
                result.warnings.append(ManifestWarning(
                    location: document.location,
                    message: "\(kind)\(name.map { " \"\($0)\"" } ?? "") (\(apiVersion)) is not modelled by podlab and is ignored"))
            }
        }
        // ConfigMaps may follow the pods that use them in the same file, as in the seed post.
        for (kind, map) in podDocuments {
            var pod = kind == "Pod" ? try parsePod(map, warnings: &result.warnings) : try parseDeployment(map, warnings: &result.warnings)
            pod.configMaps = result.configMaps
            try checkVolumesResolve(pod, map: map)
            result.pods.append(pod)
        }
        return result
    }

    // MARK: objects

    func parseConfigMap(_ map: MappingReader, into result: inout ParsedManifest) throws {
        let metadata = try parseMetadata(try map.required("metadata").mapping(), warnings: &result.warnings)
        var data: [String: String] = [:]
        if let dataNode = map.optional("data") {
            for entry in try dataNode.stringMap() { data[entry.key] = entry.value }
        }
        if let binary = map.optional("binaryData") {
            result.warnings.append(ManifestWarning(location: binary.location, message: "binaryData is not modelled and is ignored"))
        }
        if let immutable = map.optional("immutable") { _ = try immutable.bool() }
        try warnUnmodelled(map, known: [], warnings: &result.warnings)
        result.configMaps[metadata.name] = data
    }

    struct Metadata {
        var name: String
        var namespace: String
        var labels: [String: String]
        var annotations: [String: String]
    }

    func parseMetadata(_ map: MappingReader, warnings: inout [ManifestWarning], nameRequired: Bool = true) throws -> Metadata {
        var name = ""
        if nameRequired {
            let nameNode = try map.required("name")
            name = try nameNode.string()
            try Self.validateName(name, at: nameNode)
        }
        let namespace = try map.optional("namespace")?.string() ?? "default"
        var labels: [String: String] = [:]
        for entry in try map.optional("labels")?.stringMap() ?? [] { labels[entry.key] = entry.value }
        var annotations: [String: String] = [:]
        for entry in try map.optional("annotations")?.stringMap() ?? [] { annotations[entry.key] = entry.value }
        try warnUnmodelled(map, known: ["generateName", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "ownerReferences", "finalizers", "managedFields", "selfLink"], warnings: &warnings)
        return Metadata(name: name, namespace: namespace, labels: labels, annotations: annotations)
    }

    func parsePod(_ map: MappingReader, warnings: inout [ManifestWarning]) throws -> PodSpec {
        let metadata = try parseMetadata(try map.required("metadata").mapping(), warnings: &warnings)
        let specNode = try map.required("spec")
        try warnUnmodelled(map, known: ["status"], warnings: &warnings)
        return try parsePodSpec(specNode, metadata: metadata, source: map.cursor.location, warnings: &warnings)
    }

    func parseDeployment(_ map: MappingReader, warnings: inout [ManifestWarning]) throws -> PodSpec {
        let metadata = try parseMetadata(try map.required("metadata").mapping(), warnings: &warnings)
        let spec = try map.required("spec").mapping()
        try warnUnmodelled(map, known: ["status"], warnings: &warnings)
        if let replicas = spec.optional("replicas") {
            let count = try replicas.int()
            if count != 1 {
                warnings.append(ManifestWarning(location: replicas.location, message: "replicas: \(count) is not modelled: podlab runs exactly one pod from the template"))
            }
        }
        let template = try spec.required("template").mapping()
        let templateMeta = try parseMetadata(try template.required("metadata").mapping(), warnings: &warnings, nameRequired: false)
        if let selector = spec.optional("selector") {
            let selectorMap = try selector.mapping()
            for entry in try selectorMap.optional("matchLabels")?.stringMap() ?? [] where templateMeta.labels[entry.key] != entry.value {
                // The API server rejects this (`selector` does not match template `labels`).
                throw entry.cursor.error("selector does not match template labels: \(entry.key)=\(entry.value)")
            }
            try warnUnmodelled(selectorMap, known: ["matchExpressions"], warnings: &warnings)
        } else {
            throw spec.cursor.error("missing required field \"selector\"")
        }
        try warnUnmodelled(spec, known: ["strategy", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds", "paused"], warnings: &warnings)
        // Deployment pods are named <deployment>-<pod-template-hash>-<random>, as the
        // ReplicaSet controller does; the hash here is over the template's source position.
        let hash = Self.templateHash("\(metadata.name)|\(template.cursor.location)")
        let podMeta = Metadata(
            name: "\(metadata.name)-\(hash)-\(randomSuffix())", namespace: metadata.namespace,
            labels: templateMeta.labels.merging(["pod-template-hash": hash]) { a, _ in a },
            annotations: templateMeta.annotations)
        var pod = try parsePodSpec(try template.required("spec"), metadata: podMeta, source: map.cursor.location, warnings: &warnings)
        pod.ownerDeployment = metadata.name
        try warnUnmodelled(template, known: [], warnings: &warnings)
        return pod
    }

    // MARK: pod spec

    static let unmodelledPodFields = [
        "nodeSelector", "nodeName", "affinity", "tolerations", "serviceAccountName", "serviceAccount",
        "automountServiceAccountToken", "dnsPolicy", "dnsConfig", "hostAliases", "securityContext",
        "priorityClassName", "priority", "schedulerName", "imagePullSecrets", "enableServiceLinks",
        "preemptionPolicy", "runtimeClassName", "topologySpreadConstraints", "readinessGates", "overhead",
        "hostNetwork", "hostPID", "hostIPC", "subdomain", "setHostnameAsFQDN", "activeDeadlineSeconds",
        "ephemeralContainers", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources",
    ]

    static let unmodelledContainerFields = [
        "imagePullPolicy", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "securityContext",
        "stdin", "stdinOnce", "tty", "terminationMessagePath", "terminationMessagePolicy", "envFrom",
        "volumeDevices", "resizePolicy", "restartPolicyRules",
    ]

    func parsePodSpec(_ node: YAMLCursor, metadata: Metadata, source: SourceLocation, warnings: inout [ManifestWarning]) throws -> PodSpec {
        let spec = try node.mapping()
        var restartPolicy = RestartPolicy.always
        if let policy = spec.optional("restartPolicy") {
            let text = try policy.string()
            guard let value = RestartPolicy(rawValue: text) else {
                throw policy.error("unsupported value \"\(text)\": supported values: \"Always\", \"OnFailure\", \"Never\"")
            }
            restartPolicy = value
        }
        let share = try spec.optional("shareProcessNamespace")?.bool() ?? false
        let hostname = try spec.optional("hostname")?.string()
        var grace = 30
        if let graceNode = spec.optional("terminationGracePeriodSeconds") {
            grace = try graceNode.int()
            guard grace >= 0 else { throw graceNode.error("must be greater than or equal to 0") }
        }
        let containersNode = try spec.required("containers")
        let containerNodes = try containersNode.sequence()
        guard !containerNodes.isEmpty else { throw containersNode.error("a pod needs at least one container") }
        var names = Set<String>()
        let initContainers = try (spec.optional("initContainers")?.sequence() ?? []).map {
            try parseContainer($0, isInit: true, names: &names, warnings: &warnings)
        }
        let containers = try containerNodes.map { try parseContainer($0, isInit: false, names: &names, warnings: &warnings) }
        let volumes = try (spec.optional("volumes")?.sequence() ?? []).map { try parseVolume($0, warnings: &warnings) }
        var volumeNames = Set<String>()
        for (index, volume) in volumes.enumerated() where !volumeNames.insert(volume.name).inserted {
            throw (try spec.required("volumes").sequence())[index].error("duplicate volume name \"\(volume.name)\"")
        }
        try warnUnmodelled(spec, known: Self.unmodelledPodFields, warnings: &warnings)
        // Every volumeMount must name a declared volume (API server validation).
        let containerCursors = (try spec.optional("initContainers")?.sequence() ?? []) + containerNodes
        for (container, cursor) in zip(initContainers + containers, containerCursors) {
            for (index, mount) in container.volumeMounts.enumerated() where !volumeNames.contains(mount.name) {
                let mounts = try cursor.mapping().required("volumeMounts").sequence()
                throw mounts[index].error("volume \"\(mount.name)\" not found in spec.volumes")
            }
        }
        return PodSpec(
            name: metadata.name, namespace: metadata.namespace, labels: metadata.labels, annotations: metadata.annotations,
            restartPolicy: restartPolicy, shareProcessNamespace: share, hostname: hostname,
            terminationGracePeriodSeconds: grace, initContainers: initContainers, containers: containers,
            volumes: volumes, configMaps: [:], source: source, ownerDeployment: nil)
    }

    func parseContainer(_ node: YAMLCursor, isInit: Bool, names: inout Set<String>, warnings: inout [ManifestWarning]) throws -> ContainerSpec {
        let map = try node.mapping()
        let nameNode = try map.required("name")
        let name = try nameNode.string()
        try Self.validateName(name, at: nameNode)
        guard names.insert(name).inserted else { throw nameNode.error("duplicate container name \"\(name)\"") }
        guard let imageNode = map.optional("image") else { throw node.error("container \"\(name)\" has no image") }
        let image = try imageNode.string()
        guard !image.isEmpty else { throw imageNode.error("container \"\(name)\" has an empty image") }
        let command = try map.optional("command")?.stringList()
        let args = try map.optional("args")?.stringList()
        let workingDir = try map.optional("workingDir")?.string()
        var env: [EnvVar] = []
        for item in try map.optional("env")?.sequence() ?? [] {
            let envMap = try item.mapping()
            let envName = try envMap.required("name").string()
            if let from = envMap.optional("valueFrom") {
                warnings.append(ManifestWarning(location: from.location, message: "env \(envName): valueFrom is not modelled; the variable is left unset"))
                continue
            }
            env.append(EnvVar(name: envName, value: try envMap.optional("value")?.string() ?? ""))
            try envMap.rejectUnknown()
        }
        let resources = try parseResources(map.optional("resources"), warnings: &warnings)
        var mounts: [VolumeMount] = []
        for item in try map.optional("volumeMounts")?.sequence() ?? [] {
            let mountMap = try item.mapping()
            let pathNode = try mountMap.required("mountPath")
            let path = try pathNode.string()
            guard path.hasPrefix("/") else { throw pathNode.error("mountPath must be absolute") }
            let subPath = try mountMap.optional("subPath")?.string()
            if let subPath, subPath.split(separator: "/").contains("..") || subPath.hasPrefix("/") {
                throw mountMap.keyCursor("subPath")?.error("subPath must be a relative path without \"..\"") ?? item.error("bad subPath")
            }
            mounts.append(VolumeMount(
                name: try mountMap.required("name").string(), mountPath: path,
                readOnly: try mountMap.optional("readOnly")?.bool() ?? false, subPath: subPath))
            try warnUnmodelled(mountMap, known: ["mountPropagation", "recursiveReadOnly", "subPathExpr"], warnings: &warnings)
        }
        var ports: [Int] = []
        for item in try map.optional("ports")?.sequence() ?? [] {
            let portMap = try item.mapping()
            let port = try portMap.required("containerPort")
            let value = try port.int()
            guard (1...65535).contains(value) else { throw port.error("must be between 1 and 65535") }
            ports.append(value)
            portMap.markKnown("name", "protocol", "hostPort", "hostIP")
        }
        var restartPolicy: RestartPolicy?
        if let policy = map.optional("restartPolicy") {
            let text = try policy.string()
            guard isInit, text == "Always" else {
                throw policy.error(isInit ? "only \"Always\" is supported for init containers (native sidecars)" : "container restartPolicy is only allowed on init containers")
            }
            restartPolicy = .always
        }
        try warnUnmodelled(map, known: Self.unmodelledContainerFields, warnings: &warnings)
        return ContainerSpec(
            name: name, image: image, imageLocation: imageNode.location, command: command, args: args,
            workingDir: workingDir, env: env, resources: resources, volumeMounts: mounts, ports: ports,
            restartPolicy: restartPolicy)
    }

    func parseResources(_ node: YAMLCursor?, warnings: inout [ManifestWarning]) throws -> ResourceRequirements {
        guard let node else { return ResourceRequirements() }
        let map = try node.mapping()
        var result = ResourceRequirements()
        func read(_ section: String) throws -> (memory: Int64?, cpu: Int64?) {
            guard let sectionNode = map.optional(section) else { return (nil, nil) }
            let sectionMap = try sectionNode.mapping()
            var memory: Int64?, cpu: Int64?
            if let memoryNode = sectionMap.optional("memory") {
                let text = try memoryNode.string()
                memory = try quantity(text, at: memoryNode) { try KubernetesQuantity.memoryBytes($0) }
            }
            if let cpuNode = sectionMap.optional("cpu") {
                let text = try cpuNode.string()
                cpu = try quantity(text, at: cpuNode) { try KubernetesQuantity.milliCPU($0) }
            }
            try warnUnmodelled(sectionMap, known: ["ephemeral-storage", "hugepages-2Mi", "hugepages-1Gi"], warnings: &warnings)
            return (memory, cpu)
        }
        let requests = try read("requests")
        let limits = try read("limits")
        result.memoryRequest = requests.memory
        result.cpuRequestMilli = requests.cpu
        result.memoryLimit = limits.memory
        result.cpuLimitMilli = limits.cpu
        if let request = result.memoryRequest, let limit = result.memoryLimit, request > limit {
            throw (map.optional("requests") ?? node).error("memory request (\(request) bytes) must be less than or equal to the memory limit (\(limit) bytes)")
        }
        if let request = result.cpuRequestMilli, let limit = result.cpuLimitMilli, request > limit {
            throw (map.optional("requests") ?? node).error("cpu request (\(request)m) must be less than or equal to the cpu limit (\(limit)m)")
        }
        try warnUnmodelled(map, known: ["claims"], warnings: &warnings)
        return result
    }

    func parseVolume(_ node: YAMLCursor, warnings: inout [ManifestWarning]) throws -> VolumeSpec {
        let map = try node.mapping()
        let nameNode = try map.required("name")
        let name = try nameNode.string()
        try Self.validateName(name, at: nameNode)
        if let emptyDir = map.optional("emptyDir") ?? (map.keys.contains("emptyDir") ? YAMLCursor(node: .mapping(.init([])), file: node.file) : nil) {
            var memory = false
            var sizeLimit: Int64?
            if case .mapping = emptyDir.node {
                let em = try emptyDir.mapping()
                if let medium = em.optional("medium") {
                    let text = try medium.string()
                    guard text == "" || text == "Memory" else { throw medium.error("unsupported medium \"\(text)\": supported: \"\" (default), \"Memory\"") }
                    memory = text == "Memory"
                }
                if let size = em.optional("sizeLimit") {
                    let text = try size.string()
                    sizeLimit = try quantity(text, at: size) { try KubernetesQuantity.memoryBytes($0) }
                }
                try em.rejectUnknown()
            }
            try warnUnmodelled(map, known: [], warnings: &warnings)
            return VolumeSpec(name: name, source: .emptyDir(memory: memory, sizeLimit: sizeLimit))
        }
        if let configMap = map.optional("configMap") {
            let cm = try configMap.mapping()
            let cmName = try cm.required("name").string()
            var defaultMode = 0o644
            if let mode = cm.optional("defaultMode") {
                defaultMode = try mode.int()
                guard (0...0o777).contains(defaultMode) else { throw mode.error("must be a number between 0 and 0777 (octal), both inclusive") }
            }
            var items: [KeyToPath] = []
            for item in try cm.optional("items")?.sequence() ?? [] {
                let im = try item.mapping()
                let pathNode = try im.required("path")
                let path = try pathNode.string()
                guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                    throw pathNode.error("must be a relative path without \"..\"")
                }
                items.append(KeyToPath(key: try im.required("key").string(), path: path, mode: try im.optional("mode")?.int()))
                try im.rejectUnknown()
            }
            let optional = try cm.optional("optional")?.bool() ?? false
            try cm.rejectUnknown()
            try warnUnmodelled(map, known: [], warnings: &warnings)
            return VolumeSpec(name: name, source: .configMap(name: cmName, items: items, defaultMode: defaultMode, optional: optional))
        }
        let kinds = map.keys.filter { $0 != "name" }
        throw node.error("volume \"\(name)\": type \(kinds.first.map { "\"\($0)\"" } ?? "(none)") is not modelled by podlab (supported: emptyDir, configMap)")
    }

    func checkVolumesResolve(_ pod: PodSpec, map: MappingReader) throws {
        for volume in pod.volumes {
            guard case .configMap(let name, let items, _, let optional) = volume.source else { continue }
            guard let data = pod.configMaps[name] else {
                if optional { continue }
                throw map.cursor.error("pod \"\(pod.name)\": volume \"\(volume.name)\" refers to ConfigMap \"\(name)\", which is not in this manifest (podlab has no API server: put the ConfigMap in the same file)")
            }
            for item in items where data[item.key] == nil && !optional {
                throw map.cursor.error("pod \"\(pod.name)\": ConfigMap \"\(name)\" has no key \"\(item.key)\"")
            }
        }
    }

    // MARK: helpers

    /// Parses a quantity with the API server's message on failure, at the field's position.
    func quantity(_ text: String, at node: YAMLCursor, _ parse: (String) throws -> Int64) throws -> Int64 {
        do {
            return try parse(text)
        } catch {
            throw node.error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': \"\(text)\" (\(error))")
        }
    }

    /// Reports every unread key: Kubernetes fields podlab doesn't model as warnings, anything
    /// else as an error (a typo Kubernetes would reject as "unknown field").
    func warnUnmodelled(_ map: MappingReader, known: [String], warnings: inout [ManifestWarning]) throws {
        for (key, cursor) in map.unconsumed() {
            if known.contains(key) {
                warnings.append(ManifestWarning(location: cursor.location, message: "\(cursor.path) is not modelled by podlab and is ignored"))
            } else {
                throw cursor.error("unknown field \"\(key)\"")
            }
        }
    }

    /// DNS-1123 label, as Kubernetes requires of container and volume names (and pod names here,
    /// since they name the network namespace).
    static func validateName(_ name: String, at node: YAMLCursor) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ allowed.contains($0) }),
              name.first?.isLetter == true || name.first?.isNumber == true,
              name.last?.isLetter == true || name.last?.isNumber == true
        else {
            throw node.error("invalid name \"\(name)\": must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters, starting and ending with an alphanumeric character)")
        }
    }

    static func templateHash(_ text: String) -> String {
        // FNV-1a, rendered with Kubernetes' "safe" alphabet (no vowels), 10 characters.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var out = ""
        for _ in 0..<10 {
            out.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return out
    }

    static func randomAlnum(_ count: Int) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}
