#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// The stream a CRI log line came from.
public enum CRILogStream: String, Sendable {
    case stdout, stderr
}

/// One line of a container log in the CRI log format (docs/FIDELITY.md #200):
/// `2016-10-06T00:17:09.669794202Z stdout F message`, as containerd's shim writes it
/// (`pkg/cri/io/logger.go`, `redirectLogs`) and kubelet reads it
/// (`pkg/kubelet/kuberuntime/logs/logs.go`, `parseCRILog`). The tag is `F` (full) or `P`
/// (partial: the rest of the line follows in the next entry of the same stream).
public struct CRILogEntry: Equatable, Sendable {
    /// RFC 3339 with nanoseconds, UTC, exactly as written (kubelet re-formats it as Go's
    /// `time.RFC3339Nano`, the format it was written in, so passing it through is the same).
    public var timestamp: String
    public var stream: CRILogStream
    public var partial: Bool
    /// The line without its newline.
    public var content: [UInt8]

    public init(timestamp: String, stream: CRILogStream, partial: Bool, content: [UInt8]) {
        self.timestamp = timestamp
        self.stream = stream
        self.partial = partial
        self.content = content
    }

    /// The line as it is stored, with its trailing newline.
    public var encoded: [UInt8] {
        Array("\(timestamp) \(stream.rawValue) \(partial ? "P" : "F") ".utf8) + content + [UInt8(ascii: "\n")]
    }

