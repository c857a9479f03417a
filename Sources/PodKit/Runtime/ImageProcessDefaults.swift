import Foundation
import PodlabCore
import RootfsKit

/// How a container's process is made from its pod spec and its image's OCI config: argv, the
/// environment, the working directory, and the image's default user. A pure function of its
/// inputs (docs/FIDELITY.md #95–#98), so the runtime, `inspect` and the tests all agree.
///
/// Upstream, kubelet passes `command`/`args` through unchanged (`kuberuntime_container.go`
/// `generateContainerConfig`, after `ExpandContainerCommandAndArgs`), and containerd's CRI plugin
/// combines them with the image (`pkg/cri/opts/spec_linux.go` `WithProcessArgs`, the
/// environment and working dir in `container_create_linux.go` `containerSpec`).
public struct ImageProcessDefaults: Sendable, Equatable {
    /// The process' argv, program first.
    public var arguments: [String]
    /// The working directory: the pod's `workingDir`, else the image's `WorkingDir`, else nil ("/").
    public var workingDirectory: String?
    /// The image's `User` (`name`, `uid`, `name:group`, `uid:gid`), nil when it sets none.
    /// securityContext `runAsUser`/`runAsGroup` override it (containerd applies `WithUser(image.User)`
    /// only when the container asks for no `runAsUser`/`runAsUsername`).
    public var imageUser: String?
    /// The image's `Env` entries (`NAME=value`), to be merged under the pod's env (see `environment`).
    public var imageEnvironment: [String]

    /// Resolves a container's process.
    ///
    /// `command` replaces the image's Entrypoint *and drops its Cmd*; `args` alone replaces
    /// Cmd and keeps the Entrypoint; neither gives Entrypoint + Cmd (#95). An empty list counts
    /// as unset, because the CRI's protobuf cannot tell `[]` from absent. An image Entrypoint of
    /// exactly `[""]` means "no entrypoint" (docker's `--entrypoint ""`), as containerd reads it.
    ///
    /// - Parameter image: the image's config; nil for an image that carries none (a plain rootfs
    ///   tarball), which then has neither Entrypoint nor Cmd.
    /// - Throws: `.invalidArgument` "no command specified" (containerd's error) when neither the
    ///   spec nor the image gives a program; `container` names it.
    public static func resolve(command: [String]?, args: [String]?, workingDir: String?, image: ImageConfig?,
                               container: String = "") throws -> ImageProcessDefaults {
        var command = command ?? []
        var args = args ?? []
        if command.isEmpty {
            if args.isEmpty { args = image?.cmd ?? [] }
            let entrypoint = image?.entrypoint ?? []
            if entrypoint != [""] { command = entrypoint }
        }
        let argv = command + args
        guard let program = argv.first, !program.isEmpty else {
            let name = container.isEmpty ? "" : "container \(container.debugDescription): "
            throw PodlabError(.invalidArgument, "\(name)no command specified: the pod spec has no `command`/`args` and the image has no Entrypoint or Cmd")
        }
        let cwd = workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? image?.workingDir.flatMap { $0.isEmpty ? nil : $0 }
        let user = image?.user.flatMap { $0.isEmpty ? nil : $0 }
        return ImageProcessDefaults(arguments: argv, workingDirectory: cwd, imageUser: user, imageEnvironment: image?.env ?? [])
    }

    /// The signal that stops the container gracefully (#104): the image's `StopSignal` (`SIGQUIT`,
    /// `QUIT` or a number, as containerd's `signal.ParseSignal` reads it), else SIGTERM. An unknown
    /// name falls back to SIGTERM rather than failing a delete.
    public static func stopSignal(_ name: String?) -> Int32 {
        guard var text = name?.trimmingCharacters(in: .whitespaces).uppercased(), !text.isEmpty else { return SIGTERM }
        if let number = Int32(text) { return (1...64).contains(number) ? number : SIGTERM }
        if text.hasPrefix("SIG") { text.removeFirst(3) }
        let names: [String: Int32] = [
            "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "KILL": SIGKILL, "USR1": SIGUSR1, "USR2": SIGUSR2,
            "TERM": SIGTERM, "WINCH": SIGWINCH, "PWR": SIGPWR, "STOP": SIGSTOP, "CONT": SIGCONT,
        ]
        return names[text] ?? SIGTERM
    }

    /// The container's environment (#96): containerd's defaults (`PATH`, then `HOSTNAME`), then
    /// the image's `Env`, then the pod's `env`, each entry replacing an earlier one of the same
    /// name in place and otherwise appended (containerd `oci.WithEnv` → `replaceOrAppendEnvValues`).
    /// So the image's PATH replaces the default one, and the pod's env beats the image's.
    ///
    /// - Parameters:
    ///   - defaults: the runtime's entries, e.g. `[ContainerDefaults.pathEnvironment, "HOSTNAME=web"]`.
    ///   - image: the image's `Env`.
    ///   - pod: the pod's `env`, already expanded, as `NAME=value`.
    public static func environment(defaults: [String], image: [String], pod: [String]) -> [String] {
        var result: [String] = []
        for entry in defaults + image + pod {
            let name = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? entry
            if let index = result.firstIndex(where: { $0 == name || $0.hasPrefix(name + "=") }) {
                result[index] = entry
            } else {
                result.append(entry)
            }
        }
        return result
    }
}
