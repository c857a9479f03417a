import Foundation

/// The sandboxes of one pod over its life (docs/FIDELITY.md #89).
///
/// kubelet never restarts a sandbox: when pause dies it asks the runtime for a new one
/// (`kuberuntime_manager.go` computePodActions: "Need to create a new sandbox", attempt =
/// the old sandbox's attempt + 1), and the old one stays in `crictl pods` as NotReady until
/// kubelet's garbage collector removes it (`kuberuntime_gc.go` evictSandboxes: not ready, no
/// containers left, and not the pod's newest sandbox). podlab's supervisor does the same on
/// kubelet's GC period (`ContainerGC`, docs/FIDELITY.md #180); until then the old sandboxes
/// stay in the record; their namespaces, veth and cgroups are gone, only the record remains.
extension PodRecord {
    /// Bound on the kept history between two GC passes, so a pod whose pause keeps dying
    /// cannot grow its record without limit.
    public static let maxPreviousSandboxes = 16

    /// The current sandbox's id, as `crictl pods` shows it: the record's id for the first
    /// sandbox, a new id for each recreated one.
    public var sandboxID: String { sandbox.id ?? id }

    /// Moves the current sandbox into `previousSandboxes` (NotReady, no pause) and returns the
    /// status the next sandbox starts from: a new id and `attempt + 1`.
    public mutating func retireSandbox() -> SandboxStatus {
        var old = sandbox
        old.id = sandboxID
        old.ready = false
        old.pausePID = nil
        var history = previousSandboxes ?? []
        history.append(old)
        if history.count > Self.maxPreviousSandboxes { history.removeFirst(history.count - Self.maxPreviousSandboxes) }
        previousSandboxes = history
        return SandboxStatus(ready: false, attempt: old.attempt + 1, pausePID: nil, netnsPath: nil, ip: nil, gateway: nil,
                             hostVeth: nil, createdAt: nil, id: generateID())
    }

    /// One record per sandbox, oldest first, the current one last: an old sandbox is this
    /// record with that sandbox in place of the current one and no containers (they ran in
    /// the current sandbox since), so listing and inspection code needs no second shape.
    public var sandboxViews: [PodRecord] {
        (previousSandboxes ?? []).map { old in
            var view = self
            view.sandbox = old
            view.containers = []
            view.previousSandboxes = nil
            return view
        } + [self]
    }

    /// The old sandbox whose id is `query` or starts with it (crictl accepts id prefixes).
    public func previousSandbox(matching query: String) -> PodRecord? {
        sandboxViews.dropLast().first { $0.sandboxID == query || (!query.isEmpty && $0.sandboxID.hasPrefix(query)) }
    }
}
