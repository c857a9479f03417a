import Foundation
import PodObservations
import Reports
import Testing

/// Issue 15 section 4: namespaces that are the host's (user; cgroup when the runtime does not
/// unshare it) are drawn and tabled as "host", never as "shared by all".
@Suite("host namespaces in reports")
struct HostNamespaceTextTests {
    /// pause and app share net/ipc/uts (the pod's), have their own mnt, and sit in the host's
    /// user and cgroup namespaces (the inodes of the process that took the table).
    static let table = NamespaceTable(pod: "web", ip: "10.88.0.5", rows: [
        .init(process: "pause", pid: 100, inodes: ["net": 4026532500, "ipc": 4026532501, "uts": 4026532502, "mnt": 4026532503, "cgroup": 4026531835, "user": 4026531837]),
        .init(process: "app", pid: 101, inodes: ["net": 4026532500, "ipc": 4026532501, "uts": 4026532502, "mnt": 4026532510, "cgroup": 4026531835, "user": 4026531837]),
    ], hostInodes: ["net": 4026531840, "ipc": 4026531839, "uts": 4026531838, "mnt": 4026531841, "cgroup": 4026531835, "user": 4026531837])

    @Test("the sharing rule, the Markdown summary row, mermaid and the SVG call them the host's")
    func hostIsNotShared() throws {
        #expect(Self.table.sharing("user") == .host && Self.table.sharing("cgroup") == .host)
        #expect(Self.table.sharing("net") == .shared && Self.table.sharing("mnt") == .private)
        let mermaid = MermaidNamespaceDiagram.render(Self.table)
        #expect(mermaid.contains("subgraph user_ns [\"user (the host's)\"]") && mermaid.contains("subgraph net_ns [\"net (shared)\"]"), "\(mermaid)")
        let svg = NamespaceDiagramSVG.render(Self.table)
        #expect(svg.contains("user:[4026531837] the host&apos;s") || svg.contains("user:[4026531837] the host's"), "\(svg)")
        #expect(svg.contains("cgroup:[4026531835] the host"), "\(svg)")
        #expect(!svg.contains("user:[4026531837] shared by all") && svg.contains("net:[4026532500] shared by all 2"), "\(svg)")
        #expect(svg.contains("the host&apos;s (not unshared)") || svg.contains("the host's (not unshared)"))

        let now = Date()
        let operation = OperationReport(verb: "namespaces", summary: "namespaces of web", phase: .try, location: "host.lab.yaml:3:5",
                                        startTime: now, endTime: now, observations: [.namespaces(Self.table)])
        let step = StepReport(index: 1, name: "look", startTime: now, endTime: now, operations: [operation])
        let lab = LabReport(name: "host-ns", title: "host namespaces", file: "host.lab.yaml", namespace: "host-ns-1", startTime: now, endTime: now, steps: [step])
        let markdown = MarkdownReport.render(lab)
        let summary = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("| **summary**") }, "\(markdown)")
        // Columns in NamespaceKind order: net ipc uts mnt cgroup user.
        #expect(summary == "| **summary** | | shared | shared | shared | private | host | host |", "\(markdown)")
        #expect(markdown.contains("host = the host's own namespace, which the pod did not unshare (cgroup, user)"), "\(markdown)")

        // An old report without host inodes keeps its old words.
        let old = NamespaceTable(pod: "web", rows: Self.table.rows)
        #expect(old.sharing("user") == .shared)
    }
}
