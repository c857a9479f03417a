import CPodlab
import PodlabCore

#if canImport(Glibc)
import Glibc
#endif

extension MountTable {
    /// Whether `path` is itself a mount point (the root of a mount; a final symlink is not
    /// followed). `statx`'s `STATX_ATTR_MOUNT_ROOT` answers with one syscall; mountinfo, which
    /// grows by a line per pod (its /dev/shm), is read only on kernels before 5.8.
    public static func isMountPoint(_ path: String) -> Bool {
        switch pl_is_mount_root(path) {
        case 1: return true
        case 0: return false
        default: return errno == ENOENT ? false : mountPoints(under: path).contains(path)
        }
    }
}
