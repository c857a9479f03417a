import Foundation

/// ANSI styling that disappears entirely when colour is off (not a terminal, `NO_COLOR`,
/// `--no-color`), so piped output and logs stay plain text.
public struct TerminalStyle: Sendable {
    public var color: Bool

    public init(color: Bool) { self.color = color }

    public func bold(_ text: String) -> String { paint(text, "1") }
    public func dim(_ text: String) -> String { paint(text, "2") }
    public func italic(_ text: String) -> String { paint(text, "3") }
    public func code(_ text: String) -> String { paint(text, "36") }
    public func green(_ text: String) -> String { paint(text, "32") }
    public func red(_ text: String) -> String { paint(text, "31") }
    public func yellow(_ text: String) -> String { paint(text, "33") }
    public func heading(_ text: String) -> String { paint(text, "1;34") }

    /// `✔` / `✘` with colour when on.
    public func mark(passed: Bool) -> String { passed ? green("✔") : red("✘") }

    private func paint(_ text: String, _ code: String) -> String {
        color && !text.isEmpty ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// The number of columns `text` takes on screen: ANSI escape sequences take none.
    public static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else if scalar.properties.generalCategory != .nonspacingMark {
                width += 1
            }
        }
        return width
    }

    /// The terminal's width for output on `fileDescriptor`, capped at `maximum` (long lines are
    /// hard to read); `maximum` when it is not a terminal.
    public static func width(fileDescriptor: Int32 = 1, maximum: Int = 80) -> Int {
        var size = winsize()
        guard ioctl(fileDescriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return maximum }
        return max(40, min(Int(size.ws_col), maximum))
    }
}
