import ArgumentParser
import PodKit
import PodlabCore

/// `POD` or `-l key=value` (repeatable), accepted by every command that takes a pod.
struct PodSelection: ParsableArguments {
    @Argument(help: "Pod name, name prefix or pod ID prefix.", completion: ShellCompletions.podNames)
    var pod: String?

    @Option(name: .shortAndLong, help: "Label selector, kubectl's syntax: a=b,c!=d, 'k in (x,y)', 'k notin (x)', k, !k; repeatable (all must hold).")
    var label: [String] = []

    @Option(name: .shortAndLong, help: "Only pods in this namespace.")
    var namespace: String?

    /// The `-l` selectors, kubectl's syntax (`LabelSelector`); several `-l` must all hold.
    func selector() throws -> LabelSelector { try LabelSelector.parse(label) }

    var isEmpty: Bool { pod == nil && label.isEmpty }

    /// The selected pods; with neither POD nor -l, all pods (listing commands) or an error.
    func resolve(_ store: PodStore, requireOne: Bool) throws -> [PodRecord] {
        if requireOne && isEmpty {
            throw ValidationError("name a pod or select one with -l key=value")
        }
        let pods = try store.select(pod, selector: try selector(), namespace: namespace)
        if requireOne {
            guard pods.count == 1, let only = pods.first else {
                if pods.isEmpty { throw PodlabError(.notFound, "no pod matches the selector \(label.joined(separator: ","))") }
                throw PodlabError(.invalidArgument, "the selection matches \(pods.count) pods (\(pods.map(\.spec.name).joined(separator: ", "))); name one")
            }
            return [only]
        }
        return pods
    }
}

extension PodStore {
    /// Pods in `namespace` matching `selector`, narrowed by the POD argument (name, name prefix
    /// or ID prefix, `find`'s rules) when given.
    func select(_ query: String?, selector: LabelSelector, namespace: String?) throws -> [PodRecord] {
        let selected = try find(nil, namespace: namespace).filter { selector.matches($0.spec.labels) }
        guard let query else { return selected }
        let named = try find(query, namespace: namespace)
        let keys = Set(selected.map(\.key))
        return named.filter { keys.contains($0.key) }
    }

    /// The store at the configured paths.
    static var current: PodStore { PodStore(paths: .fromEnvironment()) }

    /// The store at the configured paths, read-only, decoding what `pods` and `ps` list
    /// (`PodStore.RecordView.listing`: no container specs; issue 16, listing 110 pods).
    static var listing: PodStore { PodStore(paths: .fromEnvironment(), view: .listing) }
}
