import PodKit
import PodlabCore
import Foundation
import Yams

/// Checks a YAML node tree against the field tables, collecting every problem with its
/// file:line:column instead of stopping at the first.
struct LabSchemaValidator {
    let file: String
    private(set) var diagnostics: [LabDiagnostic] = []

    init(file: String) { self.file = file }

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    mutating func error(_ node: Node, _ message: String) {
        diagnostics.append(LabDiagnostic(location(node), message))
    }

    /// Validates `node` as a value of `type` for the field called `field` (used in messages).
    mutating func validate(_ node: Node, as type: LabValueType, field: String) {
        if case .alias = node {
            error(node, "\(field): YAML aliases are not supported in lab files")
            return
        }
        switch type {
        case .string:
            guard let scalar = node.scalar, !isNull(node) else { return mismatch(node, type, field) }
            // Strings become argv, environment and file names: a NUL would cut them short.
            if scalar.string.utf8.contains(0) { error(node, "\(field): must not contain a NUL byte") }
        case .integer(let range):
            // Not Yams' `node.int`: its sexagesimal reading (`1:0:0:0:0:0:0:0:0:0:0:0`)
            // multiplies without overflow checks and traps. The tag is resolved by pattern only.
            guard let text = node.scalar?.string, tagName(node) == .int else { return mismatch(node, type, field) }
            guard let value = YAMLCursor.parseInt(text) else {
                return error(node, "\(field): \"\(text)\" is not an integer podlab reads (decimal, 0x hex or 0o octal digits, within 64 bits)")
            }
            if !range.contains(value) {
                error(node, "\(field): \(value) must be between \(range.lowerBound) and \(range.upperBound), inclusive")
            }
        case .boolean:
            guard node.scalar != nil, tagName(node) == .bool, node.bool != nil else { return mismatch(node, type, field) }
        case .duration:
            guard let text = node.scalar?.string, !isNull(node) else { return mismatch(node, type, field) }
            if let problem = LabDuration.problem(text) { error(node, "\(field): \(problem)") }
        case .regex:
            guard let text = node.scalar?.string, !isNull(node) else { return mismatch(node, type, field) }
            do {
                _ = try NSRegularExpression(pattern: text)
            } catch {
                self.error(node, "\(field): invalid regular expression \"\(text)\"")
            }
        case .oneOf(let values):
            guard let text = node.scalar?.string, values.contains(text) else {
                let got = node.scalar.map { "\"\($0.string)\"" } ?? describe(node)
                return error(node, "\(field): \(got) is not allowed; expected \(type.noun)")
            }
        case .signal:
            guard let text = node.scalar?.string, LabSignal.number(text) != nil else {
                let got = node.scalar.map { "\"\($0.string)\"" } ?? describe(node)
                return error(node, "\(field): unknown signal \(got); use a name such as KILL, TERM, INT, HUP or a number 1-64")
            }
        case .list(let element, let minItems):
            guard let sequence = node.sequence else { return mismatch(node, type, field) }
            if sequence.count < minItems {
                error(node, "\(field): needs at least \(minItems) item\(minItems == 1 ? "" : "s")")
            }
            for (index, item) in sequence.enumerated() { validate(item, as: element, field: "\(field)[\(index)]") }
        case .map(let value):
            guard let mapping = node.mapping else { return mismatch(node, type, field) }
            for (key, item) in mapping {
                guard let name = key.scalar?.string else {
                    error(key, "\(field): keys must be strings")
                    continue
                }
                validate(item, as: value, field: "\(field).\(name)")
            }
        case .object(let spec):
            validateObject(node, spec, field: field)
        case .either(let first, let second):
            validate(node, as: shapeMatches(node, first) ? first : second, field: field)
        }
    }

