#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore
import SystemPackage

/// Opening files that must be regular files (archives, layers, manifests, blobs) without ever
/// blocking or touching a device.
///
/// Why: `open(O_RDONLY)` on a FIFO waits for a writer forever, so `podlab rootfs import
/// /tmp/fifo`, or a docker-save archive whose `Layers` entry is a FIFO, used to hang. The path is
/// `stat`ed first (a device is never opened), then opened with `O_NONBLOCK` (a FIFO swapped in
/// meanwhile does not block the open) and checked again with `fstat` on the descriptor actually
/// read. Symlinks in a path the user typed are followed, as every CLI does; paths inside an
/// image archive are confined separately (`ImageArchiveImporter.regularFile`).
enum RegularFile {
    /// Opens `path` read-only (close-on-exec, blocking reads); the caller closes the descriptor.
    ///
    /// - Parameter what: names the file in errors (`import(/tmp/x.tar)`, `layer aaa/layer.tar`).
    /// - Throws: `.notFound` if missing, `.archive` "… is a FIFO, not a regular file" for any other type.
    static func open(_ path: String, what: String) throws -> Int32 {
        var st = stat()
        if stat(path, &st) != 0 {
            let err = errno
            if err == ENOENT { throw PodlabError(.notFound, "\(what): no such file") }
            throw PodlabError.syscall("stat(\(path))", Errno(rawValue: err))
        }
        try requireRegular(st.st_mode, what: what)
        let fd = try checkedSyscall("open(\(path))") { Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        do {
            try checkedSyscall("fstat(\(path))") { fstat(fd, &st) }
            try requireRegular(st.st_mode, what: what)
            // Regular files ignore O_NONBLOCK; clear it anyway so the descriptor is ordinary.
            let flags = try checkedSyscall("fcntl(\(path), F_GETFL)") { fcntl(fd, F_GETFL) }
            try checkedSyscall("fcntl(\(path), F_SETFL)") { fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// The size of a regular file already open.
    static func size(of fd: Int32, path: String) throws -> Int64 {
        var st = stat()
        try checkedSyscall("fstat(\(path))") { fstat(fd, &st) }
        return Int64(st.st_size)
    }

    static func requireRegular(_ mode: mode_t, what: String) throws {
        let type = mode & S_IFMT
        guard type == S_IFREG else {
            throw PodlabError(.archive, "\(what): is a \(typeName(type)), not a regular file (archives, layers, manifests and blobs must be regular files)")
        }
    }

    /// `FIFO`, `directory`, `character device`… for messages.
    static func typeName(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: return "FIFO"
        case S_IFDIR: return "directory"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFSOCK: return "socket"
        case S_IFLNK: return "symbolic link"
        case S_IFREG: return "regular file"
        default: return "file of unknown type"
        }
    }
}
