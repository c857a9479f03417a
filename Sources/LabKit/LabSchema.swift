/// The field tables of the lab format. The parser validates against them and `podlab schema`
/// exports them as JSON Schema, so the editor schema and the parser cannot drift apart.

/// The type of a field's value.
public indirect enum LabValueType: Sendable {
    /// Any scalar, taken as text (`name: web`, `equals: 104857600`).
    case string
    /// An integer within the range (an exit code is 0…255).
    case integer(ClosedRange<Int>)
    case boolean
    /// A Go-style duration string (`5s`, `1m30s`), greater than 0 and at most
    /// `LabDuration.maximum` (24h).
    case duration
    /// A regular expression (NSRegularExpression syntax).
    case regex
    /// One of a fixed set of strings.
    case oneOf([String])
    /// A signal name (`KILL`, `SIGTERM`) or number.
    case signal
    case list(LabValueType, minItems: Int)
    /// A mapping with free-form string keys.
    case map(LabValueType)
    case object(LabObjectSpec)
    /// Either form, tried in order (`eventually: true` or `eventually: {timeout: 30s}`).
    case either(LabValueType, LabValueType)

    /// How the type reads in an error message.
    var noun: String {
        switch self {
        case .string: return "a string"
        case .integer(let range): return "an integer from \(range.lowerBound) to \(range.upperBound)"
        case .boolean: return "a boolean (true or false)"
        case .duration: return "a duration such as 5s or 1m30s (at most 24h)"
        case .regex: return "a regular expression"
        case .oneOf(let values): return "one of " + values.joined(separator: ", ")
        case .signal: return "a signal name (KILL, TERM, …) or number"
        case .list: return "a list"
        case .map: return "a mapping"
        case .object(let spec): return "a mapping (\(spec.name))"
        case .either(let first, let second): return "\(first.noun) or \(second.noun)"
        }
    }
}

/// One field of an object.
public struct LabFieldSpec: Sendable {
    public var name: String
    public var type: LabValueType
    public var required: Bool
    public var doc: String

    public init(_ name: String, _ type: LabValueType, required: Bool = false, _ doc: String) {
        self.name = name
        self.type = type
        self.required = required
        self.doc = doc
    }
}

/// An object (YAML mapping) with a closed set of fields: unknown fields are errors (kuttl #278:
/// a misspelled field silently ignored made a test always pass).
public struct LabObjectSpec: Sendable {
    /// The name used in messages and as the JSON Schema definition name.
    public var name: String
    public var doc: String
    public var fields: [LabFieldSpec]
    /// Exactly one of these fields must be present (an operation's verb).
    public var exactlyOne: [String]
    /// At least one of these fields must be present (a `wait` condition).
    public var atLeastOne: [String]
    /// Exactly one of these fields must be present, the first being the usual one (a step's
    /// `try`, or `task` for a student task). Unlike `exactlyOne`, these are not verbs.
    public var alternatives: [String]
    /// Field → fields that must be present with it (`task` needs `verify` and `solution`).
    public var requires: [String: [String]]

    public init(_ name: String, doc: String, fields: [LabFieldSpec], exactlyOne: [String] = [], atLeastOne: [String] = [],
                alternatives: [String] = [], requires: [String: [String]] = [:]) {
        self.name = name
        self.doc = doc
        self.fields = fields
        self.exactlyOne = exactlyOne
        self.atLeastOne = atLeastOne
        self.alternatives = alternatives
        self.requires = requires
    }

    public func field(_ name: String) -> LabFieldSpec? { fields.first { $0.name == name } }
}
