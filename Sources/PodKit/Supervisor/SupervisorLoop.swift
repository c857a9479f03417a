import CPodlab
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
        while true {
            reap(supervisor)
            supervisor.tick()
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

    /// RFC 3339 with milliseconds, UTC (the supervisor log's time column).
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
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
