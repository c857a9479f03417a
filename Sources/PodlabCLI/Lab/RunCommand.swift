import ArgumentParser
import Foundation
import LabKit
import PodlabCore
import Reports

/// `podlab run NAME…|--all`: run labs as a regression suite.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run labs and write reports.",
        discussion: """
            A NAME resolves to $PODLAB_LABS_DIR/NAME.lab.yaml (default ./Labs); a path works too. Labs are linted first. \
            Exit status: 0 all passed, 1 a lab failed, 2 usage or lab-file error, 130 interrupted (pods are deleted first).
            """)

    @Argument(help: "Lab names or lab file paths.")
    var labs: [String] = []

    @Flag(help: "Run every lab in the labs directory.")
    var all = false

    @Option(name: [.customShort("l"), .customLong("selector")], help: "Only labs with this label (key=value, repeatable).")
    var selectors: [String] = []

    @Flag(name: .customLong("fail-fast"), help: "Start no new lab after one failed.")
    var failFast = false

    @Option(help: "Labs to run at once (each in its own namespace).")
    var parallel = 1

    @Option(help: "Run only shard I of N (1-based, e.g. 2/3); labs are dealt round-robin by name.")
    var shard: String?

    @Option(name: .customLong("report-dir"), help: "Directory for report files (default $PODLAB_REPORTS_DIR or ./reports).")
    var reportDirectory: String?

    @Option(name: .customLong("report-format"), help: "Also write json, junit or tap (repeatable). Markdown is always written.")
    var reportFormats: [String] = []

    @Flag(help: "Print only failures and the summary.")
    var quiet = false

    @Flag(name: .customLong("no-color"), help: "No ANSI colours (also: NO_COLOR=1).")
    var noColor = false

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let catalog = LabCatalog(labsDirectory: paths.labsDir)
        var options = LabSuiteOptions()
        let selected: [Lab]
        do {
            guard all || !labs.isEmpty else { throw PodlabError(.invalidArgument, "name the labs to run, or pass --all (see podlab list)") }
            guard parallel >= 1 else { throw PodlabError(.invalidArgument, "--parallel \(parallel): must be at least 1") }
            options.formats = try LabSuite.parseFormats(reportFormats)
            let selection = try LabCatalog.parseSelectors(selectors)
            let shardSpec = try shard.map(LabCatalog.parseShard)
            let (parsed, failed) = LabFileLoading.parseAll(try LabFileLoading.files(labs, all: all, catalog: catalog))
            if failed { throw PodlabError(.badInput, "lab files have errors (listed above); nothing was run") }
            var chosen = parsed.filter { $0.matches(selectors: selection) }
            if let (index, count) = shardSpec { chosen = LabCatalog.shard(chosen, index: index, count: count) }
            guard !chosen.isEmpty else { throw PodlabError(.notFound, "no lab matches the selection") }
            selected = chosen
        } catch {
            LabFileLoading.printError("podlab run: \(error)")
            throw ExitCode(2)
        }
        options.failFast = failFast
        options.parallel = parallel
        options.reportDirectory = reportDirectory ?? paths.reportsDir
        options.stepSummaryPath = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"]
        let console = ConsoleLog(color: !noColor && ConsoleLog.wantsColor(), quiet: quiet) { text in
            StandardStreams.output(text)
        }
        let suite = LabSuite(labs: selected, options: options, observer: console, makeBackend: makeLabBackend)
        let result = try suite.run()
        console.summary(result.report, files: result.files)
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}
