import Foundation

/// Renders the Markdown of lab and step texts for a terminal: headings, paragraphs wrapped to
/// the width, `-`/`*`/`1.` lists with hanging indents, `>` quotes, fenced code blocks
/// (indented, never re-flowed), and inline `code`, **bold**, *emphasis* and [links](url).
///
/// With colour off the output has no escape sequences at all: emphasis markers are dropped,
/// code keeps its backticks (so commands stay recognisable), level-1/2 headings are underlined.
public struct TerminalMarkdown {
    public var width: Int
    public var style: TerminalStyle
    /// Columns for code blocks (the terminal's full width in `podlab walk`, where prose stops
    /// earlier); nil uses `width`.
    public var codeWidth: Int?

    public init(width: Int = 80, style: TerminalStyle) {
        self.width = max(20, width)
        self.style = style
    }

    /// The rendered text, lines joined with `\n`, without a trailing newline.
    public func render(_ markdown: String) -> String {
        var out: [String] = []
        var paragraph: [String] = []
        var listItem: (marker: String, indent: Int, text: [String])?
        var lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }

        func flushParagraph() {
            if !paragraph.isEmpty { out += wrap(paragraph.joined(separator: " "), indent: "", hanging: "") }
            paragraph = []
        }
        func flushItem() {
            if let item = listItem {
                let lead = String(repeating: " ", count: item.indent)
                out += wrap(item.text.joined(separator: " "), indent: lead + item.marker, hanging: lead + String(repeating: " ", count: item.marker.count))
            }
            listItem = nil
        }
        func blank() {
            flushParagraph()
            flushItem()
            if let last = out.last, !last.isEmpty { out.append("") }
        }

