import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one public error type podlab surfaces to users.
///
/// `code` is a small, extensible classification; `message` is the human sentence (it names the
/// failing operation and its argument, for example `setns(/proc/4242/ns/net)`); `cause` keeps the
/// underlying error, usually an `Errno`.
public struct PodlabError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. A struct over a private enum, so new codes don't break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case invalidArgument, notFound, invalidState, syscall, archive, badInput, timeout, unsupported, conflict
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        public static let invalidArgument = Code(.invalidArgument)
        public static let notFound = Code(.notFound)
        public static let invalidState = Code(.invalidState)
        /// A system call failed; the message names the call and its argument.
        public static let syscall = Code(.syscall)
        /// An archive could not be read or was refused.
        public static let archive = Code(.archive)
        /// A lab file or manifest is malformed; the message starts with file:line:column.
        public static let badInput = Code(.badInput)
        public static let timeout = Code(.timeout)
        public static let unsupported = Code(.unsupported)
        public static let conflict = Code(.conflict)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message): \(cause)" }
        return message
    }

    /// An error for a failed system call: `operation` is the call with its argument, e.g.
    /// `"mount(overlay, /run/podlab/…/rootfs)"`.
    public static func syscall(_ operation: String, _ errno: Errno) -> PodlabError {
        PodlabError(.syscall, operation, cause: errno)
    }

    /// The same, from a raw errno value (as C code reports it).
    public static func syscall(_ operation: String, errnoValue: Int32) -> PodlabError {
        PodlabError(.syscall, operation, cause: Errno(rawValue: errnoValue))
    }
}

/// Runs a libc call that returns -1 and sets errno on failure, retrying on EINTR.
///
/// - Parameters:
///   - operation: the call and its argument, used in the error (`"unlink(/run/x)"`).
///   - body: the call itself.
/// - Returns: the call's non-negative result.
@discardableResult
public func checkedSyscall<I: FixedWidthInteger>(_ operation: @autoclosure () -> String, _ body: () -> I) throws -> I {
    while true {
        let result = body()
        if result != -1 { return result }
        let err = Errno(rawValue: errno)
        if err == .interrupted { continue }
        throw PodlabError.syscall(operation(), err)
    }
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR; errors name `write(<path>)`.
public func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    guard let base = bytes.baseAddress else { return }
    var offset = 0
    while offset < bytes.count {
        offset += try checkedSyscall("write(\(path))") { write(fd, base + offset, bytes.count - offset) }
    }
}
