import Foundation
import PodlabCore

/// Finds lab files: `NAME` → `<labsDir>/NAME.lab.yaml`; anything with a `/` or ending in
/// `.yaml` is taken as a path.
public struct LabCatalog: Sendable {
    public var labsDirectory: String

    public init(labsDirectory: String) { self.labsDirectory = labsDirectory }

    /// Every `*.lab.yaml` in the labs directory, sorted by name.
    public func allFiles() throws -> [String] {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: labsDirectory)
        } catch {
            throw PodlabError(.notFound, "list labs in \(labsDirectory): \(error.localizedDescription) (set PODLAB_LABS_DIR or run from the checkout)")
        }
        return entries.filter { $0.hasSuffix(".lab.yaml") }.sorted().map { (labsDirectory as NSString).appendingPathComponent($0) }
    }

    /// The file for a lab name or path.
    public func resolve(_ nameOrPath: String) throws -> String {
        let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml")
        let path = isPath ? nameOrPath : (labsDirectory as NSString).appendingPathComponent("\(nameOrPath).lab.yaml")
        guard FileManager.default.fileExists(atPath: path) else {
            let known = ((try? allFiles()) ?? []).map { ($0 as NSString).lastPathComponent.replacingOccurrences(of: ".lab.yaml", with: "") }
            throw PodlabError(.notFound, "no lab \"\(nameOrPath)\" (looked for \(path))" + (known.isEmpty ? "" : "; labs: \(known.joined(separator: ", "))"))
        }
        return path
    }

    /// Parses `key=value` label selectors.
    public static func parseSelectors(_ selectors: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for selector in selectors {
            let parts = selector.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw PodlabError(.invalidArgument, "label selector \"\(selector)\": expected key=value")
            }
            result[parts[0]] = parts[1]
        }
        return result
    }

    /// Parses `I/N` (1-based shard I of N).
    public static func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let index = parts[0], let count = parts[1], count >= 1, (1...count).contains(index) else {
            throw PodlabError(.invalidArgument, "--shard \(text): expected I/N with 1 ≤ I ≤ N, e.g. 1/3")
        }
        return (index, count)
    }

    /// The labs of shard `index` of `count`: sorted by name, dealt round-robin, so every lab
    /// lands in exactly one shard and the shards stay stable as long as the lab set does.
    public static func shard(_ labs: [Lab], index: Int, count: Int) -> [Lab] {
        labs.sorted { $0.name < $1.name }.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}
