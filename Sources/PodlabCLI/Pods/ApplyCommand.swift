import ArgumentParser
import Cgroups
import Foundation
import LabKit
import PodKit
import PodlabCore

/// `podlab apply -f FILE`: run the pods a Kubernetes manifest describes.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Create pods from a Kubernetes manifest (Pod, Deployment, ConfigMap).")

    @Option(name: .shortAndLong, help: ArgumentHelp(
        "Manifest: a file, - for standard input, /dev/fd/N, or a directory (its .yaml/.yml/.json files, sorted); repeatable.",
        valueName: "file"))
    var file: [String]
    @Option(name: .customLong("image"), help: "Map a manifest image to a catalog image: alpine:3.2=busybox (repeatable).")
    var imageMappings: [String] = []
    @Option(name: .shortAndLong, help: "Put the pods in this namespace instead of the manifest's.") var namespace: String?
    @Option(help: "Seconds to wait for the pods to start.") var timeout: Double = 60
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if file.isEmpty { throw ValidationError("name a manifest with -f FILE (- for standard input, or a directory)") }
    }

    func run() throws {
        // First, so the grace period pause's cgroup migration needs runs while the manifest is
        // parsed and the supervisor starts (see CgroupMigrationWarmUp).
        if geteuid() == 0, ProcessInfo.processInfo.environment["PODLAB_CGROUP_WARMUP"] != "0", let layout = try? CgroupLayout.detect() {
            CgroupMigrationWarmUp.begin(layout: layout)
        }
        let paths = PodlabPaths.fromEnvironment()
        let parsed = try ManifestParser().parse(sources: try ManifestInput.sources(file))
        for warning in parsed.warnings {
            StandardStreams.error("\(warning)\n")
        }
        if parsed.pods.isEmpty {
            print("no pods in \(file.map { $0 == "-" ? ManifestInput.stdinName : $0 }.joined(separator: ", ")) (ConfigMaps are only used by pods of the same apply)")
            return
        }
        let map = try PodLauncher.parseImageMap(imageMappings)
        try Preflight.requireRoot("apply")
        try runtime.export(paths: paths)
        // Ctrl-C/SIGTERM while the pods start: delete every pod this apply created, then exit
        // 130, so no pod runs on that apply never reported.
        InterruptGuard.shared.install()
        let token = InterruptGuard.shared.register {
            for pod in PodLaunchGate.shared.close() { PodDeleter(paths: paths).delete(pod, grace: 0) }
        }
        let pods: [PodRecord]
        do {
            pods = try PodLauncher(paths: paths).apply(parsed, imageMap: map, namespace: namespace, timeout: timeout)
        } catch {
            // An apply that failed because it was interrupted waits for the handler (exit 130).
            InterruptGuard.shared.finishCommand(token)
            throw error
        }
        InterruptGuard.shared.finishCommand(token)
        for pod in pods {
            let containers = pod.containers.map { "\($0.name) (\($0.state.display.lowercased()))" }.joined(separator: ", ")
            print("pod/\(pod.spec.name) created: IP \(pod.sandbox.ip ?? "-"), pause pid \(pod.sandbox.pausePID.map(String.init) ?? "-"), netns \(pod.netnsName), containers: \(containers)")
        }
    }
}

/// `podlab delete`: stop pods gracefully and remove their sandboxes.
struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete pods: SIGTERM, grace period, SIGKILL, then the sandbox.")

    @OptionGroup var selection: PodSelection
    @Flag(help: "Delete every pod.") var all = false
    @Option(help: "Seconds between SIGTERM and SIGKILL (default: the pod's terminationGracePeriodSeconds, 30).")
    var gracePeriod: Double?

    func validate() throws {
        if selection.isEmpty && !all { throw ValidationError("name a pod, select with -l key=value, or use --all") }
    }

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let pods = all ? PodStore(paths: paths).list() : try selection.resolve(PodStore(paths: paths), requireOne: false)
        if pods.isEmpty && !all { throw PodlabError(.notFound, "no pod matches") }
        let deleter = PodDeleter(paths: paths)
        var failed = false
        pods.forEach { print(DeleteCommand.announcement($0, gracePeriod: gracePeriod)) }
        // All pods are asked to stop before the first is waited for: their grace periods overlap.
        for (pod, problems) in zip(pods, deleter.delete(pods, grace: gracePeriod)) {
            if problems.isEmpty {
                print("pod/\(pod.spec.name) deleted")
            } else {
                failed = true
                StandardStreams.error("pod/\(pod.spec.name): \(problems.joined(separator: "; ")) (run podlab clean)\n")
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// What `delete` is about to wait for, so a 30 s pause is never silent (kubectl prints
    /// nothing until the pod is gone; its `--wait` help names the grace period).
    static func announcement(_ pod: PodRecord, gracePeriod: Double?) -> String {
        let name = "pod/\(pod.spec.name)"
        if let gracePeriod, gracePeriod <= 0 { return "\(name): --grace-period 0: SIGKILL now" }
        let seconds = gracePeriod ?? Double(pod.spec.terminationGracePeriodSeconds)
        let source = gracePeriod == nil ? "the pod's terminationGracePeriodSeconds" : "--grace-period"
        let text = seconds == seconds.rounded() ? String(Int(exactly: seconds.rounded()) ?? 0) : String(seconds)
        return "\(name): SIGTERM (preStop hooks first), waiting up to \(text) s (\(source)) for the containers to exit before SIGKILL"
    }
}

/// `podlab supervise KEY`: the per-pod supervisor process (internal; started by apply).
/// `main` calls `runIfRequested` before argument parsing, so the supervisor's start-up skips
/// swift-argument-parser's reflection (a few ms on every pod start); the command stays in the
/// tree for `--help` and for completeness.
struct SuperviseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: SupervisorCommandLine.subcommand, abstract: "Run a pod's supervisor (internal, started by apply).", shouldDisplay: false)

    @Argument var key: String

    func run() throws {
        throw ExitCode(Self.supervise(key: key))
    }

    static func supervise(key: String) -> Int32 {
        let paths = PodlabPaths.fromEnvironment()
        return SupervisorLoop.run(key: key, store: PodStore(paths: paths), runtime: RuntimeKind.runtime(forPod: key, paths: paths))
    }
}

extension PodlabCommand {
    /// Runs the supervisor directly when invoked as `podlab supervise KEY` (how apply starts it),
    /// returning its exit code; nil for every other command line.
    public static func superviseIfRequested(_ arguments: [String] = CommandLine.arguments) -> Int32? {
        guard let key = SupervisorCommandLine.key(in: arguments) else { return nil }
        return SuperviseCommand.supervise(key: key)
    }
}

/// Checks that need to pass before podlab touches the machine.
enum Preflight {
    /// Root, and state/data directories that are podlab's own (never `/run`, `/var`, …).
    static func requireRoot(_ command: String) throws {
        guard geteuid() == 0 else {
            throw PodlabError(.unsupported, "podlab \(command) needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN for namespaces, mounts, veths and cgroups): run it with sudo")
        }
        try PodlabPaths.fromEnvironment().requireSafeDirectories()
    }
}
