import ArgumentParser
import Foundation
import PodKit

/// `podlab ps`: crictl ps, with the pause (sandbox) container under `-a`.
struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List containers (crictl ps columns); -a adds exited ones and pause.")

    @OptionGroup var filter: ListFilter
    @Flag(name: .shortAndLong, help: "Show all containers, including exited ones and each pod's pause container.") var all = false
    @Option(name: .shortAndLong, help: "Output format: \(ObjectFormat.spellings) (kubectl's JSONPath; wide adds PID and IP).")
    var output: String = "table"
    @Flag(name: .shortAndLong, help: "Only print container IDs.") var quiet = false
    @Flag(help: "Show full IDs.") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Print the table, then one line per change (state, attempt) until Ctrl-C (kubectl get -w).")
    var watch = false

    func validate() throws {
        try filter.validate(command: "ps")
        if let state = filter.state, ContainerState(crictlName: state) == nil {
            throw ValidationError("--state \(state): one of created, running, exited, unknown (crictl ps --state)")
        }
        let format = try ObjectFormat(parsing: output)
        if watch && (quiet || format.isStructured) { throw ValidationError("--watch prints the table: use it with -o table or -o wide, without -q") }
    }

    /// One line of the table, with what the filters look at.
    struct Row {
        var cells: [String]
        var name: String
        var state: ContainerState
        var createdAt: Date?
        var json: ContainerInspection.Status?
    }

    static let headers = ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE"]

    func run() throws {
        let format = try ObjectFormat(parsing: output)
        let wide = format == .wide
        let pods = try filter.pods(.listing)
        // crictl ps --state lists that state even without -a.
        let wanted = filter.state.flatMap(ContainerState.init(crictlName:))
        var rows = pods.flatMap { self.rows($0, showAll: all || wanted != nil, wide: wide) }
        rows = try rows.filter { row in
            guard wanted == nil || row.state == wanted else { return false }
            return try filter.nameMatches(row.name)
        }
        rows = try filter.newest(rows, command: "ps") { $0.createdAt }
        if quiet {
            rows.forEach { print($0.cells[0]) }
            return
        }
        if format.isStructured {
            try format.print(["containers": rows.compactMap(\.json)])
            return
        }
        var table = Table(headers: Self.headers + (wide ? ["PID", "IP"] : []))
        rows.forEach { table.add($0.cells) }
        print(table.render(), terminator: "")
        guard watch else { return }
        try ListWatch.run(pods: pods, widths: table.widths, admits: filter.admits) { record in
            // Every container of the pod, whatever its state: the state is what changes.
            self.rows(record, showAll: true, wide: wide).filter { (try? filter.nameMatches($0.name)) ?? true }.map { row in
                ListWatch.Line(id: row.cells[0], cells: row.cells, signature: row.cells.enumerated().filter { $0.offset != 2 }.map(\.element))
            }
        }
    }

    /// A pod's rows: running containers, or with `showAll` every container, its previous
    /// attempt and (with -a) pause. `wide` adds the main process's PID and the pod IP.
    func rows(_ pod: PodRecord, showAll: Bool, wide: Bool) -> [Row] {
        var rows: [Row] = []
        let ip = pod.isSandboxReady ? (pod.sandbox.ip ?? "-") : "-"
        func extra(_ pid: Int32?) -> [String] { wide ? [pid.map(String.init) ?? "-", ip] : [] }
        // pause is podlab's addition to `-a`; crictl ps --state never lists sandboxes.
        if all, pod.sandbox.pausePID != nil || !pod.sandbox.ready {
            let state: ContainerState = pod.isSandboxReady ? .running : (pod.sandbox.ready ? .unknown : .exited)
            rows.append(Row(cells: [shortID(pod.sandboxID, noTrunc: noTrunc), "pause", humanAgo(pod.sandbox.createdAt),
                                    state.display, "pause", "\(pod.sandbox.attempt)",
                                    shortID(pod.sandboxID, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace] + extra(pod.sandbox.pausePID),
                            name: "pause", state: state, createdAt: pod.sandbox.createdAt))
        }
        for container in pod.containers where showAll {
            // A restart is a new container: `crictl ps -a` lists the replaced attempts as Exited,
            // each in the sandbox it ran in, until kubelet's container GC removes all but the
            // newest (docs/FIDELITY.md #178).
            for dead in pod.deadAttempts(of: container) {
                let last = dead.terminated
                rows.append(Row(cells: [shortID(last.containerID, noTrunc: noTrunc), container.image, humanAgo(dead.createdAt ?? last.startedAt),
                                        ContainerState.exited.display, container.name, "\(dead.attempt)",
                                        shortID(dead.sandboxID, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace] + extra(nil),
                                name: container.name, state: .exited, createdAt: dead.createdAt ?? last.startedAt))
            }
        }
        for container in pod.containers where showAll || container.state == .running {
            rows.append(Row(cells: [shortID(container.id, noTrunc: noTrunc), container.image, humanAgo(container.createdAt),
                                    container.state.display, container.name, "\(container.restartCount)",
                                    shortID(pod.sandboxID, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace]
                                + extra(container.state == .running ? container.pid : nil),
                            name: container.name, state: container.state, createdAt: container.createdAt,
                            json: ContainerInspection.status(container, pod: pod)))
        }
        return rows
    }
}

extension ContainerState {
    /// crictl's `--state` words (`created`, `running`, `exited`, `unknown`, any case, with or
    /// without the `CONTAINER_` prefix).
    init?(crictlName: String) {
        let word = crictlName.uppercased()
        guard let state = ContainerState(rawValue: word.hasPrefix("CONTAINER_") ? word : "CONTAINER_" + word) else { return nil }
        self = state
    }
}
