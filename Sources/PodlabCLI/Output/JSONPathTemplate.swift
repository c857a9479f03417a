import ArgumentParser
import Foundation

/// kubectl's JSONPath template (`-o jsonpath=…`), the syntax of client-go
/// `util/jsonpath/parser.go` and its evaluation in `jsonpath.go`, over an `OutputValue`.
///
/// Supported: text outside `{}`; `{.a.b}`, `{$.a}`, `{@.a}`; `['key.with.dots']`; `[n]`, `[-1]`,
/// `[a:b]`, `[*]`, `.*`; recursive descent `..name`; `{range …}…{end}`; quoted literals
/// `{"\n"}`; filters `[?(@.path OP literal)]` with `== != < <= > >=` and `[?(@.path)]`.
/// Anything else (unions `[a,b]`, functions, nested filters) is an error naming its column,
/// never a silent empty result. As `kubectl get` (whose `--allow-missing-template-keys`
/// defaults to true), a missing key prints nothing.
struct JSONPathTemplate: Equatable {
    indirect enum Node: Equatable {
        case text(String)
        case path([Step], fromRoot: Bool)
        case range([Step], fromRoot: Bool, body: [Node])
    }

    enum Step: Equatable {
        case field(String)
        case wildcard
        case recursive(String?)  // nil: `..*`
        case index(Int)
        case slice(Int?, Int?)
        case filter([Step], Comparison?)
    }

    struct Comparison: Equatable {
        var op: String
        var literal: OutputValue
    }

    let source: String
    let nodes: [Node]

    init(parsing source: String) throws {
        self.source = source
        var parser = Parser(source: Array(source.unicodeScalars), text: source)
        nodes = try parser.template()
    }

    /// Executes the template against `root`.
    func render(_ root: OutputValue) throws -> String {
        var out = ""
        Self.run(nodes, root: root, current: root, into: &out)
        return out
    }

