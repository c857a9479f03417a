import ArgumentParser
import Foundation
import PodKit
import PodlabCore

/// `podlab logs`: a container's output, current or previous attempt.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a container's logs (--previous for the last attempt).")

    @OptionGroup var selection: PodSelection
    @Option(name: .shortAndLong, help: "Container name (default: the kubectl.kubernetes.io/default-container annotation, else the first app container).") var container: String?
    @Flag(name: .shortAndLong, help: "The previous attempt's logs, as kubectl logs --previous.") var previous = false
    @Flag(name: .shortAndLong, help: "Keep printing the log as it grows until the container exits (kubectl logs -f).") var follow = false
    @Option(help: "Only the last N lines (-1: all), as kubectl logs --tail.") var tail: Int = -1
    @Flag(help: "Prefix each line with its RFC 3339 write time, as kubectl logs --timestamps.") var timestamps = false

    func validate() throws {
        if tail < -1 { throw ValidationError("--tail \(tail): give N >= 0, or -1 for all lines") }
    }

    func run() throws {
        let store = PodStore.current
        let target = try selection.resolveTarget(store, container: container)
        let usePrevious = previous || target.previousAttempt
        let api = try PodAPI(paths: .fromEnvironment())
        let raw = try api.rawLogs(target.pod, container: target.container, previous: usePrevious)
        // The stored log is CRI-format (docs/FIDELITY.md #201): --tail counts stored lines, as kubelet.
        var decoder = CRILogDecoder(timestamps: timestamps)
        StandardStreams.output(decoder.feed(CRILog.tail(raw, lines: tail)))
        guard follow, !usePrevious else {
            StandardStreams.output(decoder.finish())
            return
        }
        let status = try target.pod.container(target.container)
        guard status.state == .running else {
            StandardStreams.output(decoder.finish())
            return
        }
        try LogFollower.follow(record: target.pod, container: status, from: raw.count, decoder: decoder, store: store)
    }
}

/// `podlab kill`: signal a container's main process (or pause), as `kill` on the node would.
struct KillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal to a container's main process or to pause.")

    @OptionGroup var selection: PodSelection
    @Option(name: .shortAndLong, help: "Container name, or \"pause\" for the sandbox (default: the kubectl.kubernetes.io/default-container annotation, else the first app container).") var container: String?
    @Option(name: .shortAndLong, help: "Signal name or number (default KILL).") var signal: String = "KILL"

    func run() throws {
        let target = try selection.resolveTarget(.current, container: container)
        let number = try parseSignal(signal)
        if target.previousAttempt { throw PodlabError(.invalidState, "container \(target.container ?? "?") with that ID has exited (a later attempt runs); use the current ID or -c") }
        let killed = try PodAPI(paths: .fromEnvironment()).kill(target.pod, target: PodProcessTarget(name: target.container), signal: number)
        print("sent SIG\(signal.uppercased().replacingOccurrences(of: "SIG", with: "")) to \(killed.name) (pid \(killed.pid))")
    }
}

/// `KILL`, `SIGTERM`, `term`, `9`.
func parseSignal(_ text: String) throws -> Int32 {
    if let number = Int32(text), number > 0, number < 65 { return number }
    let names: [String: Int32] = ["HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "KILL": SIGKILL, "TERM": SIGTERM, "USR1": SIGUSR1,
                                  "USR2": SIGUSR2, "STOP": SIGSTOP, "CONT": SIGCONT, "ABRT": SIGABRT, "ALRM": SIGALRM]
    let key = text.uppercased().replacingOccurrences(of: "SIG", with: "")
    guard let number = names[key] else {
        throw ValidationError("unknown signal \"\(text)\" (use a number or one of \(names.keys.sorted().joined(separator: ", ")))")
    }
    return number
}
