import Foundation
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import PodKit

/// The CRI log format as containerd writes and kubelet reads it (docs/FIDELITY.md #200–#202),
/// through the real copier: real pipes, a real thread, a real file.
@Suite("CRI container logs: copier and parser")
final class CRILogTests {
    let dir: String = {
        let path = NSTemporaryDirectory() + "podlab-crilog-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Each test's scratch directory goes with it (they were left in /tmp).
    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func writeAll(_ fd: FileDescriptor, _ text: String) throws {
        _ = try fd.writeAll(Array(text.utf8))
    }

    /// Runs `body` against the copier's write ends, closes them and waits for the copier to end.
    func copy(_ body: (ContainerLogCopier.Outputs) throws -> Void) throws -> String {
        let path = "\(dir)/logs/app/0.log"
        let outputs = try ContainerLogCopier.start(path: path)
        try body(outputs)
        try outputs.stdout.close()
        try outputs.stderr.close()
        // EOF on both pipes ends the copier; it leaves the registry when done.
        let deadline = Date().addingTimeInterval(5)
        while ContainerLogCopier.registryLock.withLock({ ContainerLogCopier.running[path] }) != nil, Date() < deadline { usleep(1000) }
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("each line is `<RFC3339Nano> <stream> F <line>`; times are UTC, monotonic and now")
    func format() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = Date()
        let text = try copy { out in
            try writeAll(out.stdout, "hello\n")
            usleep(20000)
            try writeAll(out.stderr, "oops\n")
            usleep(20000)
            try writeAll(out.stdout, "a b  c\nsecond\n")
        }
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(text)")
        let entries = lines.compactMap { CRILogEntry.parse(Array($0.utf8)) }
        #expect(entries.map(\.stream) == [.stdout, .stderr, .stdout, .stdout])
        #expect(entries.map { String(decoding: $0.content, as: UTF8.self) } == ["hello", "oops", "a b  c", "second"])
        #expect(entries.allSatisfy { !$0.partial })
        #expect(lines[1].hasPrefix(entries[1].timestamp + " stderr F oops"))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let times = try entries.map { entry -> Date in
            // Foundation parses at most milliseconds: cut the fraction to 3 digits.
            var stamp = entry.timestamp
            if let dot = stamp.firstIndex(of: ".") {
                let fraction = stamp[stamp.index(after: dot)..<stamp.index(before: stamp.endIndex)]
                stamp = String(stamp[..<dot]) + "." + String((fraction + "000").prefix(3)) + "Z"
            }
            return try #require(formatter.date(from: stamp), "\(entry.timestamp)")
        }
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "\(times)")
        #expect(times.allSatisfy { $0.timeIntervalSince(before) > -0.01 && $0.timeIntervalSinceNow < 0.01 }, "\(times) vs \(before)")
        #expect(entries.map(\.timestamp) == entries.map(\.timestamp).sorted())
        #expect(String(decoding: CRILog.decode(Data(text.utf8)), as: UTF8.self) == "hello\noops\na b  c\nsecond\n")
    }

    @Test("a 40 000-byte line is stored as P, P, F pieces of 16 KiB and read back whole; an unterminated last line is P")
    func longLine() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let long = (0..<40_000).map { String(UnicodeScalar(UInt8(ascii: "a") + UInt8($0 % 26))) }.joined()
        let text = try copy { out in
            try writeAll(out.stdout, long + "\nexact\n")
            try writeAll(out.stdout, String(repeating: "x", count: CRILog.maxLineSize) + "\n")
            try writeAll(out.stderr, "no newline")
        }
        let entries = text.split(separator: "\n").compactMap { CRILogEntry.parse(Array($0.utf8)) }
        let stdout = entries.filter { $0.stream == .stdout }
        #expect(stdout.map(\.partial) == [true, true, false, false, false], "\(stdout.map { ($0.partial, $0.content.count) })")
        #expect(stdout.map(\.content.count) == [16384, 16384, 40_000 - 32768, 5, 16384])
        #expect(entries.filter { $0.stream == .stderr }.map(\.partial) == [true])
        // Per stream: the copier reads 16 KiB at a time and polls both pipes, so stderr's piece
        // may land between stdout's pieces in the file, as with containerd's two copy goroutines.
        func lines(of stream: CRILogStream) -> Data {
            Data(text.split(separator: "\n").filter { CRILogEntry.parse(Array($0.utf8))?.stream == stream }.map { $0 + "\n" }.joined().utf8)
        }
        let decoded = String(decoding: CRILog.decode(lines(of: .stdout)), as: UTF8.self)
        #expect(decoded == long + "\nexact\n" + String(repeating: "x", count: 16384) + "\n", "\(decoded.count)")
        #expect(String(decoding: CRILog.decode(lines(of: .stderr)), as: UTF8.self) == "no newline")
        // --timestamps: one time per logical line, not per piece (kubelet's isNewLine).
        let stamped = String(decoding: CRILog.decode(lines(of: .stdout), timestamps: true), as: UTF8.self)
        let first = try #require(stamped.split(separator: "\n").first)
        #expect(first == stdout[0].timestamp + " " + long)
    }

    @Test("the decoder waits for a whole line, skips lines that are not CRI entries, and --tail counts stored lines")
    func decoderAndTail() {
        var decoder = CRILogDecoder(timestamps: true)
        let line = "2026-12-02T03:47:26.123456789Z stdout F hi there\n"
        #expect(decoder.feed(Data(line.prefix(20).utf8)).isEmpty)
        #expect(String(decoding: decoder.feed(Data(line.dropFirst(20).utf8)), as: UTF8.self) == "2026-12-02T03:47:26.123456789Z hi there\n")
        let junk = "plain text\n2026-12-02T03:47:26Z stdout X bad tag\nnot-a-time stdout F x\n2026-12-02T03:47:27+01:00 stderr F ok\n"
        #expect(String(decoding: CRILog.decode(Data(junk.utf8)), as: UTF8.self) == "ok\n")
        let three = (1...3).map { "2026-12-02T03:47:2\($0)Z stdout F l\($0)\n" }.joined()
        #expect(String(decoding: CRILog.decode(CRILog.tail(Data(three.utf8), lines: 2)), as: UTF8.self) == "l2\nl3\n")
        #expect(CRILog.tail(Data(three.utf8), lines: 0).isEmpty)
    }

    @Test("timestamps are Go's RFC3339Nano: trailing zeros of the fraction dropped")
    func timestampText() {
        #expect(CRILog.timestamp(seconds: 1_475_713_029, nanoseconds: 669_794_202) == "2016-10-06T00:17:09.669794202Z")
        #expect(CRILog.timestamp(seconds: 1_475_713_029, nanoseconds: 669_000_000) == "2016-10-06T00:17:09.669Z")
        #expect(CRILog.timestamp(seconds: 1_475_713_029, nanoseconds: 0) == "2016-10-06T00:17:09Z")
        #expect(CRILogEntry.isTimestamp(ArraySlice(CRILog.timestamp().utf8)))
    }
}
