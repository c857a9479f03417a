import ArgumentParser
import Foundation
import PodKit
import PodlabCore

/// `podlab pods`: crictl pods.
struct PodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods", abstract: "List pod sandboxes (crictl pods columns).")

    @OptionGroup var filter: ListFilter
    @Option(name: .shortAndLong, help: "Output format: \(ObjectFormat.spellings) (kubectl's JSONPath; wide adds IP, READY, RESTARTS).")
    var output: String = "table"
    @Flag(name: .shortAndLong, help: "Only print pod IDs.") var quiet = false
    @Flag(help: "Show full IDs.") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Print the table, then one line per change (state, ready, restarts) until Ctrl-C (kubectl get -w).")
    var watch = false

    func validate() throws {
        try filter.validate(command: "pods")
        if let state = filter.state, !["ready", "notready", "sandbox_ready", "sandbox_notready"].contains(state.lowercased()) {
            throw ValidationError("--state \(state): pods are ready or notready (crictl pods --state)")
        }
        let format = try ObjectFormat(parsing: output)
        if watch && (quiet || format.isStructured) { throw ValidationError("--watch prints the table: use it with -o table or -o wide, without -q") }
    }

    func run() throws {
        let format = try ObjectFormat(parsing: output)
        let records = try filter.pods(.listing).filter { try filter.nameMatches($0.spec.name) }
        let pods = try selected(records)
        if quiet {
            pods.forEach { print($0.sandboxID) }
            return
        }
        if format.isStructured {
            try format.print(["items": pods.map(PodInspection.status)])
            return
        }
        // Once, not per row: building the environment dictionary for each of 110 pods was 8 % of
        // `podlab pods` (issue 16, perf).
        let paths = PodlabPaths.fromEnvironment()
        var table = Table(headers: headers(wide: format == .wide))
        pods.forEach { table.add(row($0, wide: format == .wide, paths: paths)) }
        print(table.render(), terminator: "")
        guard watch else { return }
        try ListWatch.run(pods: records, widths: table.widths, admits: { filter.admits($0) && ((try? filter.nameMatches($0.spec.name)) ?? false) }) { record in
            // One line per sandbox whose row changed; the age column is left out of the comparison.
            record.sandboxViews.map { sandbox in
                let cells = row(sandbox, wide: format == .wide, paths: paths)
                return ListWatch.Line(id: sandbox.sandboxID, cells: cells, signature: cells.enumerated().filter { $0.offset != 1 }.map(\.element))
            }
        }
    }

    /// The sandboxes the filters select, as `crictl pods` lists them: every sandbox, old
    /// NotReady ones included (#89); the state, --latest and --last filters then apply to them.
    func selected(_ records: [PodRecord]) throws -> [PodRecord] {
        var pods = records.flatMap(\.sandboxViews)
        if let state = filter.state?.lowercased() {
            let ready = state == "ready" || state == "sandbox_ready"
            pods = pods.filter { $0.isSandboxReady == ready }
        }
        return try filter.newest(pods, command: "pods") { $0.sandbox.createdAt ?? $0.createdAt }
    }

    /// crictl pods' columns; `wide` adds what `kubectl get pods -o wide` adds that a single
    /// machine has (IP, READY n/m, RESTARTS; no NODE or NOMINATED NODE).
    func headers(wide: Bool) -> [String] {
        ["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"] + (wide ? ["IP", "READY", "RESTARTS"] : [])
    }

    func row(_ pod: PodRecord, wide: Bool, paths: PodlabPaths) -> [String] {
        var cells = [shortID(pod.sandboxID, noTrunc: noTrunc), humanAgo(pod.createdAt), pod.isSandboxReady ? "Ready" : "NotReady",
                     pod.spec.name, pod.spec.namespace, "\(pod.sandbox.attempt)", RuntimeKind.name(ofPod: pod.key, paths: paths).rawValue]
        if wide {
            // kubectl's READY counts app containers (and started sidecars), RESTARTS sums them
            // (kubectl `printPod` in pkg/printers/internalversion/printers.go).
            let counted = pod.containers.filter { !$0.isInit || $0.isSidecar }
            cells += [pod.isSandboxReady ? (pod.sandbox.ip ?? "<none>") : "<none>",
                      "\(counted.filter(\.ready).count)/\(counted.count)",
                      "\(counted.reduce(0) { $0 + $1.restartCount })"]
        }
        return cells
    }
}

extension OutputFormat: ExpressibleByArgument {}
