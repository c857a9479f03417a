import ArgumentParser
import Foundation
import LabKit
import PodKit
import PodlabCore

/// `podlab wait`: block until pods meet a condition, like `kubectl wait --for=…`.
///
/// A thin mapping over `PodAPI.wait`, the one wait engine (inotify on the pod directory and a
/// pidfd of the supervisor; no daemon, no polling), which a lab's `wait` uses too.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until pods meet a condition (kubectl wait).",
        discussion: """
            Conditions:
              phase=PHASE          the pod phase is Pending, Running, Succeeded or Failed
              condition=Ready      kubelet's Ready: every app container and native sidecar is ready (also ContainersReady)
              exited[=CONTAINER]   every app container's current attempt (or CONTAINER's) has exited
              delete               the pod is gone
            Exits 0 when every selected pod meets the condition, 1 on timeout or when the condition can
            no longer hold (the pod failed to start, or reached a terminal phase that rules it out).
            """)

    @OptionGroup var selection: PodSelection
    @Option(name: .customLong("for"), help: ArgumentHelp("The condition: phase=PHASE, condition=Ready, exited[=CONTAINER] or delete.", valueName: "condition"))
    var condition: PodWaitCondition
    @Option(help: "How long to wait: a Go duration (500ms, 30s, 2m) or seconds.") var timeout: String = "60s"

    func validate() throws {
        if selection.isEmpty { throw ValidationError("name a pod or select pods with -l key=value") }
        _ = try timeoutSeconds()
    }

    func timeoutSeconds() throws -> Double {
        if let seconds = Double(timeout), seconds >= 0 { return seconds }
        guard let seconds = LabDuration.parse(timeout) else {
            throw ValidationError("--timeout expects a duration such as 500ms, 30s or 2m, got \"\(timeout)\"")
        }
        return seconds
    }

    func run() throws {
        let store = PodStore.current
        let pods: [PodRecord]
        do {
            pods = try selection.resolve(store, requireOne: false)
        } catch let error as PodlabError where error.code == .notFound && condition == .deleted {
            // kubectl wait --for=delete succeeds for a pod that is already gone.
            _ = error
            print("pod/\(selection.pod ?? "-") condition met")
            return
        }
        if pods.isEmpty {
            if condition == .deleted { return }
            throw PodlabError(.notFound, "no pod matches the labels \(selection.label.joined(separator: ","))")
        }
        let seconds = try timeoutSeconds()
        let deadline = Date().addingTimeInterval(seconds)
        // Pods in the order they were selected; each is waited for in turn (the deadline is shared).
        let api = PodAPI(paths: store.paths)
        for pod in pods {
            if let timedOut = try api.wait(pod.key, name: pod.spec.name, for: condition, until: deadline) {
                throw PodlabError(.timeout, "timed out after \(LabDuration.format(seconds)) waiting for pod \(pod.spec.name) to meet \(condition.description); now \(timedOut.last.map(PodWaitCondition.summary) ?? "unknown")")
            }
            print("pod/\(pod.spec.name) condition met")
        }
    }
}

extension PodWaitCondition: ExpressibleByArgument {
    public static var defaultCompletionKind: CompletionKind {
        .list(["phase=Running", "phase=Succeeded", "phase=Failed", "condition=Ready", "exited", "delete"])
    }
}
