import Foundation
import PodNetwork
import PodlabCore
import Yams

/// A YAML node together with the file it came from and its path from the document root
/// (`spec.containers[0].image`), so every error can say exactly where and what.
///
/// Strict by construction: `MappingReader` records which keys were read, and `unknownKeys()`
/// reports the rest, so "unknown field" is never silently accepted.
public struct YAMLCursor {
    public let node: Node
    public let file: String
    /// Dotted path of this node, e.g. `spec.template.spec.containers[1].resources.limits.memory`.
    public let path: String

    public init(node: Node, file: String, path: String = "") {
        self.node = node
        self.file = file
        self.path = path
    }

    public var location: SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    /// An error at this node: `file:line:column: <path>: message`.
    public func error(_ message: String) -> PodlabError {
        let field = path.isEmpty ? "" : "\(path): "
        return PodlabError(.badInput, "\(location): \(field)\(message)")
    }

    /// Parses every document of a multi-document YAML file, with libyaml's position on syntax errors.
    public static func documents(yaml: String, file: String) throws -> [YAMLCursor] {
        do {
            // Yams' lazy `compose_all` sequence swallows errors; walk the parser directly.
            let parser = try Parser(yaml: yaml)
            var documents: [YAMLCursor] = []
            while let root = try parser.nextRoot() { documents.append(YAMLCursor(node: root, file: file)) }
            return documents
        } catch let error as YamlError {
            throw PodlabError(.badInput, describe(error, file: file))
        }
    }

