import ArgumentParser
import Foundation
import LabKit
import PodKit
import PodlabCore

/// `podlab wait`: block until pods meet a condition, like `kubectl wait --for=…`.
///
/// It polls the pod records the supervisors write (`pod.json`, replaced by `rename(2)` on every
/// change), so it needs no daemon: a `stat` every millisecond, and a JSON decode only when the
/// file changed.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until pods meet a condition (kubectl wait).",
        discussion: """
            Conditions:
              phase=PHASE          the pod phase is Pending, Running, Succeeded or Failed
              condition=Ready      the sandbox is ready and every app container runs (also ContainersReady)
              exited[=CONTAINER]   every app container's current attempt (or CONTAINER's) has exited
              delete               the pod is gone
            Exits 0 when every selected pod meets the condition, 1 on timeout or when the condition can
            no longer hold (the pod failed to start, or reached a terminal phase that rules it out).
            """)

    @OptionGroup var selection: PodSelection
    @Option(name: .customLong("for"), help: ArgumentHelp("The condition: phase=PHASE, condition=Ready, exited[=CONTAINER] or delete.", valueName: "condition"))
    var condition: WaitCondition
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
        for pod in pods {
            try PodWaiter(store: store, key: pod.key, name: pod.spec.name, condition: condition)
                .wait(until: deadline, timeout: seconds)
            print("pod/\(pod.spec.name) condition met")
        }
    }
}

/// What `--for` asks for.
enum WaitCondition: Equatable, ExpressibleByArgument {
    case phase(PodPhase)
    case ready
    /// nil: every app container.
    case exited(container: String?)
    case deleted

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        let key = parts.first?.lowercased() ?? ""
        let value = parts.count == 2 ? parts[1] : nil
        switch (key, value) {
        case ("phase", let value?):
            guard let phase = [PodPhase.pending, .running, .succeeded, .failed].first(where: { $0.rawValue.lowercased() == value.lowercased() }) else {
                return nil
            }
            self = .phase(phase)
        case ("condition", let value?) where ["ready", "containersready"].contains(value.lowercased()):
            self = .ready
        case ("exited", nil):
            self = .exited(container: nil)
        case ("exited", let name?) where !name.isEmpty:
            self = .exited(container: name)
        case ("delete", nil), ("deleted", nil):
            self = .deleted
        default:
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind {
        .list(["phase=Running", "phase=Succeeded", "phase=Failed", "condition=Ready", "exited", "delete"])
    }

    var description: String {
        switch self {
        case .phase(let phase): return "phase=\(phase.rawValue)"
        case .ready: return "condition=Ready"
        case .exited(let container?): return "exited=\(container)"
        case .exited(nil): return "exited"
        case .deleted: return "delete"
        }
    }

    /// Whether the record meets the condition (`.deleted` never does while a record exists).
    func holds(for pod: PodRecord) throws -> Bool {
        switch self {
        case .phase(let phase):
            return pod.phase == phase
        case .ready:
            // The readiness the lab backend reports: no probes, so a running container is ready.
            let apps = pod.containers.filter { !$0.isInit }
            return pod.sandbox.ready && !apps.isEmpty && apps.allSatisfy { $0.state == .running }
        case .exited(let name?):
            guard let container = pod.containers.first(where: { $0.name == name }) else {
                throw PodlabError(.notFound, "pod \(pod.spec.name) has no container \"\(name)\" (containers: \(pod.containers.map(\.name).joined(separator: ", ")))")
            }
            return container.state == .exited
        case .exited(nil):
            let apps = pod.containers.filter { !$0.isInit }
            return !apps.isEmpty && apps.allSatisfy { $0.state == .exited }
        case .deleted:
            return false
        }
    }

    /// Why the condition can never hold any more, if that is already certain: Succeeded and
    /// Failed are terminal (kubelet never restarts containers of such a pod), so waiting on.
    func impossible(for pod: PodRecord) -> String? {
        if let failure = pod.failure { return "pod \(pod.spec.name) failed: \(failure)" }
        guard pod.phase == .succeeded || pod.phase == .failed else { return nil }
        let terminal = "pod \(pod.spec.name) is \(pod.phase.rawValue), a terminal phase: \(description) can no longer hold"
        switch self {
        case .phase(let phase): return phase == pod.phase ? nil : terminal
        case .ready: return terminal
        case .exited, .deleted: return nil
        }
    }
}

/// Polls one pod's record until a condition holds.
struct PodWaiter {
    let store: PodStore
    let key: String
    let name: String
    let condition: WaitCondition

    /// Pause between polls: a `stat` is a microsecond, so 1 ms keeps `apply; wait` latency low.
    static let pollInterval: useconds_t = 1000
    /// Decode the record at least this often even if `stat` saw no change (coarse mtimes).
    static let rereadInterval: TimeInterval = 0.1
    /// How often to check that the supervisor, the only writer of the record, is still alive.
    static let supervisorCheckInterval: TimeInterval = 0.1

    /// Returns when the condition holds; throws on the deadline (`timeout` is for the message),
    /// when the pod disappears, or when the condition can no longer hold.
    func wait(until deadline: Date, timeout: Double) throws {
        let path = store.recordPath(for: key)
        var lastSeen: FileVersion?
        var lastRead = Date.distantPast
        var lastSupervisorCheck = Date()
        var record: PodRecord?
        while true {
            let now = Date()
            let version = FileVersion(path: path)
            if version == nil {
                // The directory goes last when a pod is deleted, so a missing record means deleted.
                if condition == .deleted { return }
                throw PodlabError(.notFound, "pod \(name) was deleted while waiting for \(condition.description)")
            }
            if version != lastSeen || now.timeIntervalSince(lastRead) >= Self.rereadInterval {
                do {
                    let current = try store.load(key: key)
                    record = current
                    lastSeen = version
                    lastRead = now
                    if try condition.holds(for: current) { return }
                    if let reason = condition.impossible(for: current) { throw PodlabError(.invalidState, reason) }
                } catch let error as PodlabError where error.code == .notFound && FileVersion(path: path) == nil {
                    _ = error
                    continue  // deleted between stat and read: the next round decides
                }
            }
            if now.timeIntervalSince(lastSupervisorCheck) >= Self.supervisorCheckInterval {
                lastSupervisorCheck = now
                if let pid = record?.supervisorPID, kill(pid, 0) != 0, errno == ESRCH, FileVersion(path: path) != nil, condition != .deleted {
                    throw PodlabError(.invalidState, "the supervisor of pod \(name) (pid \(pid)) is gone, so the pod will not change any more; see \(store.directory(for: key))/supervisor.log, or run podlab clean")
                }
            }
            if now >= deadline {
                throw PodlabError(.timeout, "timed out after \(LabDuration.format(timeout)) waiting for pod \(name) to meet \(condition.description); now \(record.map(Self.summary) ?? "unknown")")
            }
            usleep(Self.pollInterval)
        }
    }

    /// `phase Running, containers: app Running (restarts 0)`, for the timeout message.
    static func summary(_ pod: PodRecord) -> String {
        let containers = pod.containers.map { "\($0.name) \($0.state.display)" + ($0.restartCount > 0 ? " (restarts \($0.restartCount))" : "") }
        return "phase \(pod.phase.rawValue), sandbox \(pod.sandbox.ready ? "ready" : "not ready"), containers: \(containers.joined(separator: ", "))"
    }
}

/// The identity of one version of a file replaced by `rename(2)`: a new inode every save.
struct FileVersion: Equatable {
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int

    /// nil when the file does not exist (or cannot be stat'ed).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = Int(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }
}
