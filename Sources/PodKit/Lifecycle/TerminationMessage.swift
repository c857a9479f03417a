import Foundation

/// The terminated state's `message` (docs/FIDELITY.md #55), as kubelet's
/// `getTerminationMessage` and `readLastStringFromContainerLogs`
/// (`pkg/kubelet/kuberuntime/kuberuntime_container.go`) build it: the file the container
/// wrote at `terminationMessagePath` (at most 4096 bytes), or with `FallbackToLogsOnError`
/// and an empty file after a failed exit, the last 80 lines / 2048 bytes of its log.
public enum TerminationMessage {
    /// `MaxContainerTerminationMessageLength`.
    public static let maxFileBytes = 4096
    /// `MaxContainerTerminationMessageLogLines` and `MaxContainerTerminationMessageLogLength`.
    public static let maxLogLines = 80
    public static let maxLogBytes = 2048

    /// The message for an attempt whose message file is at `file` (host path) and log at `log`.
    public static func message(file: String?, log: String, policy: TerminationMessagePolicy, exitCode: Int32) -> String? {
        if let file, let text = read(file, limit: maxFileBytes, fromEnd: false), !text.isEmpty { return text }
        guard policy == .fallbackToLogsOnError, exitCode != 0 else { return nil }
        // The copier may still hold the container's last lines (#201).
        ContainerLogCopier.settle(path: log)
        guard let stored = readData(log, limit: 64 * 1024, fromEnd: true) else { return nil }
        // kubelet: ReadLogs with TailLines 80 (stored lines) into a 2048-byte circular buffer.
        var raw = stored.data
        if stored.truncated, let newline = raw.firstIndex(of: UInt8(ascii: "\n")) { raw = raw[raw.index(after: newline)...] }
        var text = Array(CRILog.decode(CRILog.tail(Data(raw), lines: maxLogLines)))
        if text.count > maxLogBytes { text = Array(text.suffix(maxLogBytes)) }
        return text.isEmpty ? nil : String(decoding: text, as: UTF8.self)
    }

    /// At most `limit` bytes of `path` from its end; `truncated` when the file is longer.
    static func readData(_ path: String, limit: Int, fromEnd: Bool) -> (data: Data, truncated: Bool)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var truncated = false
        if fromEnd, let size = try? handle.seekToEnd(), size > UInt64(limit) {
            try? handle.seek(toOffset: size - UInt64(limit))
            truncated = true
        } else {
            try? handle.seek(toOffset: 0)
        }
        guard let data = try? handle.read(upToCount: limit) else { return nil }
        return (data, truncated)
    }

    /// At most `limit` bytes of `path`, from its start or its end; nil when unreadable.
    static func read(_ path: String, limit: Int, fromEnd: Bool) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        if fromEnd, let size = try? handle.seekToEnd(), size > UInt64(limit) {
            try? handle.seek(toOffset: size - UInt64(limit))
        } else {
            try? handle.seek(toOffset: 0)
        }
        guard let data = try? handle.read(upToCount: limit) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
