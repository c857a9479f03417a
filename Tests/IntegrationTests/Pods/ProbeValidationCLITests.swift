import Foundation
import PodKit
import PodNetwork
import PodlabCore
import Testing

extension PodTests {
    /// docs/FIDELITY.md #56 on the real binary: every invalid probe or hook that the API server
    /// refuses (`pkg/apis/core/validation/validation.go` validateProbe, validateHandler,
    /// validateLifecycle, validateSleepAction, validateInitContainers) makes `podlab apply -f`
    /// exit 1 with `<file>:<line>:<column>: <field path>: <kubelet-like message>` on stderr,
    /// and leaves nothing behind: no pod record, no supervisor, no netns, no veth, no cgroup, no
    /// IP lease, not even for a valid pod earlier in the same file (the API server admits
    /// nothing of a request that fails validation; podlab parses every document first).
    @Suite("probe and hook validation through podlab apply")
    struct ProbeValidationCLITests {
        /// One bad manifest: the YAML of the bad container (indented as a list item under
        /// `containers:` or `initContainers:`), the text whose first character the error must
        /// point at, and the message after `<file>:<line>:<column>: `.
        struct Case {
            var name: String
            var container: String
            var initContainer: String = ""
            var at: String
            var offset: Int = 0
            var message: String
        }

