import PodlabCore
import SystemPackage

/// The words runc uses when a container's program cannot be executed (libcontainer
/// `standard_init_linux.go` / `init_linux.go`: `exec: "app": executable file not found in $PATH`,
/// `exec: "/app": stat /app: no such file or directory`), which containerd wraps and kubelet
/// shows as the terminated state's message with reason StartError (docs/FIDELITY.md #86).
public enum ExecFailure {
    /// runc's message for a failed `execve` of `program` with `errno`, or nil when `error` is not
    /// an execve failure from the spawner (`execve(<program>)` with an errno cause).
    public static func runcMessage(for error: any Error, program: String) -> String? {
        guard let error = error as? PodlabError, error.message.hasPrefix("execve("), let errno = error.cause as? Errno else { return nil }
        let quoted = "exec: \"\(program)\""
        switch errno {
        case .noSuchFileOrDirectory where !program.contains("/"):
            return "\(quoted): executable file not found in $PATH"
        case .noSuchFileOrDirectory:
            return "\(quoted): stat \(program): no such file or directory"
        case .permissionDenied:
            return "\(quoted): permission denied"
        default:
            return "\(quoted): \(error.message): \(errno)"
        }
    }
}
