import Foundation
import PodNetwork
import PodlabCore

/// Probes, lifecycle hooks and the termination message fields of a container, with the API
/// server's defaulting (`SetDefaults_Probe`, pkg/apis/core/v1/defaults.go) and validation
/// (`validateProbe`, `validateHandler`, `validateLifecycle`, `validateSleepAction`,
/// pkg/apis/core/validation/validation.go), every error at its file:line:column.
struct ProbeParser {
    /// The container's named ports (`ports[].name` → number), for `port: http`.
    var namedPorts: [String: Int]
    /// The pod's `terminationGracePeriodSeconds`, which bounds a sleep hook.
    var podGracePeriod: Int

    /// `livenessProbe`, `readinessProbe` or `startupProbe`.
    func probe(_ node: YAMLCursor, kind: ProbeKind) throws -> ProbeSpec {
        let map = try node.mapping()
        let action = try handler(map, at: node, allowSleep: false)
        // Negative values are errors (ValidateNonnegativeField); 0 takes the default, as the
        // API server's defaulting runs before validation.
        func field(_ key: String, default value: Int) throws -> Int {
            guard let fieldNode = map.optional(key) else { return value }
            let number = try fieldNode.int(in: 0...Int(Int32.max), ManifestValidation.negativeErrorMessage)
            return number == 0 ? value : number
        }
        let initialDelay = try field("initialDelaySeconds", default: 0)
        let timeout = try field("timeoutSeconds", default: 1)
        let period = try field("periodSeconds", default: 10)
        let success = try field("successThreshold", default: 1)
        let failure = try field("failureThreshold", default: 3)
        if kind != .readiness, success != 1, let successNode = map.optional("successThreshold") {
            throw successNode.invalid("\(success)", "must be 1")
        }
        var grace: Int?
        if let graceNode = map.optional("terminationGracePeriodSeconds") {
            if kind == .readiness { throw graceNode.invalid((try? graceNode.string()) ?? "", "must not be set for readinessProbes") }
            grace = try graceNode.int(in: 1...Int(Int32.max), "must be greater than 0")
        }
        try map.rejectUnknown()
        return ProbeSpec(action: action, initialDelaySeconds: initialDelay, timeoutSeconds: timeout, periodSeconds: period,
                         successThreshold: success, failureThreshold: failure, terminationGracePeriodSeconds: grace)
    }

    /// `lifecycle`: postStart and preStop.
    func lifecycle(_ node: YAMLCursor) throws -> LifecycleSpec {
        let map = try node.mapping()
        var result = LifecycleSpec()
        if let post = map.optional("postStart") { result.postStart = try handler(try post.mapping(), at: post, allowSleep: true) }
        if let pre = map.optional("preStop") { result.preStop = try handler(try pre.mapping(), at: pre, allowSleep: true) }
        if let policy = map.optional("stopSignal") {
            throw policy.error("stopSignal is not modelled by podlab: containers are stopped with SIGTERM")
        }
        try map.rejectUnknown()
        return result
    }

