import Foundation
import Testing

@testable import PodKit

/// kubelet's getTerminationMessage / readLastStringFromContainerLogs on real files (docs/FIDELITY.md #55).
@Suite("Termination message: file first, log tail on error")
struct TerminationMessageTests {
    let dir: String = {
        let path = NSTemporaryDirectory() + "podlab-termmsg-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    func write(_ name: String, _ text: String) -> String {
        let path = "\(dir)/\(name)"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    /// A log as the copier stores it: one CRI `F` entry per line (docs/FIDELITY.md #200).
    func writeLog(_ name: String, _ lines: [String]) -> String {
        let entries = lines.flatMap { CRILogEntry(timestamp: "2026-12-02T03:47:26.123456789Z", stream: .stdout, partial: false, content: Array($0.utf8)).encoded }
        let path = "\(dir)/\(name)"
        FileManager.default.createFile(atPath: path, contents: Data(entries))
        return path
    }

    @Test("the file wins, cut to 4096 bytes; an empty file with File policy gives no message")
    func file() {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = writeLog("log", ["log line"])
        #expect(TerminationMessage.message(file: write("msg", "bye\n"), log: log, policy: .fallbackToLogsOnError, exitCode: 1) == "bye\n")
        let long = String(repeating: "x", count: 5000)
        #expect(TerminationMessage.message(file: write("long", long), log: log, policy: .file, exitCode: 0)?.utf8.count == 4096)
        #expect(TerminationMessage.message(file: write("empty", ""), log: log, policy: .file, exitCode: 1) == nil)
    }

    @Test("FallbackToLogsOnError: only after a non-zero exit; the last 80 lines, at most 2048 bytes")
    func logTail() {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let empty = write("empty", "")
        let log = writeLog("log", (1...100).map { "line \($0)" })
        #expect(TerminationMessage.message(file: empty, log: log, policy: .fallbackToLogsOnError, exitCode: 0) == nil)
        let tail = TerminationMessage.message(file: empty, log: log, policy: .fallbackToLogsOnError, exitCode: 2)
        #expect(tail == (21...100).map { "line \($0)" }.joined(separator: "\n") + "\n")
        let wide = writeLog("wide", (1...50).map { "\($0) " + String(repeating: "w", count: 100) })
        let cut = TerminationMessage.message(file: empty, log: wide, policy: .fallbackToLogsOnError, exitCode: 1)
        #expect(cut?.utf8.count == 2048)
        #expect(cut?.hasSuffix("50 " + String(repeating: "w", count: 100) + "\n") == true)
        #expect(TerminationMessage.message(file: nil, log: "\(dir)/missing", policy: .fallbackToLogsOnError, exitCode: 1) == nil)
    }
}
