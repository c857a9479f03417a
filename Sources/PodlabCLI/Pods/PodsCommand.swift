import ArgumentParser
import Foundation
import PodKit

/// `podlab pods`: crictl pods.
struct PodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pods", abstract: "List pod sandboxes (crictl pods columns).")

    @OptionGroup var filter: ListFilter
    @Option(name: .shortAndLong, help: "Output format: table or json.") var output: OutputFormat = .table
    @Flag(name: .shortAndLong, help: "Only print pod IDs.") var quiet = false
    @Flag(help: "Show full IDs.") var noTrunc = false

    func validate() throws {
        try filter.validate(command: "pods")
        if let state = filter.state, !["ready", "notready", "sandbox_ready", "sandbox_notready"].contains(state.lowercased()) {
            throw ValidationError("--state \(state): pods are ready or notready (crictl pods --state)")
        }
    }

    func run() throws {
        // Every sandbox, old NotReady ones included, as `crictl pods` lists them (#89); the
        // state, --latest and --last filters then apply to sandboxes, as in crictl.
        var pods = try filter.pods(.current).filter { try filter.nameMatches($0.spec.name) }.flatMap(\.sandboxViews)
        if let state = filter.state?.lowercased() {
            let ready = state == "ready" || state == "sandbox_ready"
            pods = pods.filter { $0.isSandboxReady == ready }
        }
        pods = try filter.newest(pods, command: "pods") { $0.sandbox.createdAt ?? $0.createdAt }
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
                       pod.spec.name, pod.spec.namespace, "\(pod.sandbox.attempt)", RuntimeKind.name(ofPod: pod.key).rawValue])
        }
        print(table.render(), terminator: "")
    }
}

extension OutputFormat: ExpressibleByArgument {}
