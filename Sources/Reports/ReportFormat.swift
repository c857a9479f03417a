import Foundation
import PodlabCore

/// The machine-readable formats `--report-format` accepts. Markdown is always written.
public enum ReportFormat: String, CaseIterable, Sendable, Codable {
    case json, junit, tap

    /// The file name extension of this format.
    public var fileExtension: String {
        switch self {
        case .json: return "json"
        case .junit: return "xml"
        case .tap: return "tap"
        }
    }

    public func render(_ report: Report) throws -> String {
        switch self {
        case .json: return try JSONReport.render(report)
        case .junit: return JUnitReport.render(report)
        case .tap: return TAPReport.render(report)
        }
    }
}

/// Writes a report's files into a directory.
public struct ReportWriter: Sendable {
    public var directory: String
    /// File stem of the suite files (`podlab-report.md`, `podlab-report.xml`, …).
    public var name: String
    public var formats: [ReportFormat]

    public init(directory: String, name: String = "podlab-report", formats: [ReportFormat]) {
        self.directory = directory
        self.name = name
        self.formats = formats
    }

    /// Writes `<name>.md`, one `<lab>.md` per lab with its SVG pictures, and one file per requested format.
    /// - Returns: the paths written, suite Markdown first.
    @discardableResult
    public func write(_ report: Report) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw PodlabError(.invalidArgument, "mkdir(\(directory)): cannot create the report directory: \(error.localizedDescription)")
        }
        var written: [String] = []
        written.append(try save(MarkdownReport.render(report), as: "\(name).md"))
        for lab in report.labs {
            written.append(try save(MarkdownReport.render(lab), as: "\(lab.name).md"))
            for diagram in LabDiagrams.diagrams(for: lab) { written.append(try save(diagram.svg, as: diagram.fileName)) }
        }
        for format in formats {
            written.append(try save(try format.render(report), as: "\(name).\(format.fileExtension)"))
        }
        return written
    }

    private func save(_ text: String, as fileName: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(fileName)
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw PodlabError(.invalidArgument, "write(\(path)): cannot write the report: \(error.localizedDescription)")
        }
        return path
    }
}
