import ArgumentParser

extension PodlabCommand {
    /// kubectl and crictl spellings users type out of habit, with podlab's word for them.
    static let habits: [[String]: String] = [
        ["get", "pods"]: "pods", ["get", "pod"]: "pods", ["get", "po"]: "pods", ["get"]: "pods",
        ["get", "containers"]: "ps", ["describe", "pod"]: "describe", ["describe", "po"]: "describe",
        ["delete", "pod"]: "delete", ["delete", "po"]: "delete", ["create"]: "apply", ["rm"]: "delete",
        ["rmp"]: "delete", ["stop"]: "kill", ["inspectp"]: "inspectp", ["log"]: "logs", ["namespaces"]: "ns",
    ]

    /// "Did you mean" for an unknown subcommand: `podlab rn` → `podlab run`, `podlab get pods` →
    /// `podlab pods`; nil when the first argument is a known subcommand, an option, or nothing
    /// close. Wired in `main.swift` so it is printed with ArgumentParser's own error.
    public static func suggestion(for arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        let names = Set(configuration.subcommands.map { $0._commandName }
            + configuration.groupedSubcommands.flatMap { $0.subcommands.map { $0._commandName } })
        guard !names.contains(first) else { return nil }
        let words = Array(arguments.prefix(2))
        for key in [words, [first]] {
            if let word = habits[key], names.contains(word) {
                // kubectl's -n/-l are crictl's --last/--latest on podlab's list commands (#154).
                let rest = arguments.dropFirst(key.count).map { argument in
                    guard word == "pods" || word == "ps" else { return argument }
                    return argument == "-n" ? "--namespace" : argument == "-l" ? "--label" : argument
                }.joined(separator: " ")
                return "did you mean: podlab \(word)\(rest.isEmpty ? "" : " " + rest)"
            }
        }
        let close = names.map { ($0, distance($0, first)) }.filter { $0.1 <= max(1, min(2, first.count / 2)) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        guard !close.isEmpty else { return nil }
        return "did you mean: " + close.prefix(3).map { "podlab \($0.0)" }.joined(separator: " or ") + "?"
    }

    /// Levenshtein distance (command names are short; inputs are cut at 64 characters).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.prefix(64)), b = Array(b.prefix(64))
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
