import Foundation
import LabKit
import Reports
import Testing

/// The runner's step semantics against the in-memory backend.
struct RunnerSemanticsTests {
    func run(_ yaml: String, backend: FakeLabBackend = FakeLabBackend(), namespace: String = "ns-test") throws -> (LabReport, FakeLabBackend) {
        try withTemporaryDirectory { directory in
            let (_, lab) = try writeLab(yaml, in: directory)
            let report = LabRunner(lab: lab, namespace: namespace, backend: backend).run()
            return (report, backend)
        }
    }

    @Test func tryStopsAtFirstFailureThenCatchFinallyAndCleanupRun() throws {
        let yaml = labHeader() + """
          - name: failing
            try:
            - exec: {command: [echo, first]}
              check: {stdout: not-first}
            - exec: {command: [echo, second]}
            catch:
            - exec: {command: [echo, in-catch]}
            finally:
            - exec: {command: [echo, in-finally]}
          - name: after
            try:
            - exec: {command: [echo, never]}
          cleanup:
          - exec: {command: [echo, in-cleanup]}
        """
        let (report, backend) = try run(yaml)
        #expect(backend.execCommands == ["echo first", "echo in-catch", "echo in-finally", "echo in-cleanup"])
        #expect(report.failed)
        #expect(report.steps.map(\.name) == ["create", "failing", "after", "@cleanup"])
        #expect(report.steps[1].failed)
        #expect(report.steps[2].skipReason == "step 02 failing failed")
        #expect(backend.deleted.map(\.name) == ["web"])
        #expect(backend.deletedNamespaces == ["ns-test"])
        let failure = try #require(report.firstFailure)
        #expect(failure.operation.error?.contains("check stdout equals \"not-first\" failed: got \"echo first\"") == true, "\(failure.operation.error ?? "")")
        #expect(failure.operation.location.hasSuffix("t.lab.yaml:11:7"))
    }

    @Test func catchRunsOnlyOnFailureAndFinallyAlways() throws {
        let yaml = labHeader() + """
          - name: passing
            try:
            - exec: {command: [echo, ok]}
            catch:
            - exec: {command: [echo, in-catch]}
            finally:
            - exec: {command: [echo, in-finally]}
        """
        let (report, backend) = try run(yaml)
        #expect(!report.failed)
        #expect(backend.execCommands == ["echo ok", "echo in-finally"])
        #expect(report.passedStepCount == 2)
    }

    @Test func continueOnErrorRunsTheNextOperationButFailsTheStep() throws {
        let yaml = labHeader() + """
          - name: tolerant
            try:
            - exec: {command: [echo, a]}
              continueOnError: true
              check: {stdout: b}
            - exec: {command: [echo, c]}
        """
        let (report, backend) = try run(yaml)
        #expect(backend.execCommands == ["echo a", "echo c"])
        #expect(report.steps[1].failed)
    }

    @Test func outputsFlowIntoLaterStepsAndChecks() throws {
        let yaml = labHeader() + """
          - name: record
            try:
            - podIP: {}
              outputs: {IP_BEFORE: ip}
          - name: use
            try:
            - exec: {command: [echo, '$IP_BEFORE', '$$HOME', '${IP_BEFORE}x']}
              check: {stdout: {contains: $IP_BEFORE}}
            - podIP: {}
              check: {ip: $IP_BEFORE}
        """
        let (report, backend) = try run(yaml)
        #expect(!report.failed, "\(report.firstFailure?.operation.error ?? "")")
        #expect(backend.execCommands == ["echo 10.88.0.5 $HOME 10.88.0.5x"])
        let facts = report.steps.flatMap(\.operations).flatMap(\.observations).compactMap { observation -> String? in
            if case let .fact(name, value) = observation, name == "$IP_BEFORE" { return value }
            return nil
        }
        #expect(facts == ["10.88.0.5"])
    }

    @Test func eventuallyRetriesUntilTheCheckPasses() throws {
        let backend = FakeLabBackend()
        var calls = 0
        backend.execHandler = { _ in
            calls += 1
            return LabExecResult(exitCode: 0, stdout: calls < 3 ? "not yet\n" : "ready\n", stderr: "")
        }
        let yaml = labHeader() + """
          - name: poll
            try:
            - exec: {command: [probe]}
              eventually: {timeout: 5s, interval: 10ms}
              check: {stdout: ready}
        """
        let (report, _) = try run(yaml, backend: backend)
        #expect(!report.failed)
        let operation = try #require(report.steps[1].operations.first)
        #expect(operation.attempts == 3)
        // Two 10 ms sleeps between the three attempts: the lab's wait, which suite.sh separates
        // from podlab's own time.
        #expect(operation.retryWaitSeconds >= 0.02 && operation.retryWaitSeconds <= operation.duration, "\(operation.retryWaitSeconds)")
    }

    @Test func eventuallyReportsTheLastMismatchOnTimeout() throws {
        let backend = FakeLabBackend()
        var calls = 0
        backend.execHandler = { _ in
            calls += 1
            return LabExecResult(exitCode: 0, stdout: "attempt \(calls)\n", stderr: "")
        }
        let yaml = labHeader() + """
          - name: poll
            try:
            - exec: {command: [probe]}
              eventually: {timeout: 300ms, interval: 50ms}
              check: {stdout: ready}
        """
        let (report, _) = try run(yaml, backend: backend)
        let operation = try #require(report.steps[1].operations.first)
        #expect(operation.failed)
        #expect(operation.attempts == calls)
        #expect(operation.attempts > 1)
        #expect(operation.error?.contains("got \"attempt \(calls)\"") == true, "\(operation.error ?? "")")
        #expect(operation.duration < 2)
    }