    /// Parses one stored line (without its newline); nil for a line that is not in the format,
    /// which kubelet's `ReadLogs` logs and skips.
    public static func parse<Bytes: Collection>(_ line: Bytes) -> CRILogEntry? where Bytes.Element == UInt8 {
        let space = UInt8(ascii: " ")
        let bytes = Array(line)
        guard let first = bytes.firstIndex(of: space) else { return nil }
        let timestamp = bytes[..<first]
        guard isTimestamp(timestamp) else { return nil }
        let afterTime = bytes.index(after: first)
        guard let second = bytes[afterTime...].firstIndex(of: space),
              let stream = CRILogStream(rawValue: String(decoding: bytes[afterTime..<second], as: UTF8.self)) else { return nil }
        let afterStream = bytes.index(after: second)
        // kubelet: the tag runs to the next space; tags are ':'-separated and only the first,
        // P or F, has a meaning today.
        guard let third = bytes[afterStream...].firstIndex(of: space) else { return nil }
        let tag = bytes[afterStream..<third].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).first ?? []
        let partial: Bool
        switch String(decoding: tag, as: UTF8.self) {
        case "P": partial = true
        case "F": partial = false
        default: return nil
        }
        return CRILogEntry(timestamp: String(decoding: timestamp, as: UTF8.self), stream: stream, partial: partial,
                           content: Array(bytes[bytes.index(after: third)...]))
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`: the shape of Go's RFC 3339 parse, checked
    /// byte by byte so no input reaches a conversion trap.
    static func isTimestamp(_ text: ArraySlice<UInt8>) -> Bool {
        let b = Array(text)
        guard b.count >= 20 else { return false }
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { b[$0] >= UInt8(ascii: "0") && b[$0] <= UInt8(ascii: "9") } }
        guard digits(0..<4), b[4] == UInt8(ascii: "-"), digits(5..<7), b[7] == UInt8(ascii: "-"), digits(8..<10),
              b[10] == UInt8(ascii: "T"), digits(11..<13), b[13] == UInt8(ascii: ":"), digits(14..<16),
              b[16] == UInt8(ascii: ":"), digits(17..<19) else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
            if i == start { return false }
        }
        guard i < b.count else { return false }
        if b[i] == UInt8(ascii: "Z") { return i + 1 == b.count }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6 else { return false }
        return digits(i + 1..<i + 3) && b[i + 3] == UInt8(ascii: ":") && digits(i + 4..<i + 6)
    }
}

/// Writing and reading container logs in the CRI log format (docs/FIDELITY.md #200–#202).
public enum CRILog {
    /// containerd's default `max_container_log_line_size`: a longer line is stored as `P`
    /// entries of this many bytes and a last `F` one (`pkg/cri/io/logger.go`).
    public static let maxLineSize = 16 * 1024

    /// Now, as Go's `time.Now().UTC().Format(time.RFC3339Nano)`: nanoseconds with trailing
    /// zeros dropped (and the dot too when all are zero), `Z` for UTC; containerd's
    /// `timestampFormat` is `time.RFC3339Nano`.
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return timestamp(seconds: now.tv_sec, nanoseconds: Int(now.tv_nsec))
    }

    /// `seconds` since the epoch plus `nanoseconds` (0..<1e9) as RFC3339Nano UTC.
    public static func timestamp(seconds: Int, nanoseconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        let nanos = min(max(nanoseconds, 0), 999_999_999)
        if nanos > 0 {
            var fraction = String(nanos)
            fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += ".\(fraction)"
        }
        return text + "Z"
    }

    /// The text `kubectl logs` prints for a whole stored log (kubelet's `ReadLogs`): each
    /// entry's content, a newline after each `F` entry, and with `timestamps` the entry's time
    /// and a space before the first piece of each logical line.
    public static func decode(_ data: Data, timestamps: Bool = false) -> Data {
        var decoder = CRILogDecoder(timestamps: timestamps)
        return decoder.feed(data) + decoder.finish()
    }

    /// The last `count` stored lines of `data` (-1: all), as kubelet's `--tail` counts them:
    /// lines of the file (`tail.FindTailLineStartIndex`), so each `P` piece of a long line is one.
    public static func tail(_ data: Data, lines count: Int) -> Data {
        guard count >= 0 else { return data }
        if count == 0 { return Data() }
        let bytes = [UInt8](data)
        var end = bytes.count
        if end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        var seen = 0
        var index = end
        while index > 0 {
            if bytes[index - 1] == UInt8(ascii: "\n") {
                seen += 1
                if seen == count { return Data(bytes[index...]) }
            }
            index -= 1
        }
        return data
    }

    /// Appends `text` to the log at `path` as `F` entries of `stream` (one per line), for the
    /// messages podlab itself leaves in a container's log.
    public static func append(_ text: String, stream: CRILogStream = .stderr, to path: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        let now = timestamp()
        for (i, line) in lines.enumerated() where !(i == lines.count - 1 && line.isEmpty) {
            bytes += CRILogEntry(timestamp: now, stream: stream, partial: false, content: Array(line.utf8)).encoded
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

/// Decodes a stored CRI log incrementally (for `logs -f`): bytes in, `kubectl logs` text out;
/// an incomplete last line waits for the next `feed`.
public struct CRILogDecoder: Sendable {
    public var timestamps: Bool
    var pending: [UInt8] = []
    /// kubelet's `isNewLine`: the next entry starts a logical line (the previous one was `F`).
    var atLineStart = true

    public init(timestamps: Bool) { self.timestamps = timestamps }

    /// The text of the complete lines in `pending + data`.
    public mutating func feed(_ data: Data) -> Data {
        pending += data
        guard let last = pending.lastIndex(of: UInt8(ascii: "\n")) else { return Data() }
        var out: [UInt8] = []
        for line in pending[..<last].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard let entry = CRILogEntry.parse(line) else { continue }
            if timestamps && atLineStart { out += Array(entry.timestamp.utf8) + [UInt8(ascii: " ")] }
            out += entry.content
            if !entry.partial { out.append(UInt8(ascii: "\n")) }
            atLineStart = !entry.partial
        }
        pending.removeSubrange(...last)
        return Data(out)
    }

    /// The text of a last line the writer left without its newline (a torn write).
    public mutating func finish() -> Data {
        guard !pending.isEmpty else { return Data() }
        return feed(Data([UInt8(ascii: "\n")]))
    }
}
