import Foundation

/// Wraps a shell command line to a terminal width so that what is on screen pastes back into
/// a shell as the same command: lines are broken only at spaces outside quotes, and every line
/// but the last ends with ` \` (a backslash-newline is removed by the shell before it splits
/// words, POSIX XCU 2.2.1, so `a \⏎    b` is the argv of `a b`). Nothing is ever cut: a word
/// longer than a line gets a line of its own and the terminal soft-wraps it.
///
/// A trailing `# comment` is not part of the command: a backslash inside it would not continue
/// the line, so when command and comment do not fit together the comment goes on its own line
/// (`# …` lines, each one a comment) above the command. A line whose quotes are still open at
/// its end (part of a multi-line script) is left whole: a `\` added inside a quote would be
/// pasted as part of the string.
public enum ShellLineWrap {
    /// - Parameters:
    ///   - line: one command (or `# comment`) line.
    ///   - prompt: printed before the first line (`$ `); continuation lines get `indent`.
    ///   - width: the columns available for the whole line, margin and prompt included.
    ///   - margin: put before every line (the walk's two-space indent), except the pieces of a
    ///     word too long for any line: those continue at column 0 so that no space enters the word.
    /// - Returns: the screen lines.
    public static func wrap(_ line: String, prompt: String, indent: String, width: Int, margin: String = "") -> [String] {
        let room = width - margin.count
        if line.hasPrefix("#") { return wrapComment(line, width: room).map { margin + $0 } }
        let (command, comment) = splitComment(line)
        if let comment, margin.count + prompt.count + line.count > width {
            return wrapComment(comment, width: room).map { margin + $0 } + wrap(command, prompt: prompt, indent: indent, width: width, margin: margin)
        }
        guard let words = words(of: command) else { return [margin + prompt + line] }
        var lines: [String] = []
        var current = margin + prompt
        var currentHasWord = false
        func breakLine() {
            lines.append(current + " \\")
            current = margin + indent
            currentHasWord = false
        }
        // The last line needs no room for ` \`; every other line does.
        for (index, word) in words.enumerated() {
            let isLast = index == words.count - 1
            let trailing = isLast ? (comment.map { " " + $0 }?.count ?? 0) : 2
            if currentHasWord && current.count + 1 + word.count + trailing > width {
                breakLine()
            }
            if margin.count + indent.count + word.count + trailing > width && isSplittable(word) && width > indent.count + margin.count + 8 {
                // Too long for any line: cut it with backslash-newlines, which the shell removes
                // inside a word (POSIX XCU 2.2.1); the pieces start at column 0.
                if currentHasWord { current += " " }
                var rest = Substring(word)
                while current.count + rest.count + trailing > width {
                    let take = max(1, width - current.count - 1)
                    lines.append(current + rest.prefix(take) + "\\")
                    rest = rest.dropFirst(take)
                    current = ""
                }
                current += rest
                currentHasWord = true
                continue
            }
            current += (currentHasWord ? " " : "") + word
            currentHasWord = true
        }
        if let comment { current += " " + comment }
        lines.append(current)
        return lines
    }

    /// A word that may be cut anywhere: no quotes or backslashes, whose meaning depends on
    /// where they stand.
    static func isSplittable(_ word: String) -> Bool {
        !word.contains { "'\"\\`".contains($0) }
    }

    /// The words of `command` (split at unquoted spaces, quotes kept as typed), or nil when a
    /// quote is left open at the end of the line.
    static func words(of command: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var escaped = false
        for character in command {
            if escaped {
                word.append(character)
                escaped = false
                continue
            }
            switch (quote, character) {
            case (nil, " "), (nil, "\t"):
                if !word.isEmpty { words.append(word) }
                word = ""
                continue
            case (nil, "\\"), ("\"", "\\"):
                escaped = true
            case (nil, "'"), (nil, "\""):
                quote = character
            case ("'", "'"), ("\"", "\""):
                quote = nil
            default:
                break
            }
            word.append(character)
        }
        guard quote == nil, !escaped else { return nil }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// `kill -9 101    # app` → (`kill -9 101`, `# app`); a `#` inside quotes or a word is not one.
    static func splitComment(_ line: String) -> (String, String?) {
        var quote: Character?
        var escaped = false
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            defer { previous = character }
            if escaped { escaped = false; continue }
            switch (quote, character) {
            case (nil, "\\"), ("\"", "\\"): escaped = true
            case (nil, "'"), (nil, "\""): quote = character
            case ("'", "'"), ("\"", "\""): quote = nil
            case (nil, "#") where previous == " " || previous == "\t":
                let command = line[..<index].trimmingCharacters(in: .whitespaces)
                return (command, String(line[index...]))
            default: break
            }
        }
        return (line, nil)
    }

    /// A comment wrapped at spaces, every line starting with `#`.
    private static func wrapComment(_ comment: String, width: Int) -> [String] {
        let body = comment.drop { $0 == "#" || $0 == " " }
        var lines: [String] = []
        var current = "#"
        for word in body.split(separator: " ") {
            if current != "#" && current.count + 1 + word.count > width {
                lines.append(current)
                current = "#"
            }
            current += " " + word
        }
        lines.append(current)
        return lines
    }
}
