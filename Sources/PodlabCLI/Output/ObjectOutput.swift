import ArgumentParser
import Foundation
import PodlabCore

/// `-o` of `pods`, `ps`, `inspect` and `inspectp`: the one formatter behind all four.
///
/// The rule is kubectl's (`kubectl/pkg/cmd/get/get_flags.go` with `printers`): the object a
/// command prints for `-o json` is the only source; `-o yaml` and `-o jsonpath=…` render that
/// same object, so the three can never disagree. `table` and `wide` are the commands' own
/// columns (`wide` adds the columns kubectl's wide printer adds, minus the node ones).
enum ObjectFormat: Equatable {
    case table, wide, json, yaml
    case jsonpath(JSONPathTemplate)

    /// The words `-o` accepts, for help texts and errors.
    static let spellings = "table, wide, json, yaml, jsonpath=TEMPLATE"

    /// Parses `-o`'s value: `json`, `yaml`, `wide`, `table`, `jsonpath=T` or `jsonpath='T'`
    /// (kubectl also accepts `jsonpath={…}` with the template's own quotes).
    init(parsing text: String) throws {
        switch text {
        case "", "table": self = .table
        case "wide": self = .wide
        case "json": self = .json
        case "yaml": self = .yaml
        default:
            guard let equals = text.firstIndex(of: "="), text[..<equals] == "jsonpath" else {
                throw ValidationError("-o \(text): unsupported output format; use one of \(Self.spellings)")
            }
            let template = String(text[text.index(after: equals)...])
            guard !template.isEmpty else { throw ValidationError("-o jsonpath=: the template is empty (e.g. jsonpath='{.items[*].metadata.name}')") }
            self = .jsonpath(try JSONPathTemplate(parsing: template))
        }
    }

    /// Whether this format prints the command's object rather than its table.
    var isStructured: Bool {
        switch self {
        case .table, .wide: false
        case .json, .yaml, .jsonpath: true
        }
    }

    /// Prints `value` as JSON, YAML or through the template. Not for `table`/`wide`.
    func print<T: Encodable>(_ value: T) throws {
        switch self {
        // The pretty JSON `-o json` has always printed (`printJSON`), byte for byte.
        case .table, .wide, .json: try printJSON(value)
        case .yaml: Swift.print(try OutputValue(encoding: value).yaml(), terminator: "")
        // kubectl prints a template's output without adding a newline.
        case .jsonpath(let template): Swift.print(try template.render(try OutputValue(encoding: value)), terminator: "")
        }
    }
}

/// A JSON value tree: what an `Encodable` document encodes to, with kubectl's renderings of it.
indirect enum OutputValue: Equatable, Decodable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([OutputValue])
    case object([String: OutputValue])

    /// The value through `JSONEncoder` (dates as RFC 3339, as `-o json` prints them).
    init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data: Data
        do { data = try encoder.encode(value) } catch {
            throw PodlabError(.invalidState, "encode \(T.self) for output: \(error)")
        }
        do { self = try JSONDecoder().decode(OutputValue.self, from: data) } catch {
            throw PodlabError(.invalidState, "decode \(T.self)'s JSON for output: \(error)")
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let bool = try? container.decode(Bool.self) { self = .bool(bool) }
        else if let int = try? container.decode(Int64.self) { self = .int(int) }
        else if let double = try? container.decode(Double.self) { self = .double(double) }
        else if let string = try? container.decode(String.self) { self = .string(string) }
        else if let array = try? container.decode([OutputValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: OutputValue].self)) }
    }

    // MARK: JSON

    /// Compact JSON with sorted keys (how a JSONPath result prints an object or array).
    func json() -> String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return Self.number(value)
        case .string(let value): return Self.quoted(value)
        case .array(let items): return "[" + items.map { $0.json() }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { Self.quoted($0) + ":" + (members[$0] ?? .null).json() }.joined(separator: ",") + "}"
        }
    }

    /// A double as Go's encoding/json writes it: integral values without a fraction.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A JSON string literal (also a valid YAML double-quoted scalar).
    static func quoted(_ text: String) -> String {
        TextEscaping.doubleQuoted(text) { "\\u00" + TextEscaping.hexByte($0) }
    }

    // MARK: YAML

    /// Block-style YAML with sorted keys, as `kubectl get -o yaml` prints (sigs.k8s.io/yaml
    /// converts the JSON object, whose map keys Go's marshaller sorts). Sequences inside maps are
    /// not indented, as go-yaml writes them.
    func yaml() -> String {
        var lines: [String] = []
        appendYAML(to: &lines, indent: "")
        return lines.joined(separator: "\n") + "\n"
    }

    private var isScalar: Bool {
        switch self {
        case .array(let items): items.isEmpty
        case .object(let members): members.isEmpty
        default: true
        }
    }

    private var scalarYAML: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .double(let value): Self.number(value)
        case .string(let value): Self.yamlString(value)
        case .array: "[]"
        case .object: "{}"
        }
    }

    private func appendYAML(to lines: inout [String], indent: String) {
        switch self {
        case .object(let members) where !members.isEmpty:
            for key in members.keys.sorted() {
                let value = members[key] ?? .null
                let name = Self.yamlString(key)
                if value.isScalar {
                    lines.append("\(indent)\(name): \(value.scalarYAML)")
                } else {
                    lines.append("\(indent)\(name):")
                    if case .array = value { value.appendYAML(to: &lines, indent: indent) } else { value.appendYAML(to: &lines, indent: indent + "  ") }
                }
            }
        case .array(let items) where !items.isEmpty:
            for item in items {
                if item.isScalar {
                    lines.append("\(indent)- \(item.scalarYAML)")
                    continue
                }
                // The item's first line follows "- "; its other lines are indented under it.
                var inner: [String] = []
                item.appendYAML(to: &inner, indent: "")
                for (index, line) in inner.enumerated() {
                    lines.append(indent + (index == 0 ? "- " : "  ") + line)
                }
            }
        default:
            lines.append(indent + scalarYAML)
        }
    }

    /// A string plain when YAML would read it back as the same string, double-quoted otherwise
    /// (go-yaml quotes the same cases: empty, look-alikes of other types, indicators, `: `, ` #`).
    static func yamlString(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return "\"\"" }
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]
        if reserved.contains(text.lowercased()) { return quoted(text) }
        // Timestamps and sexagesimal look-alikes (`2026-12-02T03:14:26Z`, `1:20`) resolve to other
        // types in YAML 1.1, so go-yaml quotes them (kubectl prints `creationTimestamp: "…"`).
        if ("0"..."9").contains(first), text.contains("-") || text.contains(":") { return quoted(text) }
        if Double(text) != nil || Int(text) != nil || text.hasPrefix("0x") || text.hasPrefix("0o") || text == ".inf" || text == ".nan" { return quoted(text) }
        if "-?:,[]{}#&*!|>'\"%@` ".unicodeScalars.contains(first) || last == " " || last == ":" { return quoted(text) }
        if text.contains(": ") || text.contains(" #") || text.contains("\t") { return quoted(text) }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}" || $0 == "\u{feff}" }) { return quoted(text) }
        return text
    }

    /// How a JSONPath result prints (kubectl's `jsonpath.PrintResults`): strings raw, other
    /// scalars as JSON, arrays and objects as compact JSON.
    var jsonPathText: String {
        switch self {
        case .string(let value): value
        default: json()
        }
    }
}
