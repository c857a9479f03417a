import Foundation
import LabKit
import Reports
import Testing
import PodObservations

/// The Markdown reports of the seed labs, read by a CommonMark parser the way GitHub reads them.
struct ReportRenderingTests {
    static let seedLabs = ["pause-namespaces", "pause-process-tree", "pause-persistence", "sidecar-shared-logs", "memory-limits"]

    static func seedLab(_ name: String) throws -> Lab {
        try LabParser.parse(file: LabFileLintTests.labsDirectory + "/\(name).lab.yaml")
    }

    /// The report a run of `lab` records, built without running it: the seed labs' `script`
    /// operations run on the host, so a real run belongs to the integration tests. Every
    /// operation gets the commands and observations the executor records for its verb (a script's
    /// content as its command line, multi-line output), and the step with a `catch` (else the last
    /// step) fails with a multi-line error, so every kind of nested block is present.
    static func report(of lab: Lab) -> LabReport {
        let now = Date()
        let failing = lab.steps.lastIndex { !$0.catchOperations.isEmpty } ?? lab.steps.count - 1
        var steps: [StepReport] = []
        for (offset, step) in lab.steps.enumerated() {
            var operations: [OperationReport] = []
            let tryOperations = step.tryOperations.map { record($0, .try, now) }
            operations += tryOperations
            if let task = step.task {
                operations += task.solution.map { record($0, .solution, now) } + task.verify.map { record($0, .verify, now) }
            }
            if offset == failing {
                if operations.isEmpty { operations.append(OperationReport(verb: "sleep", summary: "x", phase: .try, location: "\(lab.file):1:1", startTime: now, endTime: now)) }
                operations[operations.count - 1].error = "check stdout equals \"a\" failed: got\n\"b\nc\"\n```\nnot a fence"
                operations += step.catchOperations.map { record($0, .catch, now) }
            }
            operations += step.finallyOperations.map { record($0, .finally, now) }
            steps.append(StepReport(index: offset + 1, name: step.name, startTime: now, endTime: now, operations: operations))
        }
        steps.append(StepReport(index: 0, name: "@cleanup", kind: .cleanup, startTime: now, endTime: now,
                                operations: lab.cleanup.map { record($0, .cleanup, now) }))
        return LabReport(name: lab.name, title: lab.title, file: lab.file, namespace: "\(lab.name)-abc123", startTime: now, endTime: now, steps: steps)
    }

    private static func record(_ operation: LabOperation, _ phase: OperationReport.Phase, _ now: Date) -> OperationReport {
        var report = OperationReport(verb: operation.verb.rawValue, summary: operation.summary, phase: phase, location: operation.location.description,
                                     startTime: now, endTime: now)
        let output = "first line of output\n  indented line\n\n```\nlast line\n"
        switch operation.action {
        case let .script(_, content, _):
            report.commands = [CommandRecord(target: "host", command: content.trimmingCharacters(in: .whitespacesAndNewlines), exitCode: 0, stdout: output, stderr: "")]
        case let .exec(_, container, command):
            report.commands = [CommandRecord(target: container ?? "app", command: command.joined(separator: " "), exitCode: 1, stdout: output, stderr: "warning\n")]
        case let .apply(file, _, _):
            report.commands = [CommandRecord(target: "host", command: "podlab apply -f \(file ?? "inline.yaml")", exitCode: 0, stdout: "pod/web created (id x)\n", stderr: "")]
        case let .http(_, url, _):
            report.commands = [CommandRecord(target: "host", command: "GET \(url)", exitCode: nil, stdout: "<html>\n<body>\n</body>\n</html>\n", stderr: "HTTP 200")]
        case .logs:
            report.commands = [CommandRecord(target: "host", command: "podlab logs web", exitCode: nil, stdout: output, stderr: "")]
        case .namespaces:
            report.observations = [.namespaces(namespaceTable)]
        case .processTree:
            report.observations = [.processTree(pod: "web", root: ProcessNode(pid: 99, command: "podlab-supervisor", children: [
                ProcessNode(pid: 100, command: "pause"), ProcessNode(pid: 101, command: "sh", children: [ProcessNode(pid: 102, command: "sleep 1000")]),
            ]))]
        case .containers:
            report.observations = [.containers(pod: "web", rows: [
                ContainerRow(id: "abc", name: "pause", image: "pause", state: "running", pid: 100, restartCount: 0, isSandbox: true),
                ContainerRow(id: "def", name: "app", image: "busybox", state: "running", pid: 101, restartCount: 1, isSandbox: false),
            ])]
        case .podIP:
            report.observations = [.fact(name: "pod IP", value: "10.88.0.5")]
        case .kill, .wait, .sleep:
            break
        }
        return report
    }

