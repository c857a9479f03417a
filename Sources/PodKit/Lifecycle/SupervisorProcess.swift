import Foundation
import PodlabCore
import SystemPackage

/// Starts `podlab supervise <key>` as a daemon: its own session (so Ctrl-C in the terminal
/// that ran `apply` does not reach it), re-parented away from the CLI (it outlives it, like
/// containerd-shim), its output appended to the pod's `supervisor.log`.
enum SupervisorProcess {
    static func launch(executable: String, key: String, logPath: String, paths: PodlabPaths) throws -> Int32 {
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
        var request = SpawnRequest(arguments: [executable, "supervise", key])
        request.environment = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        request.stdout = log
        request.stderr = log
        return try ProcessSpawner().spawn(request).pid
    }
}
