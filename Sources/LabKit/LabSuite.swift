import Foundation
import PodlabCore
import Reports

/// How a suite runs.
public struct LabSuiteOptions: Sendable {
    /// Stop starting new labs after the first failed lab (the rest are reported as not run).
    public var failFast = false
    /// Labs run at once (each with its own backend and namespace).
    public var parallel = 1
    /// Where report files go; nil writes none.
    public var reportDirectory: String?
    public var reportName = "podlab-report"
    /// Machine formats besides Markdown.
    public var formats: [ReportFormat] = []
    /// Append the Markdown to this file (`$GITHUB_STEP_SUMMARY`).
    public var stepSummaryPath: String?
    /// Distinguishes this run's namespaces from other runs'.
    public var runID = String(UUID().uuidString.prefix(6)).lowercased()

    public init() {}
}

/// The outcome of a suite run.
public struct LabSuiteResult: Sendable {
    public var report: Report
    /// Report files written.
    public var files: [String]
    /// 0 when every lab passed, 1 when any failed.
    public var exitCode: Int32 { report.failed ? 1 : 0 }
}

/// Runs a set of parsed labs and writes the reports.
public final class LabSuite {
    public let labs: [Lab]
    public let options: LabSuiteOptions
    private let makeBackend: () throws -> any LabBackend
    private let observer: (any LabRunObserver)?

    /// - Parameters:
    ///   - makeBackend: called once per lab, so parallel labs never share a backend.
    public init(labs: [Lab], options: LabSuiteOptions, observer: (any LabRunObserver)? = nil, makeBackend: @escaping () throws -> any LabBackend) {
        self.labs = labs
        self.options = options
        self.observer = observer
        self.makeBackend = makeBackend
    }

    /// The namespace a lab's pods get: short and unique in this run (`pp-3fa9` for
    /// `pause-persistence`, see `LabNamespaceName`), so commands shown to students fit a line.
    public func namespace(for lab: Lab) -> String {
        // Two labs of this run whose short names collide get longer hashes, then their index.
        func name(_ other: Lab, _ digits: Int) -> String { LabNamespaceName.make(lab: other.name, runID: options.runID, hexDigits: digits) }
        for digits in [4, 6, 8] {
            let mine = name(lab, digits)
            if !labs.contains(where: { $0.name != lab.name && name($0, digits) == mine }) { return mine }
        }
        return name(lab, 8) + "-\(labs.firstIndex { $0.name == lab.name } ?? 0)"
    }

    /// `--report-format` values (`json`, `junit`, `tap`; any case), for `podlab run` and `walk`.
    public static func parseFormats(_ texts: [String]) throws -> [ReportFormat] {
        try texts.map { text in
            guard let format = ReportFormat(rawValue: text.lowercased()) else {
                throw PodlabError(.invalidArgument, "--report-format \(text): expected json, junit or tap")
            }
            return format
        }
    }

    /// Runs every lab with `LabRunner`, writes the report files, and returns the result.
    public func run() throws -> LabSuiteResult {
        try run { lab, namespace, backend in
            LabRunner(lab: lab, namespace: namespace, backend: backend, observer: self.observer).run()
        }
    }

    /// Runs every lab with `drive` (`podlab walk` drives a `LabWalk`), each in its namespace
    /// with its own backend, then writes the reports exactly as `run()` does.
    public func run(drive: @escaping (Lab, String, any LabBackend) -> LabReport) throws -> LabSuiteResult {
        InterruptGuard.shared.install()
        let start = Date()
        let reports = runAll(drive)
        let report = Report(name: options.reportName, startTime: start, endTime: Date(), labs: reports)
        var files: [String] = []
        if let directory = options.reportDirectory {
            files = try ReportWriter(directory: directory, name: options.reportName, formats: options.formats).write(report)
        }
        if let summary = options.stepSummaryPath, !summary.isEmpty {
            try GitHubStepSummary.append(report, to: summary)
        }
        return LabSuiteResult(report: report, files: files)
    }

    private func runAll(_ drive: @escaping (Lab, String, any LabBackend) -> LabReport) -> [LabReport] {
        let lock = NSLock()
        var results = [LabReport?](repeating: nil, count: labs.count)
        var next = 0
        var stop = false
        let worker = {
            while true {
                lock.lock()
                let index = next
                next += 1
                let skip = stop
                lock.unlock()
                guard index < self.labs.count else { return }
                let lab = self.labs[index]
                let report = skip ? self.skipped(lab) : self.runOne(lab, drive)
                lock.lock()
                results[index] = report
                if report.failed && self.options.failFast { stop = true }
                lock.unlock()
            }
        }
        let workers = max(1, min(options.parallel, labs.count))
        if workers == 1 {
            worker()
        } else {
            let group = DispatchGroup()
            for _ in 0..<workers {
                group.enter()
                let thread = Thread {
                    worker()
                    group.leave()
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
            group.wait()
        }
        return results.compactMap { $0 }
    }

    private func runOne(_ lab: Lab, _ drive: (Lab, String, any LabBackend) -> LabReport) -> LabReport {
        let namespace = namespace(for: lab)
        do {
            let backend = try makeBackend()
            return drive(lab, namespace, backend)
        } catch {
            // No backend, no pods: the lab fails in a setup pseudo-step that says why.
            let now = Date()
            let setup = StepReport(index: 0, name: "@setup", kind: .setup, startTime: now, endTime: now, operations: [
                OperationReport(verb: "backend", summary: "create the pod backend", phase: .try, location: lab.file, startTime: now, endTime: now, error: "\(error)"),
            ])
            let steps = [setup] + lab.steps.enumerated().map { offset, step in
                StepReport(index: offset + 1, name: step.name, skipReason: "the pod backend could not be created", startTime: now, endTime: now, operations: [])
            }
            let report = LabReport(name: lab.name, title: lab.title, file: lab.file, namespace: namespace, startTime: now, endTime: now, steps: steps)
            observer?.labFinished(lab, report)
            return report
        }
    }

    private func skipped(_ lab: Lab) -> LabReport {
        let now = Date()
        let steps = lab.steps.enumerated().map { offset, step in
            StepReport(index: offset + 1, name: step.name, skipReason: "--fail-fast: an earlier lab failed", startTime: now, endTime: now, operations: [])
        }
        let report = LabReport(name: lab.name, title: lab.title, file: lab.file, namespace: namespace(for: lab), startTime: now, endTime: now, steps: steps)
        observer?.labFinished(lab, report)
        return report
    }
}
