import ArgumentParser
import Foundation
import LabKit
import PodlabCore
import Reports

/// `podlab walk LAB`: the classroom mode, one step at a time.
struct WalkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walk",
        abstract: "Walk through a lab step by step, for a classroom.",
        discussion: """
            Before each step podlab shows its text, what it will run and the commands you could type yourself, \
            then waits: Enter runs the step, s skips it, q quits (the pods are deleted). Student tasks wait until \
            you press Enter, check your work and show a hint if it is not done yet (s shows the solution). The pod \
            stays up between steps, so you can explore it from a second terminal. Ctrl-C cleans up too. \
            Reports are written like `podlab run`'s. Exit status: 0 passed, 1 failed, 2 lab-file error, 130 interrupted.
            """)

    @Argument(help: "The lab name or lab file path.")
    var lab: String

    @Flag(help: "Run every step without waiting (for recording a demo); tasks run their solution.")
    var auto = false

    @Flag(help: "Leave the pods running after the last step and print how to delete them.")
    var keep = false

    @Flag(name: .customLong("no-color"), help: "No ANSI colours (also: NO_COLOR=1).")
    var noColor = false

    @Option(help: "Text width (default: the terminal's, at most 80).")
    var width: Int?

    @Option(name: .customLong("report-dir"), help: "Directory for report files (default $PODLAB_REPORTS_DIR or ./reports).")
    var reportDirectory: String?

    @Option(name: .customLong("report-format"), help: "Also write json, junit or tap (repeatable). Markdown is always written.")
    var reportFormats: [String] = []

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let parsed: Lab
        let formats: [ReportFormat]
        do {
            formats = try reportFormats.map { text in
                guard let format = ReportFormat(rawValue: text.lowercased()) else {
                    throw PodlabError(.invalidArgument, "--report-format \(text): expected json, junit or tap")
                }
                return format
            }
            if let width, width < 40 { throw PodlabError(.invalidArgument, "--width \(width): must be at least 40") }
            let file = try LabCatalog(labsDirectory: paths.labsDir).resolve(lab)
            let (labs, failed) = LabFileLoading.parseAll([file])
            guard !failed, let first = labs.first else { throw PodlabError(.badInput, "the lab file has errors (listed above)") }
            parsed = first
        } catch {
            LabFileLoading.printError("podlab walk: \(error)")
            throw ExitCode(2)
        }
        let backend: any LabBackend
        do {
            backend = try makeLabBackend()
        } catch {
            guard !parsed.needsPods else {
                LabFileLoading.printError("podlab walk: cannot create the pod backend: \(error)")
                throw ExitCode(1)
            }
            backend = HostOnlyLabBackend()
        }
        var options = LabWalkOptions()
        options.auto = auto
        options.keep = keep
        options.color = !noColor && ConsoleLog.wantsColor()
        options.progress = isatty(1) == 1
        options.width = width ?? TerminalStyle.width()
        let namespace = "\(parsed.name)-\(String(UUID().uuidString.prefix(6)).lowercased())"
        let walk = LabWalk(lab: parsed, namespace: namespace, backend: backend, options: options,
                           input: FileDescriptorInput(fileDescriptor: 0)) { text in
            StandardStreams.output(text)
        }
        let labReport = walk.run()
        let report = Report(name: "podlab-report", startTime: labReport.startTime, endTime: labReport.endTime, labs: [labReport])
        let files = try ReportWriter(directory: reportDirectory ?? paths.reportsDir, formats: formats).write(report)
        if let markdown = files.first(where: { $0.hasSuffix("/\(parsed.name).md") }) { print("Report: \(markdown)") }
        if labReport.failed { throw ExitCode(1) }
    }
}