    /// Reads and parses a YAML file; a missing or unreadable file is a clear error.
    public static func documents(atPath file: String) throws -> [YAMLCursor] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PodlabError(.notFound, "cannot read \(file): no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PodlabError(.badInput, "\(file): not UTF-8 text")
        }
        return try documents(yaml: text, file: file)
    }

    static func describe(_ error: YamlError, file: String) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let ctx = context.map { " (\($0.text))" } ?? ""
            return "\(file):\(mark.line):\(mark.column): YAML syntax error: \(problem)\(ctx)"
        default:
            return "\(file): YAML error: \(error)"
        }
    }

    // MARK: typed access

    public var isNull: Bool {
        if case .scalar(let s) = node { return s.tag == .init(.null) || (s.string == "" && s.style == .plain) || s.string == "~" || s.string == "null" }
        return false
    }

    /// The scalar as a string; mappings and sequences are type errors.
    public func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a string, found \(kindName)") }
        return scalar.string
    }

    /// An integer. A leading `0` means octal, as YAML 1.1 (and so kubectl) reads `defaultMode: 0644`;
    /// `0o` octal and `0x` hex are accepted too. Anything else, and any value outside `Int`
    /// (the API's int64), is an error here rather than a wrapped or trapping conversion later.
    public func int() throws -> Int {
        guard case .scalar(let scalar) = node, let value = YAMLCursor.parseInt(scalar.string) else {
            throw error("expected an integer, found \(describeValue)")
        }
        return value
    }

    /// An integer within `range`; outside it, the API server's `Invalid value: N: message`
    /// (`InclusiveRangeError` unless a field-specific message is given) at this node.
    public func int(in range: ClosedRange<Int>, _ message: String? = nil) throws -> Int {
        let value = try int()
        guard range.contains(value) else {
            throw invalid("\(value)", message ?? KubeValidation.inclusiveRangeError(range.lowerBound, range.upperBound))
        }
        return value
    }

    /// Parses `[+-]` then decimal digits, `0x` hex, `0o` octal or `0`-prefixed octal, with
    /// overflow detection: nil for anything else (a second sign, `_`, sexagesimal `1:30`,
    /// non-ASCII digits) and for values outside `Int`.
    public static func parseInt(_ text: String) -> Int? {
        var digits = Substring(text)
        let negative = digits.hasPrefix("-")
        if negative || digits.hasPrefix("+") { digits = digits.dropFirst() }
        var radix = 10
        if digits.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0o") {
            radix = 8
            digits = digits.dropFirst(2)
        } else if digits.count > 1, digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        // `Int(_:radix:)` takes a sign of its own; only digits may be left here.
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        // Parsing with the sign attached keeps Int.min representable and never negates.
        return Int((negative ? "-" : "") + digits, radix: radix)
    }

    /// `Invalid value: "<value>": <message>`, the API server's `field.Invalid` wording.
    public func invalid(_ value: String, _ message: String) -> PodlabError {
        error("Invalid value: \(value): \(message)")
    }

    /// Throws `Invalid value` with every problem `problems` lists for the string `value`
    /// (the `[]string` an apimachinery `Is…` function returns); nothing when it is empty.
    public func check(_ value: String, _ problems: [String]) throws {
        guard !problems.isEmpty else { return }
        throw invalid(KubeValidation.quoted(value), problems.joined(separator: ", "))
    }

    public func bool() throws -> Bool {
        guard case .scalar(let scalar) = node else { throw error("expected true or false, found \(kindName)") }
        switch scalar.string {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off": return false
        default: throw error("expected true or false, found \"\(scalar.string)\"")
        }
    }

    public func sequence() throws -> [YAMLCursor] {
        guard case .sequence(let seq) = node else { throw error("expected a list, found \(kindName)") }
        return seq.enumerated().map { YAMLCursor(node: $0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    public func stringList() throws -> [String] { try sequence().map { try $0.string() } }

    public func mapping() throws -> MappingReader {
        guard case .mapping(let map) = node else { throw error("expected a mapping, found \(kindName)") }
        return MappingReader(cursor: self, mapping: map)
    }

    /// A mapping of string keys to string values (labels, annotations, ConfigMap data).
    public func stringMap() throws -> [(key: String, value: String, cursor: YAMLCursor)] {
        guard case .mapping(let map) = node else { throw error("expected a mapping, found \(kindName)") }
        return try map.map { pair in
            let key = try YAMLCursor(node: pair.key, file: file, path: path).string()
            let value = YAMLCursor(node: pair.value, file: file, path: join(key))
            return (key, try value.string(), value)
        }
    }

    /// The entries of a mapping with the cursor of each key and each value, in file order;
    /// keys must be strings. For maps whose keys are data (ConfigMap keys, labels).
    public func entries() throws -> [(key: String, keyCursor: YAMLCursor, value: YAMLCursor)] {
        guard case .mapping(let map) = node else { throw error("expected a mapping, found \(kindName)") }
        return try map.map { pair in
            let key = try YAMLCursor(node: pair.key, file: file, path: path).string()
            // `data[key]`, as the API server names a map entry (`field.Path.Key`).
            let entryPath = "\(path)[\(KubeValidation.quoted(key).dropFirst().dropLast())]"
            return (key, YAMLCursor(node: pair.key, file: file, path: entryPath), YAMLCursor(node: pair.value, file: file, path: entryPath))
        }
    }

    func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public var kindName: String {
        switch node {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    var describeValue: String {
        if case .scalar(let s) = node { return "\"\(s.string)\"" }
        return kindName
    }
}

/// Reads the fields of one YAML mapping and remembers which ones were consumed.
public final class MappingReader {
    public let cursor: YAMLCursor
    private var entries: [(key: String, keyNode: Node, value: Node)] = []
    private var consumed: Set<String> = []

    init(cursor: YAMLCursor, mapping: Node.Mapping) {
        self.cursor = cursor
        for pair in mapping {
            // A non-scalar key is named by its kind, not printed: through aliases it can stand
            // for an exponentially large tree.
            let keyCursor = YAMLCursor(node: pair.key, file: cursor.file)
            let key = (try? keyCursor.string()) ?? "<\(keyCursor.kindName) key>"
            entries.append((key, pair.key, pair.value))
        }
    }

    /// All keys in file order.
    public var keys: [String] { entries.map(\.key) }

    /// The value of `key`, or nil when absent (an explicit `null` counts as absent).
    public func optional(_ key: String) -> YAMLCursor? {
        consumed.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        let value = YAMLCursor(node: entry.value, file: cursor.file, path: cursor.join(key))
        return value.isNull ? nil : value
    }

    /// The value of a required `key`; absence is an error at the mapping's position.
    public func required(_ key: String) throws -> YAMLCursor {
        guard let value = optional(key) else { throw cursor.error("missing required field \"\(key)\"") }
        return value
    }

    /// Marks keys as known without reading them (fields accepted and reported as not modelled).
    public func markKnown(_ keys: String...) { consumed.formUnion(keys) }

    /// Keys present but never read, with the cursor of each key (for "unknown field" errors
    /// or "not modelled" warnings).
    public func unconsumed() -> [(key: String, cursor: YAMLCursor)] {
        entries.filter { !consumed.contains($0.key) }.map {
            ($0.key, YAMLCursor(node: $0.keyNode, file: cursor.file, path: cursor.join($0.key)))
        }
    }

    /// The cursor of a key itself (its position is where a user looks for a misspelt field).
    public func keyCursor(_ key: String) -> YAMLCursor? {
        entries.first(where: { $0.key == key }).map { YAMLCursor(node: $0.keyNode, file: cursor.file, path: cursor.join(key)) }
    }

    /// Throws for the first key that was never read: the strict mode used for lab files.
    public func rejectUnknown(allowed: [String]? = nil) throws {
        if let extra = unconsumed().first {
            let known = (allowed ?? Array(consumed).sorted()).joined(separator: ", ")
            throw extra.cursor.error("unknown field \"\(extra.key)\" (known fields: \(known))")
        }
    }
}
