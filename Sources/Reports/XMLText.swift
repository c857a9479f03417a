/// Escaping for XML 1.0 text and attribute values.
///
/// Command output is arbitrary bytes: besides the five markup characters, control characters
/// other than tab, newline and carriage return are not allowed in XML 1.0 at all (a single ESC
/// from a coloured tool makes many JUnit parsers reject the file), so they become `\u{1B}`-style
/// text.
public enum XMLText {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                let allowed = value >= 0x20 && !(0xD800...0xDFFF).contains(value) && value != 0xFFFE && value != 0xFFFF
                if allowed {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "\\u{" + String(value, radix: 16, uppercase: true) + "}"
                }
            }
        }
        return out
    }
}
