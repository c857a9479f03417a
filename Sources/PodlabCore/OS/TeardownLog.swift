/// Collects what a teardown could not remove, instead of dropping it with `try?`.
///
/// Teardown goes on past a failure (a stuck mount must not keep the netns pinned), like
/// kubelet's `killPodWithSyncResult`, which gathers every step's error into one result;
/// each failed step is kept as "<what>: <error>" for `delete` and `clean` to print.
public struct TeardownLog: Sendable {
    /// One line per failed step, in order.
    public private(set) var failures: [String] = []

    public init() {}

    /// Runs `body`; if it throws, records "`what`: error" and goes on.
    public mutating func attempt(_ what: @autoclosure () -> String, _ body: () throws -> Void) {
        do { try body() } catch { failures.append("\(what()): \(error)") }
    }

    /// Records a failure found without an error value (a check that did not hold).
    public mutating func record(_ failure: String) { failures.append(failure) }

    /// Appends another log's failures.
    public mutating func append(_ other: TeardownLog) { failures += other.failures }
}
