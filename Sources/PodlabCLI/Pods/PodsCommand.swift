import ArgumentParser
import Foundation
import PodKit

/// `podlab pods`: crictl pods.
struct PodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods", abstract: "List pod sandboxes (crictl pods columns).")

    @OptionGroup var selection: PodSelection
    @Option(name: .shortAndLong, help: "Output format: table or json.") var output: OutputFormat = .table
    @Flag(name: .shortAndLong, help: "Only print pod IDs.") var quiet = false
    @Flag(help: "Show full IDs.") var noTrunc = false

    func run() throws {
        // Every sandbox, old NotReady ones included, as `crictl pods` lists them (#89).
        let pods = try selection.resolve(.current, requireOne: false).flatMap(\.sandboxViews)
        if quiet {
            pods.forEach { print($0.sandboxID) }
            return
        }
        if output == .json {
            try printJSON(["items": pods.map(PodInspection.status)])
            return
        }
        var table = Table("POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME")
        for pod in pods {
            table.add([shortID(pod.sandboxID, noTrunc: noTrunc), humanAgo(pod.createdAt), pod.isSandboxReady ? "Ready" : "NotReady",
                       pod.spec.name, pod.spec.namespace, "\(pod.sandbox.attempt)", "podlab"])
        }
        print(table.render(), terminator: "")
    }
}

extension OutputFormat: ExpressibleByArgument {}
