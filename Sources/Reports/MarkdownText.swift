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

    /// Command output as a code block can show it: C0 control characters other than tab and
    /// newline (and DEL) become their Unicode control pictures (NUL → ␀, ESC → ␛, CR → ␍), so
    /// `cat /proc/1/cmdline` reads `sleep␀3600␀` instead of putting NUL bytes into the file
    /// (CommonMark replaces them with U+FFFD; many tools stop reading at one).
    static func controlPictures(_ text: String) -> String {
        TextEscaping.escaped(text) { scalar in
            switch scalar.value {
            case 0x09, 0x0A: return nil
            case 0x00..<0x20: return Unicode.Scalar(0x2400 + scalar.value).map { String(Character($0)) }
            case 0x7F: return "\u{2421}"
            default: return nil
            }
        }
    }

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
