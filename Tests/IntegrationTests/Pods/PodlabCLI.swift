import Foundation
import PodKit
import PodNetwork
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What one `podlab` invocation did.
struct CommandResult {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    /// stdout without the trailing newline.
    var output: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }

    var description: String { "podlab \(arguments.joined(separator: " ")) → exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Drives the built `podlab` binary as a user would (apple/container's `ContainerFixture` style),
/// isolated from the machine's live pods: its own state directory and a unique namespace per
/// test (so pod keys, netns pins, veths and cgroups never collide with other tests or users),
/// and the process-wide data/rootfs directories and test bridge from `PodlabTestEnvironment`.
///
/// Create one per test and call `tearDown()` in a `defer`: it deletes every pod of the test and
/// checks that nothing they owned is left on the machine.
final class PodlabCLI {
    let environment = PodlabTestEnvironment.shared
    /// Per test: `<root>/<namespace>/{state,manifests}`.
    let directory: String
    let stateDir: String
    /// Manifests are applied with `-n namespace`, so every pod key is `<namespace>--<pod>` (`PodKey`).
    let namespace: String
    /// Pod keys this test created (for the leak check).
    private(set) var keys: Set<String> = []

    /// - Parameter sharing: another test's CLI whose namespace this one uses too (two state
    ///   directories applying the same pods, as two podlab instances would).
    init(_ label: String, sharing other: PodlabCLI? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let binaries = PodlabTestEnvironment.shared.podlab
        let pause = (binaries as NSString).deletingLastPathComponent + "/pause"
        try #require(FileManager.default.isExecutableFile(atPath: binaries) && FileManager.default.isExecutableFile(atPath: pause),
                     "\(binaries) or \(pause) is missing: run `swift build --product podlab --product pause` (scripts/test does)",
                     sourceLocation: sourceLocation)
        namespace = other?.namespace ?? PodlabTestEnvironment.shared.nextNamespace()
        directory = "\(PodlabTestEnvironment.shared.root)/\(namespace)" + (other == nil ? "" : "-\(label)")
        stateDir = "\(directory)/state"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        try "\(label)\n".write(toFile: "\(directory)/test-name", atomically: true, encoding: .utf8)
    }

    /// `PODLAB_*` settings of this test's own (another bridge, subnet or cgroup parent), over the run's.
    var overrides: [String: String] = [:]

    var variables: [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PODLAB_") }
        env["PODLAB_STATE_DIR"] = stateDir
        env["PODLAB_DATA_DIR"] = environment.dataDir
        env["PODLAB_ROOTFS_DIR"] = environment.rootfsDir
        env["PODLAB_BRIDGE"] = PodlabTestEnvironment.bridge
        env["PODLAB_SUBNET"] = PodlabTestEnvironment.subnet
        env["PODLAB_CGROUP_PARENT"] = environment.cgroupParent
        // Debian-built images (nginx) are cached by their inputs under .build: built once per checkout.
        env["PODLAB_BUILD_CACHE_DIR"] = "\(repositoryRoot)/.build/podlab-build-cache"
        return env.merging(overrides) { _, override in override }
    }

    // MARK: running podlab

    /// Runs `podlab ARGS` and waits (up to `timeout`, then SIGKILL) for it to exit.
    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil, timeout: TimeInterval = 90) throws -> CommandResult {
        let process = try start(arguments, environment: extra, input: input)
        return try process.wait(timeout: timeout)
    }

    /// Runs `podlab ARGS` and expects exit 0.
    @discardableResult
    func succeed(_ arguments: [String], timeout: TimeInterval = 90, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> CommandResult {
        let result = try run(arguments, timeout: timeout)
        try #require(result.status == 0, "\(result.description)", sourceLocation: sourceLocation)
        return result
    }

    /// Starts `podlab ARGS` without waiting (to kill it mid-way, or to watch a delete).
    /// `input`, if given, is podlab's standard input through a pipe (as `cat <<EOF | podlab …`).
    func start(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) throws -> RunningCommand {
        try RunningCommand(executable: environment.podlab, arguments: arguments,
                           environment: variables.merging(extra) { _, new in new }, directory: directory, input: input)
    }

    // MARK: pods

    /// Writes `yaml` to a manifest file and applies it in this test's namespace; returns the
    /// names of the pods `apply` reported.
    @discardableResult
    func apply(_ yaml: String, file: String = "pod.yaml", extra: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String] {
        let path = "\(directory)/\(file)"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try applyFile(path, extra: extra, sourceLocation: sourceLocation)
    }

    /// Applies a manifest file as written (e.g. one of `Labs/manifests`).
    @discardableResult
    func applyFile(_ path: String, extra: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String] {
        let result = try succeed(["apply", "-f", path, "-n", namespace] + extra, sourceLocation: sourceLocation)
        let names = result.stdout.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("pod/"), let end = line.range(of: " created") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 4)..<end.lowerBound])
        }
        for name in names { keys.insert(key(name)) }
        return names
    }

    /// Records the pods an `apply` run by hand (`run`, not `applyFile`) reported, for tearDown.
    func adopt(_ result: CommandResult) {
        for line in result.stdout.split(separator: "\n") where line.hasPrefix("pod/") {
            guard let end = line.range(of: " created") else { continue }
            keys.insert(key(String(line[line.index(line.startIndex, offsetBy: 4)..<end.lowerBound])))
        }
    }

    /// The pod key `podlab` uses for a pod of this test (its state-dir record; see `hostName`).
    func key(_ pod: String) -> String { PodRecord.key(name: pod, namespace: namespace) }

    /// The pod's machine-wide name (netns `podlab-<name>`, cgroup `podlab/<name>`, veth hash,
    /// lease owner): the key qualified by this test's state dir.
    func hostName(_ pod: String) -> String {
        PodlabPaths(stateDir: stateDir, dataDir: environment.dataDir, rootfsDir: "", labsDir: "", reportsDir: "").hostName(forPod: key(pod))
    }

    /// Notes a pod this test creates other than through `apply` (e.g. an apply it kills).
    func expectPod(_ pod: String) { keys.insert(key(pod)) }

    /// `podlab inspectp POD` as JSON.
    func inspectPod(_ pod: String) throws -> JSON {
        try JSON(parsing: try succeed(["inspectp", pod]).stdout)
    }

    /// `podlab inspect CTR -p POD` as JSON.
    func inspect(_ container: String, pod: String) throws -> JSON {
        try JSON(parsing: try succeed(["inspect", container, "-p", pod]).stdout)
    }

    /// `podlab exec POD -c CTR -- CMD…`; the result carries the command's exit code.
    func exec(_ pod: String, _ container: String, _ command: String...) throws -> CommandResult {
        try run(["exec", pod, "-c", container, "--"] + command)
    }

    /// The pause pid of a pod.
    func pausePID(_ pod: String) throws -> Int32 {
        try #require(try inspectPod(pod)["info"]["pid"].int.map(Int32.init))
    }

    /// The main pid of a running container.
    func pid(_ container: String, pod: String) throws -> Int32 {
        try #require(try inspect(container, pod: pod)["info"]["pid"].int.map(Int32.init).flatMap { $0 > 0 ? $0 : nil })
    }

    /// The pod's directory in this test's state dir (logs, supervisor.log).
    func podDirectory(_ pod: String) -> String { "\(stateDir)/pods/\(key(pod))" }

    // MARK: teardown

    /// Deletes every pod of this test, then checks that nothing they owned is left: no
    /// supervisor, no netns pin, no veth, no cgroup, no IP lease, no mount under the test's
    /// directory. Removes the directory. Safe to call twice.
    func tearDown(sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        // Pods the test may not have noted (e.g. an apply it killed) are in the state dir.
        let podsDir = "\(stateDir)/pods"
        for key in (try? FileManager.default.contentsOfDirectory(atPath: podsDir)) ?? [] { keys.insert(key) }
        if let result = try? run(["delete", "--all", "--grace-period", "0"], timeout: 60), result.status != 0 {
            Issue.record("teardown delete failed: \(result.description)", sourceLocation: sourceLocation)
            _ = try? run(["clean"], timeout: 60)
        }
        let leftovers = PodlabTestEnvironment.leftovers(keys: keys, under: directory, dataDir: environment.dataDir)
        #expect(leftovers.isEmpty, "left behind after deleting pods \(keys.sorted()): \(leftovers)", sourceLocation: sourceLocation)
        PodlabTestEnvironment.removeTree(directory)
    }
}

