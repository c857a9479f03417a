import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Replaces small state files (pod records, `network.json`, a pod's `/etc/hosts`) so that a
/// reader in another terminal sees the old or the new contents, never half of them: written
/// to `<path>.tmp.<pid>`, then renamed over `path`.
///
/// Not fsync'ed, unlike Foundation's `.atomic` writes (which fsync the temporary file): this
/// is runtime state under /run, on tmpfs, which a reboot empties anyway; after a crash
/// `podlab clean` removes what is left. An fsync per save cost ~0.3 ms in `perf trace`, and a
/// pod start saves several files.
public enum StateFile {
    /// Writes `bytes` to `path` with mode `permissions` (exactly, whatever the umask).
    public static func replace(_ path: String, with bytes: Data, permissions: mode_t = 0o644) throws {
        let temporary = "\(path).tmp.\(getpid())"
        let fd = try checkedSyscall("open(\(temporary), O_CREAT|O_TRUNC)") {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        }
        do {
            defer { close(fd) }
            _ = try checkedSyscall("fchmod(\(temporary), \(String(permissions, radix: 8)))") { fchmod(fd, permissions) }
            try bytes.withUnsafeBytes { try writeFully(fd, $0, path: temporary) }
        } catch {
            unlink(temporary)
            throw error
        }
        do {
            _ = try checkedSyscall("rename(\(temporary), \(path))") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
