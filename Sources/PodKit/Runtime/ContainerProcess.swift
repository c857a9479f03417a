import Foundation
import PodlabCore

/// What kubelet and containerd decide about a container's first process from the pod spec:
/// its expanded command and args, its environment and its credentials and confinement.
/// `podlab exec` reuses the environment and security (runc exec takes them from the container).
public struct ContainerProcess: Sendable {
    /// `command` and `args` after `$(VAR)` expansion (nil where the spec has none).
    public var command: [String]?
    public var args: [String]?
    /// The process's argv: the expanded command/args over the image's Entrypoint/Cmd
    /// (`ImageProcessDefaults`, docs/FIDELITY.md #95).
    public var arguments: [String]
    /// The pod's `workingDir`, else the image's `WorkingDir`; nil is `/` (#97).
    public var workingDirectory: String?
    /// `NAME=value` entries: PATH, HOSTNAME, the image's `Env`, then the pod spec's variables
    /// (#96; the image's entries are not visible to `$(VAR)` expansion, as in kubelet).
    public var environment: [String]
    public var security: ContainerSecurity
    /// `envFrom` keys skipped as invalid variable names (kubelet records an event).
    public var skippedEnvKeys: [String]

    /// - Throws: `ContainerConfigError` (CreateContainerConfigError) for what kubelet refuses at
    ///   container creation: a missing ConfigMap key, `runAsNonRoot` with a root user; and
    ///   containerd's "no command specified" (a start error) when neither the spec nor the image
    ///   names a program.
    /// - Parameter node: the node's allocatable, read only when a `resourceFieldRef` needs it.
    public static func make(for spec: ContainerSpec, record: PodRecord, node: @autoclosure () -> NodeAllocatable = .host()) throws -> ContainerProcess {
        var skipped: [String] = []
        let variables: [(name: String, value: String)]
        do {
            let needsNode = spec.env.contains { if case .resourceFieldRef = $0.valueFrom { return true } else { return false } }
            variables = try ContainerEnvironment.variables(for: spec, in: record.spec, downward: .of(record),
                                                           node: needsNode ? node() : NodeAllocatable(milliCPU: 0, memoryBytes: 0), skippedKeys: &skipped)
        } catch let error as PodlabError {
            throw ContainerConfigError(error)
        }
        let expanded = ContainerEnvironment.expandCommandAndArgs(spec, variables: variables)
        let image = try ImageProcessDefaults.resolve(command: expanded.command, args: expanded.args, workingDir: spec.workingDir,
                                                     image: record.imageConfigs?[spec.name], container: spec.name)
        let security = try ContainerSecurity.resolve(
            container: spec, pod: record.spec, podUID: record.uid,
            imageUser: ImageUser.configured(for: spec, record: record), imageRoot: record.imageRoots[spec.name])
        return ContainerProcess(
            command: expanded.command, args: expanded.args, arguments: image.arguments,
            workingDirectory: image.workingDirectory,
            environment: environment(variables, image: image.imageEnvironment, hostname: record.spec.effectiveHostname),
            security: security, skippedEnvKeys: skipped)
    }

    /// PATH and HOSTNAME as containerd sets them, then the image's `Env`, then the pod's
    /// variables, each replacing an earlier entry of the same name in place (containerd
    /// `WithEnv` / `replaceOrAppendEnvValues`; `ImageProcessDefaults.environment`).
    static func environment(_ variables: [(name: String, value: String)], image: [String] = [], hostname: String) -> [String] {
        ImageProcessDefaults.environment(defaults: [ContainerDefaults.pathEnvironment, "HOSTNAME=\(hostname)"], image: image,
                                         pod: variables.map { "\($0.name)=\($0.value)" })
    }
}
