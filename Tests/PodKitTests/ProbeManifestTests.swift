import PodlabCore
import Testing

@testable import PodKit

/// Probes, lifecycle hooks and termination message fields: parsed with the API server's
/// defaults, refused with its validation messages at file:line:column (docs/FIDELITY.md #47–#55).
@Suite("Manifest: probes, lifecycle, termination message")
struct ProbeManifestTests {
    func pod(_ container: String, grace: Int = 30, inits: String = "") -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
        spec:
          terminationGracePeriodSeconds: \(grace)
        \(inits)
          containers:
          - name: app
            image: busybox
            ports:
            - {containerPort: 8080, name: http}
        \(container)
        """
    }

    func parse(_ yaml: String) throws -> ContainerSpec {
        let pods = try ManifestParser(randomSuffix: { "abcde" }).parse(yaml: yaml, file: "t.yaml").pods
        return try #require(pods.first?.containers.first)
    }

    /// Parsing fails with `t.yaml:<line>:<column>: <message>`.
    func expectError(_ yaml: String, line: Int, column: Int, _ message: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(yaml)
            Issue.record("parsed, expected \(message)", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)" == "t.yaml:\(line):\(column): \(message)", sourceLocation: sourceLocation)
        }
    }

    @Test("defaults (timeout 1, period 10, success 1, failure 3), 0 meaning the default, named ports")
    func defaults() throws {
        let spec = try parse(pod("""
                livenessProbe:
                  httpGet: {path: healthz, port: http, httpHeaders: [{name: X-Lab, value: "1"}]}
                  periodSeconds: 0
                readinessProbe:
                  tcpSocket: {port: 8080}
                  initialDelaySeconds: 3
                  successThreshold: 2
                startupProbe:
                  exec: {command: [cat, /ready]}
                  terminationGracePeriodSeconds: 7
                lifecycle:
                  postStart: {exec: {command: [touch, /started]}}
                  preStop: {sleep: {seconds: 5}}
                terminationMessagePath: /tmp/why
                terminationMessagePolicy: FallbackToLogsOnError
            """))
        let live = try #require(spec.livenessProbe)
        #expect(live.action == .httpGet(host: nil, port: 8080, path: "/healthz", headers: [HTTPHeader(name: "X-Lab", value: "1")]))
        #expect([live.timeoutSeconds, live.periodSeconds, live.successThreshold, live.failureThreshold, live.initialDelaySeconds] == [1, 10, 1, 3, 0])
        #expect(spec.readinessProbe?.action == .tcpSocket(host: nil, port: 8080))
        #expect(spec.readinessProbe?.successThreshold == 2)
        #expect(spec.readinessProbe?.initialDelaySeconds == 3)
        #expect(spec.startupProbe?.terminationGracePeriodSeconds == 7)
        #expect(spec.lifecycle?.postStart == .exec(command: ["touch", "/started"]))
        #expect(spec.lifecycle?.preStop == .sleep(seconds: 5))
        #expect(spec.effectiveTerminationMessagePath == "/tmp/why")
        #expect(spec.terminationMessagePolicy == .fallbackToLogsOnError)
        #expect(try parse(pod("")).effectiveTerminationMessagePath == "/dev/termination-log")
    }

    @Test("validation: one handler, ranges, successThreshold 1 for liveness, init containers, hooks")
    func validation() {
        expectError(pod("""
                livenessProbe:
                  exec: {command: [a]}
                  tcpSocket: {port: 80}
            """), line: 15, column: 7, "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type")
        expectError(pod("""
                livenessProbe:
                  periodSeconds: 3
            """), line: 14, column: 7, "spec.containers[0].livenessProbe: Required value: must specify a handler type")
        expectError(pod("""
                livenessProbe:
                  exec: {command: [a]}
                  successThreshold: 2
            """), line: 15, column: 25, "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1")
        expectError(pod("""
                startupProbe:
                  exec: {command: [a]}
                  successThreshold: 3
            """), line: 15, column: 25, "spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1")
        expectError(pod("""
                readinessProbe:
                  exec: {command: [a]}
                  periodSeconds: -1
            """), line: 15, column: 22, "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0")
        expectError(pod("""
                readinessProbe:
                  exec: {command: [a]}
                  terminationGracePeriodSeconds: 5
            """), line: 15, column: 38, "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes")
        expectError(pod("""
                livenessProbe:
                  exec: {command: [a]}
                  terminationGracePeriodSeconds: 0
            """), line: 15, column: 38, "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0")
        expectError(pod("""
                livenessProbe:
                  exec: {command: []}
            """), line: 14, column: 23, "spec.containers[0].livenessProbe.exec.command: Required value")
        expectError(pod("""
                livenessProbe:
                  httpGet: {port: metrics}
            """), line: 14, column: 23, "spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"metrics\": must name one of this container's ports (podlab resolves named ports at apply)")
        expectError(pod("""
                livenessProbe:
                  tcpSocket: {port: 70000}
            """), line: 14, column: 25, "spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 70000: must be between 1 and 65535, inclusive")
        expectError(pod("""
                livenessProbe:
                  grpc: {port: 9000}
            """), line: 14, column: 13, "spec.containers[0].livenessProbe.grpc: grpc probes are not modelled by podlab: use exec, httpGet or tcpSocket")
        expectError(pod("""
                livenessProbe:
                  httpGet: {port: 80, scheme: HTTPS}
            """), line: 14, column: 35, "spec.containers[0].livenessProbe.httpGet.scheme: scheme HTTPS is not modelled by podlab (no TLS client in the supervisor): use HTTP")
        expectError(pod("""
                livenessProbe:
                  sleep: {seconds: 1}
            """), line: 14, column: 14, "spec.containers[0].livenessProbe.sleep: unknown field \"sleep\": sleep is a lifecycle handler, not a probe handler")
        expectError(pod("""
                lifecycle:
                  preStop: {sleep: {seconds: 31}}
            """), line: 14, column: 34, "spec.containers[0].lifecycle.preStop.sleep.seconds: Invalid value: 31: must be greater than 0 and less than terminationGracePeriodSeconds (30)")
        expectError(pod("""
                terminationMessagePolicy: Always
            """), line: 13, column: 31, "spec.containers[0].terminationMessagePolicy: Unsupported value: \"Always\": supported values: \"File\", \"FallbackToLogsOnError\"")
        expectError(pod("", inits: """
              initContainers:
              - name: setup
                image: busybox
                readinessProbe: {exec: {command: [a]}}
            """), line: 10, column: 21, "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always")
    }

    @Test("a native sidecar may have probes and hooks")
    func sidecarProbes() throws {
        let pods = try ManifestParser(randomSuffix: { "abcde" }).parse(yaml: pod("", inits: """
              initContainers:
              - name: proxy
                image: busybox
                restartPolicy: Always
                startupProbe: {exec: {command: [a]}}
                lifecycle: {preStop: {exec: {command: [b]}}}
            """), file: "t.yaml").pods
        #expect(pods.first?.initContainers.first?.startupProbe?.action == .exec(command: ["a"]))
    }
}
