import ArgumentParser
import Foundation
import PodKit
import PodlabCore
import Reports
import PodObservations

/// `podlab ns`: namespace inodes of pause and every container, marked shared or private.
struct NamespacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ns", abstract: "Compare namespace inodes of pause and each container (like lsns / podman ps --ns).")

    @OptionGroup var selection: PodSelection
    @Option(name: .shortAndLong, help: "Output format: table or json (lsns -J style).") var output: OutputFormat = .table
    @Option(help: "Also write a diagram of the pod (boxes per process, bands per shared namespace) as SVG to this file.")
    var svg: String?

    func run() throws {
        guard let pod = try selection.resolve(.current, requireOne: true).first else { return }
        let rows = NamespaceInspector.table(for: pod)
        if let svg {
            let processes = rows.map { NamespaceDiagramSVG.Process(name: $0.process, pid: $0.pid, id: String(($0.containerID ?? "").prefix(13)), inodes: $0.inodes) }
            let text = NamespaceDiagramSVG.render(pod: pod.spec.name, ip: pod.sandbox.ip, processes: processes, host: NamespaceInspector.inodes(pid: getpid()))
            do {
                try text.write(toFile: svg, atomically: true, encoding: .utf8)
            } catch {
                throw PodlabError(.syscall, "write(\(svg)): \(error.localizedDescription)")
            }
        }
        if output == .json {
            let host = NamespaceInspector.inodes(pid: getpid())
            let sharing = Dictionary(uniqueKeysWithValues: NamespaceSharing.presentKinds(in: rows).map { ($0, NamespaceSharing.of($0, in: rows, host: host).description) })
            try printJSON(NamespaceReport(pod: pod.spec.name, processes: rows, sharing: sharing))
            return
        }
        print("Pod \(pod.spec.name)  IP \(pod.sandbox.ip ?? "-")  netns \(pod.sandbox.netnsPath ?? "-")")
        print(NamespacesCommand.render(rows), terminator: "")
        print("Check one yourself: readlink /proc/\(rows.first?.pid ?? 0)/ns/net")
    }

    /// One row per namespace type, one column per process: what a student compares.
    static func render(_ rows: [NamespaceRow]) -> String {
        var table = Table(headers: ["NS"] + rows.map { "\($0.process.prefix(14)) (\($0.pid))" } + ["SHARING"])
        let host = NamespaceInspector.inodes(pid: getpid())
        for kind in NamespaceSharing.presentKinds(in: rows) {
            table.add([kind] + rows.map { $0.inodes[kind].map(String.init) ?? "-" }
                      + [NamespaceSharing.of(kind, in: rows, host: host).description])
        }
        return table.render()
    }
}

/// `podlab ns -o json`: lsns -J style entries per process, and each kind's sharing verdict.
struct NamespaceReport: Codable {
    var pod: String
    var processes: [NamespaceRow]
    /// Kind to `shared`, `host`, `private`, `partly shared` or `one process` (`NamespaceSharing`).
    var sharing: [String: String]
}