    /// Exactly one handler (`validateHandler`: "must specify a handler type" / "may not specify
    /// more than 1 handler type"). gRPC probes are refused: podlab has no gRPC client.
    func handler(_ map: MappingReader, at node: YAMLCursor, allowSleep: Bool) throws -> HandlerAction {
        let kinds = ["exec", "httpGet", "tcpSocket", "grpc", "sleep"].filter { map.keys.contains($0) }
        guard let kind = kinds.first else { throw node.error("Required value: must specify a handler type") }
        if kinds.count > 1, let second = map.keyCursor(kinds[1]) {
            throw second.error("Forbidden: may not specify more than 1 handler type")
        }
        guard let value = map.optional(kind) else { throw node.error("Required value: must specify a handler type") }
        switch kind {
        case "exec":
            let execMap = try value.mapping()
            let commandNode = try execMap.required("command")
            let command = try commandNode.sequence().map { element in
                let text = try element.string()
                try element.check(text, ManifestValidation.nulErrors(text))
                return text
            }
            guard !command.isEmpty else { throw commandNode.error("Required value") }
            try execMap.rejectUnknown()
            return .exec(command: command)
        case "httpGet":
            let httpMap = try value.mapping()
            let port = try self.port(try httpMap.required("port"))
            var path = "/"
            if let pathNode = httpMap.optional("path") {
                let text = try pathNode.string()
                // kubelet builds the URL from the path; a space or a control byte would split the
                // request line podlab writes.
                try pathNode.check(text, text.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7f } ? ["must not contain spaces or control characters"] : [])
                path = text.isEmpty ? "/" : (text.hasPrefix("/") ? text : "/" + text)
            }
            let host = try self.host(httpMap.optional("host"))
            if let schemeNode = httpMap.optional("scheme") {
                let scheme = try schemeNode.string()
                switch scheme {
                case "HTTP": break
                case "HTTPS": throw schemeNode.error("scheme HTTPS is not modelled by podlab (no TLS client in the supervisor): use HTTP")
                default: throw schemeNode.error("Unsupported value: \(KubeValidation.quoted(scheme)): supported values: \"HTTP\", \"HTTPS\"")
                }
            }
            var headers: [HTTPHeader] = []
            for item in try httpMap.optional("httpHeaders")?.sequence() ?? [] {
                let headerMap = try item.mapping()
                let nameNode = try headerMap.required("name")
                let name = try nameNode.string()
                // `ValidateHTTPHeaderName` (an RFC 7230 token); values may not break the line.
                let token = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                try nameNode.check(name, !name.isEmpty && name.allSatisfy { token.contains($0) } ? [] : ["a valid HTTP header must consist of alphanumeric characters or '-' (regex used for validation is '[-A-Za-z0-9]+')"])
                let valueNode = try headerMap.required("value")
                let headerValue = try valueNode.string()
                try valueNode.check(headerValue, headerValue.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" } ? ["must not contain control characters"] : [])
                try headerMap.rejectUnknown()
                headers.append(HTTPHeader(name: name, value: headerValue))
            }
            try httpMap.rejectUnknown()
            return .httpGet(host: host, port: port, path: path, headers: headers)
        case "tcpSocket":
            let tcpMap = try value.mapping()
            let port = try self.port(try tcpMap.required("port"))
            let host = try self.host(tcpMap.optional("host"))
            try tcpMap.rejectUnknown()
            return .tcpSocket(host: host, port: port)
        case "sleep":
            guard allowSleep else { throw value.error("unknown field \"sleep\": sleep is a lifecycle handler, not a probe handler") }
            let sleepMap = try value.mapping()
            let secondsNode = try sleepMap.required("seconds")
            let seconds = try secondsNode.int()
            // `validateSleepAction`: positive and within the pod's grace period.
            guard seconds > 0, seconds <= podGracePeriod else {
                throw secondsNode.invalid("\(seconds)", "must be greater than 0 and less than terminationGracePeriodSeconds (\(podGracePeriod))")
            }
            try sleepMap.rejectUnknown()
            return .sleep(seconds: seconds)
        default:
            throw value.error("grpc probes are not modelled by podlab: use exec, httpGet or tcpSocket")
        }
    }

    /// `ValidatePortNumOrName`: 1–65535, or the name of one of the container's ports.
    func port(_ node: YAMLCursor) throws -> Int {
        if let number = try? node.int() {
            guard (1...65535).contains(number) else { throw node.invalid("\(number)", KubeValidation.inclusiveRangeError(1, 65535)) }
            return number
        }
        let name = try node.string()
        try node.check(name, KubeValidation.isValidPortName(name))
        guard let number = namedPorts[name] else {
            throw node.invalid(KubeValidation.quoted(name), "must name one of this container's ports (podlab resolves named ports at apply)")
        }
        return number
    }

    /// An optional `host`: an IPv4 address (podlab does not resolve names in the supervisor).
    func host(_ node: YAMLCursor?) throws -> String? {
        guard let node else { return nil }
        let text = try node.string()
        if text.isEmpty { return nil }
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else {
            throw node.invalid(KubeValidation.quoted(text), "podlab probes and hooks need an IPv4 address here (or no host: the pod IP)")
        }
        return text
    }

    /// `terminationMessagePath` (≤ 4096 bytes, absolute) and `terminationMessagePolicy`.
    static func terminationMessage(_ map: MappingReader) throws -> (path: String?, policy: TerminationMessagePolicy?) {
        var path: String?
        if let pathNode = map.optional("terminationMessagePath") {
            let text = try pathNode.string()
            var problems = ManifestValidation.mountPathErrors(text)
            if text.utf8.count > 4096 { problems.append("must not be greater than 4096 characters") }
            try pathNode.check(text, problems)
            path = text
        }
        var policy: TerminationMessagePolicy?
        if let policyNode = map.optional("terminationMessagePolicy") {
            let text = try policyNode.string()
            guard let value = TerminationMessagePolicy(rawValue: text) else {
                throw policyNode.error("Unsupported value: \(KubeValidation.quoted(text)): supported values: \"File\", \"FallbackToLogsOnError\"")
            }
            policy = value
        }
        return (path, policy)
    }
}