    private mutating func validateObject(_ node: Node, _ spec: LabObjectSpec, field: String) {
        guard let mapping = node.mapping else { return mismatch(node, .object(spec), field) }
        var seenExactlyOne: [String] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                error(key, "\(field): keys must be strings")
                continue
            }
            guard let fieldSpec = spec.field(name) else {
                let hint = suggestion(for: name, among: spec.fields.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
                error(key, "unknown field \"\(name)\" in \(spec.name)\(hint); known fields: \(spec.fields.map(\.name).joined(separator: ", "))")
                continue
            }
            if spec.exactlyOne.contains(name) {
                seenExactlyOne.append(name)
                if seenExactlyOne.count == 2 {
                    error(key, "\(spec.name) has more than one verb (\(seenExactlyOne.joined(separator: ", "))); write one operation per verb")
                }
            }
            validate(value, as: fieldSpec.type, field: field.isEmpty ? name : "\(field).\(name)")
        }
        for required in spec.fields where required.required && mapping[required.name] == nil {
            error(node, "missing required field \"\(required.name)\" in \(spec.name)\(field.isEmpty ? "" : " (\(field))")")
        }
        validateAlternatives(node, mapping, spec, field: field)
        if !spec.exactlyOne.isEmpty && seenExactlyOne.isEmpty {
            let unknownVerb = mapping.keys.compactMap(\.scalar?.string).first { spec.field($0) == nil }
            if unknownVerb == nil {
                error(node, "\(spec.name) has no verb; use one of: \(spec.exactlyOne.joined(separator: ", "))")
            }
        }
        if !spec.atLeastOne.isEmpty && !spec.atLeastOne.contains(where: { mapping[$0] != nil }) {
            error(node, "\(spec.name) needs at least one of: \(spec.atLeastOne.joined(separator: ", "))")
        }
    }

    /// `alternatives` (exactly one present) and `requires` (fields that come together).
    private mutating func validateAlternatives(_ node: Node, _ mapping: Node.Mapping, _ spec: LabObjectSpec, field: String) {
        let present = spec.alternatives.filter { mapping[$0] != nil }
        if let usual = spec.alternatives.first, present.isEmpty {
            let others = spec.alternatives.dropFirst().map { "\"\($0)\"" }.joined(separator: " or ")
            error(node, "missing required field \"\(usual)\" in \(spec.name)\(field.isEmpty ? "" : " (\(field))")" + (others.isEmpty ? "" : "; or give \(others) instead"))
        } else if present.count > 1, let second = mapping.first(where: { $0.key.scalar?.string == present[1] })?.key {
            error(second, "\(spec.name) has both \(present.map { "\"\($0)\"" }.joined(separator: " and ")); use one of them")
        }
        for (key, _) in mapping {
            guard let name = key.scalar?.string, let needed = spec.requires[name] else { continue }
            for other in needed where mapping[other] == nil {
                error(key, "\"\(name)\" needs \"\(other)\" in \(spec.name) (\(other): \(spec.field(other)?.doc ?? ""))")
            }
        }
    }

    private mutating func mismatch(_ node: Node, _ type: LabValueType, _ field: String) {
        error(node, "\(field): expected \(type.noun), got \(describe(node))")
    }

    /// The resolved YAML tag: a quoted "5" is a string, a plain 5 an integer.
    private func tagName(_ node: Node) -> Tag.Name { Resolver.default.resolveTag(of: node) }

    private func isNull(_ node: Node) -> Bool { node.scalar != nil && tagName(node) == .null }

    private func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return "nothing (null)" }
            return "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// For `either`: whether the node has the shape of this branch.
    private func shapeMatches(_ node: Node, _ type: LabValueType) -> Bool {
        switch type {
        case .object, .map: return node.mapping != nil
        case .list: return node.sequence != nil
        case .boolean: return node.scalar != nil && tagName(node) == .bool
        default: return node.scalar != nil
        }
    }

    /// The closest known name by edit distance, for "did you mean".
    private func suggestion(for name: String, among names: [String]) -> String? {
        let scored = names.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, name.count / 3) else { return nil }
        return best
    }

    private func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}

/// Signal names and numbers (Linux numbering).
public enum LabSignal {
    static let names: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ABRT": SIGABRT, "KILL": SIGKILL, "USR1": SIGUSR1,
        "USR2": SIGUSR2, "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "CHLD": SIGCHLD, "CONT": SIGCONT,
        "STOP": SIGSTOP, "TSTP": SIGTSTP, "WINCH": SIGWINCH,
    ]

    /// The number of `KILL`, `SIGKILL`, `kill` or `9`.
    public static func number(_ text: String) -> Int32? {
        if let value = Int32(text), (1...64).contains(value) { return value }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        return names[name]
    }

    /// `KILL` for 9, `SIG34` for unnamed ones.
    public static func name(_ number: Int32) -> String {
        names.first { $0.value == number }?.key ?? "SIG\(number)"
    }
}
