#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore

/// An exclusive `flock(2)` on a lock file, held for the duration of `body`.
///
/// flock locks belong to the open file description, so two threads of one process that each open
/// the file exclude each other just like two processes do.
enum FileLock {
    static func withExclusiveLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = try checkedSyscall("open(\(path))") { Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        defer { close(fd) }  // closing releases the lock
        try checkedSyscall("flock(\(path), LOCK_EX)") { flock(fd, LOCK_EX) }
        return try body()
    }
}

/// `mkdir -p` for the few directories RootfsKit owns.
func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, mode) != 0 && errno != EEXIST {
            throw PodlabError.syscall("mkdir(\(current))", .init(rawValue: errno))
        }
    }
}
