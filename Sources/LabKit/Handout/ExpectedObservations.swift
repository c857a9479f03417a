import Foundation

/// What a student should see when an operation passes, in words, derived from its checks,
/// `wait` conditions, `namespaces` expectations and the verbs' implicit checks (a command exits
/// 0, an HTTP status is 200). Handouts list these under each step.
public enum ExpectedObservations {
    public static func describe(_ operation: LabOperation) -> [String] {
        var lines: [String] = []
        switch operation.action {
        case let .wait(condition):
            lines.append("podlab waits until " + OperationExecutor.describe(condition))
        case let .namespaces(_, shared, privateKinds):
            if !shared.isEmpty {
                lines.append("\(list(shared.map(\.rawValue))) have the same inode for pause and every container (shared)")
            }
            if !privateKinds.isEmpty {
                lines.append("\(list(privateKinds.map(\.rawValue))) have a different inode in every process (private)")
            }
        case .exec, .script:
            if !operation.checks.contains(where: { $0.field == "exitCode" }) { lines.append("the command exits with status 0") }
        case .http:
            if !operation.checks.contains(where: { $0.field == "status" }) { lines.append("the server answers with status 200") }
        default:
            break
        }
        for check in operation.checks { lines.append(describe(check)) }
        for output in operation.outputs { lines.append("`\(output.field)` is remembered as `$\(output.binding)` for later steps") }
        return lines
    }

    /// "`ip` equals `$IP_BEFORE`".
    public static func describe(_ check: LabCheck) -> String {
        switch check.kind {
        case .equals: return "`\(check.field)` is `\(check.expected)`"
        case .notEquals: return "`\(check.field)` is not `\(check.expected)`"
        case .contains: return "`\(check.field)` contains `\(check.expected)`"
        case .matches: return "`\(check.field)` matches the pattern `\(check.expected)`"
        }
    }

    /// "net, ipc and uts".
    static func list(_ items: [String]) -> String {
        guard items.count > 1, let last = items.last else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }
}
