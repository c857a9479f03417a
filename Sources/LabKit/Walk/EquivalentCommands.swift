import Foundation

/// The commands a person could type in a second terminal to see what an operation sees, with
/// the values known so far filled in (`readlink /proc/4242/ns/net`), `<pause-pid>`-style
/// placeholders otherwise. Used by `podlab walk` before each step and by handouts (which have
/// no values, so they get the placeholders).
///
/// The `podlab` forms follow crictl/kubectl nouns (`podlab ps -a`, `podlab ns POD`,
/// `podlab exec POD -c CTR -- CMD`); the host forms are what the seed post types
/// (`ip netns identify`, `nsenter`, `pstree`).
public enum EquivalentCommands {
    /// The commands for one operation; comment lines start with `#`.
    /// - Parameters:
    ///   - values: bindings and `PODLAB_*` built-ins known now (`LabRunner.knownValues`).
    ///   - relativePaths: manifest paths relative to the lab file (handouts) instead of absolute.
    public static func commands(for operation: LabOperation, lab: Lab, values: [String: String], relativePaths: Bool = false) -> [String] {
        let known = Known(values: values, podHint: operation.action.pod)
        switch operation.action {
        case let .apply(file, _, _):
            guard let file else { return ["# an inline manifest: podlab applies it for you (kubectl apply -f - on a cluster)"] }
            let path = file.hasPrefix("/") || relativePaths ? file : (lab.directory as NSString).appendingPathComponent(file)
            return ["cat \(ShellQuote.join([path]))", "# on a cluster: kubectl apply -f \(file)"]
        case let .wait(condition):
            return ["podlab pods", "podlab ps -a" + (condition.container.map { "    # \($0): STATE, ATTEMPT" } ?? "")]
        case .containers:
            return ["podlab ps -a", "# on a Kubernetes node: crictl pods (the pause sandboxes) and crictl ps -a (app containers only, like kubectl)"]
        case .namespaces:
            var lines = ["podlab ns \(known.pod)"]
            for (name, pid) in known.processes { lines.append("ls -l /proc/\(pid)/ns    # \(name)") }
            lines.append("readlink /proc/\(known.pausePID)/ns/net")
            lines.append("ip netns identify \(known.pausePID)")
            return lines
        case .podIP:
            return ["nsenter -t \(known.pausePID) -n ip -4 addr show", "ip netns exec \(known.netnsName) ip addr"]
        case let .exec(_, container, command):
            let argv = command.map { known.expand($0) }
            return ["podlab exec \(known.pod)\(container.map { " -c \($0)" } ?? "") -- \(ShellQuote.join(argv))"]
        case let .kill(_, container, signal, _):
            guard let container else {
                return ["podlab kill \(known.pod) -s \(signal)    # the default container", "podlab ps -a    # then watch STATE and ATTEMPT"]
            }
            let pid = container == "pause" ? known.pausePID : known.pid(of: container)
            return ["kill -\(signal) \(pid)    # \(container)", "podlab ps -a    # then watch STATE and ATTEMPT"]
        case .processTree:
            return ["pstree -p $(ps -o ppid= -p \(known.pausePID))", "ps -o pid,ppid,comm --ppid $(ps -o ppid= -p \(known.pausePID))"]
        case let .http(_, url, container):
            let target = known.expand(url)
            if let container { return ["podlab exec \(known.pod) -c \(container) -- wget -S -q -O - \(target)"] }
            return ["wget -S -q -O - \(target)"]
        case let .script(_, content, env):
            var lines = env.sorted { $0.key < $1.key }.map { "export \($0.key)=\(ShellQuote.join([known.expand($0.value)]))" }
            lines += content.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n", omittingEmptySubsequences: false)
                .map { known.expand(String($0)) }
            return lines
        case let .sleep(seconds):
            return ["sleep \(LabDuration.format(seconds).replacingOccurrences(of: " ", with: ""))"]
        case let .logs(_, container, previous):
            return ["podlab logs \(known.pod)\(container.map { " -c \($0)" } ?? "")\(previous ? " --previous" : "")"]
        }
    }

    /// Where to look from a second terminal while the pod is up.
    public static func explore(pod: String, pausePID: Int32?, netns: String?, containers: [(name: String, pid: Int32?)]) -> [String] {
        var lines = ["podlab ps -a", "podlab ns \(pod)"]
        if let first = containers.first { lines.append("podlab exec \(pod) -c \(first.name) -- sh") }
        if let netns { lines.append("ip netns exec \((netns as NSString).lastPathComponent) ip addr") }
        if let pausePID { lines.append("nsenter -t \(pausePID) -n -u -i sh") }
        return lines
    }

    /// The values an operation's commands need, or readable placeholders.
    private struct Known {
        let values: [String: String]
        let podHint: String?

        var pod: String { podHint ?? values["PODLAB_POD_NAME"] ?? "<pod>" }
        var pausePID: String { values["PODLAB_PAUSE_PID"] ?? "<pause-pid>" }
        var netnsName: String {
            values["PODLAB_NETNS"].map { ($0 as NSString).lastPathComponent } ?? "podlab-\(pod)"
        }

        func pid(of container: String) -> String {
            values["PODLAB_PID_" + BuiltinBindings.envSuffix(forContainer: container)] ?? "<\(container)-pid>"
        }

        /// pause, then every container whose PID is known.
        var processes: [(String, String)] {
            var list = [("pause", pausePID)]
            let prefix = "PODLAB_PID_"
            for (key, value) in values.sorted(by: { $0.key < $1.key }) where key.hasPrefix(prefix) {
                list.append((String(key.dropFirst(prefix.count)).lowercased(), value))
            }
            return list
        }

        /// `$NAME` with a known value replaced; unknown names stay for the shell.
        func expand(_ text: String) -> String {
            BindingTemplate.expand(text) { name in values[name] ?? "$\(name)" }
        }
    }
}
