import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// `podlab clean` tells instances apart by each supervisor's `PODLAB_STATE_DIR`, read from
/// `/proc/<pid>/environ`. A CI runner's environment is easily longer than the 4 KiB Foundation
/// returns for a procfs file; a variable past it was lost, and the supervisor of another instance
/// looked like one of the default instance's.
struct PodCleanerEnvironmentTests {
    @Test("a variable after 8 KiB of environment is found")
    func variablePastFourKiB() throws {
        let filler = String(repeating: "x", count: 8192)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // `env -i` execs sleep with exactly these variables, in this order.
        process.arguments = ["-i", "FILLER=\(filler)", "PODLAB_STATE_DIR=/tmp/podlab-env-test", "sleep", "30"]
        try process.run()
        defer {
            // SIGKILL: the test runner's blocked SIGTERM is inherited through exec.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // Until env has exec'd sleep, environ is env's own (the one Process passed).
        var environment: [String: String] = [:]
        #expect(pollUntil(timeout: 5) {
            environment = PodCleaner.environment(of: process.processIdentifier)
            return environment["PODLAB_STATE_DIR"] == "/tmp/podlab-env-test"
        }, "\(environment["PODLAB_STATE_DIR"] ?? "no PODLAB_STATE_DIR") after 5 s")
        #expect(environment["FILLER"]?.count == 8192)
    }
}
