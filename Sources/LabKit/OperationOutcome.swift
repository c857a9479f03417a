import Foundation
import Reports

/// What one attempt of an operation produced: result values for checks and outputs, things
/// for the report, and the verb's own failure (e.g. a non-zero exit without an exitCode check).
struct OperationOutcome {
    var values: [String: String] = [:]
    var observations: [Observation] = []
    var commands: [CommandRecord] = []
    var error: String?
    /// The failing check, structured, when `error` comes from a `check:`.
    var check: OperationReport.CheckFailure?
}

/// Evaluates `check:` entries against result values.
enum CheckEvaluator {
    /// The first failing check as a message (`check stdout equals "a": got "b"`), or nil.
    static func firstFailure(_ checks: [LabCheck], values: [String: String], expand: (String) throws -> String) -> String? {
        firstFailingCheck(checks, values: values, expand: expand)?.message
    }

    /// The first failing check: its message, and the check structured (nil when the expected
    /// value could not be expanded).
    static func firstFailingCheck(_ checks: [LabCheck], values: [String: String], expand: (String) throws -> String) -> (message: String, check: OperationReport.CheckFailure?)? {
        for check in checks {
            let actual = (values[check.field] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let expected: String
            do {
                expected = check.kind == .matches ? check.expected : try expand(check.expected).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                return ("check \(check.field) at \(check.location): \(error)", nil)
            }
            let passed: Bool
            switch check.kind {
            case .equals: passed = actual == expected
            case .notEquals: passed = actual != expected
            case .contains: passed = actual.contains(expected)
            case .matches:
                let regex = try? NSRegularExpression(pattern: expected)
                passed = regex?.firstMatch(in: actual, range: NSRange(actual.startIndex..., in: actual)) != nil
            }
            if !passed {
                let structured = OperationReport.CheckFailure(field: check.field, kind: check.kind.rawValue, expected: expected, actual: actual,
                                                              location: check.location.description)
                return ("check \(check.field) \(check.kind.rawValue) \(quote(expected)) failed: got \(quote(actual)) (\(check.location))", structured)
            }
        }
        return nil
    }

    /// Short values inline, long ones on their own lines.
    static func quote(_ text: String) -> String {
        if text.count > 200 { return "\"\(text.prefix(200))…\" (\(text.count) characters)" }
        return "\"\(text)\""
    }
}
