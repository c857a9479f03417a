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
        guard policy == .fallbackToLogsOnError, exitCode != 0, let tail = read(log, limit: 64 * 1024, fromEnd: true) else { return nil }
        let lines = tail.split(separator: "\n", omittingEmptySubsequences: false)
        var text = lines.suffix(maxLogLines + (tail.hasSuffix("\n") ? 1 : 0)).joined(separator: "\n")
        if text.utf8.count > maxLogBytes { text = String(decoding: Array(text.utf8).suffix(maxLogBytes), as: UTF8.self) }
        return text.isEmpty ? nil : text
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
