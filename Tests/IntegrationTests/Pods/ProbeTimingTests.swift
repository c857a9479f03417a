import Foundation
import PodKit
import PodlabCore
import Testing

extension PodTests {
    /// docs/FIDELITY.md #51 on real pods: when exec probes run (initialDelaySeconds, then one per
    /// periodSeconds, both scaled by `podlab.dev/backoff-scale`), that timeoutSeconds is not
    /// scaled and a timed-out run is a failure, and that readiness follows kubelet's
    /// successThreshold/failureThreshold counting (`pkg/kubelet/prober/worker.go` run/doProbe).
    ///
    /// Each probe run appends the container's `/proc/uptime` (CLOCK_BOOTTIME, 10 ms steps; busybox
    /// `date` has no `%N`) to a file in an emptyDir, which the test reads on the host and maps to
    /// wall-clock time with the host's own `/proc/uptime` (the same clock: podlab makes no time
    /// namespace).
    @Suite("probe timing and thresholds")
    struct ProbeTimingTests {
        /// The host's `/proc/uptime` first field, in seconds.
        static func uptime() throws -> Double {
            let text = try String(contentsOfFile: "/proc/uptime", encoding: .utf8)
            return try #require(text.split(separator: " ").first.flatMap { Double($0) }, "/proc/uptime: \(text)")
        }

        /// Wall-clock seconds (since 1970) minus uptime seconds, within the 10 ms of /proc/uptime.
        static func uptimeToWall() throws -> Double {
            let before = try uptime()
            let wall = Date().timeIntervalSince1970
            let after = try uptime()
            return wall - (before + after) / 2
        }

        /// The lines a probe appended to `<volume>/runs`: its uptime stamp and the rest of the line.
        static func runs(_ cli: PodlabCLI, pod: String) -> [(uptime: Double, note: String)] {
            let path = "\(cli.podDirectory(pod))/volumes/v/runs"
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ", maxSplits: 1)
                guard let first = fields.first, let stamp = Double(first) else { return nil }
                return (stamp, fields.count > 1 ? String(fields[1]) : "")
            }
        }

        static func format(_ values: [Double]) -> String { values.map { String(format: "%.2f", $0) }.joined(separator: ", ") }

