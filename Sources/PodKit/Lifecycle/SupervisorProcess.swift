import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PodlabCore
import PodlabSyscalls
import SystemPackage

/// Starts `podlab supervise <key>` as a daemon: its own session (so Ctrl-C in the terminal
/// that ran `apply` does not reach it), re-parented away from the CLI (it outlives it, like
/// containerd-shim), its stderr appended to the pod's `supervisor.log`.
///
/// Its stdout is a pipe back to `apply` (conmon's sync pipe, containerd-shim's `start` output):
/// the supervisor writes `started` once the pod's first containers ran (or fails and exits),
/// then points stdout at its log. `apply` blocks on the pipe instead of polling the record.
enum SupervisorProcess {
    /// The line a supervisor writes to its stdout once `PodSupervisor.start()` succeeded.
    static let startedLine = "started\n"

    /// A launched supervisor: its pid and the read end of its start-report pipe (owned by the caller).
    struct Launched {
        var pid: Int32
        var startReport: FileDescriptor
    }

    static func launch(executable: String, key: String, logPath: String, paths: PodlabPaths) throws -> Launched {
        let log: FileDescriptor
        do {
            log = try FileDescriptor.open(logPath, .writeOnly, options: [.create, .append, .closeOnExec], permissions: [.ownerReadWrite, .groupRead])
        } catch let error as Errno {
            throw PodlabError.syscall("open(\(logPath))", error)
        }
        defer { try? log.close() }
        // The supervisor gets the same paths, explicitly, whatever the CLI's working directory.
        var variables = ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("PODLAB_") }
        variables.merge(paths.environment) { _, explicit in explicit }
        variables["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        var request = SpawnRequest(arguments: SupervisorCommandLine.arguments(executable: executable, key: key))
        request.environment = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let report = try makeCloseOnExecPipe("supervisor start report")
        defer { try? report.writeEnd.close() }
        request.stdout = report.writeEnd
        request.stderr = log
        do {
            return Launched(pid: try ProcessSpawner().spawn(request).pid, startReport: report.readEnd)
        } catch {
            try? report.readEnd.close()
            throw error
        }
    }

    /// Called by the supervisor once its pod started (or could not): writes `startedLine` if it
    /// did, then replaces stdout with stderr (the log) so the pipe's only writer is gone and
    /// `apply` reads EOF.
    static func reportStart(succeeded: Bool) {
        if succeeded { StandardStreams.output(startedLine) }
        _ = dup2(STDERR_FILENO, STDOUT_FILENO)
    }

    /// Blocks until the supervisor behind `startReport` reported (true: `started`; false: EOF
    /// without it, i.e. it failed or died) or `timeout` seconds passed (nil).
    static func awaitStart(_ startReport: FileDescriptor, timeout: TimeInterval) -> Bool? {
        let deadline = monotonicSeconds() + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            guard waitUntilReady(startReport.rawValue, events: Int16(POLLIN), deadline: deadline) else { return nil }
            let count = buffer.withUnsafeMutableBytes { read(startReport.rawValue, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return String(decoding: received, as: UTF8.self).hasPrefix(startedLine) }
            received += buffer[0..<count]
            if String(decoding: received, as: UTF8.self).hasPrefix(startedLine) { return true }
        }
    }
}
