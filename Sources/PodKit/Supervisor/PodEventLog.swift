#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import PodlabCore

/// One pod event, as `kubectl describe` shows it: type (Normal/Warning), kubelet's reason and
/// message, when, and the container it concerns (kubelet's `involvedObject.fieldPath`
/// `spec.containers{name}`), if any. Reasons are kubelet's constants
/// (pkg/kubelet/events/event.go: Pulled, Created, Started, Killing, BackOff, Unhealthy,
/// FailedPostStartHook, SandboxChanged, …; Scheduled comes from the scheduler, OOMKilling from
/// node-problem-detector). docs/FIDELITY.md #150.
public struct PodEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case normal = "Normal", warning = "Warning" }
    public var type: Kind
    public var reason: String
    public var message: String
    public var time: Date
    public var container: String?

    public init(type: Kind, reason: String, message: String, time: Date, container: String? = nil) {
        self.type = type
        self.reason = reason
        self.message = message
        self.time = time
        self.container = container
    }
}

extension PodDirectory {
    /// The pod's event log, one JSON object a line (`PodEventLog`).
    public var eventLog: String { child("events.jsonl") }
    /// The previous event log, kept once `eventLog` passes `PodEventLog.maxBytes`.
    public var previousEventLog: String { child("events.jsonl.1") }
}

/// The pod's event log on disk: the supervisor appends, `describe` reads.
///
/// Bounded like the API server's event TTL is in time: once the file passes `maxBytes` it
/// becomes `events.jsonl.1` (replacing the older one), so a crash-looping pod keeps at most
/// 2 × `maxBytes`. Appending is one `open(O_APPEND)` + `write`: the supervisor's loop stays cheap.
public struct PodEventLog: Sendable {
    public static let maxBytes = 128 * 1024
    /// A longer line (a huge probe output in a message) is cut, so one event cannot fill the log.
    public static let maxMessageBytes = 2048
    public let directory: PodDirectory

    public init(_ directory: PodDirectory) { self.directory = directory }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Appends `event`; failures (a full disk) are ignored: events are informational, and the
    /// supervisor must keep supervising.
    public func append(_ event: PodEvent) {
        var event = event
        if event.message.utf8.count > Self.maxMessageBytes {
            event.message = String(decoding: event.message.utf8.prefix(Self.maxMessageBytes), as: UTF8.self) + "…"
        }
        guard var line = try? Self.encoder.encode(event) else { return }
        line.append(UInt8(ascii: "\n"))
        var info = stat()
        if stat(directory.eventLog, &info) == 0, Int(info.st_size) + line.count > Self.maxBytes {
            _ = rename(directory.eventLog, directory.previousEventLog)
        }
        let fd = open(directory.eventLog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Every recorded event, oldest first; unreadable lines (a write cut short) are skipped.
    public func read() -> [PodEvent] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        var events: [PodEvent] = []
        for path in [directory.previousEventLog, directory.eventLog] {
            guard let bytes = try? FileSystem.readFile(path), bytes.count <= 2 * Self.maxBytes else { continue }
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                if let event = try? decoder.decode(PodEvent.self, from: Data(line)) { events.append(event) }
            }
        }
        return events
    }
}

extension PodSupervisor {
    /// Records a pod event: kept in `events` ("Type Reason: message") and handed to
    /// `recordEvent` (the supervisor process appends it to the pod's event log).
    func event(_ type: PodEvent.Kind, _ reason: String, _ message: String, container: String? = nil, now: Date = Date()) {
        events.append("\(type.rawValue) \(reason): \(message)")
        if events.count > Self.maxEventsInMemory { events.removeFirst(events.count - Self.maxEventsInMemory) }
        recordEvent(PodEvent(type: type, reason: reason, message: message, time: now, container: container))
    }

    static let maxEventsInMemory = 100
}
