import Foundation
import PodlabCore

/// Appends the Markdown report to the file named by `$GITHUB_STEP_SUMMARY`.
///
/// GitHub refuses summaries over 1024 KiB per step, so an oversized report loses its
/// `<details>` bodies (command output) first and is then cut with a note.
public enum GitHubStepSummary {
    /// GitHub's per-step limit.
    public static let limitBytes = 1024 * 1024

    /// The suite's Markdown for the step summary: pictures as mermaid blocks, since the SVG files
    /// the report links are not next to the summary (see `MarkdownReport.Pictures.mermaid`).
    public static func markdown(for report: Report) -> String {
        MarkdownReport.render(report, pictures: .mermaid)
    }

    /// Appends the suite report to `path` (`markdown(for:)`, fitted to GitHub's limit).
    public static func append(_ report: Report, to path: String) throws {
        try append(markdown(for: report), to: path)
    }

    /// Appends `markdown` to `path`, trimming it to fit GitHub's limit.
    public static func append(_ markdown: String, to path: String) throws {
        let text = fit(markdown)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            if FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) { return }
            throw PodlabError(.invalidArgument, "open($GITHUB_STEP_SUMMARY=\(path)): cannot append the summary")
        }
        defer { try? handle.close() }
        do {
            _ = try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw PodlabError(.syscall, "write($GITHUB_STEP_SUMMARY=\(path)): \(error.localizedDescription)")
        }
    }

    /// The Markdown, shrunk below the limit: details bodies first, then a hard cut.
    public static func fit(_ markdown: String, limit: Int = limitBytes) -> String {
        if markdown.utf8.count <= limit { return markdown }
        var lines: [Substring] = []
        var inDetails = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("<details>") {
                inDetails = true
                lines.append(line)
                lines.append("_(output trimmed to fit the GitHub step summary limit; see the report files)_")
                continue
            }
            if line.hasPrefix("</details>") { inDetails = false }
            if !inDetails { lines.append(line) }
        }
        var text = lines.joined(separator: "\n")
        if text.utf8.count > limit {
            let note = "\n\n_(report cut at the GitHub step summary limit)_\n"
            text = String(decoding: Array(text.utf8.prefix(limit - note.utf8.count)), as: UTF8.self) + note
        }
        return text
    }
}
