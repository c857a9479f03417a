import Foundation
import PodlabCore

/// kubelet's container garbage-collection policy (docs/FIDELITY.md #179).
///
/// Defaults of `cmd/kubelet/app/options/options.go` (`MinimumGCAge` 0,
/// `MaxPerPodContainerCount` 1, `MaxContainerCount` -1) and the period of
/// `pkg/kubelet/kubelet.go` (`ContainerGCPeriod`, 1 minute). The period is scaled by the pod's
/// back-off scale annotation (`podlab.dev/backoff-scale`), as the back-off and probe periods
/// are, so a lab sees a pass within seconds. `MaxContainerCount` is node-wide and -1 (no
/// limit) by default, so one pod's supervisor has nothing to enforce for it.
public struct ContainerGCPolicy: Sendable, Equatable {
    /// `MinAge`: a dead container younger than this (from its creation) is not evictable.
    public var minAge: TimeInterval = 0
    /// `MaxPerPodContainer`: dead containers kept per (pod, container name), newest first.
    public var maxPerPodContainer = 1
    /// Time between two passes: `ContainerGCPeriod` times `scale`.
    public var period: TimeInterval

    /// kubelet's defaults with the period scaled (1 = real timing; 0 < scale ≤ 1, validated
    /// when the manifest was parsed, `PodSpec.backoffScale`).
    public init(scale: Double = 1) {
        period = 60 * scale
    }
}

/// One garbage-collection pass over one pod's record: what kubelet's `containerGC`
/// (`pkg/kubelet/kuberuntime/kuberuntime_gc.go`, `GarbageCollect`) would remove from a node
/// running only this pod (docs/FIDELITY.md #178, #180).
public enum ContainerGC {
    /// What a pass removes: dead container attempts, then old sandboxes.
    public struct Plan: Equatable, Sendable {
        public var containers: [DeadContainer] = []
        public var sandboxIDs: [String] = []
        public var isEmpty: Bool { containers.isEmpty && sandboxIDs.isEmpty }
    }

    /// The pass for `record` at `now`.
    ///
    /// Containers (`evictContainers`): the evictable ones are the dead containers (not running)
    /// created at least `minAge` ago, grouped by container name (kubelet's evictUnit: pod UID
    /// and name); each group keeps its `maxPerPodContainer` newest (`byAttempt`: higher attempt
    /// first, then the later creation) and loses the rest. The current attempt counts when it
    /// has exited (a container in back-off, or one that completed), and being the newest it is
    /// the one kept.
    ///
    /// Sandboxes (`evictSandboxes`): a pod that still exists keeps its newest sandbox; every
    /// older one goes once it is not ready (old ones never are here) and no container is left
    /// in it, counted after this pass's container removals, as kubelet lists the containers
    /// again for `evictSandboxes`.
    public static func plan(_ record: PodRecord, policy: ContainerGCPolicy, now: Date) -> Plan {
        var plan = Plan()
        let dead = record.deadContainers ?? []
        let newestEvictable = now.addingTimeInterval(-policy.minAge)
        func evictable(_ createdAt: Date?) -> Bool { (createdAt ?? .distantPast) <= newestEvictable }
        for current in record.containers {
            // The current attempt takes a place among the kept ones when it is a dead container
            // itself; it can never be removed here (it is the newest of its name).
            let currentCounts = current.state == .exited && evictable(current.createdAt)
            let entries = dead.filter { $0.name == current.name && evictable($0.createdAt) }
                .sorted { $0.attempt != $1.attempt ? $0.attempt > $1.attempt : ($0.createdAt ?? .distantPast) > ($1.createdAt ?? .distantPast) }
            let keep = max(0, policy.maxPerPodContainer - (currentCounts ? 1 : 0))
            plan.containers += entries.dropFirst(keep)
        }
        // Dead entries of a name the spec no longer has cannot occur (the spec is fixed), but
        // they would be garbage all the same.
        let names = Set(record.containers.map(\.name))
        plan.containers += dead.filter { !names.contains($0.name) && evictable($0.createdAt) }
        let removed = Set(plan.containers.map(\.terminated.containerID))
        let holding = Set(dead.filter { !removed.contains($0.terminated.containerID) }.map(\.sandboxID))
        plan.sandboxIDs = (record.previousSandboxes ?? []).compactMap(\.id).filter { !holding.contains($0) }
        return plan
    }

