import ArgumentParser
import Foundation
import PodKit

/// `podlab ps`: crictl ps, with the pause (sandbox) container under `-a`.
struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List containers (crictl ps columns); -a adds exited ones and pause.")

    @OptionGroup var selection: PodSelection
    @Flag(name: .shortAndLong, help: "Show all containers, including exited ones and each pod's pause container.") var all = false
    @Option(name: .shortAndLong, help: "Output format: table or json.") var output: OutputFormat = .table
    @Flag(name: .shortAndLong, help: "Only print container IDs.") var quiet = false
    @Flag(help: "Show full IDs.") var noTrunc = false

    func run() throws {
        let pods = try selection.resolve(.current, requireOne: false)
        var rows: [[String]] = []
        var json: [ContainerInspection.Status] = []
        for pod in pods {
            if all, pod.sandbox.pausePID != nil || !pod.sandbox.ready {
                rows.append([shortID(pod.sandboxID, noTrunc: noTrunc), "pause", humanAgo(pod.sandbox.createdAt),
                             pod.isSandboxReady ? "Running" : (pod.sandbox.ready ? "Unknown" : "Exited"), "pause", "\(pod.sandbox.attempt)",
                             shortID(pod.id, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace])
            }
            for container in pod.containers where all {
                // kubelet keeps the last dead container of each name (minDeadContainerInPod = 1),
                // so `crictl ps -a` lists the previous attempt as Exited.
                guard let last = container.lastTerminated, last.containerID != container.id else { continue }
                rows.append([shortID(last.containerID, noTrunc: noTrunc), container.image, humanAgo(last.startedAt),
                             ContainerState.exited.display, container.name, "\(max(0, container.restartCount - 1))",
                             shortID(pod.id, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace])
            }
            for container in pod.containers where all || container.state == .running {
                rows.append([shortID(container.id, noTrunc: noTrunc), container.image, humanAgo(container.createdAt),
                             container.state.display, container.name, "\(container.restartCount)",
                             shortID(pod.id, noTrunc: noTrunc), pod.spec.name, pod.spec.namespace])
                json.append(ContainerInspection.status(container, pod: pod))
            }
        }
        if quiet {
            rows.forEach { print($0[0]) }
        } else if output == .json {
            try printJSON(["containers": json])
        } else {
            var table = Table("CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE")
            rows.forEach { table.add($0) }
            print(table.render(), terminator: "")
        }
    }
}
