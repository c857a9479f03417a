import ArgumentParser
import Foundation
import LabKit
import PodKit
import PodlabCore
import Reports

/// `podlab compare -f manifest.yaml`: the side-by-side comparison for a manifest without a lab
/// (issue 13 item 5). On each runtime in turn: apply, wait Ready, record the IP, SIGKILL the
/// default container and wait for its restart (the post's PoC), collect the observations with
/// `PodObservationCollector`, delete. Then the table: each observation, its value per runtime,
/// agree or differ.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run a manifest on podlab's runtime and on containerd and compare what the pods show.",
        discussion: """
            Observations are read the same way on every runtime, from /proc and /sys/fs/cgroup on the host by pid: \
            namespace sharing, IP kept across a container kill, restart counts and reasons, the process tree's shape, \
            mounts, capabilities, no_new_privs, seccomp, /etc/hosts, /etc/resolv.conf, hostname, cgroup limits, \
            oom_score_adj and the environment. Differences with a known reason name their docs/FIDELITY.md item. \
            Exit status: 0 the runtimes agree (or differ only where documented), 1 an unexplained difference, \
            2 setup or usage error.
            """)

    @Option(name: .shortAndLong, help: ArgumentHelp("The manifest (a file, - for standard input, or a directory).", valueName: "file"))
    var file: [String]

    @Option(name: .customLong("image"), help: "Map a manifest image to a catalog image: alpine:3.2=busybox (repeatable).")
    var imageMappings: [String] = []

    @Option(name: .shortAndLong, help: "Output: table (default), markdown or json.")
    var output: String = "table"

    @Flag(name: .customLong("no-kill"), help: "Do not kill the default container (skip the restart observations).")
    var noKill = false

    @Option(help: "Seconds to wait for each pod to become Ready, and for the restart.")
    var timeout: Double = 60

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if file.isEmpty { throw ValidationError("name a manifest with -f FILE") }
        if !["table", "markdown", "json"].contains(output) { throw ValidationError("-o \(output): want table, markdown or json") }
    }

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let parsed = try ManifestParser().parse(sources: try ManifestInput.sources(file))
        guard !parsed.pods.isEmpty else { throw PodlabError(.notFound, "no pods in \(file.joined(separator: ", "))") }
        let map = try PodLauncher.parseImageMap(imageMappings)
        let kinds = try runtime.kinds(default: "podlab,containerd")
        try Preflight.requireRoot("compare")
        for kind in kinds.reversed() { try runtime.export(paths: paths, kind: kind) }
        InterruptGuard.shared.install()
        var observations: [RuntimeObservations] = []
        for kind in kinds {
            try runtime.export(paths: paths, kind: kind)
            StandardStreams.error("podlab compare: \(kind.rawValue): applying \(file.joined(separator: ", "))\n")
            observations.append(RuntimeObservations(runtime: kind.rawValue, values: try observe(parsed, imageMap: map, paths: paths)))
        }
        let subject = file.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
        let comparison = RuntimeComparison(subject: subject, observations: observations, reasons: KnownRuntimeDifferences.reasons)
        switch output {
        case "json": StandardStreams.output(try RuntimeComparisonReport.json([comparison]))
        case "markdown": StandardStreams.output(RuntimeComparisonReport.markdown(comparison))
        default: StandardStreams.output(Self.table(comparison))
        }
        if !comparison.unexplained.isEmpty { throw ExitCode(1) }
    }

    /// One runtime's run of the manifest; the pods are deleted whatever happens.
    func observe(_ parsed: ParsedManifest, imageMap: [String: String], paths: PodlabPaths) throws -> [ObservedValue] {
        let api = PodAPI(paths: paths)
        let namespace = "cmp-" + String(UUID().uuidString.prefix(6)).lowercased()
        let removeAll = {
            for record in api.store.list() where record.spec.namespace == namespace { PodDeleter(paths: paths).delete(record, grace: 0) }
        }
        let token = InterruptGuard.shared.register(removeAll)
        defer {
            removeAll()
            InterruptGuard.shared.unregister(token)
        }
        let pods = try PodLauncher(paths: paths).apply(parsed, imageMap: imageMap, namespace: namespace, timeout: timeout)
        var firstIPs: [String: String] = [:]
        for pod in pods {
            try waitReady(api, pod)
            firstIPs[pod.key] = try api.record(pod.key).sandbox.ip
        }
        if !noKill {
            for pod in pods {
                let record = try api.record(pod.key)
                let killed = try api.kill(record, target: PodProcessTarget(name: nil), signal: SIGKILL)
                try waitRestart(api, record, container: killed.name)
                try waitReady(api, pod)
            }
        }
        let collector = PodObservationCollector(api: api)
        return try pods.flatMap { pod in collector.collect(try api.record(pod.key), firstIP: firstIPs[pod.key]) }
    }

    func waitReady(_ api: PodAPI, _ pod: PodRecord) throws {
        if let timedOut = try api.wait(pod.key, name: pod.spec.name, for: .ready, until: Date().addingTimeInterval(timeout)) {
            throw PodlabError(.timeout, "pod \(pod.spec.name) not Ready after \(timeout) s: \(timedOut.last.map(PodWaitCondition.summary) ?? "never read")")
        }
    }

    /// Until `container` runs again with one more restart.
    func waitRestart(_ api: PodAPI, _ before: PodRecord, container: String) throws {
        let count = before.containers.first { $0.name == container }?.restartCount ?? 0
        let restarted = try PodWatcher(store: api.store, key: before.key).wait(until: Date().addingTimeInterval(timeout)) { state -> Bool? in
            guard case .present(let record) = state, let now = record.containers.first(where: { $0.name == container }) else { return nil }
            return now.restartCount > count && now.state == .running ? true : nil
        }
        if restarted == nil { throw PodlabError(.timeout, "container \(container) of \(before.spec.name) did not restart within \(timeout) s") }
    }

    /// The terminal table; multi-line values that differ are shown as diffs below it.
    static func table(_ comparison: RuntimeComparison) -> String {
        var table = Table(headers: ["OBSERVATION"] + comparison.runtimes.map { $0.uppercased() } + [""])
        for row in comparison.rows {
            let verdict = row.agree ? "agree" : (row.reason.map { "differs: \($0)" } ?? "DIFFERS")
            table.add([row.observation] + row.values.map { SideBySideRun.short($0) } + [verdict])
        }
        var out = table.render()
        for row in comparison.disagreements where row.values.contains(where: { $0?.contains("\n") ?? false }) {
            out += "\n\(row.observation):\n" + RuntimeComparisonReport.diff(row.values, runtimes: comparison.runtimes) + "\n"
        }
        out += "\n\(comparison.rows.count) observations, \(comparison.disagreements.count) differ, \(comparison.unexplained.count) without a documented reason\n"
        return out
    }
}
