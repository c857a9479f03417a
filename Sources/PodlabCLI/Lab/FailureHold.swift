import Foundation
import LabKit
import PodlabCore
import Reports

/// What `podlab run` does with a failed lab's pods before its cleanup, for debugging a red CI
/// run on the machine itself. Chainsaw's `--pause-on-failure` (kyverno/chainsaw
/// pkg/runner/processors: on failure it waits for the user before the cleanup) and kuttl's
/// `--skip-delete` are the models.
enum FailureHold: Sendable, Equatable {
    /// Clean up as always.
    case none
    /// Keep the pods, say how to inspect them, wait for Enter (or Ctrl-C), then clean up.
    case pause
    /// Leave the pods running and say how to inspect and delete them later.
    case keep

    /// The hold the flags ask for; both flags at once are a usage error.
    static func from(pause: Bool, keep: Bool) throws -> FailureHold {
        switch (pause, keep) {
        case (true, true): throw PodlabError(.invalidArgument, "--pause-on-failure and --keep-on-failure: choose one")
        case (true, false): return .pause
        case (false, true): return .keep
        case (false, false): return .none
        }
    }
}

/// Runs one lab with `LabRunner`'s step semantics (a failed step skips the rest, cleanup
/// always follows) and, when a step failed, applies a `FailureHold` before the cleanup.
///
/// The step loop is `LabRunner.run(driver: nil)`'s: only the end differs, because whether the
/// pods are kept is known only after the steps ran.
struct FailureHoldRunner {
    let hold: FailureHold
    /// Serializes the Enter prompts of parallel labs: one lab paused at a time.
    private static let promptLock = NSLock()

    func run(lab: Lab, namespace: String, backend: any LabBackend, observer: (any LabRunObserver)?) -> LabReport {
        let runner = LabRunner(lab: lab, namespace: namespace, backend: backend, observer: observer)
        runner.start()
        var failedStep: String?
        for offset in lab.steps.indices {
            if let failedStep {
                runner.recordSkipped(at: offset, reason: "step \(failedStep) failed")
                continue
            }
            let report = runner.runStep(at: offset)
            if report.failed { failedStep = report.name }
        }
        guard let failedStep, hold != .none else { return runner.finish() }
        let inspect = Self.inspectCommands(namespace: namespace)
        switch hold {
        case .none:
            return runner.finish()
        case .keep:
            StandardStreams.error("""
                podlab run: lab \(lab.name) failed in step \(failedStep); its pods are kept (--keep-on-failure) in namespace \(namespace).
                \(inspect)
                  delete them:  \(LabRunner.deleteCommand(namespace: namespace))

                """)
            return runner.finish(keepPods: true)
        case .pause:
            Self.promptLock.lock()
            defer { Self.promptLock.unlock() }
            StandardStreams.error("""
                podlab run: lab \(lab.name) failed in step \(failedStep); paused before its cleanup (--pause-on-failure), pods in namespace \(namespace).
                \(inspect)
                Press Enter to clean up and continue (Ctrl-C cleans up and stops the run).

                """)
            // EOF (stdin is /dev/null or closed, as in CI) continues at once: nobody can press Enter.
            if readLine(strippingNewline: true) == nil {
                StandardStreams.error("podlab run: stdin is closed: not pausing\n")
            }
            return runner.finish()
        }
    }

    /// The commands that show a kept lab's pods, as a person types them.
    static func inspectCommands(namespace: String) -> String {
        """
          inspect them: podlab pods --namespace \(namespace)
                        podlab ps -a --namespace \(namespace)
                        podlab logs -n \(namespace) POD
                        podlab exec -it -n \(namespace) POD -- sh
        """
    }
}
