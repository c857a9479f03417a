import Foundation

/// What a probe or a lifecycle hook does (`ProbeHandler` / `LifecycleHandler`,
/// k8s.io/api core/v1 types.go). `sleep` exists only for lifecycle hooks.
public enum HandlerAction: Codable, Sendable, Equatable {
    /// Runs `command` in the container (its namespaces, root and cgroup), like `podlab exec`.
    case exec(command: [String])
    /// An HTTP GET to `host` (the pod IP when nil) from the node's network namespace; a status
    /// from 200 to 399 is success (`pkg/probe/http/http.go` DoHTTPProbe).
    case httpGet(host: String?, port: Int, path: String, headers: [HTTPHeader])
    /// A TCP connect to `host` (the pod IP when nil) (`pkg/probe/tcp/tcp.go`).
    case tcpSocket(host: String?, port: Int)
    /// `sleep.seconds` (lifecycle hooks only, `pkg/kubelet/lifecycle/handlers.go` runSleepHandler).
    case sleep(seconds: Int)

    /// How kubelet names the handler kind in messages.
    public var kind: String {
        switch self {
        case .exec: return "exec"
        case .httpGet: return "httpGet"
        case .tcpSocket: return "tcpSocket"
        case .sleep: return "sleep"
        }
    }
}

/// One `httpHeaders` entry of an httpGet handler.
public struct HTTPHeader: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
}

/// A liveness, readiness or startup probe with the API server's defaults applied
/// (`SetDefaults_Probe`, pkg/apis/core/v1/defaults.go: timeout 1, period 10, success 1, failure 3).
public struct ProbeSpec: Codable, Sendable, Equatable {
    public var action: HandlerAction
    public var initialDelaySeconds: Int
    public var timeoutSeconds: Int
    public var periodSeconds: Int
    public var successThreshold: Int
    public var failureThreshold: Int
    /// Overrides the pod's grace period when this (liveness or startup) probe kills the container.
    public var terminationGracePeriodSeconds: Int?
}

/// `lifecycle.postStart` / `lifecycle.preStop`.
public struct LifecycleSpec: Codable, Sendable, Equatable {
    public var postStart: HandlerAction?
    public var preStop: HandlerAction?
}

/// `terminationMessagePolicy` (docs/FIDELITY.md #55).
public enum TerminationMessagePolicy: String, Codable, Sendable {
    case file = "File"
    case fallbackToLogsOnError = "FallbackToLogsOnError"
}

/// The three probe kinds (`pkg/kubelet/prober/prober_manager.go` probeType).
public enum ProbeKind: String, Codable, Sendable, CaseIterable {
    case liveness = "Liveness"
    case readiness = "Readiness"
    case startup = "Startup"
}

extension ContainerSpec {
    /// The probe of `kind`, if the container declares one.
    public func probe(_ kind: ProbeKind) -> ProbeSpec? {
        switch kind {
        case .liveness: return livenessProbe
        case .readiness: return readinessProbe
        case .startup: return startupProbe
        }
    }

    /// `terminationMessagePath` with the API default (`/dev/termination-log`).
    public var effectiveTerminationMessagePath: String { terminationMessagePath ?? "/dev/termination-log" }
}
