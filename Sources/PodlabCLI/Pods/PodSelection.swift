import ArgumentParser
import PodKit
import PodlabCore

/// `POD` or `-l key=value` (repeatable), accepted by every command that takes a pod.
struct PodSelection: ParsableArguments {
    @Argument(help: "Pod name, name prefix or pod ID prefix.", completion: ShellCompletions.podNames)
    var pod: String?

    @Option(name: .shortAndLong, help: "Select pods by label (key=value); repeatable.")
    var label: [String] = []

    @Option(name: .shortAndLong, help: "Only pods in this namespace.")
    var namespace: String?

    func labels() throws -> [String: String] {
        var result: [String: String] = [:]
        for item in label {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--label expects key=value, got \"\(item)\"")
            }
            result[parts[0]] = parts[1]
        }
        return result
    }

    var isEmpty: Bool { pod == nil && label.isEmpty }

    /// The selected pods; with neither POD nor -l, all pods (listing commands) or an error.
    func resolve(_ store: PodStore, requireOne: Bool) throws -> [PodRecord] {
        if requireOne && isEmpty {
            throw ValidationError("name a pod or select one with -l key=value")
        }
        let pods = try store.find(pod, labels: try labels(), namespace: namespace)
        if requireOne {
            guard pods.count == 1, let only = pods.first else {
                if pods.isEmpty { throw PodlabError(.notFound, "no pod matches the labels \(label.joined(separator: ","))") }
                throw PodlabError(.invalidArgument, "the selection matches \(pods.count) pods (\(pods.map(\.spec.name).joined(separator: ", "))); name one")
            }
            return [only]
        }
        return pods
    }
}

extension PodStore {
    /// The store at the configured paths.
    static var current: PodStore { PodStore(paths: .fromEnvironment()) }
}
