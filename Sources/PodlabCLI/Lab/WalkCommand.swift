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
            Reports are written like `podlab run`'s. Commands use the terminal's whole width and wrap with \\ \
            continuations that paste back as the same command. Exit status: 0 passed, 1 failed or ended early with q \
            (the summary lists the steps not done), 2 lab-file error, 130 interrupted.
            """)

    @Argument(help: "The lab name or lab file path.", completion: ShellCompletions.labNames)
    var lab: String

    @Flag(help: "Run every step without waiting (for recording a demo); tasks run their solution.")
    var auto = false

    @Flag(help: "Leave the pods running after the last step and print how to delete them.")
    var keep = false

    @Flag(name: .customLong("no-color"), help: "No ANSI colours (also: NO_COLOR=1).")
    var noColor = false

    @Option(help: "Text width (default: the terminal's, followed when the window is resized; prose stops at 100).")
    var width: Int?

    @Option(name: .customLong("report-dir"), help: "Directory for report files (default $PODLAB_REPORTS_DIR or ./reports).")
    var reportDirectory: String?

    @Option(name: .customLong("report-format"), help: "Also write json, junit or tap (repeatable). Markdown is always written.")
    var reportFormats: [String] = []

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let parsed: Lab
        var suiteOptions = LabSuiteOptions()
        do {
            suiteOptions.formats = try LabSuite.parseFormats(reportFormats)
            if let width, width < 40 { throw PodlabError(.invalidArgument, "--width \(width): must be at least 40") }
            let file = try LabCatalog(labsDirectory: paths.labsDir).resolve(lab)
            let (labs, failed) = LabFileLoading.parseAll([file])
            guard !failed, let first = labs.first else { throw PodlabError(.badInput, "the lab file has errors (listed above)") }
            parsed = first
            // The teacher's walkthrough on containerd (issue 13): the same steps, pods through CRI.
            try runtime.export(paths: paths)
        } catch {
            LabFileLoading.printError("podlab walk: \(error)")
            throw ExitCode(2)
        }
        suiteOptions.reportDirectory = reportDirectory ?? paths.reportsDir
        var options = LabWalkOptions()
        options.auto = auto
        options.keep = keep
        options.color = !noColor && ConsoleLog.wantsColor()
        options.progress = isatty(1) == 1
        if let width {
            options.width = width
        } else {
            options.width = TerminalStyle.width(fileDescriptor: 1, maximum: 1000)
            options.widthFileDescriptor = 1
        }
        final class EndedEarly: @unchecked Sendable { var value = false }
        let endedEarly = EndedEarly()
        // The suite gives the lab its namespace, backend and report files, as for `podlab run`;
        // only the driver differs. A lab without pods walks without root.
        let suite = LabSuite(labs: [parsed], options: suiteOptions) {
            do {
                return try makeLabBackend()
            } catch {
                if parsed.needsPods { throw error }
                return HostOnlyLabBackend()
            }
        }
        let result = try suite.run { lab, namespace, backend in
            let walk = LabWalk(lab: lab, namespace: namespace, backend: backend, options: options, input: FileDescriptorInput(fileDescriptor: 0)) { text in
                StandardStreams.output(text)
            }
            let report = walk.run()
            endedEarly.value = walk.endedEarly
            return report
        }
        if let setup = result.report.labs.first?.steps.first, setup.kind == .setup, let error = setup.operations.first?.error {
            LabFileLoading.printError("podlab walk: cannot create the pod backend: \(error)")
        }
        if let markdown = result.files.first(where: { $0.hasSuffix("/\(parsed.name).md") }) { print("Report: \(markdown)") }
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
        // Quitting before the end is not a pass: scripts and teachers see the lab was not done.
        if endedEarly.value { throw ExitCode(1) }
    }
}
