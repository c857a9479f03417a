import PodlabCore

/// A label selector as kubectl's `-l` takes it, after apimachinery's
/// `staging/src/k8s.io/apimachinery/pkg/labels/selector.go` (`Parse`, `Requirement.Matches`):
/// comma-separated requirements, all of which must hold: `key`, `!key`, `key=value`,
/// `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key>N`, `key<N`.
///
/// Anything else is an error naming the selector and the position, never a selector that
/// silently matches nothing (docs/FIDELITY.md #153).
struct LabelSelector: Equatable {
    enum Operator: Equatable { case exists, doesNotExist, equals, notEquals, `in`, notIn, greaterThan, lessThan }
    struct Requirement: Equatable {
        var key: String
        var op: Operator
        var values: [String]

        /// apimachinery `Requirement.Matches`: `!=` and `notin` hold when the label is absent.
        func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .equals, .in: return value.map(values.contains) ?? false
            case .notEquals, .notIn: return value.map { !values.contains($0) } ?? true
            case .greaterThan, .lessThan:
                guard let value, let have = Int64(value), let limit = values.first.flatMap({ Int64($0) }) else { return false }
                return op == .greaterThan ? have > limit : have < limit
            }
        }
    }

    var requirements: [Requirement]

    func matches(_ labels: [String: String]) -> Bool { requirements.allSatisfy { $0.matches(labels) } }

    /// Parses `text`; `LabelSelector.parse("")` selects everything, as in kubectl.
    static func parse(_ text: String) throws -> LabelSelector {
        var parser = Parser(text: Array(text), source: text)
        return LabelSelector(requirements: try parser.parse())
    }

    /// Several `-l` options: every requirement of every one must hold.
    static func parse(_ texts: [String]) throws -> LabelSelector {
        LabelSelector(requirements: try texts.flatMap { try parse($0).requirements })
    }

    private struct Parser {
        let text: [Character]
        let source: String
        var index = 0

        func fail(_ why: String) -> PodlabError {
            PodlabError(.invalidArgument, "label selector \"\(source)\": \(why) at column \(index + 1) (kubectl's syntax: a=b, a!=b, a in (x,y), a notin (x,y), a, !a, comma-separated)")
        }

        mutating func skipSpaces() { while index < text.count, text[index] == " " { index += 1 } }
        var atEnd: Bool { index >= text.count }
        func peek(_ s: String) -> Bool {
            let chars = Array(s)
            return index + chars.count <= text.count && Array(text[index..<index + chars.count]) == chars
        }

        mutating func word() -> String {
            let start = index
            while index < text.count, !" ,()=!<>".contains(text[index]) { index += 1 }
            return String(text[start..<index])
        }

        mutating func parse() throws -> [Requirement] {
            var result: [Requirement] = []
            skipSpaces()
            if atEnd { return [] }
            while true {
                result.append(try requirement())
                skipSpaces()
                if atEnd { return result }
                guard text[index] == "," else { throw fail("expected , or the end") }
                index += 1
                skipSpaces()
            }
        }

        mutating func requirement() throws -> Requirement {
            if peek("!") {
                index += 1
                skipSpaces()
                return Requirement(key: try key(), op: .doesNotExist, values: [])
            }
            let key = try key()
            skipSpaces()
            if atEnd || text[index] == "," { return Requirement(key: key, op: .exists, values: []) }
            if peek("==") { index += 2; return Requirement(key: key, op: .equals, values: [try value()]) }
            if peek("!=") { index += 2; return Requirement(key: key, op: .notEquals, values: [try value()]) }
            if peek("=") { index += 1; return Requirement(key: key, op: .equals, values: [try value()]) }
            for (symbol, op) in [(">", Operator.greaterThan), ("<", .lessThan)] where peek(symbol) {
                index += 1
                let number = try value()
                guard Int64(number) != nil else { throw fail("\(symbol) needs an integer, got \"\(number)\"") }
                return Requirement(key: key, op: op, values: [number])
            }
            let start = index
            let word = self.word()
            guard word == "in" || word == "notin" else {
                index = start
                throw fail("unknown operator \"\(word.isEmpty ? String(text[index]) : word)\"")
            }
            skipSpaces()
            guard peek("(") else { throw fail("expected ( after \(word)") }
            index += 1
            var values: [String] = []
            while true {
                skipSpaces()
                values.append(try value(allowEmpty: true))
                skipSpaces()
                if peek(")") { index += 1; break }
                guard peek(",") else { throw fail("expected , or ) in the value list") }
                index += 1
            }
            return Requirement(key: key, op: word == "in" ? .in : .notIn, values: values)
        }

        /// A qualified name: optional DNS-subdomain prefix and `/`, then 1–63 of [A-Za-z0-9-_.],
        /// starting and ending alphanumeric (apimachinery `IsQualifiedName`).
        mutating func key() throws -> String {
            let key = word()
            guard !key.isEmpty else { throw fail("expected a label key") }
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let name = parts.last, Self.isName(name, max: 63),
                  parts.count == 1 || (parts[0].count <= 253 && Self.isName(parts[0], max: 253)) else {
                throw fail("invalid label key \"\(key)\"")
            }
            return key
        }

        /// A label value: empty, or up to 63 of [A-Za-z0-9-_.], alphanumeric at both ends.
        mutating func value(allowEmpty: Bool = true) throws -> String {
            skipSpaces()
            let value = word()
            guard value.isEmpty || Self.isName(Substring(value), max: 63) else { throw fail("invalid label value \"\(value)\"") }
            return value
        }

        static func isName(_ s: Substring, max: Int) -> Bool {
            guard !s.isEmpty, s.count <= max, let first = s.first, let last = s.last,
                  first.isASCII && (first.isLetter || first.isNumber), last.isASCII && (last.isLetter || last.isNumber) else { return false }
            return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }
    }
}
