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
            let rows = [["NAME", "DIGEST", "SIZE", "FILES", "SOURCE"]]
                + records.map { [$0.reference, $0.shortDigest, Self.humanSize($0.size), String($0.fileCount), $0.source] }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let padded = (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                print((padded + [row[4]]).joined(separator: "   "))
            }
            if records.isEmpty { StandardStreams.error("no images yet: `podlab rootfs build busybox` or `podlab rootfs import PATH --name NAME[:TAG]`\n") }
        }
    }

    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
