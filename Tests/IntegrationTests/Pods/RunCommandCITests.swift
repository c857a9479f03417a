import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// `podlab run` on a CI runner (issue 15 §4): what happens to a failed lab's pods, shard
    /// report names, selectors without names, and the exit status of a non-root run.
    @Suite("podlab run for CI")
    struct RunCommandCITests {
        static let labsDirectory: String = {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Labs").path
        }()

        /// A lab that starts the seed post's alpine pod, then fails a check. It does not wait for
        /// the app to be ready: what is held is the sandbox and whatever the app is doing.
        static let failingLab = """
            apiVersion: podlab.dev/v1alpha1
            kind: Lab
            metadata: {name: red, title: A pod then a false claim, labels: {topic: ci}}
            spec:
              images: {alpine:3.2: busybox}
              # Generous: the first lab of a loaded runner may build the busybox image.
              timeouts: {apply: 5m}
              steps:
              - name: create
                try:
                - apply: {file: manifests/alpine-deployment.yaml}
              - name: false-claim
                try:
                - script: {content: 'exit 7'}
              - name: never-reached
                try:
                - script: {content: 'true'}
            """

        /// A lab with no pod that passes, labelled `topic: <topic>`.
        static func greenLab(_ name: String, topic: String) -> String {
            """
            apiVersion: podlab.dev/v1alpha1
            kind: Lab
            metadata: {name: \(name), title: Passes without pods, labels: {topic: \(topic)}}
            spec:
              steps:
              - name: ok
                try:
                - script: {content: 'echo ok'}
                  check: {stdout: ok}
            """
        }

        /// A labs directory in the test's directory with the seed manifests and `labs`.
        static func labs(_ cli: PodlabCLI, _ labs: [String: String]) throws -> String {
            let directory = "\(cli.directory)/labs"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(labsDirectory)/manifests", toPath: "\(directory)/manifests")
            for (name, text) in labs { try text.write(toFile: "\(directory)/\(name).lab.yaml", atomically: false, encoding: .utf8) }
            return directory
        }

        @Test("--keep-on-failure leaves the failed lab's pods running and prints how to inspect and delete them")
        func keepOnFailure() throws {
            let cli = try PodlabCLI("keep on failure")
            defer { cli.tearDown() }
            let labs = try Self.labs(cli, ["red": Self.failingLab])
            let result = try cli.run(["run", "red", "--keep-on-failure", "--report-dir", "\(cli.directory)/reports"],
                                     environment: ["PODLAB_LABS_DIR": labs], timeout: 400)
            #expect(result.status == 1, "\(result.description)")
            let namespace = try #require(result.stderr.firstMatch(of: /podlab delete -n (red-[0-9a-f]+) --all/)?.1, "\(result.description)")
            #expect(result.stderr.contains("podlab pods --namespace \(namespace)"), "\(result.stderr)")
            #expect(result.stderr.contains("failed in step false-claim"), "\(result.stderr)")
            let kept = try cli.run(["pods", "-q", "--namespace", String(namespace)])
            #expect(kept.output.split(separator: "\n").count == 1, "the failed lab's pod was not kept: \(kept.description)")
            let pause = try cli.run(["inspectp", "-n", String(namespace), "alpine-deployment", "--template", ".info.pid"])
            let pid = try #require(Int32(pause.output), "\(pause.description)")
            #expect(kill(pid, 0) == 0, "pause \(pid) of the kept pod is not running")
            // Shell completion (what the generated bash/zsh/fish scripts call at TAB): the kept
            // pod's name for pod commands, the lab names for `run`.
            let pods = try cli.run(["---completion", "logs", "--", "positional@0", "2", "0", "podlab", "logs", ""])
            #expect(pods.stdout.split(separator: "\n").contains { $0.hasPrefix("alpine-deployment-") }, "the Deployment's pod is not offered: \(pods.description)")
            let labNames = try cli.run(["---completion", "run", "--", "positional@0", "2", "1", "podlab", "run", "r"],
                                       environment: ["PODLAB_LABS_DIR": labs])
            #expect(labNames.output == "red", "\(labNames.description)")
            // The printed command deletes them.
            #expect(try cli.run(["delete", "-n", String(namespace), "--all"]).status == 0)
            #expect(try cli.run(["pods", "-q"]).output.isEmpty)
        }

        @Test("--pause-on-failure keeps the pods until Enter, then deletes them; closed stdin does not hang")
        func pauseOnFailure() throws {
            let cli = try PodlabCLI("pause on failure")
            defer { cli.tearDown() }
            let labs = try Self.labs(cli, ["red": Self.failingLab])
            let process = Process()
            let input = Pipe()
            let errPath = "\(cli.directory)/pause.err"
            _ = FileManager.default.createFile(atPath: errPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: cli.environment.podlab)
            process.arguments = ["run", "red", "--pause-on-failure", "--report-dir", "\(cli.directory)/reports"]
            process.environment = cli.variables.merging(["PODLAB_LABS_DIR": labs]) { _, new in new }
            process.currentDirectoryURL = URL(fileURLWithPath: cli.directory)
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
            try waitUntil("the run pauses", timeout: 400) {
                ((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "").contains("Press Enter")
            }
            // Paused: the pod is still there, and stays while nobody presses Enter.
            usleep(500_000)
            #expect(process.isRunning, "podlab run did not wait for Enter")
            #expect(try cli.run(["pods", "-q"]).output.split(separator: "\n").count == 1, "the paused lab's pod is gone")
            input.fileHandleForWriting.write(Data("\n".utf8))
            try waitUntil("the run ends after Enter", timeout: 60) { !process.isRunning }
            #expect(process.terminationStatus == 1)
            #expect(try cli.run(["pods", "-q"]).output.isEmpty, "the lab's pod was not deleted after Enter")

            // stdin at EOF (CI): no pause, the pods are cleaned up as without the flag.
            let closed = try cli.run(["run", "red", "--pause-on-failure", "--report-dir", "\(cli.directory)/reports"],
                                     environment: ["PODLAB_LABS_DIR": labs], timeout: 400)
            #expect(closed.status == 1, "\(closed.description)")
            #expect(closed.stderr.contains("stdin is closed: not pausing"), "\(closed.stderr)")
            #expect(try cli.run(["pods", "-q"]).output.isEmpty)
        }

        @Test("--shard 1/2 and 2/2 write separate report files; -l alone selects labs; both flags at once are exit 2")
        func shardsAndSelectors() throws {
            let cli = try PodlabCLI("shards")
            defer { cli.tearDown() }
            let labs = try Self.labs(cli, ["a": Self.greenLab("a", topic: "pause"), "b": Self.greenLab("b", topic: "pause"),
                                           "c": Self.greenLab("c", topic: "other")])
            let reports = "\(cli.directory)/reports"
            for shard in ["1/2", "2/2"] {
                let result = try cli.run(["run", "--all", "--shard", shard, "--report-dir", reports, "--report-format", "junit"],
                                         environment: ["PODLAB_LABS_DIR": labs])
                #expect(result.status == 0, "\(result.description)")
            }
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: reports))
            for name in ["podlab-report-shard-1-of-2.md", "podlab-report-shard-1-of-2.xml", "podlab-report-shard-2-of-2.md", "podlab-report-shard-2-of-2.xml"] {
                #expect(files.contains(name), "\(name) missing from \(files.sorted())")
            }
            let first = try String(contentsOfFile: "\(reports)/podlab-report-shard-1-of-2.xml", encoding: .utf8)
            let second = try String(contentsOfFile: "\(reports)/podlab-report-shard-2-of-2.xml", encoding: .utf8)
            #expect(first.contains("\"a\"") && first.contains("\"c\"") && !first.contains("\"b\""), "shard 1: \(first)")
            #expect(second.contains("\"b\"") && !second.contains("\"a\""), "shard 2: \(second)")

            // The README's `podlab run -l topic=pause`: no names, no --all.
            let selected = try cli.run(["run", "-l", "topic=pause", "--report-dir", "\(cli.directory)/selected"],
                                       environment: ["PODLAB_LABS_DIR": labs])
            #expect(selected.status == 0, "\(selected.description)")
            let selectedFiles = Set(try FileManager.default.contentsOfDirectory(atPath: "\(cli.directory)/selected"))
            #expect(selectedFiles.contains("a.md") && selectedFiles.contains("b.md") && !selectedFiles.contains("c.md"), "\(selectedFiles.sorted())")
            let none = try cli.run(["run", "-l", "topic=nothing"], environment: ["PODLAB_LABS_DIR": labs])
            #expect(none.status == 2 && none.stderr.contains("no lab matches"), "\(none.description)")

            let both = try cli.run(["run", "a", "--pause-on-failure", "--keep-on-failure"], environment: ["PODLAB_LABS_DIR": labs])
            #expect(both.status == 2 && both.stderr.contains("choose one"), "\(both.description)")
        }

        @Test("podlab run as a non-root user exits 2 (setup), not 1 (a lab failed)")
        func nonRootRunIsSetupError() throws {
            let cli = try PodlabCLI("non-root run")
            defer { cli.tearDown() }
            let labs = try Self.labs(cli, ["a": Self.greenLab("a", topic: "pause")])
            // nobody must be able to reach the binary and the lab: a hard link (same file system,
            // no copy of the large binary) and a copy in a directory nobody can enter. Only the
            // test's own directories are opened up, never /tmp itself.
            let scratch = "\(cli.directory)/nobody"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            try FileManager.default.linkItem(atPath: cli.environment.podlab, toPath: "\(scratch)/podlab")
            try FileManager.default.copyItem(atPath: "\(labs)/a.lab.yaml", toPath: "\(scratch)/a.lab.yaml")
            for directory in [cli.environment.root, cli.directory, scratch] { chmod(directory, 0o755) }
            chmod("\(scratch)/a.lab.yaml", 0o644)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "\(scratch)/podlab", "run", "\(scratch)/a.lab.yaml", "--report-dir", "\(scratch)/reports"]
            process.environment = cli.variables
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 2, "exit \(process.terminationStatus): \(stderr)")
            #expect(stderr.contains("needs root"), "\(stderr)")
        }
    }
}
