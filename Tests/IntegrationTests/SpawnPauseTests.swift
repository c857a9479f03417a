import Foundation
import PodKit
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("pause: the sandbox process")
struct SpawnPauseTests {
    @Test func versionFlagIsCaseInsensitive() throws {
        let pause = try SpawnFixtures.pauseBinary()
        #expect(try SpawnFixtures.run(pause, ["-v"]) == "pause.c v3.10-podlab\n")
        #expect(try SpawnFixtures.run(pause, ["x", "-V"]) == "pause.c v3.10-podlab\n")
    }

    @Test func warnsWhenNotPID1AndExitsZeroOnSIGTERMAndSIGINT() throws {
        let pause = try SpawnFixtures.pauseBinary()
        for (signal, description) in [(SIGTERM, "Terminated"), (SIGINT, "Interrupt")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: pause)
            let stderr = Pipe()
            process.standardError = stderr
            try process.run()
            let pid = process.processIdentifier
            defer { if process.isRunning { kill(pid, SIGKILL) } }
            // Signal only once its handlers are installed (SigCgt has INT, TERM and CHLD).
            let ready = SpawnFixtures.eventually { SpawnFixtures.caughtSignals(of: pid) & 0x14002 == 0x14002 }
            #expect(ready)
            kill(pid, signal)
            let exited = SpawnFixtures.eventually { !process.isRunning }
            #expect(exited, "pause must exit on signal \(signal)")
            if !exited { kill(pid, SIGKILL) }
            process.waitUntilExit()
            let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationReason == .exit && process.terminationStatus == 0)
            #expect(text == "Warning: pause should be the first process\nShutting down, got signal: \(description)\n")
        }
    }

    @Test(.enabled(if: SpawnFixtures.isRoot)) func sandboxPauseIsPID1NamedPauseWithTheHostname() throws {
        let dir = try SpawnFixtures.makeTempDir("pause")
        defer { SpawnFixtures.removeTree(dir) }
        let sandbox = try PauseSandbox.start(hostname: "spawn-test-pod", in: dir)
        defer { SpawnFixtures.killAndReap(sandbox.pid) }

        #expect(SpawnFixtures.read("/proc/\(sandbox.pid)/comm") == "pause\n")
        let status = SpawnFixtures.read("/proc/\(sandbox.pid)/status")
        #expect(status.contains("NSpid:\t\(sandbox.pid)\t1\n"), "pause must be PID 1 of its own PID namespace")
        // SigCgt 0x14002: handlers for exactly INT, TERM and CHLD (docs/FIDELITY.md #3). spawn returns
        // at execve, before pause's main() ran, so give it a moment to install them.
        let handlers = SpawnFixtures.eventually { SpawnFixtures.caughtSignals(of: sandbox.pid) == 0x14002 }
        #expect(handlers, "SigCgt is \(String(SpawnFixtures.caughtSignals(of: sandbox.pid), radix: 16))")
        for kind in ["pid", "ipc", "uts", "mnt", "net"] {
            #expect(try SpawnFixtures.namespace(kind, of: sandbox.pid) != SpawnFixtures.namespace(kind, of: getpid()))
        }

        // Read the hostname from inside: a process that joins pause's UTS namespace by path.
        let out = dir + "/hostname.out"
        let outFD = try SpawnFixtures.openOutput(out)
        defer { try? outFD.close() }
        var request = SpawnRequest(arguments: ["hostname"])
        request.join = SpawnRequest.JoinedNamespaces(uts: "/proc/\(sandbox.pid)/ns/uts")
        request.environment = ["PATH=/bin:/usr/bin"]
        request.stdout = outFD
        request.waitForExit = true
        let result = try ProcessSpawner().spawn(request)
        #expect(result.exit == .exited(0))
        #expect(SpawnFixtures.read(out) == "spawn-test-pod\n")

        // From the host, SIGTERM ends it with 0; PID 1 printed no start-up warning.
        kill(sandbox.pid, SIGTERM)
        #expect(SpawnFixtures.wait(for: sandbox.pid) == .exited(0))
        #expect(SpawnFixtures.read(sandbox.stderrPath) == "Shutting down, got signal: Terminated\n")
    }
}
