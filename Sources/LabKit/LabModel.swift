import PodlabCore
import PodObservations

/// A parsed, validated lab file. Built only by `LabParser`, so every value here passed the
/// field tables in `LabFormat`.
public struct Lab: Sendable {
    /// The lab file's path as given.
    public var file: String
    /// The directory relative manifest paths are resolved against.
    public var directory: String
    public var name: String
    public var title: String
    public var labels: [String: String]
    public var source: String?
    /// Markdown.
    public var description: String
    public var timeouts: LabTimeouts
    /// Manifest image → catalog image, for every `apply`.
    public var images: [String: String]
    /// Fixed bindings.
    public var bindings: [String: String]
    public var steps: [LabStep]
    /// Lab-level cleanup operations, run after the steps whatever happened.
    public var cleanup: [LabOperation]

    /// True when every `key=value` selector matches this lab's labels.
    public func matches(selectors: [String: String]) -> Bool {
        selectors.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// Timeouts per kind; missing kinds inherit from the enclosing level.
public struct LabTimeouts: Sendable, Equatable {
    public var seconds: [LabTimeoutKind: Double]

    public init(_ seconds: [LabTimeoutKind: Double] = [:]) { self.seconds = seconds }

    /// These timeouts with `inner`'s values taking precedence (lab → step → operation).
    public func overridden(by inner: LabTimeouts) -> LabTimeouts {
        LabTimeouts(seconds.merging(inner.seconds) { _, new in new })
    }

    /// The effective timeout of a kind, falling back to its default.
    public func value(_ kind: LabTimeoutKind) -> Double { seconds[kind] ?? kind.defaultSeconds }
}

/// One step.
public struct LabStep: Sendable {
    public var name: String
    /// Markdown explaining the step.
    public var text: String
    /// Discussion questions (Markdown), shown by `podlab walk` and in handouts; never checked.
    public var questions: [String] = []
    public var timeouts: LabTimeouts
    /// The operations podlab runs. Empty for a student task step (see `task`).
    public var tryOperations: [LabOperation]
    /// Set when the step hands the student a task instead of running `try`.
    public var task: LabTask?
    public var catchOperations: [LabOperation]
    public var finallyOperations: [LabOperation]
    public var location: SourceLocation
}

/// A task for the student (Killercoda's verify scripts, iximiuz's hint checks): `podlab walk`
/// shows `text`, waits until the student says done, runs `verify`, and shows `hint` on failure;
/// `podlab run` runs the scripted `solution` first, so CI covers the task too.
public struct LabTask: Sendable {
    /// Markdown: what the student should do.
    public var text: String
    /// Markdown shown after a failed verify.
    public var hint: String?
    /// Checks that pass once the task is done; the first failure stops them (like `try`).
    public var verify: [LabOperation]
    /// What a student would do, as operations: run by `podlab run`, or by `walk` on request.
    public var solution: [LabOperation]
    public var location: SourceLocation
}

/// One operation: a verb, its checks, its outputs.
public struct LabOperation: Sendable {
    public var action: LabAction
    public var description: String?
    public var continueOnError: Bool
    /// This operation's own timeout in seconds, overriding its kind's.
    public var timeout: Double?
    public var checks: [LabCheck]
    public var outputs: [LabOutput]
    public var eventually: LabEventually?
    public var location: SourceLocation

    public var verb: LabVerb { action.verb }
}

/// What an operation does, with the verb's arguments.
public enum LabAction: Sendable {
    case apply(file: String?, manifest: String?, images: [String: String])
    case wait(LabWaitCondition)
    case containers(pod: String?)
    case namespaces(pod: String?, shared: [NamespaceKind], private: [NamespaceKind])
    case podIP(pod: String?)
    case exec(pod: String?, container: String?, command: [String])
    case kill(pod: String?, container: String?, signal: Int32, signalName: String)
    case processTree(pod: String?)
    case http(pod: String?, url: String, container: String?)
    case script(pod: String?, content: String, env: [String: String])
    case sleep(seconds: Double)
    case logs(pod: String?, container: String?, previous: Bool)

    public var verb: LabVerb {
        switch self {
        case .apply: return .apply
        case .wait: return .wait
        case .containers: return .containers
        case .namespaces: return .namespaces
        case .podIP: return .podIP
        case .exec: return .exec
        case .kill: return .kill
        case .processTree: return .processTree
        case .http: return .http
        case .script: return .script
        case .sleep: return .sleep
        case .logs: return .logs
        }
    }

    /// The pod the operation is about, when it names one.
    public var pod: String? {
        switch self {
        case .apply, .sleep: return nil
        case .wait(let condition): return condition.pod
        case .containers(let pod), .podIP(let pod), .processTree(let pod): return pod
        case .namespaces(let pod, _, _), .exec(let pod, _, _), .kill(let pod, _, _, _), .http(let pod, _, _),
             .script(let pod, _, _), .logs(let pod, _, _):
            return pod
        }
    }
}

/// The conditions of a `wait`; all given ones must hold at once.
public struct LabWaitCondition: Sendable {
    public var pod: String?
    public var container: String?
    public var phase: String?
    public var ready: Bool?
    public var state: String?
    /// At least this many restarts.
    public var restartCount: Int?
    public var exitCode: Int32?
    public var reason: String?
    public var lastExitCode: Int32?
    public var lastReason: String?
}

/// A check on one result of an operation.
public struct LabCheck: Sendable {
    public enum Kind: String, Sendable { case equals, notEquals, contains, matches }
    /// The result field (`stdout`, `ip`, `exitCode`, …).
    public var field: String
    public var kind: Kind
    /// The expected text (a template for all kinds but `matches`).
    public var expected: String
    public var location: SourceLocation
}

/// `outputs: {BINDING: field}`.
public struct LabOutput: Sendable {
    public var binding: String
    public var field: String
    public var location: SourceLocation
}

/// `eventually:` polling.
public struct LabEventually: Sendable {
    /// nil: the assert timeout.
    public var timeout: Double?
    public var interval: Double
}
