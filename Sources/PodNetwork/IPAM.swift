import Glibc
import Netlink
import PodlabCore
import SystemPackage

/// One leased address and the pod holding it.
public struct IPAMLease: Equatable, Sendable {
    public var address: IPv4Address
    public var podName: String

    public init(address: IPv4Address, podName: String) {
        self.address = address
        self.podName = podName
    }
}

/// Address management with one lease file per address, after CNI's host-local plugin
/// (plugins/ipam/host-local/backend/disk: a directory per network, a file named by IP holding the
/// owner, a `lock` file taken with flock, `last_reserved_ip.0` for round-robin allocation).
///
/// Safe between processes and threads: every operation runs under the directory's flock.
/// Leases are persistent (under the data dir), so an interrupted run leaks a lease that
/// `release`/`releaseAll` (`podlab clean`) removes.
public struct IPAM: Sendable {
    /// `<ipamDir>/<bridgeName>`.
    public let directory: String
    public let subnet: IPv4Subnet
    public let gateway: IPv4Address

    public init(config: PodNetworkConfig, paths: PodlabPaths) {
        self.init(directory: paths.ipamDir + "/" + config.bridgeName, subnet: config.subnet, gateway: config.gateway)
    }

    public init(directory: String, subnet: IPv4Subnet, gateway: IPv4Address) {
        self.directory = directory
        self.subnet = subnet
        self.gateway = gateway
    }

    private var lockPath: String { directory + "/lock" }
    private var lastReservedPath: String { directory + "/last_reserved_ip.0" }
    private func leasePath(_ address: IPv4Address) -> String { directory + "/" + address.description }

    /// The address leased to `pod`: its existing lease if it has one (allocation is idempotent),
    /// otherwise the next free host address after the last one handed out, skipping the network,
    /// gateway and broadcast addresses. Throws `.conflict` when every address is taken.
    /// `pod` is the pod's machine-wide name: a pod key, qualified by `.<instance tag>` outside
    /// the default state directory (`PodlabPaths.hostName(forPod:)`).
    public func allocate(for pod: String) throws -> IPv4Address {
        let key = pod.prefix { $0 != "." }
        try PodName.validateKey(String(key))
        let tag = pod.dropFirst(key.count)
        guard tag.isEmpty || (tag.count == 9 && tag.dropFirst().allSatisfy { $0.isHexDigit && !$0.isUppercase }) else {
            throw PodlabError(.invalidArgument, "invalid lease owner \(pod.debugDescription): a pod key, optionally followed by .<8 hex digits>")
        }
        return try locked {
            let current = try readLeases()
            if let existing = current.first(where: { $0.podName == pod }) { return existing.address }
            guard let hosts = subnet.hosts else {
                throw PodlabError(.invalidArgument, "subnet \(subnet) has no host addresses")
            }
            let taken = Set(current.map(\.address.value))
            let last = readLastReserved().flatMap { hosts.contains($0.value) ? $0.value : nil } ?? hosts.upperBound
            let count = UInt64(hosts.upperBound - hosts.lowerBound) + 1
            var candidate = last
            for _ in 0..<count {
                candidate = candidate >= hosts.upperBound ? hosts.lowerBound : candidate + 1
                guard candidate != gateway.value, !taken.contains(candidate) else { continue }
                let address = IPv4Address(candidate)
                try writeLease(address, pod: pod)
                try writeFile(lastReservedPath, contents: address.description)
                return address
            }
            throw PodlabError(.conflict, "no free address in \(subnet) for pod \(pod): all \(taken.count) pod addresses are leased (see \(directory))")
        }
    }

    /// Removes every lease held by `pod`; returns the addresses freed (none is not an error).
    @discardableResult
    public func release(pod: String) throws -> [IPv4Address] {
        try locked {
            var freed: [IPv4Address] = []
            for lease in try readLeases() where lease.podName == pod {
                try removeLease(lease.address)
                freed.append(lease.address)
            }
            return freed
        }
    }

    /// Removes every lease of this network whose owner `release` accepts; returns what was removed.
    @discardableResult
    public func releaseAll(where release: (String) -> Bool = { _ in true }) throws -> [IPAMLease] {
        try locked {
            let released = try readLeases().filter { release($0.podName) }
            for lease in released { try removeLease(lease.address) }
            return released
        }
    }

    /// The current leases, sorted by address.
    public func leases() throws -> [IPAMLease] {
        try locked { try readLeases() }
    }

    // MARK: Files (call only under the lock)

    private func locked<T>(_ body: () throws -> T) throws -> T {
        try FileSystem.makeDirectories(directory)
        return try FileLock.withExclusiveLock(lockPath, body)
    }

    private func readLeases() throws -> [IPAMLease] {
        var result: [IPAMLease] = []
        for name in try FileSystem.list(directory) {
            guard let address = IPv4Address(name), subnet.contains(address) else { continue }
            // A file left empty by a crash mid-write still holds its address (owner unknown).
            result.append(IPAMLease(address: address, podName: FileSystem.readText(directory + "/" + name) ?? ""))
        }
        return result.sorted { $0.address < $1.address }
    }

    private func readLastReserved() -> IPv4Address? {
        FileSystem.readText(lastReservedPath).flatMap(IPv4Address.init)
    }

    private func writeLease(_ address: IPv4Address, pod: String) throws {
        let path = leasePath(address)
        let fd = try checkedSyscall("open(\(path), O_CREAT|O_EXCL)") { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try Array(pod.utf8).withUnsafeBytes { try writeFully(fd, $0, path: path) }
    }

    private func writeFile(_ path: String, contents: String) throws {
        let fd = try checkedSyscall("open(\(path))") { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try Array(contents.utf8).withUnsafeBytes { try writeFully(fd, $0, path: path) }
    }

    private func removeLease(_ address: IPv4Address) throws {
        let path = leasePath(address)
        if unlink(path) != 0 && errno != ENOENT {
            throw PodlabError.syscall("unlink(\(path))", Errno(rawValue: errno))
        }
    }
}