        var index = 0
        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            index += 1
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                blank()
                let fence = String(trimmed.prefix(3))
                // Shell blocks (and untagged ones, which lab texts use for commands) wrap so
                // that they paste back as the same command.
                let info = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces).lowercased()
                let shell = ["", "sh", "bash", "shell", "zsh"].contains(info)
                while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).hasPrefix(fence) {
                    out += codeLines(lines[index], shell: shell)
                    index += 1
                }
                index += 1  // the closing fence
                out.append("")
                continue
            }
            if trimmed.isEmpty {
                blank()
                continue
            }
            if let (level, title) = heading(trimmed) {
                blank()
                out += headingLines(level, title)
                continue
            }
            if let (marker, indent, rest) = listMarker(line) {
                flushParagraph()
                flushItem()
                listItem = (marker, min(indent, 6), [rest])
                continue
            }
            if trimmed.hasPrefix(">") {
                flushParagraph()
                flushItem()
                let quoted = String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)
                out += wrap(quoted, indent: style.dim("│ "), hanging: style.dim("│ "))
                continue
            }
            if listItem != nil, line.hasPrefix(" ") {
                listItem?.text.append(trimmed)
                continue
            }
            flushItem()
            paragraph.append(trimmed)
        }
        flushParagraph()
        flushItem()
        while out.last?.isEmpty == true { out.removeLast() }
        return out.joined(separator: "\n")
    }

    // MARK: blocks

    private func heading(_ line: String) -> (Int, String)? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return (hashes, String(line.dropFirst(hashes + 1)).trimmingCharacters(in: .whitespaces))
    }

    private func headingLines(_ level: Int, _ title: String) -> [String] {
        let plain = inlineRuns(title).map(\.text).joined()
        let text = String(plain.prefix(width))
        if style.color { return [style.heading(text), ""] }
        switch level {
        case 1: return [text, String(repeating: "=", count: TerminalStyle.visibleWidth(text)), ""]
        case 2: return [text, String(repeating: "-", count: TerminalStyle.visibleWidth(text)), ""]
        default: return [text, ""]
        }
    }

    /// `- item`, `* item`, `+ item`, `12. item` → the marker as displayed, the indent, the text.
    private func listMarker(_ line: String) -> (String, Int, String)? {
        let indent = line.prefix { $0 == " " }.count
        let rest = line.dropFirst(indent)
        if let first = rest.first, "-*+".contains(first), rest.dropFirst().first == " " {
            return ("• ", indent, String(rest.dropFirst(2)).trimmingCharacters(in: .whitespaces))
        }
        let digits = rest.prefix { $0.isNumber }
        if !digits.isEmpty, digits.count < 4, rest.dropFirst(digits.count).hasPrefix(". ") {
            return ("\(digits). ", indent, String(rest.dropFirst(digits.count + 2)).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// A code line, indented by four. Longer than the width, a shell line is wrapped by
    /// `ShellLineWrap` (` \` continuations), any other is cut with a `↩` continuation.
    private func codeLines(_ line: String, shell: Bool = false) -> [String] {
        let columns = max(20, codeWidth ?? width)
        let available = max(10, columns - 4)
        let expanded = line.replacingOccurrences(of: "\t", with: "    ")
        if shell && expanded.count > available && !expanded.hasPrefix(" ") {
            return ShellLineWrap.wrap(expanded, prompt: "", indent: "  ", width: columns, margin: "    ").map { style.code($0) }
        }
        var rest = Substring(expanded)
        var result: [String] = []
        repeat {
            let piece = rest.count > available ? String(rest.prefix(available - 1)) + "↩" : String(rest)
            result.append("    " + style.code(piece))
            rest = rest.count > available ? rest.dropFirst(available - 1) : ""
        } while !rest.isEmpty
        return result
    }

    // MARK: inline

    enum RunStyle { case plain, bold, italic, code }

    struct Run {
        var text: String
        var style: RunStyle
    }

    /// Splits inline Markdown into styled runs.
    func inlineRuns(_ text: String) -> [Run] {
        var runs: [Run] = []
        var plain = ""
        let characters = Array(text)
        var index = 0
        func flush() {
            if !plain.isEmpty { runs.append(Run(text: plain, style: .plain)) }
            plain = ""
        }
        /// The index of `marker` at or after `from`, nil if absent.
        func find(_ marker: String, from: Int) -> Int? {
            let pattern = Array(marker)
            var position = from
            while position + pattern.count <= characters.count {
                if Array(characters[position..<(position + pattern.count)]) == pattern { return position }
                position += 1
            }
            return nil
        }
        while index < characters.count {
            let character = characters[index]
            if character == "\\", index + 1 < characters.count, "`*_[]\\".contains(characters[index + 1]) {
                plain.append(characters[index + 1])
                index += 2
                continue
            }
            if character == "`", let end = find("`", from: index + 1) {
                flush()
                runs.append(Run(text: String(characters[(index + 1)..<end]), style: .code))
                index = end + 1
                continue
            }
            if character == "*" || character == "_" {
                let double = index + 1 < characters.count && characters[index + 1] == character
                let marker = String(repeating: String(character), count: double ? 2 : 1)
                let opensWord = index + marker.count < characters.count && characters[index + marker.count] != " "
                let afterWordBoundary = index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber)
                if opensWord && (character == "*" || afterWordBoundary), let end = find(marker, from: index + marker.count), end > index + marker.count {
                    flush()
                    runs.append(Run(text: String(characters[(index + marker.count)..<end]), style: double ? .bold : .italic))
                    index = end + marker.count
                    continue
                }
            }
            if character == "[", let close = find("](", from: index + 1), let end = find(")", from: close + 2) {
                flush()
                let label = String(characters[(index + 1)..<close])
                let url = String(characters[(close + 2)..<end])
                runs.append(Run(text: label, style: .plain))
                if url != label { runs.append(Run(text: " (\(url))", style: .plain)) }
                index = end + 1
                continue
            }
            plain.append(character)
            index += 1
        }
        flush()
        return runs
    }

    private func styled(_ run: Run) -> String {
        switch run.style {
        case .plain: return run.text
        case .bold: return style.bold(run.text)
        case .italic: return style.italic(run.text)
        case .code: return style.color ? style.code(run.text) : "`\(run.text)`"
        }
    }

    /// Wraps inline Markdown (or, with `markup: false`, literal text such as a command) to the
    /// width: the first line starts with `indent`, later ones with `hanging`. A word longer
    /// than a line gets a line of its own.
    func wrap(_ text: String, indent: String, hanging: String, markup: Bool = true) -> [String] {
        // Words are sequences of styled pieces between spaces; a code span's spaces split it too.
        var words: [[String]] = [[]]
        var widths: [Int] = [0]
        for run in markup ? inlineRuns(text) : [Run(text: text, style: .plain)] {
            let pieces = run.text.split(separator: " ", omittingEmptySubsequences: false)
            for (offset, piece) in pieces.enumerated() {
                if offset > 0 { words.append([]); widths.append(0) }
                guard !piece.isEmpty else { continue }
                var part = Run(text: String(piece), style: run.style)
                // Backticks of an uncoloured code span belong to its first and last word only.
                if run.style == .code && !style.color {
                    part.style = .plain
                    part.text = (offset == 0 ? "`" : "") + part.text + (offset == pieces.count - 1 ? "`" : "")
                }
                words[words.count - 1].append(styled(part))
                widths[widths.count - 1] += TerminalStyle.visibleWidth(part.text)
            }
        }
        var lines: [String] = []
        var current = indent
        var currentWidth = TerminalStyle.visibleWidth(indent)
        var lineHasWord = false
        for (word, wordWidth) in zip(words, widths) where wordWidth > 0 {
            if lineHasWord && currentWidth + 1 + wordWidth > width {
                lines.append(current)
                current = hanging
                currentWidth = TerminalStyle.visibleWidth(hanging)
                lineHasWord = false
            }
            if lineHasWord {
                current += " "
                currentWidth += 1
            }
            current += word.joined()
            currentWidth += wordWidth
            lineHasWord = true
        }
        if lineHasWord { lines.append(current) }
        return lines
    }
}
