import Foundation
import PodlabCore

/// Removes what another runtime made for a pod whose supervisor is gone, before podlab's own
/// forced teardown (`PodDeleter.forceRemove`, used by `delete` and `clean`). PodKit cannot
/// import the runtimes built on it (ContainerdKit), so they register a hook at start-up:
/// without it a containerd pod's CRI sandbox, shim and netns outlived a forced delete until
/// `podlab runtime down` (issue 13).
public protocol SandboxTeardown: Sendable {
    /// Tears down pod `key`'s sandbox if this runtime made it (the hook decides from the pod
    /// directory, e.g. containerd's `cri.json`); returns what could not be removed, each with
    /// the failing call and its argument. Must not throw, must be idempotent.
    /// - Parameter supervisorPID: the pod's dead supervisor (its session's leftovers may be ended).
    func forceTearDown(key: String, podDirectory: String, supervisorPID: Int32?, paths: PodlabPaths) -> [String]
}

/// The hooks `PodDeleter.forceRemove` runs, registered once by the CLI.
public enum SandboxTeardownHooks {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var hooks: [any SandboxTeardown] = []

    /// Adds a hook (the CLI does, at start-up, for each runtime it links).
    public static func register(_ hook: any SandboxTeardown) {
        lock.lock()
        defer { lock.unlock() }
        hooks.append(hook)
    }

    /// Runs every hook for pod `key`; returns their failures.
    public static func run(key: String, podDirectory: String, supervisorPID: Int32?, paths: PodlabPaths) -> [String] {
        lock.lock()
        let current = hooks
        lock.unlock()
        return current.flatMap { $0.forceTearDown(key: key, podDirectory: podDirectory, supervisorPID: supervisorPID, paths: paths) }
    }
}
