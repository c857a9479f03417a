import Foundation
import PodObservations

/// The result of one `podlab run`: a tree `Report > LabReport > StepReport > OperationReport`.
///
/// Following chainsaw's `pkg/model/report.go`, only facts are stored (times, observations,
/// errors); whether something failed is always *derived* from the operations below it, so a
/// report can never claim "passed" while holding an error.
public struct Report: Codable, Sendable {
    /// The suite name, used as the JUnit `<testsuites name>` and report file stem.
    public var name: String
    public var startTime: Date
    public var endTime: Date
    public var labs: [LabReport]

    public init(name: String, startTime: Date, endTime: Date, labs: [LabReport]) {
        self.name = name
        self.startTime = startTime
        self.endTime = endTime
        self.labs = labs
    }

    /// True when any lab failed.
    public var failed: Bool { labs.contains { $0.failed } }
    /// Wall time of the whole suite in seconds.
    public var duration: TimeInterval { endTime.timeIntervalSince(startTime) }
    /// Labs that failed, in run order.
    public var failedLabs: [LabReport] { labs.filter(\.failed) }
    /// Labs that never started (`--fail-fast` stopped the suite first), in run order.
    public var notRunLabs: [LabReport] { labs.filter(\.notRun) }
    /// Labs that ran and passed.
    public var passedLabs: [LabReport] { labs.filter { !$0.failed && !$0.notRun } }
}

/// One lab run: its steps (including the `@cleanup` pseudo-step) in the order they ran.
public struct LabReport: Codable, Sendable {
    /// The lab's `metadata.name`.
    public var name: String
    /// The lab's `metadata.title`.
    public var title: String
    /// The lab file the run came from.
    public var file: String
    /// The namespace the lab's pods lived in (unique per run, so parallel labs never collide).
    public var namespace: String
    public var startTime: Date
    public var endTime: Date
    public var steps: [StepReport]

    public init(name: String, title: String, file: String, namespace: String, startTime: Date, endTime: Date, steps: [StepReport]) {
        self.name = name
        self.title = title
        self.file = file
        self.namespace = namespace
        self.startTime = startTime
        self.endTime = endTime
        self.steps = steps
    }

    /// True when any step failed.
    public var failed: Bool { steps.contains { $0.failed } }
    /// True when no step ran, not even cleanup (`--fail-fast` skipped the whole lab): such a lab
    /// is "not run" in every format, never "passed", though nothing in it failed.
    public var notRun: Bool { !steps.isEmpty && steps.allSatisfy(\.skipped) }
    /// Why the lab did not run (its steps' shared skip reason); nil when it ran.
    public var notRunReason: String? { notRun ? steps.first?.skipReason : nil }
    public var duration: TimeInterval { endTime.timeIntervalSince(startTime) }
    /// Steps that are part of the lab proper (not the `@cleanup` pseudo-step).
    public var labSteps: [StepReport] { steps.filter { $0.kind == .step } }
    /// Lab steps that ran and passed.
    public var passedStepCount: Int { labSteps.filter { !$0.failed && !$0.skipped }.count }
    /// The first failing operation, the one a reader wants to see first.
    public var firstFailure: (step: StepReport, operation: OperationReport)? {
        for step in steps {
            if let operation = step.operations.first(where: \.failed) { return (step, operation) }
        }
        return nil
    }
}

/// One step of a lab, or one of the pseudo-steps the runner adds (`@setup`, `@cleanup`).
public struct StepReport: Codable, Sendable {
    /// Whether this is a lab step or a runner pseudo-step.
    public enum Kind: String, Codable, Sendable {
        /// A step written in the lab file.
        case step
        /// Work the runner does before the steps (e.g. creating the backend).
        case setup
        /// The lab-level `cleanup` operations and the deletion of the lab's pods.
        case cleanup
    }

    /// 1-based position among the lab's steps (pseudo-steps use 0).
    public var index: Int
    public var name: String
    public var kind: Kind
    /// Why the step did not run (an earlier step failed, or `--fail-fast`), nil when it ran.
    public var skipReason: String?
    public var startTime: Date
    public var endTime: Date
    public var operations: [OperationReport]

    public init(index: Int, name: String, kind: Kind = .step, skipReason: String? = nil, startTime: Date, endTime: Date, operations: [OperationReport]) {
        self.index = index
        self.name = name
        self.kind = kind
        self.skipReason = skipReason
        self.startTime = startTime
        self.endTime = endTime
        self.operations = operations
    }

    /// True when any of its operations (try, catch, finally or cleanup) failed.
    public var failed: Bool { operations.contains { $0.failed } }
    public var skipped: Bool { skipReason != nil }
    public var duration: TimeInterval { endTime.timeIntervalSince(startTime) }
    /// `"02 kill-app"`, the name used in JUnit/TAP and the step table.
    public var displayName: String {
        kind == .step ? String(format: "%02d %@", index, name) : name
    }
}

/// One operation: what ran, what it observed, and the error if it failed.
public struct OperationReport: Codable, Sendable {
    /// Which block of the step the operation belongs to.
    public enum Phase: String, Codable, Sendable {
        case `try`, `catch`, finally, cleanup
        /// A student task's scripted solution (`podlab run`, or `walk` when the student skips).
        case solution
        /// A student task's checks.
        case verify
    }

