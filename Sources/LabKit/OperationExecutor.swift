import Foundation
import PodlabCore
import Reports
import PodObservations

/// Runs one attempt of one operation against the backend or the host.
struct OperationExecutor {
    let state: LabRunState
    /// The effective timeout for this operation (its kind's, or its own `timeout`).
    let timeout: Double

    func run(_ operation: LabOperation) throws -> OperationOutcome {
        switch operation.action {
        case let .apply(file, manifest, images): return try apply(file: file, manifest: manifest, images: images)
        case let .wait(condition): return try wait(condition)
        case let .containers(pod): return try containers(pod)
        case let .namespaces(pod, shared, privateKinds): return try namespaces(pod, shared: shared, private: privateKinds)
        case let .podIP(pod): return try podIP(pod)
        case let .exec(pod, container, command): return try exec(pod, container, command, checks: operation.checks)
        case let .kill(pod, container, signal, name): return try kill(pod, container, signal, name)
        case let .processTree(pod): return try processTree(pod)
        case let .http(pod, url, container): return try http(pod, url, container, checks: operation.checks)
        case let .script(pod, content, env): return try script(pod, content, env, checks: operation.checks)
        case let .sleep(seconds):
            Thread.sleep(forTimeInterval: seconds)
            return OperationOutcome()
        case let .logs(pod, container, previous): return try logs(pod, container, previous)
        }
    }

    /// A one-line description for the console and report.
    static func summary(_ operation: LabOperation) -> String {
        if let description = operation.description { return description }
        let podText = { (pod: String?) in pod.map { " pod \($0)" } ?? "" }
        switch operation.action {
        case let .apply(file, _, _): return file.map { "apply \($0)" } ?? "apply inline manifest"
        case let .wait(condition): return "wait for " + describe(condition)
        case let .containers(pod): return "list containers\(podText(pod))"
        case let .namespaces(pod, _, _): return "namespace inodes\(podText(pod))"
        case let .podIP(pod): return "pod IP\(podText(pod))"
        case let .exec(_, container, command): return "exec in \(container ?? "the container"): \(command.joined(separator: " "))"
        case let .kill(_, container, _, name): return "kill -\(name) \(container ?? "the default container")"
        case let .processTree(pod): return "process tree\(podText(pod))"
        case let .http(_, url, container): return "GET \(url) from \(container ?? "the host")"
        case let .script(_, content, _): return "script: " + (content.split(separator: "\n").first.map(String.init) ?? "")
        case let .sleep(seconds): return "sleep \(LabDuration.format(seconds))"
        case let .logs(_, container, previous): return "logs \(previous ? "--previous " : "")\(container ?? "")"
        }
    }

    /// `pod web container app restartCount≥1 state=running`.
    static func describe(_ c: LabWaitCondition) -> String {
        var parts: [String] = []
        if let pod = c.pod { parts.append("pod \(pod)") }
        if let container = c.container { parts.append("container \(container)") }
        if let phase = c.phase { parts.append("phase=\(phase)") }
        if let ready = c.ready { parts.append("ready=\(ready)") }
        if let state = c.state { parts.append("state=\(state)") }
        if let count = c.restartCount { parts.append("restartCount≥\(count)") }
        if let code = c.exitCode { parts.append("exitCode=\(code)") }
        if let reason = c.reason { parts.append("reason=\(reason)") }
        if let code = c.lastExitCode { parts.append("lastExitCode=\(code)") }
        if let reason = c.lastReason { parts.append("lastReason=\(reason)") }
        return parts.joined(separator: " ")
    }

    // MARK: verbs

