import PodlabCore
/// Escaping for XML 1.0 text and attribute values.
///
/// Command output is arbitrary bytes: besides the five markup characters, control characters
/// other than tab, newline and carriage return are not allowed in XML 1.0 at all (a single ESC
/// from a coloured tool makes many JUnit parsers reject the file), so they become `\u{1B}`-style
/// text.
public enum XMLText {
    public static func escape(_ text: String) -> String {
        TextEscaping.escaped(text) { scalar in
            switch scalar {
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "\"": return "&quot;"
            case "'": return "&apos;"
            case "\t", "\n", "\r": return nil
            default:
                let value = scalar.value
                let allowed = value >= 0x20 && !(0xD800...0xDFFF).contains(value) && value != 0xFFFE && value != 0xFFFF
                return allowed ? nil : "\\u{" + String(value, radix: 16, uppercase: true) + "}"
            }
        }
    }
}
