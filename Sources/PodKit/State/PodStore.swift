import Foundation
import PodlabCore
import SystemPackage

/// Reads and writes pod records under `<stateDir>/pods`.
///
/// Writes go to a temporary file then `rename(2)`, so readers in other terminals never see a
/// half-written record.
public struct PodStore: Sendable {
    /// What `load` and `list` decode of each record.
    public enum RecordView: Sendable {
        /// The whole record.
        case full
        /// The fields `pods` and `ps` list (`PodListingRecord`): no container, volume or
        /// ConfigMap specs, no image configs. A store with this view refuses to write.
        case listing
    }

    public let paths: PodlabPaths
    public let view: RecordView

    public init(paths: PodlabPaths, view: RecordView = .full) {
        self.paths = paths
        self.view = view
    }

    /// The paths of pod `key`'s directory.
    public func podDirectory(for key: String) -> PodDirectory { PodDirectory(paths: paths, key: key) }
    public func directory(for key: String) -> String { podDirectory(for: key).path }
    public func recordPath(for key: String) -> String { podDirectory(for: key).record }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.timeIntervalSince1970)
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(timeIntervalSince1970: try decoder.singleValueContainer().decode(Double.self))
        }
        return decoder
    }()

    /// Creates the pod's directory; fails if a pod with that namespace and name, or with that
    /// key, exists already.
    public func create(_ record: PodRecord) throws {
        try requireFullView("create", key: record.key)
        try FileSystem.makeDirectories(paths.podsDir)
        // The same namespace/name under another key: a pod created before the key scheme
        // changed (`<namespace>-<name>`, docs/FIDELITY.md #173) keeps its stored key. That key
        // is a function of the pair (`PodKey.legacy`), so one record is read, not every one.
        let legacy = PodKey.legacy(name: record.spec.name, namespace: record.spec.namespace)
        if legacy != record.key, let existing = try? load(key: legacy),
           existing.spec.namespace == record.spec.namespace, existing.spec.name == record.spec.name {
            throw PodlabError(.conflict, "pod \"\(record.spec.name)\" already exists in namespace \"\(record.spec.namespace)\" (key \(existing.key); delete it first: podlab delete \(record.spec.name))")
        }
        let dir = directory(for: record.key)
        guard mkdir(dir, 0o700) == 0 else {
            let code = errno
            if code == EEXIST {
                // Two pairs with one key would share every host name: say which pod holds it.
                if let holder = try? load(key: record.key),
                   holder.spec.namespace != record.spec.namespace || holder.spec.name != record.spec.name {
                    throw PodlabError(.conflict, "pod key \(record.key) of pod \(record.spec.namespace)/\(record.spec.name) is already used by pod \(holder.spec.namespace)/\(holder.spec.name)")
                }
                throw PodlabError(.conflict, "pod \"\(record.spec.name)\" already exists (delete it first: podlab delete \(record.spec.name))")
            }
            throw PodlabError.syscall("mkdir(\(dir))", .init(rawValue: code))
        }
        do {
            try save(record)
        } catch {
            // A failed apply leaves nothing (a full state filesystem, say).
            do { try FileSystem.removeTree(dir) } catch let cleanup {
                throw PodlabError(.invalidState, "\(error) (and \(dir) could not be removed again: \(cleanup))")
            }
            throw error
        }
    }

    public func save(_ record: PodRecord) throws {
        // A listing's record has empty container specs: written back, it would lose them.
        try requireFullView("save", key: record.key)
        let path = recordPath(for: record.key)
        try StateFile.replace(path, with: try Self.encoder.encode(record))
    }

    public func load(key: String) throws -> PodRecord {
        let path = recordPath(for: key)
        let data: [UInt8]
        do {
            data = try FileSystem.readFile(path)
        } catch let error as PodlabError where error.cause as? Errno == .noSuchFileOrDirectory {
            throw PodlabError(.notFound, "pod \"\(key)\" not found")
        }
        do {
            switch view {
            case .full: return try Self.decoder.decode(PodRecord.self, from: Data(data))
            case .listing: return try Self.decoder.decode(PodListingRecord.self, from: Data(data)).record
            }
        } catch {
            throw PodlabError(.invalidState, "pod record \(path) is unreadable (\(error)); run podlab clean")
        }
    }

    private func requireFullView(_ operation: String, key: String) throws {
        guard view == .full else {
            throw PodlabError(.invalidState, "PodStore.\(operation)(\(key)): this store reads listing records only (no container specs) and never writes")
        }
    }

    /// Every pod with a readable record, sorted by creation time.
    public func list() -> [PodRecord] {
        let keys = (try? FileSystem.list(paths.podsDir)) ?? []
        return keys.compactMap { try? load(key: $0) }.sorted { $0.createdAt < $1.createdAt }
    }

    /// Finds pods by name, key, id prefix (as crictl accepts), or all pods matching `labels`.
    public func find(_ query: String?, labels: [String: String] = [:], namespace: String? = nil) throws -> [PodRecord] {
        let all = list()
        var matches = all.filter { record in
            labels.allSatisfy { record.spec.labels[$0.key] == $0.value }
                && (namespace == nil || record.spec.namespace == namespace)
        }
        if let query {
            // The current sandbox's id names the pod too (#89: it differs from `id` once pause
            // has been recreated).
            let exact = matches.filter { $0.spec.name == query || $0.key == query || $0.id == query || $0.sandboxID == query }
            if !exact.isEmpty {
                matches = exact
            } else {
                matches = matches.filter { $0.id.hasPrefix(query) || $0.sandboxID.hasPrefix(query) || $0.spec.name.hasPrefix(query) }
                if matches.count > 1 {
                    throw PodlabError(.invalidArgument, "\"\(query)\" matches \(matches.count) pods: \(matches.map(\.spec.name).joined(separator: ", "))")
                }
            }
            if matches.isEmpty {
                let names = all.map(\.spec.name)
                throw PodlabError(.notFound, "pod \"\(query)\" not found" + (names.isEmpty ? " (no pods exist)" : " (pods: \(names.joined(separator: ", ")))"))
            }
        }
        return matches
    }

    /// An old, NotReady sandbox of some pod whose id is `query` or starts with it
    /// (docs/FIDELITY.md #89), as a record view for `inspectp`; nil if none or several match.
    public func previousSandbox(matching query: String) -> PodRecord? {
        let found = list().compactMap { $0.previousSandbox(matching: query) }
        return found.count == 1 ? found.first : nil
    }

    /// Removes the pod's directory (what is left in it once its mounts are gone).
    /// - Throws: the removal that failed, e.g. `rmdir(<dir>/shm): EBUSY` for a mount still there.
    public func remove(key: String) throws {
        try FileSystem.removeTree(directory(for: key))
    }
}

/// A random lowercase hex identifier of 64 characters, like containerd's IDs.
public func generateID() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
}
