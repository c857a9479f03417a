import PodlabCore

/// Every path of one pod's state directory, `<stateDir>/pods/<key>/`, named once.
///
/// Layout: `pod.json` (the record), `network.json` (the veth/IP attachment), `supervisor.log`,
/// `pause.log`, `delete-grace` (the grace period `delete` hands the supervisor), `shm/` (the
/// pod's 64 MiB /dev/shm tmpfs), `etc/{hosts,hostname,resolv.conf}`, `volumes/<name>`,
/// `containers/<id>/{upper,work,rootfs}` (one per attempt), `logs/<container>/<n>.log`.
public struct PodDirectory: Sendable, Equatable {
    /// The directory itself.
    public let path: String

    /// The directory at `path` (a pod directory found on disk).
    public init(_ path: String) { self.path = path }

    /// The directory of pod `key` in `paths`' state directory.
    public init(paths: PodlabPaths, key: String) { self.path = paths.podsDir + "/" + key }

    func child(_ name: String) -> String { path + "/" + name }

    /// The pod record, `pod.json`.
    public var record: String { child("pod.json") }
    /// The network attachment (`PodNetworkAttachment`), `network.json`.
    public var network: String { child("network.json") }
    /// The supervisor's stderr: its events and errors.
    public var supervisorLog: String { child("supervisor.log") }
    /// The pause process's stdout and stderr.
    public var pauseLog: String { child("pause.log") }
    /// Where `podlab delete --grace-period N` leaves N for the supervisor.
    public var deleteGrace: String { child("delete-grace") }
    /// The mount point of the pod's /dev/shm tmpfs.
    public var shm: String { child("shm") }
    /// pause's own read-only root (docs/FIDELITY.md #88).
    public var pauseRoot: String { child("pause-root") }
    /// The kubelet-managed `/etc` files the containers bind-mount.
    public var etc: String { child("etc") }
    public var hostsFile: String { child("etc/hosts") }
    public var hostnameFile: String { child("etc/hostname") }
    public var resolvConfFile: String { child("etc/resolv.conf") }
    /// The pod's volumes, one directory each.
    public var volumes: String { child("volumes") }
    public func volume(_ name: String) -> String { volumes + "/" + name }
    /// One directory per container attempt.
    public var containers: String { child("containers") }
    public func container(_ id: String) -> ContainerDirectory { ContainerDirectory(path: containers + "/" + id) }
    /// Container logs: `logs/<container>/<attempt>.log`, as kubelet's
    /// `/var/log/pods/<ns>_<pod>_<uid>/<container>/<restartCount>.log` (docs/FIDELITY.md #16).
    public var logs: String { child("logs") }
    public func log(container: String, attempt: Int) -> String { "\(logs)/\(container)/\(attempt).log" }
}

/// One container attempt's directory: the overlay's upper and work directories and its mount point.
public struct ContainerDirectory: Sendable, Equatable {
    public let path: String
    public var upper: String { path + "/upper" }
    public var work: String { path + "/work" }
    public var rootfs: String { path + "/rootfs" }
}

// Interpolating a directory into a path (`"\(dir)/x"`) must give its path, not a struct dump:
// a merge once built container mounts from `"\(attempt)/upper"` that way.
extension PodDirectory: CustomStringConvertible {
    public var description: String { path }
}

extension ContainerDirectory: CustomStringConvertible {
    public var description: String { path }
}
