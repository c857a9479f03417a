import Cgroups
import Foundation
import PodNetwork
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
        var references: [ConfigMapReference] = []
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
            var pod = kind == "Pod"
                ? try parsePod(map, references: &references, warnings: &result.warnings)
                : try parseDeployment(map, references: &references, warnings: &result.warnings)
            pod.configMaps = result.configMaps
            result.pods.append(pod)
        }
        try checkConfigMapReferences(references, configMaps: result.configMaps)
        return result
    }

    // MARK: objects

    func parseConfigMap(_ map: MappingReader, into result: inout ParsedManifest) throws {
        let metadata = try parseMetadata(try map.required("metadata").mapping(), name: .dns1123Subdomain, warnings: &result.warnings)
        var data: [String: String] = [:]
        if let dataNode = map.optional("data") {
            // `ValidateConfigMap` (pkg/apis/core/validation/validation.go): every key a valid
            // config key — it becomes a file name in configMap volumes — and at most 1 MiB of values.
            var totalBytes = 0
            for entry in try dataNode.entries() {
                try entry.keyCursor.check(entry.key, KubeValidation.isConfigMapKey(entry.key))
                let value = try entry.value.string()
                totalBytes += value.utf8.count
                data[entry.key] = value
            }
            if totalBytes > ManifestValidation.maxConfigMapBytes {
                throw dataNode.error("Too long: may not be more than \(ManifestValidation.maxConfigMapBytes) bytes")
            }
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

    /// How an object's `metadata.name` is validated.
    enum NameRule {
        /// `NameIsDNSSubdomain` (ConfigMaps and Pods, as the API server checks them).
        case dns1123Subdomain
        /// A DNS-1123 label. Stricter than the API server for Deployments (subdomains there):
        /// their generated pod names stay label-shaped.
        case dns1123Label
        /// A Deployment's pod template: its name is not read.
        case none
    }

    func parseMetadata(_ map: MappingReader, name rule: NameRule, warnings: inout [ManifestWarning]) throws -> Metadata {
        var name = ""
        if rule != .none {
            let nameNode = try map.required("name")
            name = try nameNode.string()
            // `ValidateObjectMeta` (apimachinery pkg/api/validation/objectmeta.go).
            guard !name.isEmpty else { throw nameNode.error("Required value: name or generateName is required") }
            try nameNode.check(name, rule == .dns1123Label ? KubeValidation.isDNS1123Label(name) : KubeValidation.isDNS1123Subdomain(name))
        }
        var namespace = "default"
        if let namespaceNode = map.optional("namespace") {
            let text = try namespaceNode.string()
            // `ValidateNamespaceName` is `NameIsDNSLabel`; the namespace is part of the pod key,
            // which names the pod's state directory.
            if !text.isEmpty {
                try namespaceNode.check(text, KubeValidation.isDNS1123Label(text))
                namespace = text
            }
        }
        var labels: [String: String] = [:]
        if let labelsNode = map.optional("labels") {
            // `ValidateLabels` (apimachinery pkg/apis/meta/v1/validation/validation.go).
            for entry in try labelsNode.entries() {
                let value = try entry.value.string()
                try entry.keyCursor.check(entry.key, KubeValidation.isQualifiedName(entry.key))
                try entry.value.check(value, KubeValidation.isValidLabelValue(value))
                labels[entry.key] = value
            }
        }
        var annotations: [String: String] = [:]
        if let annotationsNode = map.optional("annotations") {
            // `ValidateAnnotations` (objectmeta.go): qualified-name keys (case-insensitive), 256 KiB in all.
            var totalBytes = 0
            for entry in try annotationsNode.entries() {
                let value = try entry.value.string()
                try entry.keyCursor.check(entry.key, KubeValidation.isQualifiedName(entry.key.lowercased()))
                if entry.key == CrashLoopBackOff.scaleAnnotation, ManifestValidation.backoffScale(value) == nil {
                    throw entry.value.invalid(KubeValidation.quoted(value), ManifestValidation.backoffScaleErrorMessage)
                }
                totalBytes += entry.key.utf8.count + value.utf8.count
                annotations[entry.key] = value
            }
            if totalBytes > ManifestValidation.maxAnnotationBytes {
                throw annotationsNode.error("Too long: may not be more than \(ManifestValidation.maxAnnotationBytes) bytes")
            }
        }
        try warnUnmodelled(map, known: ["generateName", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "ownerReferences", "finalizers", "managedFields", "selfLink"], warnings: &warnings)
        return Metadata(name: name, namespace: namespace, labels: labels, annotations: annotations)
    }

    func parsePod(_ map: MappingReader, references: inout [ConfigMapReference], warnings: inout [ManifestWarning]) throws -> PodSpec {
        // `ValidatePodName` is `NameIsDNSSubdomain` (253 characters, dots allowed); the hostname
        // is cut to 63 (`PodFiles.podHostname`) and the host-side names hashed (`PodKey`, #94).
        let metadata = try parseMetadata(try map.required("metadata").mapping(), name: .dns1123Subdomain, warnings: &warnings)
        let specNode = try map.required("spec")
        try warnUnmodelled(map, known: ["status"], warnings: &warnings)
        return try parsePodSpec(specNode, metadata: metadata, source: map.cursor.location, references: &references, warnings: &warnings)
    }

    func parseDeployment(_ map: MappingReader, references: inout [ConfigMapReference], warnings: inout [ManifestWarning]) throws -> PodSpec {
        let metadata = try parseMetadata(try map.required("metadata").mapping(), name: .dns1123Label, warnings: &warnings)
        let spec = try map.required("spec").mapping()
        try warnUnmodelled(map, known: ["status"], warnings: &warnings)
        if let replicas = spec.optional("replicas") {
            // `ValidateNonnegativeField`; the field is an int32.
            let count = try replicas.int(in: 0...Int(Int32.max))
            if count != 1 {
                warnings.append(ManifestWarning(location: replicas.location, message: "replicas: \(count) is not modelled: podlab runs exactly one pod from the template"))
            }
        }
        let template = try spec.required("template").mapping()
        let templateMeta = try parseMetadata(try template.required("metadata").mapping(), name: .none, warnings: &warnings)
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
            name: ManifestValidation.generatedPodName(deployment: metadata.name, hash: hash, random: randomSuffix()),
            namespace: metadata.namespace,
            labels: templateMeta.labels.merging(["pod-template-hash": hash]) { a, _ in a },
            annotations: templateMeta.annotations)
        var pod = try parsePodSpec(try template.required("spec"), metadata: podMeta, source: map.cursor.location, references: &references, warnings: &warnings)
        pod.ownerDeployment = metadata.name
        try warnUnmodelled(template, known: [], warnings: &warnings)
        return pod
    }

    // MARK: pod spec

    static let unmodelledPodFields = [
        "nodeSelector", "nodeName", "affinity", "tolerations", "serviceAccountName", "serviceAccount",
        "automountServiceAccountToken", "dnsPolicy", "dnsConfig", "hostAliases",
        "priorityClassName", "priority", "schedulerName", "imagePullSecrets", "enableServiceLinks",
        "preemptionPolicy", "runtimeClassName", "topologySpreadConstraints", "readinessGates", "overhead",
        "setHostnameAsFQDN",
        "ephemeralContainers", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources",
    ]

    static let unmodelledContainerFields = [
        "imagePullPolicy",
        "stdin", "stdinOnce", "tty",
        "volumeDevices", "resizePolicy", "restartPolicyRules",
    ]

    func parsePodSpec(_ node: YAMLCursor, metadata: Metadata, source: SourceLocation, references: inout [ConfigMapReference],
                      warnings: inout [ManifestWarning]) throws -> PodSpec {
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
        // `ValidatePodSpec`: hostname and subdomain are DNS-1123 labels. The hostname goes into
        // the pod's /etc/hosts and /etc/hostname: a newline in it would inject a hosts line.
        var hostname: String?
        if let hostnameNode = spec.optional("hostname") {
            let text = try hostnameNode.string()
            if !text.isEmpty {
                try hostnameNode.check(text, KubeValidation.isDNS1123Label(text))
                hostname = text
            }
        }
        if let subdomainNode = spec.optional("subdomain") {
            let text = try subdomainNode.string()
            if !text.isEmpty { try subdomainNode.check(text, KubeValidation.isDNS1123Label(text)) }
            warnings.append(ManifestWarning(location: subdomainNode.location, message: "\(subdomainNode.path) is not modelled by podlab and is ignored"))
        }
        if let deadlineNode = spec.optional("activeDeadlineSeconds") {
            _ = try deadlineNode.int(in: 1...Int(Int32.max))
            warnings.append(ManifestWarning(location: deadlineNode.location, message: "\(deadlineNode.path) is not modelled by podlab and is ignored"))
        }
        var grace = 30
        if let graceNode = spec.optional("terminationGracePeriodSeconds") {
            grace = try graceNode.int(in: 0...Int.max, ManifestValidation.negativeErrorMessage)
        }
        let containersNode = try spec.required("containers")
        let containerNodes = try containersNode.sequence()
        guard !containerNodes.isEmpty else { throw containersNode.error("a pod needs at least one container") }
        var names = Set<String>()
        let initContainers = try (spec.optional("initContainers")?.sequence() ?? []).map {
            try parseContainer($0, isInit: true, names: &names, podGracePeriod: grace, warnings: &warnings)
        }
        let containers = try containerNodes.map { try parseContainer($0, isInit: false, names: &names, podGracePeriod: grace, warnings: &warnings) }
        let volumes = try (spec.optional("volumes")?.sequence() ?? []).map {
            try parseVolume($0, podName: metadata.name, references: &references, warnings: &warnings)
        }
        var volumeNames = Set<String>()
        for (index, volume) in volumes.enumerated() where !volumeNames.insert(volume.name).inserted {
            throw (try spec.required("volumes").sequence())[index].error("duplicate volume name \"\(volume.name)\"")
        }
        try checkHostNamespaces(spec)
        let securityContext = try parsePodSecurityContext(spec.optional("securityContext"))
        try warnUnmodelled(spec, known: Self.unmodelledPodFields, warnings: &warnings)
        // Every volumeMount must name a declared volume (API server validation).
        let containerCursors = (try spec.optional("initContainers")?.sequence() ?? []) + containerNodes
        for (container, cursor) in zip(initContainers + containers, containerCursors) {
            for (index, mount) in container.volumeMounts.enumerated() where !volumeNames.contains(mount.name) {
                let mounts = try cursor.mapping().required("volumeMounts").sequence()
                throw mounts[index].error("volume \"\(mount.name)\" not found in spec.volumes")
            }
        }
        try checkEnvReferences(pod: metadata.name, containers: initContainers + containers, cursors: containerCursors, references: &references)
        var pod = PodSpec(
            name: metadata.name, namespace: metadata.namespace, labels: metadata.labels, annotations: metadata.annotations,
            restartPolicy: restartPolicy, shareProcessNamespace: share, hostname: hostname,
            terminationGracePeriodSeconds: grace, initContainers: initContainers, containers: containers,
            volumes: volumes, configMaps: [:], source: source, ownerDeployment: nil)
        pod.securityContext = securityContext
        return pod
    }

    func parseContainer(_ node: YAMLCursor, isInit: Bool, names: inout Set<String>, podGracePeriod: Int = 30,
                        warnings: inout [ManifestWarning]) throws -> ContainerSpec {
        let map = try node.mapping()
        let nameNode = try map.required("name")
        let name = try nameNode.string()
        // `validateContainers`: a DNS-1123 label, unique across init and app containers.
        guard !name.isEmpty else { throw nameNode.error("Required value") }
        try nameNode.check(name, KubeValidation.isDNS1123Label(name))
        guard names.insert(name).inserted else { throw nameNode.error("duplicate container name \"\(name)\"") }
        guard let imageNode = map.optional("image") else { throw node.error("container \"\(name)\" has no image") }
        let image = try imageNode.string()
        guard !image.isEmpty else { throw imageNode.error("container \"\(name)\" has an empty image") }
        let command = try map.optional("command").map(argumentList)
        let args = try map.optional("args").map(argumentList)
        var workingDir: String?
        if let dirNode = map.optional("workingDir") {
            let text = try dirNode.string()
            try dirNode.check(text, ManifestValidation.nulErrors(text))
            workingDir = text
        }
        var env: [EnvVar] = []
        for item in try map.optional("env")?.sequence() ?? [] {
            let envMap = try item.mapping()
            // `ValidateEnv` with the relaxed name rule the API server applies since 1.32.
            let nameNode = try envMap.required("name")
            let envName = try nameNode.string()
            guard !envName.isEmpty else { throw nameNode.error("Required value") }
            try nameNode.check(envName, KubeValidation.isRelaxedEnvVarName(envName))
            var value = ""
            if let valueNode = envMap.optional("value") {
                value = try valueNode.string()
                try valueNode.check(value, ManifestValidation.nulErrors(value))
            }
            var source: EnvVarSource?
            if let from = envMap.optional("valueFrom") {
                // `validateEnvVarValueFrom`: a value and a source exclude each other.
                if !value.isEmpty { throw from.error("Invalid value: may not be specified when `value` is not empty") }
                source = try parseEnvVarSource(from)
            }
            env.append(EnvVar(name: envName, value: value, valueFrom: source))
            try envMap.rejectUnknown()
        }
        let resources = try parseResources(map.optional("resources"), warnings: &warnings)
        var mounts: [VolumeMount] = []
        var mountPaths = Set<String>()
        for item in try map.optional("volumeMounts")?.sequence() ?? [] {
            // `ValidateVolumeMounts`, plus podlab's mountPath rules (`ManifestValidation.mountPathErrors`).
            let mountMap = try item.mapping()
            let mountName = try mountMap.required("name").string()
            let pathNode = try mountMap.required("mountPath")
            let path = try pathNode.string()
            guard !path.isEmpty else { throw pathNode.error("Required value") }
            try pathNode.check(path, ManifestValidation.mountPathErrors(path))
            guard mountPaths.insert(path).inserted else { throw pathNode.invalid(KubeValidation.quoted(path), "must be unique") }
            var subPath: String?
            if let subPathNode = mountMap.optional("subPath") {
                let text = try subPathNode.string()
                try subPathNode.check(text, KubeValidation.localDescendingPathErrors(text) + ManifestValidation.nulErrors(text))
                subPath = text.isEmpty ? nil : text
            }
            mounts.append(VolumeMount(
                name: mountName, mountPath: path,
                readOnly: try mountMap.optional("readOnly")?.bool() ?? false, subPath: subPath))
            try warnUnmodelled(mountMap, known: ["mountPropagation", "recursiveReadOnly", "subPathExpr"], warnings: &warnings)
        }
        var ports: [Int] = []
        var portNames = Set<String>()
        var namedPorts: [String: Int] = [:]
        for item in try map.optional("ports")?.sequence() ?? [] {
            // `validateContainerPorts`: only containerPort is modelled; the rest is still checked.
            let portMap = try item.mapping()
            ports.append(try portMap.required("containerPort").int(in: 1...65535))
            if let hostPort = portMap.optional("hostPort") {
                let value = try hostPort.int()
                if value != 0 && !(1...65535).contains(value) { throw hostPort.invalid("\(value)", KubeValidation.inclusiveRangeError(1, 65535)) }
            }
            if let nameNode = portMap.optional("name") {
                let portName = try nameNode.string()
                if !portName.isEmpty {
                    try nameNode.check(portName, KubeValidation.isValidPortName(portName))
                    guard portNames.insert(portName).inserted else { throw nameNode.error("Duplicate value: \(KubeValidation.quoted(portName))") }
                    namedPorts[portName] = ports.last
                }
            }
            if let protocolNode = portMap.optional("protocol") {
                let text = try protocolNode.string()
                guard ["TCP", "UDP", "SCTP"].contains(text) else {
                    throw protocolNode.error("Unsupported value: \(KubeValidation.quoted(text)): supported values: \"SCTP\", \"TCP\", \"UDP\"")
                }
            }
            portMap.markKnown("hostIP")
            try portMap.rejectUnknown()
        }
        var restartPolicy: RestartPolicy?
        if let policy = map.optional("restartPolicy") {
            let text = try policy.string()
            guard isInit, text == "Always" else {
                throw policy.error(isInit ? "only \"Always\" is supported for init containers (native sidecars)" : "container restartPolicy is only allowed on init containers")
            }
            restartPolicy = .always
        }
        // Probes and hooks (docs/FIDELITY.md #47–#53). `validateInitContainers`: a regular init
        // container runs to completion, so it may have none of them; a native sidecar may.
        let probes = ProbeParser(namedPorts: namedPorts, podGracePeriod: podGracePeriod)
        var parsed: [ProbeKind: ProbeSpec] = [:]
        for (key, kind) in [("livenessProbe", ProbeKind.liveness), ("readinessProbe", .readiness), ("startupProbe", .startup)] {
            guard let probeNode = map.optional(key) else { continue }
            if isInit && restartPolicy != .always { throw probeNode.error("Forbidden: may not be set for init containers without restartPolicy=Always") }
            parsed[kind] = try probes.probe(probeNode, kind: kind)
        }
        var lifecycle: LifecycleSpec?
        if let lifecycleNode = map.optional("lifecycle") {
            if isInit && restartPolicy != .always { throw lifecycleNode.error("Forbidden: may not be set for init containers without restartPolicy=Always") }
            lifecycle = try probes.lifecycle(lifecycleNode)
        }
        let termination = try ProbeParser.terminationMessage(map)
        let envFrom = try parseEnvFrom(map.optional("envFrom"))
        let securityContext = try parseContainerSecurityContext(map.optional("securityContext"))
        try warnUnmodelled(map, known: Self.unmodelledContainerFields, warnings: &warnings)
        return ContainerSpec(
            name: name, image: image, imageLocation: imageNode.location, command: command, args: args,
            workingDir: workingDir, env: env, resources: resources, volumeMounts: mounts, ports: ports,
            restartPolicy: restartPolicy, livenessProbe: parsed[.liveness], readinessProbe: parsed[.readiness],
            startupProbe: parsed[.startup], lifecycle: lifecycle, terminationMessagePath: termination.path,
            terminationMessagePolicy: termination.policy, envFrom: envFrom, securityContext: securityContext)
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

    /// A configMap volume's reference, checked once every ConfigMap of the manifest is known
    /// (a ConfigMap may follow the pods that use it).
    struct ConfigMapReference {
        var pod: String
        var volume: String
        var name: String
        var nameCursor: YAMLCursor
        var optional: Bool
        var items: [(key: String, cursor: YAMLCursor)]
        /// Set for env references (`configMapKeyRef`, `envFrom`): who uses the ConfigMap.
        var user: String? = nil
    }

    func parseVolume(_ node: YAMLCursor, podName: String, references: inout [ConfigMapReference], warnings: inout [ManifestWarning]) throws -> VolumeSpec {
        let map = try node.mapping()
        let nameNode = try map.required("name")
        let name = try nameNode.string()
        // `ValidateVolumes`: a DNS-1123 label; it also names the volume's host directory.
        guard !name.isEmpty else { throw nameNode.error("Required value") }
        try nameNode.check(name, KubeValidation.isDNS1123Label(name))
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
            // `validateConfigMapVolumeSource` and `validateKeyToPath`.
            let cm = try configMap.mapping()
            let cmNameNode = try cm.required("name")
            let cmName = try cmNameNode.string()
            guard !cmName.isEmpty else { throw cmNameNode.error("Required value") }
            var defaultMode = 0o644
            if let mode = cm.optional("defaultMode") {
                defaultMode = try mode.int(in: 0...0o777, ManifestValidation.fileModeErrorMessage)
            }
            var items: [KeyToPath] = []
            var itemKeys: [(key: String, cursor: YAMLCursor)] = []
            var itemFiles = ItemPathSet()
            for item in try cm.optional("items")?.sequence() ?? [] {
                let im = try item.mapping()
                let keyNode = try im.required("key")
                let key = try keyNode.string()
                guard !key.isEmpty else { throw keyNode.error("Required value") }
                let pathNode = try im.required("path")
                let path = try pathNode.string()
                guard !path.isEmpty else { throw pathNode.error("Required value") }
                try pathNode.check(path, KubeValidation.localNonReservedPathErrors(path) + ManifestValidation.volumeFilePathErrors(path))
                if let other = itemFiles.insert(path) {
                    throw pathNode.invalid(KubeValidation.quoted(path), "conflicts with the item path \(KubeValidation.quoted(other)): one would have to be a file and a directory (kubelet's atomic writer fails such a mount)")
                }
                let mode = try im.optional("mode")?.int(in: 0...0o777, ManifestValidation.fileModeErrorMessage)
                items.append(KeyToPath(key: key, path: path, mode: mode))
                itemKeys.append((key, keyNode))
                try im.rejectUnknown()
            }
            let optional = try cm.optional("optional")?.bool() ?? false
            try cm.rejectUnknown()
            try warnUnmodelled(map, known: [], warnings: &warnings)
            references.append(ConfigMapReference(pod: podName, volume: name, name: cmName, nameCursor: cmNameNode, optional: optional, items: itemKeys))
            return VolumeSpec(name: name, source: .configMap(name: cmName, items: items, defaultMode: defaultMode, optional: optional))
        }
        let kinds = map.keys.filter { $0 != "name" }
        throw node.error("volume \"\(name)\": type \(kinds.first.map { "\"\($0)\"" } ?? "(none)") is not modelled by podlab (supported: emptyDir, configMap)")
    }

    /// What kubelet's configMap volume plugin does at mount time (`MakePayload`,
    /// pkg/volume/configmap/configmap.go), done at parse time because podlab has no API server
    /// to wait on: a missing ConfigMap or item key fails unless the volume is `optional`, in
    /// which case the volume is empty or the item is skipped.
    func checkConfigMapReferences(_ references: [ConfigMapReference], configMaps: [String: [String: String]]) throws {
        for reference in references {
            guard let data = configMaps[reference.name] else {
                if reference.optional { continue }
                if let user = reference.user {
                    // kubelet's makeEnvironmentVariables: `configmap "<name>" not found`.
                    throw reference.nameCursor.error("pod \"\(reference.pod)\": \(user): configmap \"\(reference.name)\" not found (podlab has no API server: put the ConfigMap in the same file)")
                }
                throw reference.nameCursor.error("pod \"\(reference.pod)\": volume \"\(reference.volume)\" refers to ConfigMap \"\(reference.name)\", which is not in this manifest (podlab has no API server: put the ConfigMap in the same file)")
            }
            for item in reference.items where data[item.key] == nil && !reference.optional {
                if let user = reference.user {
                    throw item.cursor.error("pod \"\(reference.pod)\": \(user): couldn't find key \(item.key) in ConfigMap \(reference.name)")
                }
                throw item.cursor.error("pod \"\(reference.pod)\": volume \"\(reference.volume)\": configmap references non-existent config key: \(item.key)")
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

    /// `command` or `args`: strings without NUL bytes (execve would cut an argument short).
    func argumentList(_ node: YAMLCursor) throws -> [String] {
        try node.sequence().map { element in
            let text = try element.string()
            try element.check(text, ManifestValidation.nulErrors(text))
            return text
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
