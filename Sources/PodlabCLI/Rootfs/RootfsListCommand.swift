import ArgumentParser
import Foundation
import PodlabCore
import RootfsKit

/// `podlab rootfs ls [-o json]`.
struct RootfsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the images in the catalog.",
        aliases: ["list"])

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(name: .shortAndLong, help: "Output format: table or json.")
    var output: Format = .table

    func run() throws {
        let records = try ImageCatalog(paths: .fromEnvironment()).list()
        switch output {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(records), as: UTF8.self))
        case .table:
            let rows = [["NAME", "DIGEST", "SIZE", "FILES", "ENTRYPOINT", "CMD", "SOURCE"]]
                + records.map {
                    [$0.reference, $0.shortDigest, Self.humanSize($0.size), String($0.fileCount),
                     Self.command($0.config?.entrypoint), Self.command($0.config?.cmd), $0.source]
                }
            let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = (0..<6).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                print((padded + [row[6]]).joined(separator: "   "))
            }
            if records.isEmpty { StandardStreams.error("no images yet: `podlab rootfs build busybox` or `podlab rootfs import PATH --name NAME[:TAG]`\n") }
        }
    }

    /// An Entrypoint or Cmd as a shell-like line (`-` when unset), cut to 40 characters.
    static func command(_ words: [String]?) -> String {
        guard let words, !words.isEmpty else { return "-" }
        let line = words.map { $0.contains(" ") || $0.isEmpty ? "\"\($0)\"" : $0 }.joined(separator: " ")
        return line.count > 40 ? String(line.prefix(39)) + "…" : line
    }

    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