    private static func run(_ nodes: [Node], root: OutputValue, current: OutputValue, into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let text): out += text
            case .path(let steps, let fromRoot):
                // Several results of one expression are separated by spaces (jsonpath.go PrintResults).
                out += evaluate(steps, on: fromRoot ? root : current).map(\.jsonPathText).joined(separator: " ")
            case .range(let steps, let fromRoot, let body):
                for value in evaluate(steps, on: fromRoot ? root : current) {
                    // range walks the elements of an array result, or the single value otherwise.
                    let items: [OutputValue] = if case .array(let array) = value { array } else { [value] }
                    for item in items { run(body, root: root, current: item, into: &out) }
                }
            }
        }
    }

    static func evaluate(_ steps: [Step], on start: OutputValue) -> [OutputValue] {
        var values = [start]
        for step in steps {
            values = values.flatMap { apply(step, to: $0) }
        }
        return values
    }

    private static func apply(_ step: Step, to value: OutputValue) -> [OutputValue] {
        switch step {
        case .field(let name):
            if case .object(let members) = value, let found = members[name] { return [found] }
            return []
        case .wildcard:
            switch value {
            case .array(let items): return items
            case .object(let members): return members.keys.sorted().compactMap { members[$0] }
            default: return []
            }
        case .recursive(let name):
            var found: [OutputValue] = []
            collect(value, name: name, into: &found)
            return found
        case .index(let index):
            guard case .array(let items) = value else { return [] }
            let position = index < 0 ? items.count + index : index
            return items.indices.contains(position) ? [items[position]] : []
        case .slice(let start, let end):
            guard case .array(let items) = value else { return [] }
            func clamp(_ bound: Int?, _ otherwise: Int) -> Int {
                guard let bound else { return otherwise }
                return min(max(bound < 0 ? items.count + bound : bound, 0), items.count)
            }
            let from = clamp(start, 0), to = clamp(end, items.count)
            return from < to ? Array(items[from..<to]) : []
        case .filter(let path, let comparison):
            guard case .array(let items) = value else { return [] }
            return items.filter { item in
                let results = evaluate(path, on: item)
                guard let comparison else { return !results.isEmpty }
                return results.contains { compare($0, comparison) }
            }
        }
    }

    private static func collect(_ value: OutputValue, name: String?, into found: inout [OutputValue]) {
        switch value {
        case .object(let members):
            for key in members.keys.sorted() {
                guard let member = members[key] else { continue }
                if name == nil || name == key { found.append(member) }
                collect(member, name: name, into: &found)
            }
        case .array(let items):
            for item in items {
                if name == nil { found.append(item) }
                collect(item, name: name, into: &found)
            }
        default: break
        }
    }

    private static func number(_ value: OutputValue) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .double(let double): double
        default: nil
        }
    }

    private static func compare(_ value: OutputValue, _ comparison: Comparison) -> Bool {
        if let left = number(value), let right = number(comparison.literal) {
            switch comparison.op {
            case "==": return left == right
            case "!=": return left != right
            case "<": return left < right
            case "<=": return left <= right
            case ">": return left > right
            default: return left >= right
            }
        }
        switch comparison.op {
        case "==": return value == comparison.literal
        case "!=": return value != comparison.literal
        default:
            guard case .string(let left) = value, case .string(let right) = comparison.literal else { return false }
            switch comparison.op {
            case "<": return left < right
            case "<=": return left <= right
            case ">": return left > right
            default: return left >= right
            }
        }
    }

    // MARK: parsing

    private struct Parser {
        let source: [Unicode.Scalar]
        let text: String
        var position = 0

        init(source: [Unicode.Scalar], text: String) {
            self.source = source
            self.text = text
        }

        func error(_ what: String, at column: Int? = nil) -> ValidationError {
            ValidationError("-o jsonpath=\(text): \(what) at column \((column ?? position) + 1)")
        }

        var peek: Unicode.Scalar? { position < source.count ? source[position] : nil }

        mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { position += 1 } }

        /// Text and `{…}` actions up to the end; `range` bodies nest until their `{end}`.
        mutating func template() throws -> [Node] {
            let (nodes, closedBy) = try nodes(inRange: false)
            if let closedBy { throw error("{end} without a {range}", at: closedBy) }
            return nodes
        }

        /// Returns the nodes and, when an `{end}` stopped them, its column.
        mutating func nodes(inRange: Bool) throws -> ([Node], Int?) {
            var nodes: [Node] = []
            var literal = ""
            while let c = peek {
                if c != "{" {
                    literal.unicodeScalars.append(c)
                    position += 1
                    continue
                }
                if !literal.isEmpty { nodes.append(.text(literal)); literal = "" }
                let open = position
                position += 1
                skipSpaces()
                if matchWord("end") {
                    try closeBrace(open)
                    return (nodes, open)
                }
                if matchWord("range") {
                    skipSpaces()
                    let (steps, fromRoot) = try path()
                    try closeBrace(open)
                    let (body, end) = try self.nodes(inRange: true)
                    guard end != nil else { throw error("{range} without its {end}", at: open) }
                    nodes.append(.range(steps, fromRoot: fromRoot, body: body))
                    continue
                }
                // One or more space-separated expressions or quoted literals in one action.
                repeat {
                    if peek == "\"" || peek == "'" {
                        nodes.append(.text(try quoted()))
                    } else {
                        let (steps, fromRoot) = try path()
                        nodes.append(.path(steps, fromRoot: fromRoot))
                    }
                    skipSpaces()
                } while peek != nil && peek != "}"
                try closeBrace(open)
            }
            if !literal.isEmpty { nodes.append(.text(literal)) }
            return (nodes, nil)
        }

        mutating func matchWord(_ word: String) -> Bool {
            let scalars = Array(word.unicodeScalars)
            guard position + scalars.count <= source.count, Array(source[position..<position + scalars.count]) == scalars else { return false }
            let after = position + scalars.count
            guard after == source.count || source[after] == " " || source[after] == "}" else { return false }
            position = after
            return true
        }

        mutating func closeBrace(_ open: Int) throws {
            skipSpaces()
            guard peek == "}" else {
                if peek == nil { throw error("unclosed {", at: open) }
                throw error("unsupported \"\(String(peek ?? " "))\"")
            }
            position += 1
        }

        /// `"…"` or `'…'` with Go's escapes `\n \t \" \\`.
        mutating func quoted() throws -> String {
            let open = position
            guard let quote = peek else { throw error("expected a quote") }
            position += 1
            var value = ""
            while let c = peek {
                position += 1
                if c == quote { return value }
                if c == "\\" {
                    guard let escaped = peek else { break }
                    position += 1
                    switch escaped {
                    case "n": value += "\n"
                    case "t": value += "\t"
                    case "r": value += "\r"
                    case "\\", "\"", "'": value.unicodeScalars.append(escaped)
                    default: throw error("unsupported escape \\\(escaped)", at: position - 2)
                    }
                    continue
                }
                value.unicodeScalars.append(c)
            }
            throw error("unterminated string", at: open)
        }

        /// A path: optional `$`/`@`, then `.field`, `..field`, `.*`, `[…]` steps.
        mutating func path() throws -> ([Step], fromRoot: Bool) {
            // `.a` and `@.a` start at the current object (the range element, or the root outside
            // any range); only `$` is always the root (client-go jsonpath `evalRoot`/`evalCurrent`).
            var fromRoot = false
            if peek == "$" { position += 1; fromRoot = true } else if peek == "@" { position += 1 }
            var steps: [Step] = []
            var sawStep = false
            while let c = peek {
                if c == "." {
                    position += 1
                    if peek == "." {
                        position += 1
                        if peek == "*" { position += 1; steps.append(.recursive(nil)) } else {
                            let name = fieldName()
                            guard !name.isEmpty else { throw error("expected a field name after ..") }
                            steps.append(.recursive(name))
                        }
                    } else if peek == "*" {
                        position += 1
                        steps.append(.wildcard)
                    } else {
                        let name = fieldName()
                        // `{.}` is the current object itself.
                        if !name.isEmpty { steps.append(.field(name)) }
                    }
                    sawStep = true
                } else if c == "[" {
                    steps.append(try bracket())
                    sawStep = true
                } else {
                    break
                }
            }
            guard sawStep || peek == "}" || peek == " " else {
                throw error("unsupported \"\(String(peek ?? " "))\" (a path starts with . or [)")
            }
            return (steps, fromRoot)
        }

        mutating func fieldName() -> String {
            var name = ""
            while let c = peek, !".[]{}()=!<>,'\" \t$@*".unicodeScalars.contains(c) {
                name.unicodeScalars.append(c)
                position += 1
            }
            return name
        }

        /// `[n]`, `[-n]`, `[a:b]`, `[*]`, `['key']`, `[?(…)]`.
        mutating func bracket() throws -> Step {
            let open = position
            position += 1
            skipSpaces()
            let step: Step
            if peek == "*" {
                position += 1
                step = .wildcard
            } else if peek == "'" || peek == "\"" {
                step = .field(try quoted())
            } else if peek == "?" {
                step = try filter()
            } else {
                let start = integer()
                skipSpaces()
                if peek == ":" {
                    position += 1
                    skipSpaces()
                    let end = integer()
                    skipSpaces()
                    if peek == ":" { throw error("unsupported slice step") }
                    step = .slice(start, end)
                } else if let start {
                    step = .index(start)
                } else {
                    throw error("unsupported \"\(String(peek ?? " "))\" in [ ] (use an index, a slice, *, 'key' or ?(…))")
                }
            }
            skipSpaces()
            if peek == "," { throw error("unsupported union [a,b]") }
            guard peek == "]" else {
                if peek == nil { throw error("unclosed [", at: open) }
                throw error("unsupported \"\(String(peek ?? " "))\" in [ ]")
            }
            position += 1
            return step
        }

        mutating func integer() -> Int? {
            let start = position
            if peek == "-" { position += 1 }
            while let c = peek, ("0"..."9").contains(c) { position += 1 }
            let digits = String(String.UnicodeScalarView(source[start..<position]))
            guard let value = Int(digits) else { position = start; return nil }
            return value
        }

        /// `?(@.path)` or `?(@.path OP literal)`.
        mutating func filter() throws -> Step {
            position += 1  // ?
            guard peek == "(" else { throw error("expected ( after ?") }
            position += 1
            skipSpaces()
            guard peek == "@" else { throw error("unsupported filter (it must start with @)") }
            let (steps, _) = try path()
            skipSpaces()
            var comparison: Comparison?
            if peek != ")" {
                let opStart = position
                while let c = peek, "=!<>~".unicodeScalars.contains(c) { position += 1 }
                let op = String(String.UnicodeScalarView(source[opStart..<position]))
                guard ["==", "!=", "<", "<=", ">", ">="].contains(op) else { throw error("unsupported filter operator \"\(op)\"", at: opStart) }
                skipSpaces()
                comparison = Comparison(op: op, literal: try literal())
                skipSpaces()
            }
            guard peek == ")" else { throw error("unsupported \"\(String(peek ?? " "))\" in filter (one comparison only)") }
            position += 1
            return .filter(steps, comparison)
        }

        mutating func literal() throws -> OutputValue {
            if peek == "'" || peek == "\"" { return .string(try quoted()) }
            let start = position
            while let c = peek, !") \t".unicodeScalars.contains(c) { position += 1 }
            let word = String(String.UnicodeScalarView(source[start..<position]))
            if let int = Int64(word) { return .int(int) }
            if let double = Double(word) { return .double(double) }
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: throw error("unsupported literal \"\(word)\" (quote strings)", at: start)
            }
        }
    }
}
