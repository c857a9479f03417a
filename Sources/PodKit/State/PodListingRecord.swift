import Foundation
import PodlabCore

/// The part of a pod record that the listing commands (`podlab pods`, `podlab ps`, their
/// filters and `-o json`) read: everything except the container, volume and ConfigMap specs
/// and the image configs, which are most of `pod.json` (issue 16: at 110 pods, decoding whole
/// records was 36 % of `podlab pods`). The JSON is still scanned once; what is skipped is
/// building the skipped values. crictl's `ListPodSandbox`/`ListContainers` answer from
/// containerd's in-memory store the same way: status and metadata, not the spec
/// (containerd `internal/cri/server/sandbox_list.go` `toCRISandbox`).
///
/// Decoded through `PodStore(paths:view: .listing)` only, and turned into a `PodRecord` whose
/// spec has empty `initContainers`, `containers`, `volumes` and `configMaps` and no security
/// context, and whose `imageConfigs` is nil: such a store refuses to write (`PodStore.save`).
struct PodListingRecord: Decodable {
    /// `PodSpec`'s scalar fields and maps that a listing filters or prints.
    struct Spec: Decodable {
        var name: String
        var namespace: String
        var labels: [String: String]
        var annotations: [String: String]
        var restartPolicy: RestartPolicy
        var shareProcessNamespace: Bool
        var hostname: String?
        var terminationGracePeriodSeconds: Int
        var source: SourceLocation
        var ownerDeployment: String?
    }

    var key: String
    var id: String
    var uid: String
    var spec: Spec
    var createdAt: Date
    var phase: PodPhase
    var supervisorPID: Int32?
    var sandbox: SandboxStatus
    var containers: [ContainerStatus]
    var failure: String?
    var started: Bool
    var terminating: Bool
    var imageRoots: [String: String]
    var previousSandboxes: [SandboxStatus]?
    var deadContainers: [DeadContainer]?

    /// The listing as a `PodRecord`, its skipped parts empty (see the type's comment).
    var record: PodRecord {
        PodRecord(
            key: key, id: id, uid: uid,
            spec: PodSpec(
                name: spec.name, namespace: spec.namespace, labels: spec.labels, annotations: spec.annotations,
                restartPolicy: spec.restartPolicy, shareProcessNamespace: spec.shareProcessNamespace, hostname: spec.hostname,
                terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds, initContainers: [], containers: [],
                volumes: [], configMaps: [:], source: spec.source, ownerDeployment: spec.ownerDeployment),
            createdAt: createdAt, phase: phase, supervisorPID: supervisorPID, sandbox: sandbox, containers: containers,
            failure: failure, started: started, terminating: terminating, imageRoots: imageRoots, imageConfigs: nil,
            previousSandboxes: previousSandboxes, deadContainers: deadContainers)
    }
}
