import Foundation
import PodKit
import PodlabCore
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Daemon.detach: the supervisor's double fork")
struct SpawnDaemonTests {
    @Test func daemonRunsInItsOwnSessionWithStdioInTheLog() throws {
        let dir = try SpawnFixtures.makeTempDir("daemon")
        defer { SpawnFixtures.removeTree(dir) }
        try ProcessSpawner.makeChildSubreaper()  // the daemon is re-parented here, so we can reap it
        let log = dir + "/supervisor.log"

        switch try Daemon.detach(logPath: log) {
        case .daemon:
            // In the forked copy of this multi-threaded test process: only raw syscalls, then leave.
            let sid = getsid(0)
            let line = sid == getpid() ? "daemon: is a session leader\n" : "daemon: session \(sid)\n"
            _ = line.withCString { write(1, $0, strlen($0)) }
            _exit(0)
        case .original(let daemonPid):
            #expect(daemonPid > 0 && daemonPid != getpid())
            #expect(SpawnFixtures.wait(for: daemonPid) == .exited(0))
            let text = SpawnFixtures.read(log)
            // setsid made a new session whose leader (the first child) is gone: the daemon is
            // not the leader, so it can never acquire a controlling terminal.
            #expect(text.hasPrefix("daemon: session "), "log: \(text)")
            #expect(!text.contains("session \(getsid(0))\n"))
        }
    }

    @Test func anUnwritableLogIsReportedToTheOriginalProcess() throws {
        let error = try #require(throws: PodlabError.self) { try Daemon.detach(logPath: "/nonexistent-podlab/x.log") }
        #expect(error.message == "open(/nonexistent-podlab/x.log)")
        #expect(error.cause as? Errno == .noSuchFileOrDirectory)
    }
}
