import Glibc
import PodlabCore
import SystemPackage

/// The seam between `NetlinkSession` and the kernel: send one request, receive one datagram
/// (which may carry several netlink messages). Real sockets and test recorders implement it.
public protocol NetlinkSocket: AnyObject {
    /// Sends one complete netlink message.
    func send(_ message: [UInt8]) throws
    /// Receives one datagram.
    func receive() throws -> [UInt8]
}

/// An `AF_NETLINK` socket, `NETLINK_ROUTE` unless another protocol is asked for (nftables uses
/// `NETLINK_NETFILTER` through the same send/receive). It owns its fd and closes it on `close()`
/// or deinit.
///
/// A socket operates in the network namespace it was created in, so a socket opened inside a
/// pod's netns (`pl_socket_in_netns`) configures that namespace from any thread.
public final class RouteNetlinkSocket: NetlinkSocket {
    private var fd: Int32
    /// `<linux/netlink.h>` NETLINK_ROUTE, not imported by Swift's Glibc module.
    public static let NETLINK_ROUTE: Int32 = 0
    /// `<linux/netlink.h>` NETLINK_NETFILTER (nfnetlink: nf_tables, conntrack).
    public static let NETLINK_NETFILTER: Int32 = 12
    /// Large enough for a link dump datagram (the kernel sends at most ~32 KiB per datagram).
    private static let receiveBufferSize = 64 * 1024

    /// Opens a new netlink socket (`NETLINK_ROUTE` by default) in the calling thread's network
    /// namespace.
    public convenience init(protocol netlinkProtocol: Int32 = RouteNetlinkSocket.NETLINK_ROUTE) throws {
        let name = netlinkProtocol == Self.NETLINK_NETFILTER ? "NETLINK_NETFILTER" : netlinkProtocol == Self.NETLINK_ROUTE ? "NETLINK_ROUTE" : "\(netlinkProtocol)"
        let fd = try checkedSyscall("socket(AF_NETLINK, SOCK_RAW, \(name))") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkProtocol)
        }
        try self.init(adopting: fd)
    }

    /// Takes ownership of an already open `NETLINK_ROUTE` socket (for example one opened inside
    /// a netns). The fd is closed if this initializer throws.
    public init(adopting fd: Int32) throws {
        self.fd = fd
        // On failure below, deinit closes the fd.
        // A bounded wait: a kernel that never answers must not hang `podlab run` forever.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        try checkedSyscall("setsockopt(netlink fd \(fd), SO_RCVTIMEO)") {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        // struct sockaddr_nl { sa_family_t nl_family; u16 pad; u32 nl_pid; u32 nl_groups; } (12 bytes),
        // which Swift's Glibc module does not import. nl_pid 0: the kernel assigns the port id.
        var address = sockaddr_storage()
        withUnsafeMutableBytes(of: &address) { raw in
            raw.storeBytes(of: sa_family_t(AF_NETLINK), toByteOffset: 0, as: sa_family_t.self)
        }
        _ = try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                try checkedSyscall("bind(netlink fd \(fd))") { bind(fd, sa, socklen_t(12)) }
            }
        }
    }

    deinit { close() }

    /// Closes the socket; later calls do nothing.
    public func close() {
        guard fd >= 0 else { return }
        _ = Glibc.close(fd)
        fd = -1
    }

    public func send(_ message: [UInt8]) throws {
        let fd = try openFD()
        let sent = try message.withUnsafeBytes { raw in
            try checkedSyscall("send(netlink fd \(fd))") { Glibc.send(fd, raw.baseAddress, raw.count, 0) }
        }
        guard sent == message.count else {
            throw PodlabError(.syscall, "send(netlink fd \(fd)): short write \(sent) of \(message.count) bytes")
        }
    }

    public func receive() throws -> [UInt8] {
        let fd = try openFD()
        var buffer = [UInt8](repeating: 0, count: Self.receiveBufferSize)
        let count = try buffer.withUnsafeMutableBytes { raw in
            try checkedSyscall("recv(netlink fd \(fd))") { recv(fd, raw.baseAddress, raw.count, 0) }
        }
        return Array(buffer[0..<count])
    }

    private func openFD() throws -> Int32 {
        guard fd >= 0 else { throw PodlabError(.invalidState, "netlink socket used after close()") }
        return fd
    }
}
