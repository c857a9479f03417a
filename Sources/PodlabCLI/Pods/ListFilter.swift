import ArgumentParser
import Foundation
import PodKit
import PodlabCore

/// The filters of `podlab ps` and `podlab pods`, with crictl's spelling and meaning
/// (cri-tools `cmd/crictl/container.go` `listContainersCommand`, `sandbox.go`
/// `listPodCommand`): `-l` is `--latest` and `-n N` is `--last N` there, so they are here too.
/// kubectl's `-l selector` and `-n namespace` are spelled `--label` and `--namespace`; a
/// kubectl-shaped use (`-l app=web`, `-n kube-system`) is an error that gives that spelling
/// (docs/FIDELITY.md #154).
struct ListFilter: ParsableArguments {
    @Argument(help: "Pod name, name prefix or pod ID prefix.") var pod: String?
    @Option(name: .customLong("label"), help: "Label selector (kubectl syntax: a=b,c!=d, 'k in (x,y)', !k); repeatable.") var label: [String] = []
    @Option(name: .customLong("namespace"), help: "Only pods in this namespace.") var namespace: String?
    @Option(name: [.customShort("p"), .customLong("pod")], help: "Only this pod (name or ID prefix), as crictl ps --pod.") var podFilter: String?
    @Option(help: "Only names matching this regular expression (crictl --name).") var name: String?
    @Option(name: .shortAndLong, help: "Only this state (ps: created, running, exited, unknown; pods: ready, notready).") var state: String?
    @Flag(name: .shortAndLong, help: "Only the most recently created one (crictl --latest).") var latest = false
    @Option(name: [.customShort("n"), .customLong("last")], help: "Only the N most recently created (crictl --last).") var last: String?

    /// `--last`, checked: a namespace given to crictl's `-n` is the usual slip.
    func lastCount(command: String) throws -> Int? {
        guard let last else { return nil }
        guard let count = Int(last), count >= 0 else {
            throw ValidationError("podlab \(command): -n is crictl's --last N (a count), got \"\(last)\"; for a namespace use --namespace \(last)")
        }
        return count
    }

    func validate(command: String) throws {
        // `-l app=web`: the flag took no value, so the selector became the POD argument.
        if let pod, pod.contains("=") || pod.hasPrefix("!") || pod.contains(" in ") || pod.contains(" notin ") {
            throw ValidationError("podlab \(command): \"\(pod)\" looks like a label selector; -l is crictl's --latest here, so select with --label '\(pod)'")
        }
        _ = try lastCount(command: command)
        if let name { _ = try regex(name) }
    }

    func regex(_ pattern: String) throws -> NSRegularExpression {
        do { return try NSRegularExpression(pattern: pattern) } catch {
            throw ValidationError("--name \(pattern): not a regular expression: \(error.localizedDescription)")
        }
    }

    func nameMatches(_ text: String) throws -> Bool {
        guard let name else { return true }
        return try regex(name).firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// The pods the positional POD, `--pod`, `--label` and `--namespace` select.
    func pods(_ store: PodStore) throws -> [PodRecord] {
        var pods = try store.select(pod, selector: try LabelSelector.parse(label), namespace: namespace)
        if let podFilter {
            let keys = Set(try store.find(podFilter, namespace: namespace).map(\.key))
            pods = pods.filter { keys.contains($0.key) }
        }
        return pods
    }

    /// Whether a pod created after a `-w` listing started belongs to it: the `--namespace`,
    /// `--label`, POD and `--pod` filters as ``pods(_:)`` applies them (a name or ID prefix).
    func admits(_ record: PodRecord) -> Bool {
        if let namespace, record.spec.namespace != namespace { return false }
        guard let selector = try? LabelSelector.parse(label), selector.matches(record.spec.labels) else { return false }
        return [pod, podFilter].compactMap { $0 }.allSatisfy { record.spec.name.hasPrefix($0) || record.id.hasPrefix($0) || record.key == $0 }
    }

    /// `--latest` / `--last N` applied to items ordered by creation (newest kept).
    func newest<T>(_ items: [T], command: String, createdAt: (T) -> Date?) throws -> [T] {
        let count = latest ? 1 : try lastCount(command: command)
        guard let count else { return items }
        let sorted = items.enumerated().sorted { (createdAt($0.element) ?? .distantPast, $0.offset) > (createdAt($1.element) ?? .distantPast, $1.offset) }
        return sorted.prefix(count).map(\.element)
    }
}
