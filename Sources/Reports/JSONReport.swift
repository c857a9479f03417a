import Foundation

/// Renders the report as JSON in chainsaw's `pkg/report/json.go` shape, plus the derived
/// `status` (`passed`/`failed`/`skipped`) at every level: chainsaw #2503 was filed because its
/// JSON had no status, so consumers had to re-derive it.
public enum JSONReport {
    public static func render(_ report: Report) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(SuiteDocument(report))
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private struct SuiteDocument: Encodable {
        var name: String, status: String, startTime: Date, endTime: Date, durationSeconds: Double
        var labs: [LabDocument]
        init(_ report: Report) {
            name = report.name
            status = report.failed ? "failed" : "passed"
            startTime = report.startTime
            endTime = report.endTime
            durationSeconds = report.duration
            labs = report.labs.map(LabDocument.init)
        }
    }

    private struct LabDocument: Encodable {
        var name: String, title: String, basePath: String, namespace: String, status: String, skipReason: String?
        var startTime: Date, endTime: Date, durationSeconds: Double
        var steps: [StepDocument]
        init(_ lab: LabReport) {
            name = lab.name
            title = lab.title
            basePath = lab.file
            namespace = lab.namespace
            // The step vocabulary: a lab that never ran is "skipped", as in JUnit and TAP.
            status = lab.notRun ? "skipped" : (lab.failed ? "failed" : "passed")
            skipReason = lab.notRunReason
            startTime = lab.startTime
            endTime = lab.endTime
            durationSeconds = lab.duration
            steps = lab.steps.map(StepDocument.init)
        }
    }

    private struct StepDocument: Encodable {
        var index: Int, name: String, kind: String, status: String, skipReason: String?
        var startTime: Date, endTime: Date, durationSeconds: Double
        var operations: [OperationDocument]
        init(_ step: StepReport) {
            index = step.index
            name = step.name
            kind = step.kind.rawValue
            status = step.skipped ? "skipped" : (step.failed ? "failed" : "passed")
            skipReason = step.skipReason
            startTime = step.startTime
            endTime = step.endTime
            durationSeconds = step.duration
            operations = step.operations.map(OperationDocument.init)
        }
    }

    private struct OperationDocument: Encodable {
        var type: String, name: String, phase: String, location: String, status: String
        var startTime: Date, endTime: Date, durationSeconds: Double, attempts: Int, retryWaitSeconds: Double
        var observations: [Observation]
        var commands: [CommandRecord]
        var failure: Failure?
        /// `error` is the whole message; a failed `check:` adds `check`, `expected`, `actual`
        /// and `location` (the check's `file:line:column`), so a consumer needs no parsing.
        struct Failure: Encodable {
            var error: String
            var check: String?
            var expected: String?
            var actual: String?
            var location: String
        }
        init(_ operation: OperationReport) {
            type = operation.verb
            name = operation.summary
            phase = operation.phase.rawValue
            location = operation.location
            status = operation.failed ? "failed" : "passed"
            startTime = operation.startTime
            endTime = operation.endTime
            durationSeconds = operation.duration
            attempts = operation.attempts
            retryWaitSeconds = operation.retryWaitSeconds
            observations = operation.observations
            commands = operation.commands
            failure = operation.error.map { error in
                Failure(error: error, check: operation.check.map { "\($0.field) \($0.kind)" }, expected: operation.check?.expected,
                        actual: operation.check?.actual, location: operation.check?.location ?? operation.location)
            }
        }
    }
}
