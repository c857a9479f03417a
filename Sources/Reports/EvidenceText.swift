import Foundation
import PodObservations

/// The evidence an operation gathered (its observations and the commands it ran with their
/// output) as plain text, for places that have no table or diagram: the terminal log and
/// JUnit `<system-out>`/`<failure>`. A `catch` block's container list and logs are what a
/// reader needs to understand a failure, so they are printed whole, never summarised.
public enum EvidenceText {
    /// Observations as text: facts `name: value`, the container table, the namespace inodes,
    /// the process tree.
    public static func observations(_ operation: OperationReport) -> String {
        var parts: [String] = []
        for observation in operation.observations {
            switch observation {
            case let .fact(name, value):
                parts.append("\(name): \(value)")
            case let .containers(pod, rows):
                parts.append(ContainerTableText.render(pod: pod, rows: rows).trimmingCharacters(in: .newlines))
            case let .namespaces(table):
                let kinds = table.presentKinds
                parts.append(TextTable.render(header: ["PROCESS"] + kinds.map { $0.uppercased() },
                                              rows: table.rows.map { row in [row.process] + kinds.map { row.inodes[$0].map(String.init) ?? "?" } })
                    .trimmingCharacters(in: .newlines))
            case let .processTree(_, root):
                parts.append(ProcessTreeText.render(root).trimmingCharacters(in: .newlines))
            }
        }
        return parts.joined(separator: "\n")
    }

    /// The commands with their output, in go-test-log style blocks (`=== COMMAND`, `=== STDOUT`).
    public static func commands(_ operation: OperationReport) -> String {
        var text = ""
        for command in operation.commands {
            text += "=== COMMAND (\(command.target)) \(command.command)\n"
            if !command.stdout.isEmpty { text += "=== STDOUT\n\(command.stdout)\(command.stdout.hasSuffix("\n") ? "" : "\n")" }
            if !command.stderr.isEmpty { text += "=== STDERR\n\(command.stderr)\(command.stderr.hasSuffix("\n") ? "" : "\n")" }
            if let exitCode = command.exitCode { text += "=== EXIT \(exitCode)\n" }
        }
        return text
    }

    /// Both, headed by the operation (`catch containers (lab.yaml:12:7)`), or "" when it
    /// gathered nothing.
    public static func evidence(_ operation: OperationReport) -> String {
        let body = [observations(operation), commands(operation).trimmingCharacters(in: .newlines)].filter { !$0.isEmpty }
        guard !body.isEmpty else { return "" }
        return "--- \(operation.phase.rawValue) \(operation.verb) (\(operation.location)): \(operation.summary)\n" + body.joined(separator: "\n") + "\n"
    }
}
