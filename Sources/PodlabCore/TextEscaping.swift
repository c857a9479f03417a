/// The one place podlab escapes text for another syntax: Go's `%q` in validation messages,
/// JSON strings, YAML double-quoted scalars and XML text all go through ``escaped(_:replacing:)``.
public enum TextEscaping {
    /// `text` with every scalar for which `replacement` returns a string replaced by it; the
    /// others are kept as they are.
    public static func escaped(_ text: String, replacing replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) { out += replaced } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// `text` in double quotes with C-style escapes for `"`, `\`, newline, carriage return and tab,
    /// and `control(value)` for every other C0 control character and DEL, so a control character
    /// is visible in the output rather than acting on the terminal or breaking the line.
    public static func doubleQuoted(_ text: String, control: (UInt32) -> String) -> String {
        "\"" + escaped(text) { scalar in
            switch scalar {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: return control(scalar.value)
            default: return nil
            }
        } + "\""
    }

    /// `value` as two hexadecimal digits (`0a`, or `0A` with `uppercase`), for `\xNN` escapes.
    public static func hexByte(_ value: UInt32, uppercase: Bool = false) -> String {
        let hex = String(value, radix: 16, uppercase: uppercase)
        return hex.count < 2 ? "0" + hex : hex
    }
}
