import Foundation
import PodlabCore

/// Which process of a pod a command means (`podlab kill`, `logs`, `exec`, and the same lab
/// operations): pause, a container by name, or the default container.
public enum PodProcessTarget: Sendable, Equatable {
    case pause
    case container(String)
    /// kubectl's default container (`PodRecord.defaultContainerName`).
    case defaultContainer

    /// The spelling shared by the CLI's `-c` and a lab's `container:`: no name is the default
    /// container, `pause` is the sandbox, anything else a container name.
    public init(name: String?) {
        switch name {
        case nil: self = .defaultContainer
        case "pause"?: self = .pause
        case let name?: self = .container(name)
        }
    }
}

extension PodRecord {
    /// The annotation kubectl reads to choose a container when none is named.
    public static let defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

    /// The one default-container rule (docs/FIDELITY.md #142), kubectl's
    /// (`staging/src/k8s.io/kubectl/pkg/cmd/util/podcmd/podcmd.go`, `FindOrDefaultContainerByName`):
    /// the container the `kubectl.kubernetes.io/default-container` annotation names, when the pod
    /// has it, else the first app container (`spec.containers[0]`).
    public var defaultContainerName: String? {
        if let annotated = spec.annotations[Self.defaultContainerAnnotation], containers.contains(where: { $0.name == annotated }) {
            return annotated
        }
        return spec.containers.first?.name ?? containers.first { !$0.isInit }?.name
    }

    /// The container `name` names, or the default container when `name` is nil; errors say
    /// which containers exist.
    public func container(_ name: String?) throws -> ContainerStatus {
        guard let wanted = name ?? defaultContainerName else {
            throw PodlabError(.notFound, "pod \(spec.name) has no containers")
        }
        guard let status = containers.first(where: { $0.name == wanted }) else {
            throw PodlabError(.notFound, "pod \(spec.name) has no container \"\(wanted)\" (containers: \(containers.map(\.name).joined(separator: ", ")))")
        }
        return status
    }

    /// The process `target` names and what to call it: pause's pid, or the running container's.
    public func process(_ target: PodProcessTarget) throws -> (name: String, pid: Int32) {
        switch target {
        case .pause:
            guard let pause = sandbox.pausePID else { throw PodlabError(.invalidState, "pod \(spec.name) has no running pause process") }
            return ("pause", pause)
        case .container(let name):
            return try running(container(name))
        case .defaultContainer:
            return try running(container(nil))
        }
    }

    private func running(_ status: ContainerStatus) throws -> (name: String, pid: Int32) {
        guard status.state == .running, let pid = status.pid else {
            throw PodlabError(.invalidState, "container \(status.name) of pod \(spec.name) is not running (state \(status.state.display))")
        }
        return (status.name, pid)
    }
}
