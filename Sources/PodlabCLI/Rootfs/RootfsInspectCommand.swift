import ArgumentParser
import Foundation
import PodlabCore
import RootfsKit

/// `podlab rootfs inspect NAME [--json]`.
struct RootfsInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an image's config, layers, digests and size.")

    @Argument(help: "The catalog image (NAME[:TAG]).")
    var image: String

    @Flag(help: "Print the catalog record as JSON.")
    var json = false

    func run() throws {
        let record = try ImageCatalog(paths: .fromEnvironment()).resolve(image)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(record), as: UTF8.self))
            return
        }
        var lines = [
            "Name:        \(record.reference)",
            "Digest:      sha256:\(record.digest) (rootfs tarball)",
            "Tarball:     \(record.tarballPath)",
            "Size:        \(RootfsListCommand.humanSize(record.size)) compressed, \(record.unpackedBytes.map(RootfsListCommand.humanSize) ?? "?") unpacked, \(record.fileCount) entries",
            "Source:      \(record.source)",
        ]
        if let pulled = record.pulled {
            lines.append("Pulled:      \(pulled.reference) (\(pulled.platform))")
            if let index = pulled.indexDigest { lines.append("Index:       \(index)") }
            lines.append("Manifest:    \(pulled.manifestDigest)")
            lines.append("Config blob: \(pulled.config.digest)")
            lines.append("Layers:")
            for layer in pulled.layers {
                lines.append("  \(layer.digest)  \(RootfsListCommand.humanSize(layer.size))  \(layer.mediaType ?? "")")
            }
        }
        let config = record.config ?? ImageConfig()
        func show(_ list: [String]?) -> String { list.map { "[" + $0.map { "\"\($0)\"" }.joined(separator: ", ") + "]" } ?? "(none)" }
        lines.append("Config:" + (record.config == nil ? " (none recorded)" : ""))
        lines.append("  Entrypoint: \(show(config.entrypoint))")
        lines.append("  Cmd:        \(show(config.cmd))")
        lines.append("  Env:        \(show(config.env))")
        lines.append("  WorkingDir: \(config.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/")")
        lines.append("  User:       \(config.user.flatMap { $0.isEmpty ? nil : $0 } ?? "(root)")")
        if let ports = config.exposedPorts, !ports.isEmpty { lines.append("  Ports:      \(ports.keys.sorted().joined(separator: ", "))") }
        if let signal = config.stopSignal { lines.append("  StopSignal: \(signal)") }
        print(lines.joined(separator: "\n"))
    }
}