        /// A valid pod first (it must not start either), then the pod with the bad container.
        static func manifest(_ bad: Case) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: fine}
            spec:
              containers:
              - {name: app, image: busybox, command: [sleep, "3600"]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: bad}
            spec:
              terminationGracePeriodSeconds: 30
            \(bad.initContainer)
              containers:
              - name: app
                image: busybox
                command: [sleep, "3600"]
                ports: [{containerPort: 8080, name: http}]
            \(bad.container)
            """
        }

        /// `line:column` (1-based) of the first occurrence of `text` in `yaml`, plus `offset` columns.
        static func position(of text: String, in yaml: String, offset: Int) -> String? {
            for (index, line) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if let range = line.range(of: text) {
                    return "\(index + 1):\(line.distance(from: line.startIndex, to: range.lowerBound) + 1 + offset)"
                }
            }
            return nil
        }

        static let cases: [Case] = [
            // validateHandler: exactly one handler.
            Case(name: "two-handlers", container: """
                    livenessProbe:
                      exec: {command: [cat, /tmp/ok]}
                      tcpSocket: {port: 8080}
                """, at: "tcpSocket:", message: "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"),
            Case(name: "no-handler", container: """
                    readinessProbe:
                      periodSeconds: 5
                """, at: "periodSeconds: 5", message: "spec.containers[0].readinessProbe: Required value: must specify a handler type"),
            Case(name: "empty-command", container: """
                    startupProbe:
                      exec: {command: []}
                """, at: "[]}", message: "spec.containers[0].startupProbe.exec.command: Required value"),
            // validateProbe: ValidateNonnegativeField on every number.
            Case(name: "negative-timeout", container: """
                    livenessProbe:
                      exec: {command: [true]}
                      timeoutSeconds: -1
                """, at: "timeoutSeconds: -1", offset: 16, message: "spec.containers[0].livenessProbe.timeoutSeconds: Invalid value: -1: must be greater than or equal to 0"),
            Case(name: "negative-failure-threshold", container: """
                    readinessProbe:
                      exec: {command: [true]}
                      failureThreshold: -3
                """, at: "failureThreshold: -3", offset: 18, message: "spec.containers[0].readinessProbe.failureThreshold: Invalid value: -3: must be greater than or equal to 0"),
            Case(name: "negative-initial-delay", container: """
                    readinessProbe:
                      exec: {command: [true]}
                      initialDelaySeconds: -2
                """, at: "initialDelaySeconds: -2", offset: 21, message: "spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -2: must be greater than or equal to 0"),
            // validateContainers: successThreshold must be 1 for liveness and startup.
            Case(name: "liveness-success-threshold", container: """
                    livenessProbe:
                      exec: {command: [true]}
                      successThreshold: 2
                """, at: "successThreshold: 2", offset: 18, message: "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"),
            Case(name: "startup-success-threshold", container: """
                    startupProbe:
                      exec: {command: [true]}
                      successThreshold: 3
                """, at: "successThreshold: 3", offset: 18, message: "spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1"),
            // Probe-level terminationGracePeriodSeconds: not on readiness, > 0 elsewhere.
            Case(name: "readiness-grace", container: """
                    readinessProbe:
                      exec: {command: [true]}
                      terminationGracePeriodSeconds: 5
                """, at: "terminationGracePeriodSeconds: 5", offset: 31, message: "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes"),
            Case(name: "liveness-grace-zero", container: """
                    livenessProbe:
                      exec: {command: [true]}
                      terminationGracePeriodSeconds: 0
                """, at: "terminationGracePeriodSeconds: 0", offset: 31, message: "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0"),
            // ValidatePortNumOrName.
            Case(name: "port-zero", container: """
                    livenessProbe:
                      httpGet: {path: /healthz, port: 0}
                """, at: "0}", message: "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive"),
            Case(name: "unknown-port-name", container: """
                    readinessProbe:
                      tcpSocket: {port: metrics}
                """, at: "metrics}", message: "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: \"metrics\": must name one of this container's ports (podlab resolves named ports at apply)"),
            // validateHTTPGetAction: header names are RFC 7230 tokens; HTTP or HTTPS.
            Case(name: "bad-header-name", container: """
                    readinessProbe:
                      httpGet: {port: 8080, httpHeaders: [{name: "bad header", value: x}]}
                """, at: "\"bad header\"", message: "spec.containers[0].readinessProbe.httpGet.httpHeaders[0].name: Invalid value: \"bad header\": a valid HTTP header must consist of alphanumeric characters or '-' (regex used for validation is '[-A-Za-z0-9]+')"),
            Case(name: "bad-scheme", container: """
                    livenessProbe:
                      httpGet: {port: 8080, scheme: FTP}
                """, at: "FTP}", message: "spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\""),
            // validateLifecycle: each hook one handler; validateSleepAction.
            Case(name: "prestop-no-handler", container: """
                    lifecycle:
                      preStop: {}
                """, at: "{}", message: "spec.containers[0].lifecycle.preStop: Required value: must specify a handler type"),
            Case(name: "poststart-two-handlers", container: """
                    lifecycle:
                      postStart:
                        exec: {command: [true]}
                        httpGet: {port: 8080}
                """, at: "httpGet:", message: "spec.containers[0].lifecycle.postStart.httpGet: Forbidden: may not specify more than 1 handler type"),
            Case(name: "sleep-zero", container: """
                    lifecycle:
                      preStop: {sleep: {seconds: 0}}
                """, at: "0}}", message: "spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 0: must be greater than 0 and less than terminationGracePeriodSeconds (30)"),
            Case(name: "sleep-past-grace", container: """
                    lifecycle:
                      preStop: {sleep: {seconds: 31}}
                """, at: "31}}", message: "spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 31: must be greater than 0 and less than terminationGracePeriodSeconds (30)"),
            // validateInitContainers: no probes or lifecycle on a regular init container.
            Case(name: "init-liveness", container: "", initContainer: """
                  initContainers:
                  - name: setup
                    image: busybox
                    livenessProbe: {exec: {command: [true]}}
                """, at: "{exec:", message: "spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"),
            Case(name: "init-startup", container: "", initContainer: """
                  initContainers:
                  - name: setup
                    image: busybox
                    startupProbe: {tcpSocket: {port: 80}}
                """, at: "{tcpSocket:", message: "spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always"),
            Case(name: "init-lifecycle", container: "", initContainer: """
                  initContainers:
                  - name: setup
                    image: busybox
                    lifecycle: {preStop: {exec: {command: [true]}}}
                """, at: "{preStop:", message: "spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always"),
        ]

        @Test("each invalid probe or hook: exit 1, file:line:column and the API server's message, nothing created", arguments: cases.map(\.name))
        func refused(_ name: String) throws {
            let bad = try #require(Self.cases.first { $0.name == name })
            let cli = try PodlabCLI("probe-validation-\(name)")
            defer { cli.tearDown() }
            let yaml = Self.manifest(bad)
            let path = "\(cli.directory)/\(name).yaml"
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let at = try #require(Self.position(of: bad.at, in: yaml, offset: bad.offset), "\(bad.at) is not in the manifest")
            let result = try cli.run(["apply", "-f", path, "-n", cli.namespace])
            cli.adopt(result)
            #expect(result.status == 1, "\(result.description)")
            #expect(result.stderr.contains("\(path):\(at): \(bad.message)"), "expected \(path):\(at): \(bad.message)\n\(result.description)")
            #expect(!result.stdout.contains("created"), "\(result.description)")
            // Partial damage: neither pod has a record, and nothing of theirs exists on the host.
            let records = (try? FileManager.default.contentsOfDirectory(atPath: "\(cli.stateDir)/pods")) ?? []
            #expect(records.isEmpty, "pod records after a refused apply: \(records)")
            let keys: Set<String> = [cli.key("fine"), cli.key("bad")]
            let left = PodlabTestEnvironment.leftovers(keys: keys, under: cli.directory, dataDir: cli.environment.dataDir)
            #expect(left.isEmpty, "left by a refused apply: \(left)")
            for pod in ["fine", "bad"] {
                let host = cli.hostName(pod)
                #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(PodNetwork.pinPrefix)\(host)"))
                #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(HostVethName.forPod(host))"))
                #expect(PodlabTestEnvironment.cgroupDirectories(named: host).isEmpty)
            }
            #expect(try cli.succeed(["pods", "--namespace", cli.namespace]).stdout.contains("fine") == false)
        }
    }
}
