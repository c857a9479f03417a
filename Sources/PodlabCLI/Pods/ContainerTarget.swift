import ArgumentParser
import PodKit
import PodlabCore

/// A pod plus, when the user named a container by ID, which container and attempt.
struct ContainerTarget {
    var pod: PodRecord
    /// The container's name, when the argument was a container ID (or `-c` named it).
    var container: String?
    /// True when the ID is the previous attempt's (`lastState.terminated.containerID`): crictl
    /// logs of an exited container's ID print that attempt's output.
    var previousAttempt = false
}

/// A container ID or unique ID prefix, as crictl takes it (crictl's `exec`, `logs`, `inspect`,
/// `stop` resolve a prefix through the runtime's `ListContainers` filter; containerd refuses an
/// ambiguous prefix). Container IDs of the current and the previous attempt count.
enum ContainerIDMatch {
    struct Match {
        var pod: PodRecord
        var container: String
        var id: String
        var previous: Bool
    }

    /// Containers whose current or previous attempt's ID starts with `prefix`.
    static func matches(_ prefix: String, in pods: [PodRecord]) -> [Match] {
        // Short prefixes would match half the IDs; crictl needs no minimum, but one hex digit is
        // a typo more often than an ID.
        guard prefix.count >= 2, prefix.allSatisfy(\.isHexDigit) else { return [] }
        var result: [Match] = []
        for pod in pods {
            for status in pod.containers {
                if !status.id.isEmpty, status.id.hasPrefix(prefix) {
                    result.append(Match(pod: pod, container: status.name, id: status.id, previous: false))
                } else if let last = status.lastTerminated, last.containerID.hasPrefix(prefix) {
                    result.append(Match(pod: pod, container: status.name, id: last.containerID, previous: true))
                }
            }
        }
        return result
    }
}

extension PodSelection {
    /// The pod POD names, or the container POD is the ID (prefix) of, crictl-style: `exec ID`,
    /// `logs ID`, `kill ID` work like `exec POD -c NAME`. A pod name (exact or prefix) wins over
    /// a container ID; a prefix that matches several pods or containers is an error listing them.
    func resolveTarget(_ store: PodStore, container: String?) throws -> ContainerTarget {
        guard let query = pod, label.isEmpty else {
            guard let only = try resolve(store, requireOne: true).first else { throw PodlabError(.notFound, "no pod matches") }
            return ContainerTarget(pod: only, container: container)
        }
        let pods = try store.find(nil, namespace: namespace)
        let exact = pods.filter { $0.spec.name == query || $0.key == query || $0.id == query }
        if exact.count == 1, let only = exact.first { return ContainerTarget(pod: only, container: container) }
        let podPrefixes = exact.isEmpty ? pods.filter { $0.id.hasPrefix(query) || $0.spec.name.hasPrefix(query) } : exact
        let containers = ContainerIDMatch.matches(query, in: pods)
        if podPrefixes.count + containers.count > 1 {
            throw ambiguity(query, pods: podPrefixes, containers: containers)
        }
        if let only = podPrefixes.first { return ContainerTarget(pod: only, container: container) }
        guard let match = containers.first else {
            // Neither: the pod lookup's own error ("pod \"x\" not found (pods: …)").
            guard let only = try resolve(store, requireOne: true).first else { throw PodlabError(.notFound, "no pod or container matches \"\(query)\"") }
            return ContainerTarget(pod: only, container: container)
        }
        if let container, container != match.container {
            throw PodlabError(.invalidArgument, "\(query) is the ID of container \(match.container) in pod \(match.pod.spec.name), not of \(container)")
        }
        return ContainerTarget(pod: match.pod, container: match.container, previousAttempt: match.previous)
    }

    private func ambiguity(_ query: String, pods: [PodRecord], containers: [ContainerIDMatch.Match]) -> PodlabError {
        let listed = pods.map { "pod \($0.spec.name) (\($0.id.prefix(13)))" }
            + containers.map { "container \($0.container) in pod \($0.pod.spec.name) (\($0.id.prefix(13))\($0.previous ? ", previous attempt" : ""))" }
        return PodlabError(.invalidArgument, "\"\(query)\" is ambiguous: it matches \(listed.joined(separator: "; ")); give more of the ID")
    }
}
