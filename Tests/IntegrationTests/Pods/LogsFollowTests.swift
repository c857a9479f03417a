import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// `logs -f` and `--tail` as kubectl users type them (issue 15 section 3).
    @Suite("podlab logs -f and --tail")
    struct LogsFollowTests {
        @Test("-f prints lines as they are written and returns once the container exits; --tail keeps the last N")
        func followAndTail() throws {
            let cli = try PodlabCLI("logs-follow")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: ticker}
                spec:
                  restartPolicy: Never
                  containers:
                  - {name: app, image: busybox, command: ["sh", "-c", "for i in 1 2 3 4 5 6; do echo line-$i; sleep 0.3; done"]}
                """)
            let started = Date()
            let follow = try cli.run(["logs", "-f", "ticker", "-n", cli.namespace], timeout: 30)
            #expect(follow.status == 0, "\(follow.description)")
            // It waited for the later lines (written ~1.8 s after start), then ended by itself.
            #expect(follow.stdout == (1...6).map { "line-\($0)\n" }.joined(), "\(follow.description)")
            #expect(Date().timeIntervalSince(started) < 20)
            let tail = try cli.succeed(["logs", "--tail", "2", "ticker", "-n", cli.namespace]).stdout
            #expect(tail == "line-5\nline-6\n", "\(tail)")
            #expect(try cli.succeed(["logs", "--tail", "0", "ticker", "-n", cli.namespace]).stdout.isEmpty)
        }

        @Test("the log is CRI-format: stdout/stderr tags, a 40 000-byte line back whole, --timestamps monotonic and now, -f sees late lines")
        func criFormat() throws {
            let cli = try PodlabCLI("logs-cri")
            defer { cli.tearDown() }
            let before = Date()
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: cri}
                spec:
                  restartPolicy: Never
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "echo out-1; sleep 0.2; echo err-1 >&2; sleep 0.2; yes y | head -c 80000 | tr -d '\\n'; echo; echo out-2; sleep 1.5; echo late; exit 3"]
                    terminationMessagePolicy: FallbackToLogsOnError
                """)
            let long = String(repeating: "y", count: 40_000)
            let follow = try cli.run(["logs", "-f", "cri", "-n", cli.namespace], timeout: 30)
            #expect(follow.status == 0, "\(follow.description)")
            #expect(follow.stdout == "out-1\nerr-1\n\(long)\nout-2\nlate\n", "\(follow.stdout.prefix(200))… \(follow.stdout.count) bytes")
            // The stored file: one entry per line, 16 KiB pieces for the long one (#200).
            let raw = try String(contentsOfFile: "\(cli.podDirectory("cri"))/logs/app/0.log", encoding: .utf8)
            let fields = raw.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 3).map(String.init) }
            #expect(fields.map { $0.count > 2 ? "\($0[1]) \($0[2])" : "?" } == ["stdout F", "stderr F", "stdout P", "stdout P", "stdout F", "stdout F", "stdout F"], "\(raw.prefix(300))")
            #expect(fields[1].last == "err-1")
            // --timestamps: `<RFC3339Nano> <line>` per logical line, monotonic, between apply and now.
            let stamped = try cli.succeed(["logs", "--timestamps", "cri", "-n", cli.namespace]).stdout
            let lines = stamped.split(separator: "\n").map(String.init)
            #expect(lines.count == 5, "\(stamped.prefix(300))")
            let stamps = lines.compactMap { $0.split(separator: " ", maxSplits: 1).first.map(String.init) }
            #expect(lines.map { $0.split(separator: " ", maxSplits: 1).last.map(String.init) ?? "" } == ["out-1", "err-1", long, "out-2", "late"])
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let times = stamps.compactMap { stamp -> Date? in
                guard stamp.hasSuffix("Z"), let dot = stamp.firstIndex(of: ".") else { return nil }
                let fraction = stamp[stamp.index(after: dot)..<stamp.index(before: stamp.endIndex)]
                return formatter.date(from: String(stamp[..<dot]) + "." + String((fraction + "000").prefix(3)) + "Z")
            }
            #expect(times.count == 5, "\(stamps)")
            #expect(stamps == stamps.sorted() && zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "\(stamps)")
            #expect(times.allSatisfy { $0 > before.addingTimeInterval(-1) && $0 < Date().addingTimeInterval(1) }, "\(times) not between \(before) and now")
            if times.count == 5 { #expect(times[4].timeIntervalSince(times[3]) > 1.2, "late was written ~1.5 s after out-2: \(stamps)") }
            // --tail counts stored lines, as kubelet; the last two are out-2 and late.
            #expect(try cli.succeed(["logs", "--tail", "2", "cri", "-n", cli.namespace]).stdout == "out-2\nlate\n")
            // FallbackToLogsOnError reads the decoded tail, not the CRI lines.
            let message = try cli.record("cri").containers[0].message ?? ""
            #expect(message.hasSuffix("out-2\nlate\n") && !message.contains("stdout F"), "\(message.suffix(200))")
        }
    }
}