    /// The verb (`exec`, `wait`, `namespaces`, …).
    public var verb: String
    /// A one-line summary (`exec in alpine: ip addr`), or the lab's `description`.
    public var summary: String
    public var phase: Phase
    /// `file:line:column` of the operation in the lab file.
    public var location: String
    public var startTime: Date
    public var endTime: Date
    /// How many times the operation ran (more than 1 under `eventually`).
    public var attempts: Int
    /// Seconds slept between `eventually` attempts: waiting the lab asked for, not podlab's time.
    public var retryWaitSeconds: Double = 0
    public var observations: [Observation]
    public var commands: [CommandRecord]
    /// The failure (e.g. the failing check with expected and actual value); nil when it passed.
    public var error: String?
    /// When a `check:` failed: which one, what was expected and what was seen, for reports that
    /// carry structured failures (JSON `failure`, TAP's YAML block).
    public var check: CheckFailure?

    public init(verb: String, summary: String, phase: Phase, location: String, startTime: Date, endTime: Date,
                attempts: Int = 1, observations: [Observation] = [], commands: [CommandRecord] = [], error: String? = nil) {
        self.verb = verb
        self.summary = summary
        self.phase = phase
        self.location = location
        self.startTime = startTime
        self.endTime = endTime
        self.attempts = attempts
        self.observations = observations
        self.commands = commands
        self.error = error
    }

    public var failed: Bool { error != nil }

    /// A failed `check:` of an operation, structured.
    public struct CheckFailure: Codable, Sendable, Equatable {
        /// The result field checked (`stdout`, `exitCode`, `ip`, …).
        public var field: String
        /// `equals`, `notEquals`, `contains`, `matches`.
        public var kind: String
        /// The expected value after `$BINDING` expansion (a `matches` pattern as written).
        public var expected: String
        /// The value the operation produced.
        public var actual: String
        /// `file:line:column` of the check in the lab file.
        public var location: String

        public init(field: String, kind: String, expected: String, actual: String, location: String) {
            self.field = field
            self.kind = kind
            self.expected = expected
            self.actual = actual
            self.location = location
        }
    }
    public var duration: TimeInterval { endTime.timeIntervalSince(startTime) }
}

/// A command an operation ran (in a container or on the host) and what it printed.
public struct CommandRecord: Codable, Sendable {
    /// Where it ran: `"host"` or a container name.
    public var target: String
    /// The command line as a user would type it.
    public var command: String
    public var exitCode: Int32?
    public var stdout: String
    public var stderr: String

    public init(target: String, command: String, exitCode: Int32?, stdout: String, stderr: String) {
        self.target = target
        self.command = command
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Something an operation saw that belongs in the report beyond pass/fail.
public enum Observation: Codable, Sendable {
    /// A named value (`pod IP`, `pause PID`, `$IP_BEFORE`), shown in the facts table.
    case fact(name: String, value: String)
    /// The crictl-style container list of a pod, pause included.
    case containers(pod: String, rows: [ContainerRow])
    /// Namespace inodes of pause and each container.
    case namespaces(NamespaceTable)
    /// The pod's processes, supervisor at the root.
    case processTree(pod: String, root: ProcessNode)
}

/// The namespace inodes of a pod's processes (`readlink /proc/PID/ns/*`).
public struct NamespaceTable: Codable, Sendable {
    /// One process and its inodes (the vocabulary's row).
    public typealias Row = NamespaceRow

    /// The namespace kinds in display order (lsns order).
    public static var kinds: [String] { NamespaceKind.allCases.map(\.rawValue) }

    public var pod: String
    /// The pod IP when the table was taken (it lives in the net namespace).
    public var ip: String?
    public var rows: [Row]
    /// The namespace inodes of the process that took the table (podlab, on the host), so a
    /// kind every process shares with the host (e.g. `user`, or `cgroup` when the runtime does
    /// not unshare it) is called the host's, not the pod's shared one. nil in old reports.
    public var hostInodes: [String: UInt64]?

    public init(pod: String, ip: String? = nil, rows: [Row], hostInodes: [String: UInt64]? = nil) {
        self.pod = pod
        self.ip = ip
        self.rows = rows
        self.hostInodes = hostInodes
    }

    /// The row the others are compared with: pause when present, else the first row.
    public var reference: Row? { rows.first { $0.process == "pause" } ?? rows.first }

    /// How `kind` is held across the rows: the one rule (`NamespaceSharing.of`).
    public func sharing(_ kind: String) -> NamespaceSharing { NamespaceSharing.of(kind, in: rows, host: hostInodes) }

    /// The same inode in every row (at least two), the host's included.
    public func isShared(_ kind: String) -> Bool { sharing(kind).isShared }

    /// No two rows share an inode of this kind (at least two).
    public func isPrivate(_ kind: String) -> Bool { sharing(kind).isPrivate }

    /// The kinds present in any row, in display order.
    public var presentKinds: [String] { NamespaceSharing.presentKinds(in: rows) }
}