/// A `podlab` process started with `PodlabCLI.start`.
final class RunningCommand {
    let process = Process()
    let arguments: [String]
    private let stdoutPath: String
    private let stderrPath: String

    init(executable: String, arguments: [String], environment: [String: String], directory: String, input: String? = nil) throws {
        self.arguments = arguments
        let tag = UUID().uuidString.prefix(8)
        stdoutPath = "\(directory)/.out-\(tag)"
        stderrPath = "\(directory)/.err-\(tag)"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        if let inputPipe, let input {
            // Written after the start, then closed, so podlab reads to EOF as from a shell pipe.
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// What the command has written to stdout so far (a watch that has not exited yet).
    var outputSoFar: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    /// Waits for exit (SIGKILL after `timeout`) and collects the output.
    func wait(timeout: TimeInterval) throws -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw PodlabError(.timeout, "podlab \(arguments.joined(separator: " ")) did not exit within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(atPath: stdoutPath)
            try? FileManager.default.removeItem(atPath: stderrPath)
        }
        let out = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CommandResult(arguments: arguments, status: status, stdout: out, stderr: err)
    }
}

/// Polls `condition` every `interval` until it returns a value or `timeout` passes.
func eventually<T>(timeout: TimeInterval = 10, interval: TimeInterval = 0.05, _ condition: () throws -> T?) rethrows -> T? {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if let value = try condition() { return value }
        usleep(useconds_t(interval * 1_000_000))
    } while Date() < deadline
    return try condition()
}

/// Waits until `condition` holds; fails the test (naming `what`) if it does not within `timeout`.
func waitUntil(_ what: String, timeout: TimeInterval = 10, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ condition: () throws -> Bool) throws {
    let held = try eventually(timeout: timeout) { try condition() ? true : nil } ?? false
    try #require(held, "timed out after \(timeout) s waiting until \(what)", sourceLocation: sourceLocation)
}
