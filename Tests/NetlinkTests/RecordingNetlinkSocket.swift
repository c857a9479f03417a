@testable import Netlink

/// A `NetlinkSocket` for tests: records every request and answers each with the replies queued
/// for it, or with an ACK (`NLMSG_ERROR` with error 0) echoing the request's sequence number.
/// A test double, so it lives with the tests rather than in the shipped Netlink module.
final class RecordingNetlinkSocket: NetlinkSocket {
    /// Every message passed to `send`, in order.
    private(set) var requests: [[UInt8]] = []
    private var queuedReplies: [[[UInt8]]] = []
    private var pending: [[UInt8]] = []

    init() {}

    /// Queues the datagrams that answer the next request not yet answered by a queue entry.
    /// Use `NetlinkMessageBuilder` to build them; `$SEQ` handling is left to the test.
    func enqueueReply(_ datagrams: [[UInt8]]) {
        queuedReplies.append(datagrams)
    }

    /// Queues an error reply (negative errno) for the next request with sequence `sequence`.
    func enqueueError(_ errno: Int32, sequence: UInt32) {
        enqueueReply([Self.errorMessage(code: -errno, sequence: sequence)])
    }

    func send(_ message: [UInt8]) throws {
        requests.append(message)
        if !queuedReplies.isEmpty {
            pending = queuedReplies.removeFirst()
        } else {
            let sequence = message.count >= 12 ? message.readUInt32(at: 8) : 0
            pending = [Self.errorMessage(code: 0, sequence: sequence)]
        }
    }

    func receive() throws -> [UInt8] {
        guard !pending.isEmpty else {
            throw NetlinkParseError(message: "RecordingNetlinkSocket: receive() with no reply pending")
        }
        return pending.removeFirst()
    }

    /// An `NLMSG_ERROR` message (code 0 = ACK) for `sequence`.
    static func errorMessage(code: Int32, sequence: UInt32) -> [UInt8] {
        var message = NetlinkMessageBuilder(type: NetlinkConstant.NLMSG_ERROR, flags: 0, sequence: sequence)
        message.append(code)
        // The kernel echoes the request header; an empty one is enough for the parser.
        for _ in 0..<16 { message.append(UInt8(0)) }
        return message.finish()
    }
}