    /// Applies `plan` to the record: the entries go from `deadContainers` and
    /// `previousSandboxes`. The caller removes the attempts' log files.
    public static func apply(_ plan: Plan, to record: inout PodRecord) {
        let removed = Set(plan.containers.map(\.terminated.containerID))
        record.deadContainers = record.deadContainers?.filter { !removed.contains($0.terminated.containerID) }
        let sandboxes = Set(plan.sandboxIDs)
        if let previous = record.previousSandboxes {
            let kept = previous.filter { $0.id.map { !sandboxes.contains($0) } ?? true }
            record.previousSandboxes = kept.isEmpty ? nil : kept
        }
    }
}

extension PodSupervisor {
    /// The container at `i` gets a new attempt: the one that ended becomes `lastTerminated`
    /// and a dead container of sandbox `sandboxID`, listed by `ps -a` until the garbage
    /// collector removes it (docs/FIDELITY.md #178).
    func retireAttempt(_ i: Int, sandboxID: String, now: Date) {
        let previous = record.containers[i]
        let ended = terminatedState(previous, now: now)
        record.containers[i].lastTerminated = ended
        record.containers[i].restartCount += 1
        var dead = record.deadContainers ?? []
        dead.append(DeadContainer(name: previous.name, attempt: previous.restartCount, sandboxID: sandboxID,
                                  createdAt: previous.createdAt, terminated: ended))
        record.deadContainers = dead
    }

    /// The policy for this pod (its back-off scale).
    var garbageCollectionPolicy: ContainerGCPolicy { ContainerGCPolicy(scale: record.spec.backoffScale) }

    /// When the next pass is due, if it has anything to look at (the event loop's timeout):
    /// a pod without dead containers or old sandboxes adds no wake-up.
    var garbageCollectionDeadline: Date? {
        guard record.deadContainers?.isEmpty == false || record.previousSandboxes?.isEmpty == false else { return nil }
        return nextGarbageCollection
    }

    /// kubelet's GC loop (`kubelet.go` StartGarbageCollection: `containerGC.GarbageCollect`
    /// every `ContainerGCPeriod`), for this pod: the first pass one period after the supervisor
    /// starts, then one per period. Removes what `ContainerGC.plan` finds: the entries and the
    /// dead attempts' log files (kubelet's `removeContainer` removes the container's log,
    /// `removeContainerLog` in `kuberuntime_container.go`).
    func collectGarbageIfDue(now: Date) {
        let policy = garbageCollectionPolicy
        guard let due = nextGarbageCollection else {
            nextGarbageCollection = now.addingTimeInterval(policy.period)
            return
        }
        guard now >= due else { return }
        nextGarbageCollection = now.addingTimeInterval(policy.period)
        let plan = ContainerGC.plan(record, policy: policy, now: now)
        guard !plan.isEmpty else { return }
        for container in plan.containers {
            // The path podlab gives the attempt's log, not a path read back from the record.
            guard let store else { continue }
            let path = store.podDirectory(for: record.key).log(container: container.name, attempt: container.attempt)
            if unlink(path) != 0 && errno != ENOENT {
                log("garbage collection: \(PodlabError.syscall("unlink(\(path))", errnoValue: errno))")
            }
        }
        ContainerGC.apply(plan, to: &record)
        let containers = plan.containers.map { "\($0.name) attempt \($0.attempt) (\($0.terminated.containerID.prefix(13)))" }
        let sandboxes = plan.sandboxIDs.map { "sandbox \($0.prefix(13))" }
        log("garbage collection: removed " + (containers + sandboxes).joined(separator: ", "))
        save()
    }
}
