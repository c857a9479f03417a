import Foundation

/// Exports the field tables of `LabFormat` as a JSON Schema (draft 2020-12) for editors
/// (`# yaml-language-server: $schema=…`), like `chainsaw export schemas`.
public enum LabJSONSchema {
    /// The schema as pretty-printed JSON text.
    public static func render() throws -> String {
        var definitions: [String: Any] = [:]
        let root = schema(for: .object(LabFormat.lab), definitions: &definitions)
        var document: [String: Any] = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://podlab.dev/schemas/lab-v1alpha1.json",
            "title": "podlab lab file (\(LabFormat.apiVersion))",
            "$defs": definitions,
        ]
        for (key, value) in root { document[key] = value }
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func schema(for type: LabValueType, definitions: inout [String: Any]) -> [String: Any] {
        switch type {
        case .string: return ["type": ["string", "number", "boolean"]]
        case .integer(let range): return ["type": "integer", "minimum": range.lowerBound, "maximum": range.upperBound]
        case .boolean: return ["type": "boolean"]
        // Greater than 0 and at most 24h is checked by the parser; a pattern cannot say it.
        case .duration: return ["type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ms|h|m|s))+$"]
        case .regex: return ["type": "string", "format": "regex"]
        case .oneOf(let values): return ["enum": values]
        case .signal: return ["anyOf": [["type": "integer", "minimum": 1, "maximum": 64], ["type": "string"]]]
        case .list(let element, let minItems):
            return ["type": "array", "minItems": minItems, "items": schema(for: element, definitions: &definitions)]
        case .map(let value):
            return ["type": "object", "additionalProperties": schema(for: value, definitions: &definitions)]
        case .either(let first, let second):
            return ["anyOf": [schema(for: first, definitions: &definitions), schema(for: second, definitions: &definitions)]]
        case .object(let spec):
            if definitions[spec.name] == nil {
                definitions[spec.name] = [:]  // reserve the name before recursing
                var properties: [String: Any] = [:]
                for field in spec.fields {
                    var property = schema(for: field.type, definitions: &definitions)
                    property["description"] = field.doc
                    properties[field.name] = property
                }
                var object: [String: Any] = [
                    "type": "object", "description": spec.doc, "additionalProperties": false, "properties": properties,
                ]
                let required = spec.fields.filter(\.required).map(\.name)
                if !required.isEmpty { object["required"] = required }
                if !spec.exactlyOne.isEmpty { object["oneOf"] = spec.exactlyOne.map { ["required": [$0]] } }
                if !spec.atLeastOne.isEmpty { object["anyOf"] = spec.atLeastOne.map { ["required": [$0]] } }
                if !spec.alternatives.isEmpty { object["oneOf"] = spec.alternatives.map { ["required": [$0]] } }
                if !spec.requires.isEmpty { object["dependentRequired"] = spec.requires }
                definitions[spec.name] = object
            }
            return ["$ref": "#/$defs/\(spec.name)"]
        }
    }
}
