import PodlabCore
import SystemPackage

/// One netlink socket with its request sequence numbers: what ``NetlinkSession`` (rtnetlink) and
/// ``NftablesSession`` (nfnetlink) share below their message formats.
final class NetlinkChannel {
    private let socket: any NetlinkSocket
    private var sequence: UInt32

    init(socket: any NetlinkSocket, firstSequence: UInt32) {
        self.socket = socket
        self.sequence = firstSequence
    }

    /// The `nlmsg_seq` for the next request (wrapping, as the kernel's is a plain u32).
    func nextSequence() -> UInt32 {
        defer { sequence &+= 1 }
        return sequence
    }

    func send(_ request: [UInt8]) throws {
        try socket.send(request)
    }

    /// The messages of the next datagram. A datagram that does not parse, an empty one and
    /// `NLMSG_OVERRUN` (replies were lost) are errors naming `operation`.
    func receive(_ operation: String) throws -> [NetlinkMessage] {
        let datagram = try socket.receive()
        let messages: [NetlinkMessage]
        do {
            messages = try NetlinkMessage.parse(datagram: datagram)
        } catch {
            throw PodlabError(.syscall, "netlink \(operation): \(error)")
        }
        guard !messages.isEmpty else { throw PodlabError(.syscall, "netlink \(operation): empty reply") }
        if let overrun = messages.first(where: { $0.type == NetlinkConstant.NLMSG_OVERRUN }) {
            throw PodlabError(.syscall, "netlink \(operation): receive buffer overrun (seq \(overrun.sequence))")
        }
        return messages
    }

    /// The error code an `NLMSG_ERROR` reply carries (0 for an ACK, negative errno otherwise).
    static func errorCode(of reply: NetlinkMessage, operation: String) throws -> Int32 {
        guard let code = reply.errorCode else { throw PodlabError(.syscall, "netlink \(operation): truncated NLMSG_ERROR") }
        return code
    }
}