    private func apply(file: String?, manifest: String?, images: [String: String]) throws -> OperationOutcome {
        let path: String
        var scratch: String?
        if let file {
            path = file.hasPrefix("/") ? file : (state.lab.directory as NSString).appendingPathComponent(file)
        } else {
            let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("podlab-\(state.namespace)")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            path = (directory as NSString).appendingPathComponent("manifest-\(UUID().uuidString.prefix(8)).yaml")
            scratch = directory
            try (manifest ?? "").write(toFile: path, atomically: true, encoding: .utf8)
        }
        // An inline manifest is read once by apply; its scratch file and directory go afterwards
        // (the directory only once empty: parallel applies of one lab share it).
        defer {
            if let scratch {
                unlink(path)
                rmdir(scratch)
            }
        }
        let imageMap = state.lab.images.merging(images) { _, new in new }
        let backend = state.backend
        let namespace = state.namespace
        let refs = try Deadline.run(timeout: timeout, what: "apply \(path)") {
            try backend.apply(manifestPath: path, imageMap: imageMap, namespace: namespace)
        }
        state.addPods(refs)
        var outcome = OperationOutcome()
        outcome.values = ["pods": refs.map(\.name).joined(separator: " "), "count": String(refs.count)]
        let mapping = imageMap.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(separator: ", ")
        outcome.commands.append(CommandRecord(
            target: "host", command: "podlab apply -f \(file ?? "<inline manifest>")" + (mapping.isEmpty ? "" : "  # images: \(mapping)"),
            exitCode: nil, stdout: refs.map { "pod/\($0.name) created (id \($0.id))" }.joined(separator: "\n"), stderr: ""))
        for ref in refs { outcome.observations.append(.fact(name: "pod \(ref.name) id", value: ref.id)) }
        return outcome
    }

