import ArgumentParser
import Foundation
import PodKit

/// `podlab ps`: crictl ps, with the pause (sandbox) container under `-a`.
struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List containers (crictl ps columns); -a adds exited ones and pause.")

    @OptionGroup var filter: ListFilter
    @Flag(name: .shortAndLong, help: "Show all containers, including exited ones and each pod's pause container.") var all = false
    @Option(name: .shortAndLong, help: "Output format: table or json.") var output: OutputFormat = .table
    @Flag(name: .shortAndLong, help: "Only print container IDs.") var quiet = false
    @Flag(help: "Show full IDs.") var noTrunc = false

    func validate() throws {
        try filter.validate(command: "ps")
        if let state = filter.state, ContainerState(crictlName: state) == nil {
            throw ValidationError("--state \(state): one of created, running, exited, unknown (crictl ps --state)")
        }
    }

    /// One line of the table, with what the filters look at.
    struct Row {
        var cells: [String]
        var name: String
        var state: ContainerState
        var createdAt: Date?
        var json: ContainerInspection.Status?
    }

    func run() throws {
        let pods = try filter.pods(.current)
        // crictl ps --state lists that state even without -a.
        let wanted = filter.state.flatMap(ContainerState.init(crictlName:))
        let showAll = all || wanted != nil
        var rows: [Row] = []
        for pod in pods {
            // pause is podlab's addition to `-a`; crictl ps --state never lists sandboxes.
            if all, pod.sandbox.pausePID != nil || !pod.sandbox.ready {
                let state: ContainerState = pod.isSandboxReady ? .running : (pod.sandbox.ready ? .unknown : .exited)
                rows.append(Row(cells: [shortID(pod.sandboxID, noTrunc: noTrunc), "pause", humanAgo(pod.sandbox.createdAt),
                                        state.display, "pause", "\(pod.sandbox.attempt)",
                                        shortID(pod.sandboxID, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace],
                                name: "pause", state: state, createdAt: pod.sandbox.createdAt))
            }
            for container in pod.containers where showAll {
                // kubelet keeps the last dead container of each name (minDeadContainerInPod = 1),
                // so `crictl ps -a` lists the previous attempt as Exited.
                guard let last = container.lastTerminated, last.containerID != container.id else { continue }
                rows.append(Row(cells: [shortID(last.containerID, noTrunc: noTrunc), container.image, humanAgo(last.startedAt),
                                        ContainerState.exited.display, container.name, "\(max(0, container.restartCount - 1))",
                                        shortID(pod.id, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace],
                                name: container.name, state: .exited, createdAt: last.startedAt))
            }
            for container in pod.containers where showAll || container.state == .running {
                rows.append(Row(cells: [shortID(container.id, noTrunc: noTrunc), container.image, humanAgo(container.createdAt),
                                        container.state.display, container.name, "\(container.restartCount)",
                                        shortID(pod.id, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace],
                                name: container.name, state: container.state, createdAt: container.createdAt,
                                json: ContainerInspection.status(container, pod: pod)))
            }
        }
        rows = try rows.filter { row in
            guard wanted == nil || row.state == wanted else { return false }
            return try filter.nameMatches(row.name)
        }
        rows = try filter.newest(rows, command: "ps") { $0.createdAt }
        if quiet {
            rows.forEach { print($0.cells[0]) }
        } else if output == .json {
            try printJSON(["containers": rows.compactMap(\.json)])
        } else {
            var table = Table("CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE")
            rows.forEach { table.add($0.cells) }
            print(table.render(), terminator: "")
        }
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
