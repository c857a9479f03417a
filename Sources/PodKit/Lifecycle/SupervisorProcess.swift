import CPodlab
import Foundation
import PodlabCore

/// Starts `podlab supervise <key>` as a daemon: its own session (so Ctrl-C in the terminal
/// that ran `apply` does not reach it), re-parented away from the CLI (it outlives it), its
/// output appended to the pod's `supervisor.log`.
enum SupervisorProcess {
    static func launch(executable: String, key: String, logPath: String, paths: PodlabPaths) throws -> Int32 {
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw PodlabError.syscall("open(\(logPath))", errnoValue: errno) }
        defer { close(logFD) }
        // The supervisor gets the same paths, explicitly, whatever the CLI's working directory.
        var variables = ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("PODLAB_") }
        variables.merge(paths.environment) { _, explicit in explicit }
        variables["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        let env = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try withCStrings([executable, "supervise", key]) { argv in
            try withCStrings(env) { envp in
                var config = pl_spawn_config()
                config.oom_score_adj = PL_OOM_SCORE_ADJ_UNSET
                config.stdin_fd = -1
                config.stdout_fd = logFD
                config.stderr_fd = logFD
                var pid: pid_t = 0
                var status: Int32 = 0
                var error = pl_error()
                let result = executable.withCString { path -> Int32 in
                    config.path = path
                    config.argv = argv
                    config.envp = envp
                    return pl_spawn(&config, &pid, &status, &error)
                }
                guard result == 0 else { throw PodlabError.fromShim(error) }
                return pid
            }
        }
    }
}

/// Calls `body` with a NULL-terminated `char *const *` array of the strings, valid for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return try body(pointers)
}