    private func wait(_ condition: LabWaitCondition) throws -> OperationOutcome {
        let ref = try state.pod(condition.pod)
        let deadline = Date().addingTimeInterval(timeout)
        var values: [String: String] = [:]
        var lastSeen = ""
        // The backend re-reads the status only when the pod changed, so the step ends at the
        // pod's real latency (docs/FIDELITY.md #141), not at the next tick of a poll.
        var met = false
        _ = try state.backend.waitForStatus(ref, until: deadline) { status in
            let container = condition.container.flatMap { name in status.containers.first { $0.name == name } }
            values = ["phase": status.phase, "ready": String(status.ready)]
            if let container {
                values["state"] = container.state
                values["restartCount"] = String(container.restartCount)
                values["exitCode"] = container.exitCode.map(String.init) ?? ""
                values["reason"] = container.reason ?? ""
                values["lastExitCode"] = container.lastExitCode.map(String.init) ?? ""
                values["lastReason"] = container.lastReason ?? ""
            }
            lastSeen = values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.isEmpty ? "-" : $0.value)" }.joined(separator: " ")
            if let name = condition.container, container == nil {
                lastSeen = "pod has no container \"\(name)\" (containers: \(status.containers.map(\.name).joined(separator: ", ")))"
                return false
            }
            met = holds(condition, status: status, container: container)
            return met
        }
        guard met else {
            throw PodlabError(.timeout, "timed out after \(LabDuration.format(timeout)) waiting for \(Self.describe(condition)); last seen: \(lastSeen)")
        }
        var outcome = OperationOutcome()
        outcome.values = values
        outcome.observations.append(.fact(name: "waited for", value: lastSeen))
        return outcome
    }

    private func holds(_ condition: LabWaitCondition, status: LabPodStatus, container: LabContainerStatus?) -> Bool {
        if let phase = condition.phase, status.phase != phase { return false }
        if let ready = condition.ready, status.ready != ready { return false }
        if let state = condition.state, container?.state != state { return false }
        if let count = condition.restartCount, (container?.restartCount ?? -1) < count { return false }
        if let code = condition.exitCode, container?.exitCode != code { return false }
        if let reason = condition.reason, container?.reason != reason { return false }
        if let code = condition.lastExitCode, container?.lastExitCode != code { return false }
        if let reason = condition.lastReason, container?.lastReason != reason { return false }
        return true
    }

    private func containers(_ pod: String?) throws -> OperationOutcome {
        let ref = try state.pod(pod)
        let status = try state.backend.podStatus(ref)
        // The sandbox is a container on the node too: crictl shows pause's sandbox, kubectl does not.
        let rows = try state.backend.containers(ref)
        var outcome = OperationOutcome()
        // kubectl's READY column: ready containers (the readiness rule's per-container input).
        let running = status.containers.filter(\.isReady).count
        outcome.values = [
            "count": String(rows.count), "appCount": String(status.containers.count),
            "ready": "\(running)/\(status.containers.count)",
            "names": rows.map(\.name).joined(separator: " "), "ids": rows.map(\.id).joined(separator: " "),
        ]
        outcome.observations.append(.containers(pod: ref.name, rows: rows))
        outcome.observations.append(.fact(name: "containers on the node (kubectl shows)", value: "\(rows.count) (\(status.containers.count))"))
        for row in rows { outcome.observations.append(.fact(name: "\(row.name) container id", value: row.id)) }
        return outcome
    }

    private func namespaces(_ pod: String?, shared: [NamespaceKind], private privateKinds: [NamespaceKind]) throws -> OperationOutcome {
        let ref = try state.pod(pod)
        let rows = try state.backend.namespaces(ref)
        // IP and container ids are for the report's diagram only; a status failure is not the
        // namespaces operation's failure.
        let status = try? state.backend.podStatus(ref)
        let ids = Dictionary((status?.containers ?? []).map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
        let table = NamespaceTable(pod: ref.name, ip: status?.ip, rows: rows.map { row in
            var row = row
            row.containerID = row.containerID ?? (row.process == "pause" ? (status?.sandboxID ?? ref.id) : ids[row.process])
            return row
        }, hostInodes: NamespaceLinks.inodes(process: "self", kinds: NamespaceKind.allCases.map(\.rawValue)))
        var outcome = OperationOutcome()
        outcome.observations.append(.namespaces(table))
        if let reference = table.reference {
            for kind in NamespaceKind.allCases { outcome.values[kind.rawValue] = reference.inodes[kind.rawValue].map(String.init) ?? "" }
            if let net = reference.inodes["net"] { outcome.observations.append(.fact(name: "\(reference.process) net namespace", value: "net:[\(net)]")) }
        }
        outcome.values["shared"] = table.presentKinds.filter(table.isShared).joined(separator: " ")
        outcome.values["private"] = table.presentKinds.filter(table.isPrivate).joined(separator: " ")
        var problems: [String] = []
        let listing = { (kind: String) in table.rows.map { "\($0.process)=\($0.inodes[kind].map(String.init) ?? "?")" }.joined(separator: ", ") }
        for kind in shared where !table.isShared(kind.rawValue) {
            problems.append("\(kind.rawValue) is not shared: \(listing(kind.rawValue))")
        }
        for kind in privateKinds where !table.isPrivate(kind.rawValue) {
            problems.append("\(kind.rawValue) is not private: \(listing(kind.rawValue))")
        }
        if table.rows.count < 2, !(shared.isEmpty && privateKinds.isEmpty) {
            problems.append("need pause and at least one container to compare, got \(table.rows.count) process(es)")
        }
        if !problems.isEmpty { outcome.error = "namespace expectation failed: " + problems.joined(separator: "; ") }
        return outcome
    }

    private func podIP(_ pod: String?) throws -> OperationOutcome {
        let ref = try state.pod(pod)
        let status = try state.backend.podStatus(ref)
        guard let ip = status.ip, !ip.isEmpty else { throw PodlabError(.invalidState, "pod \(ref.name) has no IP (phase \(status.phase))") }
        var outcome = OperationOutcome()
        outcome.values["ip"] = ip
        outcome.observations.append(.fact(name: "pod IP", value: ip))
        return outcome
    }

    private func exec(_ pod: String?, _ container: String?, _ command: [String], checks: [LabCheck]) throws -> OperationOutcome {
        let ref = try state.pod(pod)
        let argv = try command.map { try state.expand($0, pod: pod) }
        let result = try state.backend.exec(ref, container: container, command: argv, timeout: timeout)
        var outcome = OperationOutcome()
        outcome.values = ["stdout": result.stdout, "stderr": result.stderr, "exitCode": String(result.exitCode)]
        outcome.commands.append(CommandRecord(target: container ?? ref.name, command: ShellQuote.join(argv), exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr))
        if result.exitCode != 0 && !checks.contains(where: { $0.field == "exitCode" }) {
            outcome.error = "command exited with \(result.exitCode)" + (result.stderr.isEmpty ? "" : ": \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return outcome
    }

    private func kill(_ pod: String?, _ container: String?, _ signal: Int32, _ name: String) throws -> OperationOutcome {
        let ref = try state.pod(pod)
        let killed = try state.backend.kill(ref, container: container, signal: signal)
        var outcome = OperationOutcome()
        outcome.values["pid"] = killed.pid.map(String.init) ?? ""
        outcome.observations.append(.fact(name: "killed", value: "\(killed.name) (pid \(killed.pid.map(String.init) ?? "?")) with SIG\(name)"))
        return outcome
    }

    private func processTree(_ pod: String?) throws -> OperationOutcome {
        let ref = try state.pod(pod)
        let root = try state.backend.processTree(ref)
        var outcome = OperationOutcome()
        outcome.values = ["tree": ProcessTreeText.render(root), "count": String(root.count), "commands": commands(root).joined(separator: " ")]
        outcome.observations.append(.processTree(pod: ref.name, root: root))
        return outcome
    }

    private func commands(_ node: ProcessNode) -> [String] { [node.command] + node.children.flatMap(commands) }

    private func http(_ pod: String?, _ url: String, _ container: String?, checks: [LabCheck]) throws -> OperationOutcome {
        let target = try state.expand(url, pod: pod)
        var outcome = OperationOutcome()
        if let container {
            // Inside the container: busybox wget; -S prints the status line on stderr.
            let ref = try state.pod(pod)
            let argv = ["wget", "-S", "-q", "-O", "-", target]
            let result = try state.backend.exec(ref, container: container, command: argv, timeout: timeout)
            outcome.commands.append(CommandRecord(target: container, command: ShellQuote.join(argv), exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr))
            let status = result.stderr.split(separator: "\n").lazy.compactMap { line -> String? in
                let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
                return parts.count >= 2 && parts[0].hasPrefix("HTTP/") ? String(parts[1]) : nil
            }.first
            outcome.values = ["status": status ?? "", "body": result.stdout]
            if status == nil && result.exitCode != 0 {
                outcome.error = "wget \(target) in \(container) exited with \(result.exitCode): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
                return outcome
            }
        } else {
            let response = try HTTPClient.get(target, timeout: timeout)
            outcome.values = ["status": String(response.status), "body": response.body]
            outcome.commands.append(CommandRecord(target: "host", command: "GET \(target)", exitCode: nil, stdout: response.body, stderr: "HTTP \(response.status)"))
        }
        if outcome.values["status"] != "200" && !checks.contains(where: { $0.field == "status" }) {
            outcome.error = "GET \(target) returned status \(outcome.values["status"] ?? "?"), expected 200"
        }
        return outcome
    }

    private func script(_ pod: String?, _ content: String, _ env: [String: String], checks: [LabCheck]) throws -> OperationOutcome {
        var environment = state.environment(pod: pod)
        for (key, value) in env { environment[key] = try state.expand(value, pod: pod) }
        let result = try HostCommand.run(["/bin/sh", "-c", content], environment: environment, timeout: timeout)
        var outcome = OperationOutcome()
        outcome.values = ["stdout": result.stdout, "stderr": result.stderr, "exitCode": String(result.exitCode)]
        outcome.commands.append(CommandRecord(target: "host", command: content.trimmingCharacters(in: .whitespacesAndNewlines), exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr))
        if result.timedOut {
            outcome.error = "script killed after the \(LabDuration.format(timeout)) timeout"
        } else if result.exitCode != 0 && !checks.contains(where: { $0.field == "exitCode" }) {
            outcome.error = "script exited with \(result.exitCode)" + (result.stderr.isEmpty ? "" : ": \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return outcome
    }

    private func logs(_ pod: String?, _ container: String?, _ previous: Bool) throws -> OperationOutcome {
        let ref = try state.pod(pod)
        let text = try state.backend.logs(ref, container: container, previous: previous)
        var outcome = OperationOutcome()
        outcome.values["logs"] = text
        outcome.commands.append(CommandRecord(target: "host", command: "podlab logs \(previous ? "--previous " : "")\(ref.name)\(container.map { " -c \($0)" } ?? "")", exitCode: nil, stdout: text, stderr: ""))
        return outcome
    }
}

extension LabOperation {
    /// The one-line name of the operation in reports and on the console (its `description`,
    /// else generated from the verb: `exec in app: ip addr`).
    public var summary: String { OperationExecutor.summary(self) }
}

/// Runs a blocking call with a deadline. The call cannot be cancelled, so on timeout it keeps
/// running on its thread; the lab's cleanup (`deleteAll`) removes whatever it creates later.
enum Deadline {
    static func run<T>(timeout: Double, what: String, _ body: @escaping () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.set(Result { try body() })
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        guard done.wait(timeout: .now() + timeout) == .success, let result = box.get() else {
            throw PodlabError(.timeout, "\(what) did not finish within \(LabDuration.format(timeout))")
        }
        return try result.get()
    }

    private final class ResultBox<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<T, Error>?
        func set(_ value: Result<T, Error>) { lock.lock(); self.value = value; lock.unlock() }
        func get() -> Result<T, Error>? { lock.lock(); defer { lock.unlock() }; return value }
    }
}

/// Quotes argv for display the way a shell user would type it.
enum ShellQuote {
    static func join(_ argv: [String]) -> String {
        argv.map { argument in
            let safe = !argument.isEmpty && argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0) }
            return safe ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
