#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An exclusive `flock(2)` on a lock file, held for the duration of `body`: the one lock podlab
/// uses between its processes (IPAM leases, the image catalog, the image cache, netns pins).
///
/// flock locks belong to the open file description, so two threads of one process that each
/// call this (each opens the file anew) exclude each other just like two processes do.
public enum FileLock {
    /// Opens (creating, mode 0644) `path`, takes `LOCK_EX`, runs `body`, then closes (which
    /// releases the lock). Errors name `open(<path>)` or `flock(<path>, LOCK_EX)`.
    public static func withExclusiveLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = try checkedSyscall("open(\(path))") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        defer { close(fd) }  // closing releases the lock
        try checkedSyscall("flock(\(path), LOCK_EX)") { flock(fd, LOCK_EX) }
        return try body()
    }
}
