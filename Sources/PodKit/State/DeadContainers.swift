import Foundation

/// A container attempt that ended and has been replaced by a newer attempt of the same
/// container, kept until kubelet's container garbage collector removes it
/// (docs/FIDELITY.md #178, `ContainerGC`).
///
/// On a node, a restart is a new container; the dead one stays in `crictl ps -a` (and its log
/// in `/var/log/pods/…/<container>/<restartCount>.log`) until `kuberuntime_gc.go`
/// evictContainers removes it on the next GC pass. podlab removes the attempt's writable layer
/// and cgroups at once (CRI RemoveContainer's share of the work), and keeps this entry and the
/// attempt's log file until its own GC pass.
public struct DeadContainer: Codable, Sendable, Equatable {
    /// The container's name in the pod spec (kubelet's evict unit is (pod UID, name)).
    public var name: String
    /// The attempt (`restartCount` when it ran; CRI `ContainerMetadata.Attempt`).
    public var attempt: Int
    /// The sandbox it ran in: an old sandbox is removed only once none of these refer to it.
    public var sandboxID: String
    /// When it was created (kubelet's GC `MinAge` is measured from creation).
    public var createdAt: Date?
    /// How it ended, as `lastState.terminated` showed it.
    public var terminated: TerminatedState
}

extension PodRecord {
    /// The dead attempts of container `name` that `podlab ps -a` lists, oldest first: the ones
    /// the garbage collector has not removed yet. A record written before podlab kept them has
    /// only `lastTerminated`, listed when it is not the current attempt.
    public func deadAttempts(of container: ContainerStatus) -> [DeadContainer] {
        if let dead = deadContainers { return dead.filter { $0.name == container.name } }
        guard let last = container.lastTerminated, last.containerID != container.id else { return [] }
        return [DeadContainer(name: container.name, attempt: max(0, container.restartCount - 1), sandboxID: sandboxID,
                              createdAt: last.startedAt, terminated: last)]
    }
}
