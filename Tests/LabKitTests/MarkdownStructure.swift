import Foundation
import LabKit
import Reports
import Testing

/// What a CommonMark parser makes of a Markdown report, reduced to its structure.
///
/// The parser is markdown-it-py (the CommonMark reference tests pass on it) from Debian's
/// `python3-markdown-it`, which `scripts/deps` installs; `/usr/bin/python3` is used so a pyenv or
/// venv `python3` on PATH cannot hide Debian's module. GitHub renders Markdown with cmark-gfm;
/// both follow the CommonMark spec for lists, fences and HTML blocks, which is all this checks.
struct MarkdownStructure: Decodable {
    struct Fence: Decodable {
        /// The info string (`console`, `text`, `mermaid`).
        var info: String
        /// 1-based line of the opening fence.
        var line: Int
        /// The block ends with a closing fence behind the opening fence's container prefix
        /// (indent, `> `), i.e. it was not ended early by the end of its list item, quote or
        /// document.
        var closed: Bool
        /// Nesting depth of the block (0: top level; 2: inside a list item).
        var level: Int
        var content: String
    }

    /// The `<summary>` text of every `<details>` (or `<details open>`, a failed step) the parser sees as HTML (not as code).
    var details: [String]
    /// How many `</details>` it sees as HTML.
    var detailsClosed: Int
    var fences: [Fence]
    /// Image destinations (`![…](dest)`).
    var images: [String]

    /// The checker, fed the Markdown on stdin; prints the structure as JSON.
    static let checker = #"""
    import json, re, sys
    from markdown_it import MarkdownIt
    src = sys.stdin.read()
    lines = src.split("\n")
    tokens = MarkdownIt("commonmark").enable("table").parse(src)
    out = {"details": [], "detailsClosed": 0, "fences": [], "images": []}
    def prefix(line):
        # The container prefix: list indentation and blockquote markers.
        return line[:len(line) - len(line.lstrip(" >"))]
    def walk(tokens):
        for t in tokens:
            if t.type in ("html_block", "html_inline"):
                out["details"] += [m.group(1) for m in re.finditer(r"<details(?: open)?>\s*<summary>(.*?)</summary>", t.content, re.S)]
                out["detailsClosed"] += t.content.count("</details>")
            elif t.type == "fence":
                start, end = t.map
                last = lines[end - 1] if end - 1 > start else ""
                closed = end - 1 > start and last[len(prefix(last)):].rstrip() == t.markup and prefix(last) == prefix(lines[start])
                out["fences"].append({"info": t.info, "line": start + 1, "closed": closed, "level": t.level, "content": t.content})
            elif t.type == "image":
                out["images"].append(t.attrs.get("src", ""))
            if t.children:
                walk(t.children)
    walk(tokens)
    print(json.dumps(out))
    """#

    /// Parses `markdown` with markdown-it-py.
    static func parse(_ markdown: String) throws -> MarkdownStructure {
        let python = "/usr/bin/python3"
        try #require(FileManager.default.isExecutableFile(atPath: python), "\(python) is missing: run scripts/deps")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", checker]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The report can be larger than a pipe buffer: write from another thread while reading.
        let writer = Thread {
            input.fileHandleForWriting.write(Data(markdown.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let json = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "markdown-it-py failed (install python3-markdown-it: run scripts/deps): \(stderr)")
        return try JSONDecoder().decode(MarkdownStructure.self, from: json)
    }

    /// The structural problems: unclosed fences, fences without an info string (a closing fence
    /// read as an opening one), `<details>` not balanced, command blocks outside their list item.
    var problems: [String] {
        var found: [String] = []
        for fence in fences where !fence.closed {
            found.append("line \(fence.line): the ```\(fence.info) fence is not closed where it was opened (content: \(fence.content.prefix(60).debugDescription))")
        }
        for fence in fences where fence.info.isEmpty {
            found.append("line \(fence.line): a fence without an info string (a closing fence read as an opening one)")
        }
        for fence in fences where fence.info == "console" && fence.level == 0 {
            found.append("line \(fence.line): a command block outside its operation's list item")
        }
        if details.count != detailsClosed {
            found.append("\(details.count) <details> but \(detailsClosed) </details>")
        }
        return found
    }
}
