import Foundation
import LabKit
import PodlabCore
import Reports

/// `podlab run LAB… --runtime podlab,containerd` (issue 13 item 5): runs the labs on each
/// runtime, one runtime after the other, and writes ONE report: every lab once per runtime
/// (`<lab>.<runtime>` in the Markdown, JSON, JUnit and TAP files) and a comparison section of
/// what `PodObservationCollector` saw of each lab's pods on each runtime.
struct SideBySideRun {
    let labs: [Lab]
    let runtimes: [RuntimeKind]
    let options: LabSuiteOptions
    let runtimeOptions: RuntimeOptions
    let paths: PodlabPaths
    let console: ConsoleLog
    let runner: FailureHoldRunner
    let write: (String) -> Void

    /// Runs everything; returns the exit status (1 when a lab failed on any runtime).
    func run() throws -> Int32 {
        let start = Date()
        var reports: [LabReport] = []
        var observed: [String: [RuntimeObservations]] = [:]
        for kind in runtimes {
            write("== runtime \(kind.rawValue) ==\n")
            try runtimeOptions.export(paths: paths, kind: kind)
            var suiteOptions = options
            suiteOptions.reportDirectory = nil
            suiteOptions.stepSummaryPath = nil
            let lock = NSLock()
            var values: [String: [ObservedValue]] = [:]
            let suite = LabSuite(labs: labs, options: suiteOptions, observer: console) {
                guard let backend = try makeLabBackend() as? PodKitLabBackend else {
                    throw PodlabError(.invalidState, "the side-by-side run needs podlab's pod backend")
                }
                return ObservingLabBackend(backend)
            }
            let runner = self.runner
            let console = self.console
            let result = try suite.run { lab, namespace, backend in
                let report = runner.run(lab: lab, namespace: namespace, backend: backend, observer: console)
                let collected = (backend as? ObservingLabBackend)?.values ?? []
                lock.lock()
                values[lab.name] = collected
                lock.unlock()
                return report
            }
            for var lab in result.report.labs {
                observed[lab.name, default: []].append(RuntimeObservations(runtime: kind.rawValue, values: values[lab.name] ?? []))
                lab.name += ".\(kind.rawValue)"
                lab.title += " (\(kind.rawValue))"
                reports.append(lab)
            }
        }
        let comparisons = labs.map { lab in
            RuntimeComparison(subject: lab.name, observations: observed[lab.name] ?? [], reasons: KnownRuntimeDifferences.reasons)
        }
        let report = Report(name: options.reportName, startTime: start, endTime: Date(), labs: reports)
        var files: [String] = []
        if let directory = options.reportDirectory {
            files = try ComparisonReportWriter(writer: ReportWriter(directory: directory, name: options.reportName, formats: options.formats))
                .write(report, comparisons: comparisons)
        }
        if let summary = options.stepSummaryPath, !summary.isEmpty {
            try GitHubStepSummary.append(report, to: summary)
            if let handle = FileHandle(forWritingAtPath: summary) {
                handle.seekToEndOfFile()
                handle.write(Data(RuntimeComparisonReport.markdown(comparisons).utf8))
                handle.closeFile()
            }
        }
        console.summary(report, files: files)
        write(Self.text(comparisons))
        return report.failed ? 1 : 0
    }

    /// The terminal's view: per lab the differing observations, then the count.
    static func text(_ comparisons: [RuntimeComparison]) -> String {
        var out = "\nRuntime comparison (\(comparisons.first?.runtimes.joined(separator: " vs ") ?? "")):\n"
        for comparison in comparisons {
            let differ = comparison.disagreements
            out += "  \(comparison.subject): \(comparison.rows.count) observations, \(differ.count) differ\n"
            for row in differ {
                let values = zip(comparison.runtimes, row.values).map { runtime, value in
                    "\(runtime)=\(short(value))"
                }.joined(separator: "  ")
                out += "    \(row.reason == nil ? "✘" : "~") \(row.observation): \(values)"
                out += row.reason.map { " [\($0)]" } ?? ""
                out += "\n"
            }
        }
        let total = comparisons.reduce(0) { $0 + $1.disagreements.count }
        let unexplained = comparisons.reduce(0) { $0 + $1.unexplained.count }
        out += "\(total) disagreements in \(comparisons.count) labs, \(unexplained) without a documented reason\n"
        return out
    }

    static func short(_ value: String?) -> String {
        guard let value else { return "(not observed)" }
        let lines = value.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.count > 1 { return "(\(lines.count) lines)" }
        return value.count > 40 ? String(value.prefix(40)) + "…" : value
    }
}
