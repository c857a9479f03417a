import ArgumentParser
import Foundation
import PodKit
import PodlabCore

/// `podlab describe POD`: the pod as `kubectl describe pod` prints it, with the events the
/// supervisor recorded (docs/FIDELITY.md #151). Layout after kubectl's
/// staging/src/k8s.io/kubectl/pkg/describe/describe.go (`describePod`, `describeContainers`,
/// `DescribeEvents`).
struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe", abstract: "Describe a pod like kubectl describe: containers, conditions, events.")

    @OptionGroup var selection: PodSelection

    func run() throws {
        let store = PodStore.current
        let pods = try selection.resolve(store, requireOne: true)
        for (n, record) in pods.enumerated() {
            if n > 0 { print("\n") }
            let events = PodEventLog(store.podDirectory(for: record.key)).read()
            print(PodDescription.text(record, events: events), terminator: "")
        }
    }
}

/// The text of `describe`; separate from the command so tests can render records directly.
enum PodDescription {
    static func text(_ record: PodRecord, events: [PodEvent], now: Date = Date()) -> String {
        var out = ""
        func line(_ label: String, _ value: String, indent: String = "") {
            // kubectl's tabwriter aligns labels of one block; a fixed width reads the same.
            out += indent + (label + ":").padding(toLength: max(18 - indent.count, label.count + 2), withPad: " ", startingAt: 0) + value + "\n"
        }
        let spec = record.spec
        line("Name", spec.name)
        line("Namespace", spec.namespace)
        line("Node", "\(DownwardAPIValues.nodeName())/\(record.sandbox.gateway ?? "-")")
        line("Start Time", rfc1123(record.createdAt))
        line("Labels", keyValues(spec.labels))
        line("Annotations", keyValues(spec.annotations))
        line("Status", record.terminating ? "Terminating" : record.phase.rawValue)
        line("IP", record.sandbox.ip ?? "")
        if let failure = record.failure { line("Message", failure) }
        if !spec.initContainers.isEmpty {
            out += "Init Containers:\n"
            for container in spec.initContainers { out += describe(container, record: record) }
        }
        out += "Containers:\n"
        for container in spec.containers { out += describe(container, record: record) }
        out += "Conditions:\n"
        let ready = PodReadiness.ready(record)
        let initialized = record.containers.filter(\.isInit).allSatisfy { $0.isSidecar || ($0.state == .exited && $0.exitCode == 0) }
        var conditions = Table("  Type", "Status")
        conditions.add(["  Initialized", initialized ? "True" : "False"])
        conditions.add(["  Ready", ready.status ? "True" : "False"])
        conditions.add(["  ContainersReady", PodReadiness.containersReady(record).status ? "True" : "False"])
        conditions.add(["  PodScheduled", "True"])
        out += conditions.render()
        line("QoS Class", spec.qosClass.rawValue)
        out += eventsTable(events, now: now)
        return out
    }

    static func describe(_ container: ContainerSpec, record: PodRecord) -> String {
        var out = "  \(container.name):\n"
        func line(_ label: String, _ value: String, indent: String = "    ") {
            out += indent + (label + ":").padding(toLength: max(20, label.count + 2), withPad: " ", startingAt: 0) + value + "\n"
        }
        let status = record.containers.first { $0.name == container.name }
        if let status, !status.id.isEmpty { line("Container ID", "podlab://\(status.id)") }
        line("Image", container.image)
        if let command = container.command {
            out += "    Command:\n" + command.map { "      \($0)\n" }.joined()
        }
        if let args = container.args {
            out += "    Args:\n" + args.map { "      \($0)\n" }.joined()
        }
        guard let status else {
            line("State", "Waiting")
            return out
        }
        switch status.kubeState {
        case "running":
            line("State", "Running")
            line("Started", rfc1123(status.startedAt), indent: "      ")
        case "waiting":
            line("State", "Waiting")
            if let reason = status.waitingReason { line("Reason", reason, indent: "      ") }
            if let message = status.waitingMessage { line("Message", message, indent: "      ") }
        default:
            line("State", "Terminated")
            line("Reason", status.reason ?? "Unknown", indent: "      ")
            if let message = status.message { line("Message", message, indent: "      ") }
            line("Exit Code", status.exitCode.map(String.init) ?? "-", indent: "      ")
            line("Started", rfc1123(status.startedAt), indent: "      ")
            line("Finished", rfc1123(status.finishedAt), indent: "      ")
        }
        if let last = status.lastTerminated {
            line("Last State", "Terminated")
            line("Reason", last.reason, indent: "      ")
            // kubectl describe's describeContainerState prints a terminated state's message.
            if let message = last.message, !message.isEmpty { line("Message", message, indent: "      ") }
            line("Exit Code", String(last.exitCode), indent: "      ")
            line("Started", rfc1123(last.startedAt), indent: "      ")
            line("Finished", rfc1123(last.finishedAt), indent: "      ")
        }
        line("Ready", status.isReady ? "True" : "False")
        line("Restart Count", String(status.restartCount))
        return out
    }

    /// kubectl's Events block: repeats of one (type, reason, message, object) folded into one
    /// row, "AGE (xN over FIRST)", as the API server's event aggregation shows them; sorted
    /// by last occurrence (kubectl `SortableEvents`).
    static func eventsTable(_ events: [PodEvent], now: Date) -> String {
        guard !events.isEmpty else { return "Events:            <none>\n" }
        struct Folded { var event: PodEvent; var first: Date; var count: Int }
        var folded: [Folded] = []
        for event in events {
            if let i = folded.firstIndex(where: { $0.event.type == event.type && $0.event.reason == event.reason && $0.event.message == event.message && $0.event.container == event.container }) {
                folded[i].count += 1
                folded[i].event.time = max(folded[i].event.time, event.time)
            } else {
                folded.append(Folded(event: event, first: event.time, count: 1))
            }
        }
        folded.sort { $0.event.time < $1.event.time }
        var table = Table("  Type", "Reason", "Age", "From", "Message")
        table.add(["  ----", "------", "----", "----", "-------"])
        for item in folded {
            let age = item.count > 1
                ? "\(shortAge(item.event.time, now: now)) (x\(item.count) over \(shortAge(item.first, now: now)))"
                : shortAge(item.event.time, now: now)
            let from = item.event.reason == "Scheduled" ? "default-scheduler" : "kubelet"
            table.add(["  \(item.event.type.rawValue)", item.event.reason, age, from, item.event.message])
        }
        return "Events:\n" + table.render()
    }

    /// apimachinery's `duration.HumanDuration` (pkg/util/duration/duration.go), which kubectl
    /// uses for AGE.
    static func shortAge(_ date: Date, now: Date) -> String {
        let interval = now.timeIntervalSince(date)
        if interval < -1 { return "<invalid>" }
        let seconds = max(0, Int(interval.rounded(.down)))
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        let hours = minutes / 60
        if hours < 3 { return "\(minutes)m" }
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        return "\(hours / 24 / 365)y"
    }

    /// Go's RFC1123Z, kubectl's time format in describe: `Mon, 02 Jan 2006 15:04:05 -0700`.
    static func rfc1123(_ date: Date?) -> String {
        guard let date else { return "<unset>" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    static func keyValues(_ map: [String: String]) -> String {
        guard !map.isEmpty else { return "<none>" }
        return map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n" + String(repeating: " ", count: 18))
    }
}
