import PodlabCore

/// Escaping for text placed inside Markdown constructs, shared by every Markdown the reports
/// write (``MarkdownReport``, the runtime comparison).
enum MarkdownText {
    /// Table cells cannot hold `|` or newlines.
    static func cell(_ text: String) -> String {
        TextEscaping.escaped(text) { scalar in
            switch scalar {
            case "|": return "\\|"
            case "\n": return " "
            default: return nil
            }
        }
    }

    /// A table cell shown as inline code, which cannot hold a backtick either.
    static func code(_ text: String) -> String { cell(text).replacingOccurrences(of: "`", with: "'") }

    /// Text in HTML (`<summary>`, `<details>`).
    static func html(_ text: String) -> String {
        TextEscaping.escaped(text) { scalar in
            switch scalar {
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            default: return nil
            }
        }
    }
}