    @Test func timeoutsAreInheritedLabStepOperation() throws {
        let yaml = labHeader(timeouts: "{exec: 7s}") + """
          - name: lab-level
            try:
            - exec: {command: [a]}
          - name: step-level
            timeouts: {exec: 3s}
            try:
            - exec: {command: [b]}
            - exec: {command: [c]}
              timeout: 1500ms
        """
        let (report, backend) = try run(yaml)
        #expect(!report.failed)
        #expect(backend.execCalls.map(\.timeout) == [7, 3, 1.5])
    }

    @Test func waitFailsAfterItsInheritedTimeoutWithTheLastSeenState() throws {
        let yaml = labHeader(timeouts: "{wait: 300ms}") + """
          - name: never
            try:
            - wait: {container: app, restartCount: 5}
        """
        let start = Date()
        let (report, _) = try run(yaml)
        let error = try #require(report.steps[1].operations.first?.error)
        #expect(error.contains("timed out after 300ms"))
        #expect(error.contains("restartCount=0"))
        #expect(Date().timeIntervalSince(start) < 3)
    }

    @Test func killWaitAndCompareLikePausePersistence() throws {
        let yaml = labHeader() + """
          - name: before
            try:
            - podIP: {}
              outputs: {IP_BEFORE: ip}
            - namespaces: {}
              outputs: {NET_BEFORE: net}
          - name: kill
            try:
            - kill: {container: app, signal: KILL}
            - wait: {container: app, restartCount: 1, state: running, lastExitCode: 137}
          - name: after
            try:
            - podIP: {}
              check: {ip: $IP_BEFORE}
            - namespaces:
                expect: {shared: [net, ipc, uts], private: [mnt, pid]}
              check: {net: $NET_BEFORE}
        """
        let (report, backend) = try run(yaml)
        #expect(!report.failed, "\(report.firstFailure?.operation.error ?? "")")
        #expect(backend.killed.first?.signal == SIGKILL)
    }

    @Test func namespaceExpectationNamesTheOffendingInodes() throws {
        let backend = FakeLabBackend()
        backend.sharedNetwork = false
        let yaml = labHeader() + """
          - name: compare
            try:
            - namespaces:
                expect: {shared: [net, ipc]}
        """
        let (report, _) = try run(yaml, backend: backend)
        let error = try #require(report.firstFailure?.operation.error)
        #expect(error.contains("net is not shared: pause=4026532500, app=4026533000"))
        #expect(!error.contains("ipc"))
    }

    @Test func hostScriptsGetBuiltinsAndBindingsAsEnvironment() throws {
        let yaml = labHeader() + """
          - name: env
            try:
            - script: {content: 'echo "$PODLAB_POD_IP $PODLAB_PAUSE_PID $PODLAB_PID_APP $PODLAB_CID_APP $PODLAB_NAMESPACE $EXTRA"', env: {EXTRA: 'x$PODLAB_POD_ID'}}
              check: {stdout: "10.88.0.5 100 101 ctr-app-0 ns-test xns-test-web"}
        """
        let (report, _) = try run(yaml)
        #expect(!report.failed, "\(report.firstFailure?.operation.error ?? "")")
    }

    @Test func scriptTimeoutKillsTheWholeProcessGroup() throws {
        let yaml = labHeader() + """
          - name: slow
            try:
            - script: {content: 'sleep 30 & sleep 30; echo done'}
              timeout: 300ms
        """
        let start = Date()
        let (report, _) = try run(yaml)
        #expect(report.firstFailure?.operation.error?.contains("killed after the 300ms timeout") == true)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func nonZeroExitFailsUnlessExitCodeIsChecked() throws {
        let yaml = labHeader() + """
          - name: exits
            try:
            - script: {content: 'echo oops >&2; exit 3'}
              check: {exitCode: 3, stderr: oops}
            - script: {content: 'exit 4'}
        """
        let (report, _) = try run(yaml)
        let operations = report.steps[1].operations
        #expect(operations.count == 2)
        #expect(!operations[0].failed)
        #expect(operations[1].error?.contains("script exited with 4") == true)
    }

    @Test func containersListShowsPauseOnTheNode() throws {
        let backend = FakeLabBackend()
        backend.containerNames = ["nginx", "sidecar"]
        let yaml = labHeader() + """
          - name: list
            try:
            - containers: {}
              check: {count: 3, appCount: 2, ready: 2/2, names: pause nginx sidecar}
        """
        let (report, _) = try run(yaml, backend: backend)
        #expect(!report.failed, "\(report.firstFailure?.operation.error ?? "")")
    }

    @Test func hostHTTPClientReadsAPageFromALoopbackServer() throws {
        let server = try OneShotHTTPServer(body: "<title>Kano</title>")
        defer { server.close() }
        let response = try HTTPClient.get("http://127.0.0.1:\(server.port)/index.html", timeout: 5)
        #expect(response.status == 200)
        #expect(response.body == "<title>Kano</title>")
        #expect(server.requestLine().hasPrefix("GET /index.html HTTP/1.0"))
    }
}
