import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes to stdout/stderr that never crash the process. Foundation's `FileHandle.write(_:)`
/// traps on EPIPE (`podlab run | head` closes the pipe mid-run), which would kill podlab before
/// it deletes its pods; these give up silently instead.
public enum StandardStreams {
    public static func output(_ text: String) { write(Data(text.utf8), to: STDOUT_FILENO) }
    public static func error(_ text: String) { write(Data(text.utf8), to: STDERR_FILENO) }
    public static func output(_ data: Data) { write(data, to: STDOUT_FILENO) }

    /// `write(2)` until done, retrying EINTR; any other error ends the write.
    public static func write(_ data: Data, to fd: Int32) {
        data.withUnsafeBytes { raw in
            guard var base = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let written = Glibc.write(fd, base, left)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                left -= written
                base += written
            }
        }
    }
}
