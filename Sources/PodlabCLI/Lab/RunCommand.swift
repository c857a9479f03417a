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
            A NAME resolves to $PODLAB_LABS_DIR/NAME.lab.yaml (default ./Labs); a path works too. With only -l, every lab \
            in the labs directory is matched against the selector. Labs are linted first. \
            Exit status: 0 all passed, 1 a lab failed, 2 setup, usage or lab-file error (not root, bad flags, no lab \
            selected), 130 interrupted (pods are deleted first).
            """)

    @Argument(help: "Lab names or lab file paths.", completion: ShellCompletions.labNames)
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

    @Flag(name: .customLong("pause-on-failure"), help: "When a lab fails, keep its pods and wait for Enter (or Ctrl-C) before its cleanup.")
    var pauseOnFailure = false

    @Flag(name: .customLong("keep-on-failure"), help: "When a lab fails, leave its pods running and print how to inspect and delete them.")
    var keepOnFailure = false

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let catalog = LabCatalog(labsDirectory: paths.labsDir)
        var options = LabSuiteOptions()
        let selected: [Lab]
        var hold = FailureHold.none
        var runtimes: [RuntimeKind] = []
        do {
            // `-l topic=pause` alone selects among all labs (README); names or --all narrow first.
            guard all || !labs.isEmpty || !selectors.isEmpty else {
                throw PodlabError(.invalidArgument, "name the labs to run, select them with -l key=value, or pass --all (see podlab list)")
            }
            guard parallel >= 1 else { throw PodlabError(.invalidArgument, "--parallel \(parallel): must be at least 1") }
            options.formats = try LabSuite.parseFormats(reportFormats)
            let selection = try LabCatalog.parseSelectors(selectors)
            let shardSpec = try shard.map(LabCatalog.parseShard)
            hold = try FailureHold.from(pause: pauseOnFailure, keep: keepOnFailure)
            if let (index, count) = shardSpec { options.reportName = Self.reportName(shard: index, of: count) }
            let (parsed, failed) = LabFileLoading.parseAll(try LabFileLoading.files(labs, all: all, catalog: catalog))
            if failed { throw PodlabError(.badInput, "lab files have errors (listed above); nothing was run") }
            var chosen = parsed.filter { $0.matches(selectors: selection) }
            if let (index, count) = shardSpec { chosen = LabCatalog.shard(chosen, index: index, count: count) }
            guard !chosen.isEmpty else { throw PodlabError(.notFound, "no lab matches the selection") }
            selected = chosen
            // Every lab needs the pod backend, which needs root: a setup error (2) before any
            // lab starts, not a failed lab (1) per lab.
            try Preflight.requireRoot("run")
            runtimes = try runtime.kinds()
            // Each runtime is checked before any lab starts (a containerd must answer).
            for kind in runtimes.reversed() { try runtime.export(paths: paths, kind: kind) }
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
        let runner = FailureHoldRunner(hold: hold)
        if runtimes.count > 1 {
            // --runtime podlab,containerd: every lab on each runtime, one report with a comparison.
            let code = try SideBySideRun(labs: selected, runtimes: runtimes, options: options, runtimeOptions: runtime, paths: paths,
                                         console: console, runner: runner, write: { StandardStreams.output($0) }).run()
            InterruptGuard.shared.yieldToInterrupt()
            if code != 0 { throw ExitCode(code) }
            return
        }
        let suite = LabSuite(labs: selected, options: options, observer: console, makeBackend: makeLabBackend)
        let result = try suite.run { lab, namespace, backend in
            runner.run(lab: lab, namespace: namespace, backend: backend, observer: console)
        }
        console.summary(result.report, files: result.files)
        InterruptGuard.shared.yieldToInterrupt()
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }

    /// `--shard I/N` report files are `podlab-report-shard-I-of-N.*`, so the shards of one CI
    /// matrix can be collected into one directory without overwriting each other.
    static func reportName(shard index: Int, of count: Int) -> String { "podlab-report-shard-\(index)-of-\(count)" }
}
