import CPodlab
import Foundation
import PodlabCore

/// kubelet's `SetVolumeOwnership` (pkg/volume/volume_linux.go) for `fsGroup`
/// (docs/FIDELITY.md #72): every file of the volume gets group `fsGroup`; files get
/// rw (or r for read-only volumes) for the group, directories also x and the setgid bit, so
/// files created later inherit the group. Symlinks are chowned, never followed or chmodded.
///
/// Runs when podlab has just made the volume (an empty emptyDir, a configMap it wrote), on the
/// host, before any container can put a symlink in it; the walk still uses `lchown` and
/// `O_NOFOLLOW` opens, so a link is never followed.
enum VolumeOwnership {
    static let rwMask: mode_t = 0o660
    static let roMask: mode_t = 0o440
    static let execMask: mode_t = 0o110

    static func apply(fsGroup: Int64, to root: String, readOnly: Bool) throws {
        guard let gid = gid_t(exactly: fsGroup) else { throw PodlabError(.invalidArgument, "fsGroup \(fsGroup): out of range") }
        try applyOne(root, gid: gid, readOnly: readOnly)
        guard let walker = FileManager.default.enumerator(atPath: root) else { return }
        while let relative = walker.nextObject() as? String {
            try applyOne(root + "/" + relative, gid: gid, readOnly: readOnly)
        }
    }

    private static func applyOne(_ path: String, gid: gid_t, readOnly: Bool) throws {
        var status = stat()
        try checkedSyscall("lstat(\(path))") { lstat(path, &status) }
        try checkedSyscall("lchown(\(path), -1, \(gid))") { lchown(path, uid_t.max, gid) }
        let type = status.st_mode & S_IFMT
        guard type == S_IFDIR || type == S_IFREG else { return }
        var mask = readOnly ? roMask : rwMask
        if type == S_IFDIR { mask |= execMask | S_ISGID }
        let mode = (status.st_mode & 0o7777) | mask
        // Opened without following a link, then changed through the fd.
        let fd = open(path, PL_O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw PodlabError.syscall("open(\(path), O_PATH|O_NOFOLLOW)", errnoValue: errno) }
        defer { close(fd) }
        try checkedSyscall("chmod(\(path), \(String(mode, radix: 8)))") { chmod("/proc/self/fd/\(fd)", mode) }
    }
}
