import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A key the student pressed.
public enum WalkKey: Equatable, Sendable {
    /// Enter: run the step / check the task.
    case enter
    /// `s`: skip the step / show the task's solution.
    case skip
    /// `q`: quit (cleanup still runs).
    case quit
    /// End of input (a closed pipe, Ctrl-D): treated like `q`.
    case endOfInput
    case other(String)
}

/// Where `podlab walk` reads keys from.
public protocol WalkInput: AnyObject {
    func readKey() -> WalkKey
}

/// Keys from a file descriptor. On a terminal one key press is enough (no Enter after `s`):
/// the terminal is switched to non-canonical, no-echo mode for each read and restored after,
/// also on Ctrl-C. `ISIG` stays on so Ctrl-C still raises SIGINT and the lab cleans up.
/// Anything else (a pipe, a file, a test) is read line by line: an empty line is Enter,
/// `s` and `q` the other keys.
public final class FileDescriptorInput: WalkInput {
    public let fileDescriptor: Int32
    public let isTerminal: Bool

    public init(fileDescriptor: Int32 = 0) {
        self.fileDescriptor = fileDescriptor
        self.isTerminal = isatty(fileDescriptor) == 1
    }

    public func readKey() -> WalkKey {
        isTerminal ? readTerminalKey() : readLineKey()
    }

    private func readByte() -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let count = read(fileDescriptor, &byte, 1)
            if count == 1 { return byte }
            if count < 0 && errno == EINTR { continue }
            return nil
        }
    }

    private func readTerminalKey() -> WalkKey {
        var saved = termios()
        guard tcgetattr(fileDescriptor, &saved) == 0 else { return readLineKey() }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        // TCSANOW, not TCSAFLUSH: keys typed ahead (or sent by a test) must not be dropped.
        tcsetattr(fileDescriptor, TCSANOW, &raw)
        let fd = fileDescriptor
        let restoreCopy = saved
        let token = InterruptGuard.shared.register {
            var original = restoreCopy
            tcsetattr(fd, TCSANOW, &original)
        }
        defer {
            tcsetattr(fileDescriptor, TCSANOW, &saved)
            InterruptGuard.shared.unregister(token)
        }
        guard let byte = readByte() else { return .endOfInput }
        switch byte {
        case 0x0A, 0x0D: return .enter
        case UInt8(ascii: "s"), UInt8(ascii: "S"): return .skip
        case UInt8(ascii: "q"), UInt8(ascii: "Q"): return .quit
        case 0x04: return .endOfInput
        default: return .other(String(decoding: [byte], as: UTF8.self))
        }
    }

    private func readLineKey() -> WalkKey {
        var bytes: [UInt8] = []
        while let byte = readByte() {
            if byte == 0x0A { return Self.key(forLine: String(decoding: bytes, as: UTF8.self)) }
            bytes.append(byte)
        }
        return bytes.isEmpty ? .endOfInput : Self.key(forLine: String(decoding: bytes, as: UTF8.self))
    }

    /// `""` → Enter, `s`/`skip` → skip, `q`/`quit` → quit.
    static func key(forLine line: String) -> WalkKey {
        switch line.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "": return .enter
        case "s", "skip": return .skip
        case "q", "quit": return .quit
        case let other: return .other(other)
        }
    }
}
