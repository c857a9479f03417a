import CPodlab
import Cgroups
import Foundation
import PodlabCore

/// The supervisor process's main loop: one thread, signals taken synchronously with
/// `sigtimedwait`, children reaped with `waitpid` (the process is a child subreaper, like
/// containerd-shim, so container processes are re-parented to it).
public enum SupervisorLoop {
    /// Where `podlab delete --grace-period N` leaves the grace period for the supervisor.
    public static func gracePath(_ store: PodStore, key: String) -> String { store.podDirectory(for: key).deleteGrace }

    /// Runs the pod until it is deleted (SIGTERM/SIGINT). Returns the process exit code.
    public static func run(key: String, store: PodStore, runtime: any PodRuntime) -> Int32 {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGCHLD, SIGTERM, SIGINT, SIGHUP] { sigaddset(&signals, signal) }
        // Block before anything can arrive; sigtimedwait then takes them one at a time.
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        // Before the first helper thread: its allocations share the main arena (pl_malloc_single_arena).
        _ = pl_malloc_single_arena()
        do {
            try ProcessSpawner.makeChildSubreaper()
        } catch {
            StandardStreams.error("podlab supervise: \(error)\n")
            return 1
        }
        let record: PodRecord
        do {
            record = try store.load(key: key)
        } catch {
            StandardStreams.error("podlab supervise: \(error)\n")
            return 1
        }
        var current = record
        current.supervisorPID = getpid()
        let supervisor = PodSupervisor(record: current, runtime: runtime, store: store)
        supervisor.deferCleanups = true
        // The restarted container's `cgroup.procs` write waits for an RCU grace period (10-15 ms
        // after a quiet spell, see CgroupMigrationWarmUp); start that wait when the exit is
        // reaped, so it runs while the exit is recorded and the next attempt is prepared.
        if ProcessInfo.processInfo.environment["PODLAB_CGROUP_WARMUP"] != "0" {
            var layout: CgroupLayout??
            supervisor.restartDue = {
                if layout == nil { layout = .some(try? CgroupLayout.detect()) }
                if let detected = layout ?? nil { CgroupMigrationWarmUp.begin(layout: detected) }
            }
        }
        let eventLog = PodEventLog(store.podDirectory(for: key))
        supervisor.recordEvent = { eventLog.append($0) }
        supervisor.log = { line in
            // stderr is the pod's supervisor.log (SupervisorProcess); one timestamped line per event.
            StandardStreams.error("\(timestamp()) \(line)\n")
        }
        do {
            try supervisor.start()
        } catch {
            StandardStreams.error("podlab supervise: pod \(key): \(error)\n")
            // The record keeps `failure` for `apply` to report; apply removes the pod.
            SupervisorProcess.reportStart(succeeded: false)
            return 1
        }
        SupervisorProcess.reportStart(succeeded: true)
        // The steady state starts here: give back what loading the record, building the sandbox
        // and starting the containers freed (it stays unused for the pod's lifetime otherwise).
        _ = pl_malloc_trim()
        while true {
            reap(supervisor)
            supervisor.tick()
            // After the restarts tick just started: the ended attempts' rootfs and cgroups.
            supervisor.flushCleanups()
            // A CRI runtime has no SIGCHLD to wake the loop: relist on its interval (PLEG).
            let idle = runtime.relistInterval.map { min(1, $0) } ?? 1
            let wait = max(0, min(idle, supervisor.nextDeadline.map { $0.timeIntervalSinceNow } ?? idle))
            var timeout = timespec(tv_sec: Int(wait), tv_nsec: Int((wait - floor(wait)) * 1e9))
            var info = siginfo_t()
            let received = sigtimedwait(&signals, &info, &timeout)
            if received == SIGTERM || received == SIGINT || received == SIGHUP {
                let grace = (try? String(contentsOfFile: gracePath(store, key: key), encoding: .utf8))
                    .flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                supervisor.shutdown(grace: grace)
                reap(supervisor)
                try? store.remove(key: key)
                return 0
            }
        }
    }

    /// RFC 3339 with milliseconds, UTC (the supervisor log's time column), e.g.
    /// `2026-12-02T03:17:15.143Z`. Formatted with `gmtime_r`, not `ISO8601DateFormatter`: that one
    /// is ICU's `udat_open` in swift-corelibs-foundation, which a fresh formatter per line made
    /// the supervisor load ICU's calendar and locale data on its first log line (time on the
    /// restart path, and heap it kept for the pod's lifetime).
    static func timestamp(_ date: Date = Date()) -> String {
        let since1970 = date.timeIntervalSince1970
        guard since1970.isFinite, since1970 >= 0, since1970 < 253_402_300_800 else { return "\(since1970)" }
        var millis = Int((since1970 * 1000).rounded(.down))
        var seconds = time_t(millis / 1000)
        millis %= 1000
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(since1970)" }
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    /// Hands every pending runtime event to the supervisor.
    static func reap(_ supervisor: PodSupervisor) {
        while true {
            let event = supervisor.runtime.nextEvent()
            if event == .nothing || event == .nothingToWatch { return }
            supervisor.handle(event)
        }
    }
}
