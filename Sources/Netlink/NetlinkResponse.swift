/// One netlink message as received: header fields and its payload (after the 16-byte header).
public struct NetlinkMessage: Equatable, Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    public var payload: [UInt8]

    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32 = 0, payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    /// Splits a datagram into its messages (each aligned to 4 bytes).
    public static func parse(datagram: [UInt8]) throws -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = 0
        while offset + 16 <= datagram.count {
            let length = Int(datagram.readUInt32(at: offset))
            guard length >= 16, offset + length <= datagram.count else {
                throw NetlinkParseError(message: "netlink message at offset \(offset) claims \(length) bytes of \(datagram.count)")
            }
            messages.append(NetlinkMessage(
                type: datagram.readUInt16(at: offset + 4),
                flags: datagram.readUInt16(at: offset + 6),
                sequence: datagram.readUInt32(at: offset + 8),
                portID: datagram.readUInt32(at: offset + 12),
                payload: Array(datagram[(offset + 16)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        return messages
    }

    /// For `NLMSG_ERROR`: the (negative errno or zero) error code; nil for other types.
    public var errorCode: Int32? {
        guard type == NetlinkConstant.NLMSG_ERROR, payload.count >= 4 else { return nil }
        return Int32(bitPattern: payload.readUInt32(at: 0))
    }
}

/// A reply the session could not make sense of.
public struct NetlinkParseError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// Walks the `rtattr`s in `bytes[start...]`, calling `body(type, payload)` for each.
/// The nested flag (0x8000) and byte-order flag (0x4000) are masked off the type.
func forEachAttribute(in bytes: [UInt8], from start: Int, _ body: (UInt16, ArraySlice<UInt8>) -> Void) {
    var offset = start
    while offset + 4 <= bytes.count {
        let length = Int(bytes.readUInt16(at: offset))
        let type = bytes.readUInt16(at: offset + 2) & 0x3FFF
        guard length >= 4, offset + length <= bytes.count else { return }
        body(type, bytes[(offset + 4)..<(offset + length)])
        offset += (length + 3) & ~3
    }
}

extension Array where Element == UInt8 {
    func readUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func readUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
}

extension ArraySlice where Element == UInt8 {
    /// A NUL-terminated string attribute's text.
    var cString: String {
        String(decoding: prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    var uint32Value: UInt32? {
        guard count >= 4 else { return nil }
        return Array(self).readUInt32(at: 0)
    }
}
