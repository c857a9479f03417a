import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// Issue 10 #9–#10: a full state filesystem and interrupts lose nothing and leave nothing.
    @Suite("faults: full state filesystem, interrupts")
    struct FaultTests {
        static let sleeper = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: sleeper
              annotations: {podlab.dev/backoff-scale: "0.01"}
            spec:
              terminationGracePeriodSeconds: 0
              containers:
              - {name: app, image: busybox, command: ["sleep", "3600"]}
            """

        /// Fills the filesystem holding `directory` with `directory/filler` until ENOSPC.
        static func fill(_ directory: String) throws {
            let fd = open("\(directory)/filler", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            try #require(fd >= 0)
            defer { close(fd) }
            let chunk = [UInt8](repeating: 0xAB, count: 64 * 1024)
            while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
            #expect(errno == ENOSPC)
        }

        /// Mounts a small tmpfs at the test's state dir; the returned closure deletes the pods
        /// on it and unmounts it (call it before `tearDown`, which checks for leftover mounts).
        static func smallStateFilesystem(_ cli: PodlabCLI) throws -> () -> Void {
            try #require(mount("tmpfs", cli.stateDir, "tmpfs", 0, "size=8m") == 0)
            return {
                _ = try? cli.run(["delete", "--all", "--grace-period", "0"])
                umount2(cli.stateDir, Int32(MNT_DETACH))
            }
        }

        @Test("a restart while the state filesystem is full is recorded once space returns")
        func restartWhileFull() throws {
            let cli = try PodlabCLI("restartWhileFull")
            defer { cli.tearDown() }
            let unmount = try Self.smallStateFilesystem(cli)
            defer { unmount() }
            try cli.apply(Self.sleeper)
            let first = try cli.pid("app", pod: "sleeper")
            try Self.fill(cli.stateDir)
            #expect(kill(first, SIGKILL) == 0)
            // The supervisor restarts the container (at once: the first restart has no back-off)
            // but cannot save the record…
            try waitUntil("the first container is gone", timeout: 10) { !FileManager.default.fileExists(atPath: "/proc/\(first)") }
            Thread.sleep(forTimeInterval: 1)
            // …and records it once space is back (before: attempt 0 Exited forever).
            try FileManager.default.removeItem(atPath: "\(cli.stateDir)/filler")
            try waitUntil("the record shows the restart", timeout: 10) {
                let status = try cli.inspect("app", pod: "sleeper")["status"]
                return status["restartCount"].int == 1 && status["kubeState"].string == "running"
            }
            #expect(try cli.exec("sleeper", "app", "true").status == 0, "exec must see the running container")
            let log = (try? String(contentsOfFile: "\(cli.podDirectory("sleeper"))/supervisor.log", encoding: .utf8)) ?? ""
            #expect(log.contains("cannot save the pod record") && log.contains("saved again"), "\(log)")
        }

        @Test("apply on a full state filesystem fails with the errno and leaves no pod directory")
        func applyWhileFull() throws {
            let cli = try PodlabCLI("applyWhileFull")
            defer { cli.tearDown() }
            let unmount = try Self.smallStateFilesystem(cli)
            defer { unmount() }
            try FileManager.default.createDirectory(atPath: "\(cli.stateDir)/pods", withIntermediateDirectories: true)
            try Self.fill(cli.stateDir)
            try "\(Self.sleeper)\n".write(toFile: "\(cli.directory)/pod.yaml", atomically: true, encoding: .utf8)
            let result = try cli.run(["apply", "-f", "\(cli.directory)/pod.yaml", "-n", cli.namespace])
            #expect(result.status != 0)
            #expect(result.stderr.contains("No space left on device"), "\(result.description)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(cli.stateDir)/pods").isEmpty, "a failed apply left its pod directory")
        }

        /// Four pods, so that apply takes long enough to be interrupted in the middle.
        static let fourPods = (1...4).map { """
            apiVersion: v1
            kind: Pod
            metadata: {name: p\($0)}
            spec:
              terminationGracePeriodSeconds: 0
              containers:
              - {name: app, image: busybox, command: ["sleep", "3600"]}
            """ }.joined(separator: "\n---\n")

        @Test("Ctrl-C during apply: the pods are all started and listed (exit 0), or none is left (exit 130)", arguments: [0.03, 0.1, 0.2])
        func interruptedApply(after delay: Double) throws {
            let cli = try PodlabCLI("interruptedApply")
            defer { cli.tearDown() }
            try "\(Self.fourPods)\n".write(toFile: "\(cli.directory)/pods.yaml", atomically: true, encoding: .utf8)
            let apply = try cli.start(["apply", "-f", "\(cli.directory)/pods.yaml", "-n", cli.namespace])
            Thread.sleep(forTimeInterval: delay)
            kill(apply.pid, SIGINT)
            let result = try apply.wait(timeout: 60)
            let pods = try cli.run(["pods", "-q"]).output.split(separator: "\n")
            if result.status == 130 {
                #expect(pods.isEmpty, "apply was interrupted but left \(pods.count) pod(s)")
                let leftovers = PodlabTestEnvironment.leftovers(keys: Set((1...4).map { cli.key("p\($0)") }), under: cli.directory,
                                                                dataDir: cli.environment.dataDir)
                #expect(leftovers.isEmpty, "\(leftovers)")
            } else {
                #expect(result.status == 0, "\(result.description)")
                #expect(pods.count == 4, "apply succeeded but lists \(pods.count) pods")
            }
        }

        @Test("Ctrl-C during a lab's apply: the next step's script never starts")
        func interruptedRunStartsNothingNew() throws {
            let cli = try PodlabCLI("interruptedRunStartsNothingNew")
            defer { cli.tearDown() }
            let labs = "\(cli.directory)/labs"
            try FileManager.default.createDirectory(atPath: "\(labs)/manifests", withIntermediateDirectories: true)
            try "\(Self.fourPods)\n".write(toFile: "\(labs)/manifests/pods.yaml", atomically: true, encoding: .utf8)
            let marker = "\(cli.directory)/script-ran"
            try """
                apiVersion: podlab.dev/v1alpha1
                kind: Lab
                metadata: {name: slow-apply, title: An apply then a script}
                spec:
                  steps:
                  - name: create
                    try:
                    - apply: {file: manifests/pods.yaml}
                    finally:
                    - script: {content: 'sleep 1; touch \(marker)'}
                """.write(toFile: "\(labs)/slow-apply.lab.yaml", atomically: true, encoding: .utf8)
            for delay in [0.05, 0.15] {
                let run = try cli.start(["run", "\(labs)/slow-apply.lab.yaml", "--report-dir", "\(cli.directory)/reports"])
                Thread.sleep(forTimeInterval: delay)
                kill(run.pid, SIGINT)
                let result = try run.wait(timeout: 60)
                #expect(result.status == 130, "\(result.description)")
                Thread.sleep(forTimeInterval: 1.5)
                #expect(!FileManager.default.fileExists(atPath: marker), "the step after the interrupt ran anyway")
                #expect(try cli.run(["pods", "-q"]).output.isEmpty, "the interrupted lab left pods")
                #expect(PodlabTestEnvironment.processes(mentioning: marker).isEmpty, "a script of the interrupted lab still runs")
            }
        }
    }
}
