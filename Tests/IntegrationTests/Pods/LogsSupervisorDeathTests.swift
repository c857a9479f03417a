import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// docs/FIDELITY.md #203: the supervisor holds the read ends of the log pipes, as
    /// containerd-shim does; once it is gone, writes fail.
    @Suite("container output after the supervisor dies")
    struct LogsSupervisorDeathTests {
        @Test("kill -9 of the supervisor: a writer that is not PID 1 dies of SIGPIPE; PID 1 lives on with EPIPE; the log keeps what came before")
        func supervisorKilled() throws {
            let cli = try PodlabCLI("logsSupervisorKilled")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: talker}
                spec:
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "(while true; do echo child; sleep 0.1; done) & while true; do echo pid1 || touch /tmp/epipe; sleep 0.1; done"]
                """)
            let app = try cli.pid("app", pod: "talker")
            let supervisor = try #require(try cli.inspectPod("talker")["info"]["podlab"]["supervisorPid"].int.map(Int32.init))
            let child = try #require(eventually { () -> Int32? in
                let text = try? String(contentsOfFile: "/proc/\(app)/task/\(app)/children", encoding: .utf8)
                return text?.split(separator: " ").first.flatMap { Int32($0) }
            }, "the background writer started")
            try waitUntil("both writers are in the log") {
                let log = (try? String(contentsOfFile: "\(cli.podDirectory("talker"))/logs/app/0.log", encoding: .utf8)) ?? ""
                return log.contains(" stdout F child\n") && log.contains(" stdout F pid1\n")
            }
            #expect(kill(supervisor, SIGKILL) == 0)
            try waitUntil("the supervisor is gone") { !isAlive(supervisor) }
            try waitUntil("the background writer died of SIGPIPE", timeout: 5) { !isAlive(child) }
            try waitUntil("PID 1 saw a failed write", timeout: 5) { FileManager.default.fileExists(atPath: "/proc/\(app)/root/tmp/epipe") }
            #expect(isAlive(app), "the kernel does not kill a PID namespace's init with SIGPIPE")
            let clean = try cli.succeed(["clean"])
            #expect(clean.stdout.contains("removed pod \(cli.key("talker"))"), "\(clean.stdout)")
            try waitUntil("the app is gone", timeout: 5) { !isAlive(app) }
        }
    }
}
