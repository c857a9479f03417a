import Glibc
import PodlabCore

/// An exclusive `flock(2)` on a lock file, held for the duration of `body`.
///
/// flock locks belong to the open file description, so they exclude other processes *and* other
/// threads of this process (each call opens the file anew).
enum FileLock {
    static func withExclusiveLock<T>(path: String, _ body: () throws -> T) throws -> T {
        let fd = try checkedSyscall("open(\(path))") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try checkedSyscall("flock(\(path), LOCK_EX)") { flock(fd, LOCK_EX) }
        return try body()
    }
}
