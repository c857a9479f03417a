import Cgroups
import Foundation
import PodlabCore
import SystemPackage

/// `podlab exec`: a process in a running container's namespaces and root, in its cgroup, with
/// the same user, capabilities, no_new_privs and seccomp filter, as `runc exec` / `crictl exec` run it.
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
        var request = try self.request(record, container: container, command: command)
        request.stdin = stdio.input
        request.stdout = stdio.output
        request.stderr = stdio.error
        request.controllingTerminal = controllingTerminal
        request.waitForExit = true
        return try ProcessSpawner().spawn(request).exit?.exitCode ?? 255
    }

    /// The spawn request of `podlab exec`: `command` in `container`'s namespaces (mount last),
    /// root, cgroup, capabilities and environment; stdio and waiting are the caller's to set.
    public func request(_ record: PodRecord, container: ContainerStatus, command: [String]) throws -> SpawnRequest {
        guard container.state == .running, let pid = container.pid else {
            throw PodlabError(.invalidState, "container \(container.name) in pod \(record.spec.name) is not running (state \(container.state.display)); podlab exec needs a running container")
        }
        return try self.request(record, container: container, pid: pid, command: command)
    }

    /// The spawn request for `command` in `container` (whose process is `pid`): its
    /// namespaces, cgroup, capabilities and environment. Also used for exec probes and hooks.
    public func request(_ record: PodRecord, container: ContainerStatus, pid: Int32, command: [String]) throws -> SpawnRequest {
        guard !command.isEmpty else { throw PodlabError(.invalidArgument, "exec needs a command after --") }
        let spec = (record.spec.initContainers + record.spec.containers).first { $0.name == container.name }
        let ns = "/proc/\(pid)/ns/"
        var request = SpawnRequest(arguments: command)
        // mount last: after setns(mnt) the root and cwd are the container's (pivoted) root.
        request.join = SpawnRequest.JoinedNamespaces(network: ns + "net", ipc: ns + "ipc", uts: ns + "uts", pid: ns + "pid", mount: ns + "mnt")
        // runc exec: the container's environment, user, capabilities, no_new_privs and seccomp.
        if let spec {
            let process = try ContainerProcess.make(for: spec, record: record)
            process.security.apply(to: &request)
            request.environment = process.environment
            // exec gets the container process's cwd, image defaults included (#97).
            request.workingDirectory = process.workingDirectory
            // runc exec sets HOME the same way as for the container's process (#84).
            if let image = record.imageRoots[container.name] {
                request.environment = ImagePasswd.addingHome(to: request.environment, uid: process.security.uid, imageRoot: image)
            }
        } else {
            request.capabilities = ContainerDefaults.capabilities
            request.environment = [ContainerDefaults.pathEnvironment]
        }
        if let driver = try? LinuxPodRuntime(paths: paths).cgroups() {
            request.cgroupProcsFiles = driver.procsFiles(for: ContainerCgroup(pod: LinuxPodRuntime.podCgroupPath(for: record, paths: paths), name: container.id))
                .filter { FileManager.default.fileExists(atPath: $0) }
            // On v2 the container has a cgroup namespace of its own (LinuxPodRuntime.startContainer);
            // runc exec enters it like the others, so /proc/self/cgroup reads `0::/` (#83).
            if driver.version == .v2 { request.join.cgroup = ns + "cgroup" }
        }
        return request
    }
}
