import Foundation
import Testing

/// One row of busybox `ps -o pid,ppid,stat,args`.
struct PSRow {
    var pid: Int
    var ppid: Int
    var stat: String
    var args: String

    static func parse(_ output: String) -> [PSRow] {
        output.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true).map(String.init)
            guard fields.count == 4, let pid = Int(fields[0]), let ppid = Int(fields[1]) else { return nil }
            return PSRow(pid: pid, ppid: ppid, stat: fields[2], args: fields[3].trimmingCharacters(in: .whitespaces))
        }
    }
}

extension PodTests {
    /// Issue 4, docs/FIDELITY.md #24–#27: `shareProcessNamespace: true`.
    @Suite("shareProcessNamespace: pause is PID 1")
    struct SharedPIDNamespaceTests {
        static let pod = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: shared
              annotations: {podlab.dev/backoff-scale: "0.05"}
            spec:
              shareProcessNamespace: true
              terminationGracePeriodSeconds: 1
              containers:
              - {name: app, image: busybox, command: ["sleep", "3600"]}
              - {name: shell, image: busybox, command: ["sleep", "3600"]}
            """

        func ps(_ cli: PodlabCLI) throws -> [PSRow] {
            let result = try cli.exec("shared", "shell", "ps", "-o", "pid,ppid,stat,args")
            try #require(result.status == 0, "\(result.description)")
            return PSRow.parse(result.stdout)
        }

        @Test("ps shows pause as PID 1 and both containers; an orphan is re-parented to pause and reaped; kill -HUP 1 is a no-op")
        func pauseIsInit() throws {
            let cli = try PodlabCLI("pauseIsInit")
            defer { cli.tearDown() }
            try cli.apply(Self.pod)
            let rows = try ps(cli)
            #expect(rows.first { $0.pid == 1 }?.args == "/pause", "PID 1 is pause: \(rows)")
            #expect(rows.filter { $0.args == "sleep 3600" }.count == 2, "both containers' processes are visible: \(rows)")

            // A double fork: the shell exits at once, its background sleep is orphaned.
            #expect(try cli.exec("shared", "shell", "sh", "-c", "sleep 1.5 & exit 0").status == 0)
            let orphan = try #require(try ps(cli).first { $0.args == "sleep 1.5" }, "the orphan is visible")
            #expect(orphan.ppid == 1, "orphans are re-parented to pause")
            try waitUntil("the orphan exited and was reaped", timeout: 5) {
                try ps(cli).allSatisfy { $0.pid != orphan.pid }
            }
            #expect(try ps(cli).allSatisfy { !$0.stat.hasPrefix("Z") }, "no zombie is left")

            let pause = try cli.pausePID("shared")
            #expect(try cli.exec("shared", "shell", "kill", "-HUP", "1").status == 0)
            usleep(300_000)
            #expect(isAlive(pause), "pause has no SIGHUP handler, and init ignores signals it does not handle")
            #expect(try cli.pausePID("shared") == pause)
            #expect(try cli.inspectPod("shared")["status"]["metadata"]["attempt"].int == 0)
        }

        @Test("kill -TERM 1 from a container ends pause; every container dies with it and the sandbox is rebuilt")
        func termToPauseRebuilds() throws {
            let cli = try PodlabCLI("termToPauseRebuilds")
            defer { cli.tearDown() }
            try cli.apply(Self.pod)
            let pause = try cli.pausePID("shared")
            _ = try cli.exec("shared", "shell", "kill", "-TERM", "1")
            try waitUntil("a new sandbox runs both containers", timeout: 10) {
                let pod = try cli.inspectPod("shared")
                guard pod["status"]["state"].string == "SANDBOX_READY", pod["status"]["metadata"]["attempt"].int == 1 else { return false }
                return try ["app", "shell"].allSatisfy { try cli.inspect($0, pod: "shared")["status"]["kubeState"].string == "running" }
            }
            #expect(!isAlive(pause))
            #expect(try cli.pausePID("shared") != pause)
            for name in ["app", "shell"] {
                let status = try cli.inspect(name, pod: "shared")["status"]
                #expect(status["restartCount"].int == 1)
                #expect(status["lastState"]["exitCode"].int == 137, "the kernel SIGKILLs the namespace when its init exits")
            }
            let pauseLog = try String(contentsOfFile: "\(cli.podDirectory("shared"))/pause.log", encoding: .utf8)
            #expect(pauseLog.contains("Shutting down, got signal: Terminated"))
            #expect(try ps(cli).first { $0.pid == 1 }?.args == "/pause")
        }
    }
}