        /// A one-container busybox pod (`sleep 3600`, an emptyDir at /v) whose readiness probe
        /// runs `probe` with the given probe fields, under `podlab.dev/backoff-scale: scale`.
        static func probedPod(_ name: String, scale: String, probe: String, fields: String) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: \(name)
              annotations: {podlab.dev/backoff-scale: "\(scale)"}
            spec:
              terminationGracePeriodSeconds: 0
              volumes: [{name: v, emptyDir: {}}]
              containers:
              - name: app
                image: busybox
                command: [sleep, "3600"]
                volumeMounts: [{name: v, mountPath: /v}]
                readinessProbe:
                  exec:
                    command:
                    - sh
                    - -c
                    - '\(probe)'
            \(fields.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
            """
        }

        @Test("the first run comes at start + initialDelaySeconds × scale, the next ones periodSeconds × scale apart")
        func schedule() throws {
            let cli = try PodlabCLI("probeSchedule")
            defer { cli.tearDown() }
            // Scale 0.2: initialDelaySeconds 15 → 3 s, periodSeconds 10 → 2 s. Delay and period
            // differ, so a first run one period late (5 s) or one with no delay (0 s) is told
            // apart from the right one.
            try cli.apply(Self.probedPod("timed", scale: "0.2", probe: #"cut -d" " -f1 /proc/uptime >> /v/runs"#, fields: """
                initialDelaySeconds: 15
                periodSeconds: 10
                """))
            let runCount = 6
            try waitUntil("\(runCount) probe runs", timeout: 3 + Double(runCount) * 2 + 10) { Self.runs(cli, pod: "timed").count >= runCount }
            let offset = try Self.uptimeToWall()
            let started = try #require(try cli.record("timed").containers[0].startedAt).timeIntervalSince1970
            let times = Self.runs(cli, pod: "timed").prefix(runCount).map { $0.uptime + offset - started }
            let expected = (0..<runCount).map { 3.0 + Double($0) * 2.0 }
            // Lateness allowed: 0.9 s, under half the 2 s period, so a run one period early or
            // late, a missing initial delay or an unscaled/misscaled period (whose error grows
            // with every run, as the schedule is anchored to the start like kubelet's ticker)
            // fails; 0.9 s covers the supervisor's wake-up plus the exec spawn of `sh` and
            // `cut` on a loaded 2-core machine. Earliness allowed: 0.05 s, the two 10 ms
            // /proc/uptime readings: a probe never runs before its time.
            let late = zip(times, expected).map { $0 - $1 }
            #expect(late.allSatisfy { $0 >= -0.05 && $0 <= 0.9 },
                    "runs at \(Self.format(times)) s after the start; expected \(Self.format(expected)) (lateness \(Self.format(late)))")
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            #expect(gaps.allSatisfy { $0 > 1.1 && $0 < 2.9 }, "gaps between runs \(Self.format(gaps)) s; expected 2 s")
        }

        @Test("timeoutSeconds is not scaled: a slow run is killed after 2 s and counts as a failure; the next run waits for it")
        func timeout() throws {
            let cli = try PodlabCLI("probeTimeout")
            defer { cli.tearDown() }
            // Period 10 × 0.1 = 1 s; timeout 2 s (never scaled: it is the probe's own deadline).
            try cli.apply(Self.probedPod("slow", scale: "0.1",
                probe: #"t=$(cut -d" " -f1 /proc/uptime); if [ -f /v/slow ]; then echo "$t slow" >> /v/runs; sleep 30; echo "$t finished" >> /v/runs; else echo "$t quick" >> /v/runs; fi"#,
                fields: """
                periodSeconds: 10
                timeoutSeconds: 2
                failureThreshold: 1
                """))
            try waitUntil("ready after a quick run", timeout: 15) { try cli.record("slow").containers[0].ready }
            try "".write(toFile: "\(cli.podDirectory("slow"))/volumes/v/slow", atomically: true, encoding: .utf8)
            try waitUntil("three slow runs", timeout: 20) { Self.runs(cli, pod: "slow").filter { $0.note == "slow" }.count >= 3 }
            #expect(try cli.record("slow").containers[0].ready == false, "a timed-out run is a failure (failureThreshold 1)")
            let offset = try Self.uptimeToWall()
            let slow = Self.runs(cli, pod: "slow").filter { $0.note == "slow" }.map { $0.uptime + offset }
            #expect(!Self.runs(cli, pod: "slow").contains { $0.note == "finished" }, "the timed-out command was killed, not waited for")
            // The supervisor's Unhealthy events carry their time (ms): the first timeout came
            // 2 s after the slow run began. A scaled timeout (0.2 s) or none (30 s) fails; the
            // window allows for the stamp being taken after the exec spawn (up to 0.5 s) and
            // the supervisor's wake-up (0.6 s).
            let events = PodEventLog(PodDirectory(cli.podDirectory("slow"))).read()
                .filter { $0.reason == "Unhealthy" && $0.message == "Readiness probe failed: command timed out" }
            let first = try #require(events.first, "no timeout event")
            let firstDelay = first.time.timeIntervalSince1970 - slow[0]
            #expect(firstDelay > 1.5 && firstDelay < 2.6, "timeout event \(String(format: "%.2f", firstDelay)) s after the slow run began; expected 2 s")
            // Runs never overlap: the next run starts when the timed-out one is over (kubelet's
            // worker runs probes one at a time), so slow runs are the timeout apart, not the period.
            let gaps = zip(slow.dropFirst(), slow).map { $0 - $1 }
            #expect(gaps.allSatisfy { $0 > 1.7 && $0 < 2.9 }, "slow runs \(Self.format(gaps)) s apart; expected 2 s (the timeout)")
            try FileManager.default.removeItem(atPath: "\(cli.podDirectory("slow"))/volumes/v/slow")
            try waitUntil("ready again after a quick run", timeout: 10) { try cli.record("slow").containers[0].ready }
        }

        @Test("readiness flips only after successThreshold consecutive successes or failureThreshold consecutive failures")
        func thresholds() throws {
            let cli = try PodlabCLI("probeThresholds")
            defer { cli.tearDown() }
            // Run n (1-based) exits with the n-th number: S F S S S F F S S S, then successes.
            // successThreshold 3, failureThreshold 2: ready after run 5, unready after run 7,
            // ready after run 10; never anything else. Scale 0.1: a run every second, the first
            // 2 s after the start (sampling begins before it).
            try cli.apply(Self.probedPod("counted", scale: "0.1",
                probe: #"n=$(cat /v/runs 2>/dev/null | wc -l); r=$(echo 0 1 0 0 0 1 1 0 0 0 | cut -d" " -f$((n+1))); t=$(cut -d" " -f1 /proc/uptime); echo "$t ${r:-0}" >> /v/runs; exit ${r:-0}"#,
                fields: """
                initialDelaySeconds: 20
                periodSeconds: 10
                successThreshold: 3
                failureThreshold: 2
                """))
            // Readiness as the record shows it, sampled every 20 ms until run 11 has happened.
            // Each change is kept with the window it happened in: after the last sample that
            // still saw the old value, before the read that saw the new one (a test process
            // starved on a loaded machine widens the window instead of misplacing the change).
            var changes: [(after: Double, before: Double, ready: Bool)] = []
            var lastSample = -Double.infinity
            let deadline = Date().addingTimeInterval(30)
            while Self.runs(cli, pod: "counted").count < 11 && Date() < deadline {
                let start = Date().timeIntervalSince1970
                let ready = try cli.record("counted").containers[0].ready
                if changes.last?.ready != ready { changes.append((lastSample, Date().timeIntervalSince1970, ready)) }
                lastSample = start
                usleep(20_000)
            }
            let offset = try Self.uptimeToWall()
            let runs = Self.runs(cli, pod: "counted")
            try #require(runs.count >= 11, "only \(runs.count) probe runs in 30 s")
            #expect(runs.prefix(10).map(\.note) == ["0", "1", "0", "0", "0", "1", "1", "0", "0", "0"])
            let stamps = runs.map { $0.uptime + offset }
            let described = changes.map { "\($0.ready) in \(Self.format([$0.after - stamps[0], $0.before - stamps[0]]))" }
            let context = "readiness changes (value in window, s after run 1): \(described); runs at \(Self.format(stamps.map { $0 - stamps[0] }))"
            // Starts unready, then exactly three flips.
            try #require(changes.map(\.ready) == [false, true, false, true], "\(context)")
            // Each flip falls between the stamp of the run that decides it and the next run's:
            // the window must meet (stamp of run k, stamp of run k + 1). A threshold off by one
            // moves the flip a whole period (1 s) away. 30 ms of slack: /proc/uptime has 10 ms
            // resolution and the uptime-to-wall offset is good to about as much; the record is
            // often read within 10 ms of the deciding run's stamp (seen: 4.00-4.02 s against 4.02 s).
            let slack = 0.03
            for (change, run) in zip(changes.dropFirst(), [5, 7, 10]) {
                #expect(change.after < stamps[run] + slack && change.before > stamps[run - 1] - slack, "the flip to \(change.ready) should follow run \(run); \(context)")
            }
        }
    }
}
