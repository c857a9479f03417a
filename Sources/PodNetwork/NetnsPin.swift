import CPodlab
import Glibc
import PodlabCore
import PodlabSyscalls
import SystemPackage

/// A network namespace pinned by a bind mount at a path, like `ip netns add` does under
/// `/run/netns` (and containerd does for `cni-…`): it lives as long as the mount, with no process.
public struct NetnsPin: Sendable, Equatable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Creates a new network namespace pinned at `path`. The calling thread's namespace does not
    /// change. Throws if `path` already exists.
    public static func create(at path: String) throws -> NetnsPin {
        var error = pl_error()
        guard pl_netns_create(path, &error) == 0 else { throw error.podlabError }
        return NetnsPin(path: path)
    }

    /// Unmounts and removes the pin. The namespace (and the veth ends in it) is destroyed by the
    /// kernel once nothing else holds it. Missing is not an error.
    public func remove() throws {
        var error = pl_error()
        guard pl_netns_remove(path, &error) == 0 else { throw error.podlabError }
    }

    /// Whether a namespace is currently mounted at `path`: the pin file then lives on nsfs, a
    /// different device than its directory (a leftover empty file does not).
    public var isMounted: Bool {
        var pin = stat()
        var parent = stat()
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        return stat(path, &pin) == 0 && stat(directory.isEmpty ? "/" : directory, &parent) == 0 && pin.st_dev != parent.st_dev
    }

    /// The namespace's inode number (what `readlink /proc/<pid>/ns/net` shows as `net:[N]`).
    public func inode() throws -> UInt64 {
        var info = stat()
        try checkedSyscall("stat(\(path))") { stat(path, &info) }
        return UInt64(info.st_ino)
    }

    /// Opens a socket inside the pinned namespace (e.g. a NETLINK_ROUTE socket to configure it).
    public func openSocket(domain: Int32, type: Int32, protocol proto: Int32) throws -> Int32 {
        var error = pl_error()
        var fd: Int32 = -1
        guard pl_socket_in_netns(path, domain, type, proto, &fd, &error) == 0 else { throw error.podlabError }
        return fd
    }

    /// Writes a sysctl in the pinned namespace, e.g. `("net/ipv4/ping_group_range", "0 2147483647")`.
    public func setSysctl(_ key: String, _ value: String) throws {
        var error = pl_error()
        guard pl_sysctl_in_netns(path, "/proc/sys/" + key, value, &error) == 0 else { throw error.podlabError }
    }

    /// Makes sure `directory` exists and is a shared mount point, as iproute2 does for
    /// /run/netns (ip/ipnetns.c: netns_add): pins made in it then propagate into mount namespaces
    /// cloned from this one later (and their removal does too). Serialised with a flock so two
    /// podlab processes do not both bind-mount the directory onto itself.
    public static func prepareDirectory(_ directory: String) throws {
        try FileSystem.makeDirectories(directory)
        let fd = try checkedSyscall("open(\(directory))") { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try checkedSyscall("flock(\(directory), LOCK_EX)") { flock(fd, LOCK_EX) }
        let shared = UInt(MS_SHARED) | UInt(MS_REC)
        if mount("", directory, "none", shared, nil) == 0 { return }
        guard errno == EINVAL else { throw PodlabError.syscall("mount(\(directory), MS_SHARED|MS_REC)", Errno(rawValue: errno)) }
        // EINVAL: not a mount point yet. Bind it onto itself, then make that mount shared.
        try checkedSyscall("mount(\(directory), \(directory), MS_BIND|MS_REC)") {
            mount(directory, directory, "none", UInt(MS_BIND) | UInt(MS_REC), nil)
        }
        try checkedSyscall("mount(\(directory), MS_SHARED|MS_REC)") { mount("", directory, "none", shared, nil) }
    }
}
