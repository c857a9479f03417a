import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// `podlab describe` and the supervisor's event log (issue 15 section 3; docs/FIDELITY.md #150, #151).
    @Suite("podlab describe and pod events")
    struct DescribeTests {
        @Test("a crash-looping container: Scheduled, Pulled, Created, Started, BackOff with kubelet's messages, last state and restart count")
        func crashLoop() throws {
            let cli = try PodlabCLI("describe")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: crasher
                  labels: {app: demo}
                  annotations: {podlab.dev/backoff-scale: "0.05"}
                spec:
                  containers:
                  - {name: app, image: busybox, command: ["sh", "-c", "sleep 0.2; exit 3"]}
                """)
            try waitUntil("the container restarted twice", timeout: 30) {
                try cli.inspect("app", pod: "crasher")["status"]["restartCount"].int ?? 0 >= 2
            }
            let text = try cli.succeed(["describe", "crasher", "-n", cli.namespace]).stdout
            #expect(text.contains("Name:             crasher"), "\(text)")
            #expect(text.contains("Labels:           app=demo"), "\(text)")
            #expect(text.range(of: #"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+3\n"#, options: .regularExpression) != nil, "\(text)")
            #expect(text.range(of: #"Restart Count:\s+[2-9]"#, options: .regularExpression) != nil, "\(text)")
            #expect(text.contains("ContainersReady"), "\(text)")
            let events = try #require(text.components(separatedBy: "Events:\n").last)
            #expect(events.contains("default-scheduler") && events.contains("Successfully assigned \(cli.namespace)/crasher to"), "\(events)")
            #expect(events.contains("Container image \"busybox\" already present on machine"), "\(events)")
            #expect(events.contains("Created container: app"), "\(events)")
            #expect(events.contains("Started container app"), "\(events)")
            #expect(events.contains("Warning  BackOff") || events.contains("Warning   BackOff"), "\(events)")
            #expect(events.contains("Back-off restarting failed container app in pod crasher"), "\(events)")
            // Repeated starts are folded into one row with a count, as the API server aggregates them.
            #expect(events.range(of: #"Started\s+\S+ \(x[2-9]"#, options: .regularExpression) != nil, "\(events)")
            // The log is a file in the pod directory: one JSON object a line.
            let log = try String(contentsOfFile: "\(cli.stateDir)/pods/\(cli.key("crasher"))/events.jsonl", encoding: .utf8)
            #expect(log.split(separator: "\n").allSatisfy { $0.hasPrefix("{") && $0.contains("\"reason\"") })
        }

        @Test("a failed liveness probe records Unhealthy and Killing")
        func unhealthy() throws {
            let cli = try PodlabCLI("describe-probe")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: sick
                  annotations: {podlab.dev/backoff-scale: "0.05"}
                spec:
                  containers:
                  - name: app
                    image: busybox
                    command: ["sleep", "3600"]
                    livenessProbe:
                      exec: {command: ["false"]}
                      periodSeconds: 1
                      failureThreshold: 1
                """)
            var text = ""
            try waitUntil("describe shows Killing", timeout: 30) {
                text = try cli.succeed(["describe", "sick", "-n", cli.namespace]).stdout
                return text.contains("Killing")
            }
            #expect(text.contains("Unhealthy") && text.contains("Liveness probe failed"), "\(text)")
            #expect(text.contains("Container app failed liveness probe, will be restarted"), "\(text)")
        }
    }
}
