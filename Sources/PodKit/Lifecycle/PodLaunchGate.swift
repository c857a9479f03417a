import Foundation
import PodlabCore

/// Orders pod creation against an interrupt in the same process, so that after Ctrl-C or
/// SIGTERM a pod is either fully started and reported or gone (never created behind the
/// cleanup's back).
///
/// `PodLauncher` creates each pod (record + supervisor) inside `admit`; the interrupt handler
/// calls `close()`, which waits for a creation in progress, makes every later `admit` fail, and
/// returns the pods this process created, for the handler to delete.
public final class PodLaunchGate: @unchecked Sendable {
    public static let shared = PodLaunchGate()

    private let lock = NSLock()
    private var closed = false
    private var created: [PodRecord] = []

    init() {}

    /// Runs `create` unless the gate is closed; `create` returns the record it made.
    func admit(_ create: () throws -> PodRecord) throws -> PodRecord {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw PodlabError(.invalidState, "interrupted: no new pod is created") }
        let record = try create()
        created.append(record)
        return record
    }

    /// Whether `close()` was called: long waits poll it to stop early.
    public var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Closes the gate (waiting for a creation in progress) and returns every pod this process
    /// created through it.
    @discardableResult
    public func close() -> [PodRecord] {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        return created
    }
}
