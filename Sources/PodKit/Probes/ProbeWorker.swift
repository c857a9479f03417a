import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One probe or hook in progress: a process in the container (exec), a socket (httpGet,
/// tcpSocket) or a pause (sleep), with the deadline after which it counts as failed.
final class HandlerRun {
    enum Work {
        case process(pid: Int32)
        case network(NetworkProbe)
        case sleep
    }
    let work: Work
    let deadline: Date
    /// Set once the run has ended (a process exit arrives through `waitpid`, the rest by polling).
    var outcome: HandlerOutcome?
    /// An exec handler's output file (unlinked; closed with the run).
    var outputFD: Int32?

    init(work: Work, deadline: Date, outcome: HandlerOutcome? = nil, outputFD: Int32? = nil) {
        self.work = work
        self.deadline = deadline
        self.outcome = outcome
        self.outputFD = outputFD
    }

    deinit { if let outputFD { close(outputFD) } }

    /// kubelet's exec prober reads at most 10 KiB of output (`maxReadLength`, pkg/probe/exec).
    static let maxOutputBytes = 10 * 1024

    /// The exec handler's output so far (stdout and stderr together), at most 10 KiB.
    func output() -> String {
        guard let outputFD else { return "" }
        var buffer = [UInt8](repeating: 0, count: Self.maxOutputBytes)
        let count = buffer.withUnsafeMutableBytes { pread(outputFD, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }

    var pid: Int32? {
        if case .process(let pid) = work { return pid }
        return nil
    }
}

/// The result bookkeeping of one probe of one container attempt, as kubelet's prober worker
/// keeps it (`pkg/kubelet/prober/worker.go` doProbe; docs/FIDELITY.md #47–#50).
///
/// A result is published only after `successThreshold` consecutive successes or
/// `failureThreshold` consecutive failures; before the first, readiness is Failure, liveness
/// Success and startup Unknown (`newWorker` initialValue). A published liveness or startup
/// failure puts the worker on hold until the container is restarted (a new worker here).
struct ProbeWorker {
    let kind: ProbeKind
    let spec: ProbeSpec
    /// Seconds between runs and before the first, after the back-off scale (docs/FIDELITY.md #51).
    let period: TimeInterval
    var nextRunAt: Date
    var lastResult: Bool?
    var resultRun = 0
    /// The published result: nil while unknown.
    var published: Bool?
    var onHold = false
    var run: HandlerRun?

    init(kind: ProbeKind, spec: ProbeSpec, containerStartedAt: Date, scale: Double) {
        self.kind = kind
        self.spec = spec
        period = TimeInterval(spec.periodSeconds) * scale
        nextRunAt = containerStartedAt.addingTimeInterval(TimeInterval(spec.initialDelaySeconds) * scale)
        switch kind {
        case .readiness: published = false
        case .liveness: published = true
        case .startup: published = nil
        }
    }

    /// Records one run's result; returns the newly published result when it changes what
    /// kubelet reports (threshold reached), nil otherwise.
    mutating func record(success: Bool) -> Bool? {
        if lastResult == success {
            resultRun += 1
        } else {
            lastResult = success
            resultRun = 1
        }
        if (!success && resultRun < spec.failureThreshold) || (success && resultRun < spec.successThreshold) {
            return nil
        }
        let changed = published != success
        published = success
        if !success && kind != .readiness {
            // Liveness and startup failures restart the container; stop probing until then.
            onHold = true
            resultRun = 0
        }
        return changed || (!success && kind != .readiness) ? success : nil
    }
}

/// Per-container probe and hook state of the current attempt.
struct ContainerHandlers {
    var probes: [ProbeKind: ProbeWorker] = [:]
    /// The postStart hook while it runs: the container is not ready, and probes wait.
    var postStart: HandlerRun?
    /// Set when postStart failed: the waiting reason and message after the kill.
    var postStartFailure: String?
    var kill: KillInProgress?
}

/// A container being stopped the way kubelet's killContainer does: preStop (within the grace
/// period), then SIGTERM, then SIGKILL when the remaining grace (at least 2 s) is over.
struct KillInProgress {
    /// Why (kubelet's Killing event message), kept as the terminated state's message.
    var message: String?
    var graceEnd: Date
    /// The minimum window after SIGTERM (kubelet's `minimumGracePeriodInSeconds`, 0 for a
    /// forced delete).
    var minimumWindow: TimeInterval
    var preStop: HandlerRun?
    var sigkillAt: Date?
    var killed = false
}
