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
            let stamps = try cli.run(["logs", "--timestamps", "ticker", "-n", cli.namespace])
            #expect(stamps.status == 2 && stamps.stderr.contains("without per-line times"), "\(stamps.description)")
        }
    }
}