    static let namespaceTable = NamespaceTable(pod: "web", ip: "10.88.0.5", rows: [
        .init(process: "pause", pid: 100, inodes: ["net": 4026532500, "ipc": 4026532501, "uts": 4026532502, "mnt": 4026532503]),
        .init(process: "app", pid: 101, inodes: ["net": 4026532500, "ipc": 4026532501, "uts": 4026532502, "mnt": 4026532510]),
    ])

    /// One `<details>` per step that ran, in order, each closed; every fence closed where it was
    /// opened and every command block inside its operation's list item.
    static func expectWellFormed(_ markdown: String, labs: [LabReport], _ what: String) throws {
        let structure = try MarkdownStructure.parse(markdown)
        #expect(structure.problems.isEmpty, "\(what): \(structure.problems.joined(separator: "\n"))")
        let stepDetails = structure.details.filter { !$0.hasPrefix("Namespace diagram") }
        let expected = labs.flatMap { $0.steps.filter { !$0.skipped }.map(\.displayName) }
        let found = stepDetails.map { $0.components(separatedBy: " — ").first ?? $0 }
        #expect(found == expected, "\(what): one <details> per step that ran, in order")
        // Each command's first line opens its own console block (nothing swallowed another).
        let commands = labs.flatMap { $0.steps.flatMap { $0.operations.flatMap(\.commands) } }
        #expect(structure.fences.filter { $0.info == "console" }.count == commands.count, "\(what): one console block per command")
    }

    @Test(arguments: seedLabs)
    func seedLabReportParsesAsCommonMark(_ name: String) throws {
        let lab = Self.report(of: try Self.seedLab(name))
        try Self.expectWellFormed(MarkdownReport.render(lab), labs: [lab], "\(name).md")
    }

    /// The suite document and what `$GITHUB_STEP_SUMMARY` gets (the same Markdown, fitted).
    @Test func suiteReportAndStepSummaryParseAsCommonMark() throws {
        let labs = try Self.seedLabs.map { Self.report(of: try Self.seedLab($0)) }
        let now = Date()
        let report = Report(name: "podlab-report", startTime: now, endTime: now, labs: labs)
        try Self.expectWellFormed(MarkdownReport.render(report), labs: labs, "podlab-report.md")
        try withTemporaryDirectory { directory in
            let summary = directory + "/summary.md"
            try GitHubStepSummary.append(report, to: summary)
            try Self.expectWellFormed(try String(contentsOfFile: summary, encoding: .utf8), labs: labs, "GITHUB_STEP_SUMMARY")
        }
    }

    /// The step summary has no file next to it: no image links, one visible mermaid block per
    /// picture the report files get, with the picture's caption (pause-persistence: before/after).
    @Test func stepSummaryEmbedsThePicturesAsMermaid() throws {
        let lab = Self.report(of: try Self.seedLab("pause-persistence"))
        let now = Date()
        let report = Report(name: "podlab-report", startTime: now, endTime: now, labs: [lab])
        let files = try MarkdownStructure.parse(MarkdownReport.render(report))
        let diagrams = LabDiagrams.diagrams(for: lab)
        #expect(diagrams.count == 2)
        #expect(files.images == diagrams.map(\.fileName), "the report files link the SVGs written next to them")

        let markdown = GitHubStepSummary.markdown(for: report)
        let summary = try MarkdownStructure.parse(markdown)
        #expect(summary.images.isEmpty, "no relative image links in the step summary: \(summary.images)")
        #expect(!markdown.contains(".svg"))
        let mermaid = summary.fences.filter { $0.info == "mermaid" }
        #expect(mermaid.count == diagrams.count)
        #expect(mermaid.allSatisfy { $0.content.hasPrefix("flowchart LR\n") && $0.level == 0 && $0.closed })
        #expect(!summary.details.contains("Namespace diagram"), "the pictures are not collapsed twice")
        for diagram in diagrams { #expect(markdown.contains(diagram.caption + ":")) }
    }

    /// Output that itself holds a fence stays inside the block, verbatim.
    @Test func outputWithAFenceStaysInsideTheBlock() throws {
        let lab = Self.report(of: try Self.seedLab("pause-persistence"))
        let structure = try MarkdownStructure.parse(MarkdownReport.render(lab))
        let script = try #require(structure.fences.first { $0.info == "console" && $0.content.contains("readlink") })
        #expect(script.content.contains("\n```\nlast line\n"))
        #expect(script.level > 0)
    }
}
