import PodObservations

/// The operation verbs. One verb per operation, chainsaw style.
public enum LabVerb: String, CaseIterable, Sendable {
    case apply, wait, containers, namespaces, podIP, exec, kill, processTree, http, script, sleep, logs

    /// The timeout kind that bounds this verb (see `LabTimeoutKind`); nil for single reads.
    public var timeoutKind: LabTimeoutKind? {
        switch self {
        case .apply: return .apply
        case .wait: return .wait
        case .exec, .script, .http, .logs: return .exec
        case .containers, .namespaces, .podIP, .processTree, .kill, .sleep: return nil
        }
    }

    /// The values the verb produces, usable as `check` keys and `outputs` sources.
    public var results: [(name: String, doc: String)] {
        switch self {
        case .apply: return [("pods", "names of the pods created, space separated"), ("count", "number of pods created")]
        case .wait: return [("phase", "pod phase"), ("ready", "pod readiness, true/false"), ("state", "container state"),
                            ("restartCount", "container restart count"), ("exitCode", "container exit code"), ("reason", "container state reason"),
                            ("lastExitCode", "exit code of the previous attempt"), ("lastReason", "reason of the previous attempt")]
        case .containers: return [("count", "containers on the node for this pod, pause included"), ("appCount", "containers in the pod spec (what kubectl shows)"),
                                  ("ready", "ready/total app containers, e.g. 2/2"), ("names", "container names, pause first, space separated"),
                                  ("ids", "container ids, pause first, space separated")]
        case .namespaces: return NamespaceKind.allCases.map { ($0.rawValue, "inode of pause's \($0.rawValue) namespace") }
            + [("shared", "kinds shared by every process, space separated"), ("private", "kinds no two processes share, space separated")]
        case .podIP: return [("ip", "the pod IP")]
        case .exec, .script: return [("stdout", "standard output"), ("stderr", "standard error"), ("exitCode", "exit status")]
        case .kill: return [("pid", "the PID that got the signal")]
        case .processTree: return [("tree", "the tree as text"), ("count", "number of processes"), ("commands", "process names, depth first, space separated")]
        case .http: return [("status", "HTTP status code"), ("body", "response body")]
        case .sleep: return []
        case .logs: return [("logs", "the container's log text")]
        }
    }

    /// Whether the verb produces this result value.
    public func hasResult(_ name: String) -> Bool { results.contains { $0.name == name } }
}

/// Timeout kinds. Each operation is bounded by its kind's timeout, resolved most specific
/// first: the operation's own `timeout`, then the step's `timeouts`, then the lab's, then the
/// defaults here. One word never means three things (kuttl #275): each kind covers exactly what
/// its documentation says.
public enum LabTimeoutKind: String, CaseIterable, Sendable {
    /// `apply`: creating the pods, including unpacking images, until `apply` returns.
    case apply
    /// `wait`: how long a condition is waited for (re-checked on every change) before the operation fails.
    case wait
    /// `exec`, `script`, `http`, `logs`: how long one command may run before it is killed.
    case exec
    /// `eventually` without its own timeout: how long checks are retried.
    case assert
    /// Lab `cleanup` operations and the deletion of the lab's pods (the grace period).
    case cleanup

    /// The default in seconds.
    public var defaultSeconds: Double {
        switch self {
        case .apply: return 120
        case .wait: return 60
        case .exec: return 10
        case .assert: return 30
        case .cleanup: return 30
        }
    }

    public var doc: String {
        switch self {
        case .apply: return "apply: creating the pods, image unpacking included (default 2m)"
        case .wait: return "wait: how long a condition is waited for (default 1m)"
        case .exec: return "exec, script, http, logs: how long one command may run before it is killed (default 10s)"
        case .assert: return "eventually without its own timeout: how long checks are retried (default 30s)"
        case .cleanup: return "cleanup operations and deleting the lab's pods (default 30s)"
        }
    }
}
