import Cgroups
import Foundation
import PodlabCore
import SystemPackage

/// `podlab exec`: a process in a running container's namespaces and root, in its cgroup, with
/// the same capabilities and no_new_privs, as `runc exec` / `crictl exec` run it.
public struct PodExec {
    public let paths: PodlabPaths

    public init(paths: PodlabPaths) {
        self.paths = paths
    }

    /// Runs `command` in `container` of `record`; returns the exit code (128 + signal for
    /// signal deaths).
    /// - Parameters:
    ///   - stdio: the process's stdin, stdout, stderr (the caller's own by default).
    ///   - controllingTerminal: make `stdio.input` (a pty's replica side) its controlling terminal.
    public func run(_ record: PodRecord, container: ContainerStatus, command: [String],
                    stdio: (input: FileDescriptor, output: FileDescriptor, error: FileDescriptor) = (.standardInput, .standardOutput, .standardError),
                    controllingTerminal: Bool = false) throws -> Int32 {
        guard container.state == .running, let pid = container.pid else {
            throw PodlabError(.invalidState, "container \(container.name) in pod \(record.spec.name) is not running (state \(container.state.display)); podlab exec needs a running container")
        }
        guard !command.isEmpty else { throw PodlabError(.invalidArgument, "exec needs a command after --") }
        let spec = (record.spec.initContainers + record.spec.containers).first { $0.name == container.name }
        let ns = "/proc/\(pid)/ns/"
        var request = SpawnRequest(arguments: command)
        // mount last: after setns(mnt) the root and cwd are the container's (pivoted) root.
        request.join = SpawnRequest.JoinedNamespaces(network: ns + "net", ipc: ns + "ipc", uts: ns + "uts", pid: ns + "pid", mount: ns + "mnt")
        request.capabilities = ContainerDefaults.capabilities
        request.noNewPrivileges = true
        // exec gets the container process' cwd and env, image defaults included (#96, #97).
        let image = record.imageConfigs?[container.name]
        request.workingDirectory = spec?.workingDir ?? image?.workingDir.flatMap { $0.isEmpty ? nil : $0 }
        request.environment = spec.map { LinuxPodRuntime.environment(for: $0, hostname: record.spec.effectiveHostname, image: image?.env ?? []) } ?? [ContainerDefaults.pathEnvironment]
        if let driver = try? LinuxPodRuntime(paths: paths).cgroups() {
            request.cgroupProcsFiles = driver.procsFiles(for: ContainerCgroup(pod: paths.hostName(forPod: record.key), name: container.id))
                .filter { FileManager.default.fileExists(atPath: $0) }
        }
        request.stdin = stdio.input
        request.stdout = stdio.output
        request.stderr = stdio.error
        request.controllingTerminal = controllingTerminal
        request.waitForExit = true
        return try ProcessSpawner().spawn(request).exit?.exitCode ?? 255
    }
}
