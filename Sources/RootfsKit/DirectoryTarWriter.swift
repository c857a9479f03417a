#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore
import SystemPackage

/// Packs a directory tree into a tarball with sorted entries (bytewise, parents first), numeric
/// owners, modes, mtimes, xattrs and hard links as they are on disk. Used to flatten image layers.
struct DirectoryTarWriter {
    /// Writes every entry below `root` (not `root` itself) to `writer`; returns the entry count.
    /// - Parameter clampMtime: when set, later mtimes are written as this time (tar's
    ///   `--clamp-mtime`, for reproducible builds with `SOURCE_DATE_EPOCH`).
    static func write(root: String, to writer: ArchiveWriter, cancellation: Cancellation = .signals, clampMtime: Int? = nil) throws -> Int {
        let fd = try checkedSyscall("open(\(root))") { Glibc.open(root, AnchoredDirectory.directoryFlags) }
        defer { close(fd) }
        var state = State(writer: writer, cancellation: cancellation)
        state.clampMtime = clampMtime
        try state.walk(fd, prefix: "", display: root)
        return state.count
    }

    private struct State {
        let writer: ArchiveWriter
        let cancellation: Cancellation
        var count = 0
        var clampMtime: Int?
        /// (device, inode) of files with more than one link → the first archive path written.
        var seen: [String: String] = [:]

        init(writer: ArchiveWriter, cancellation: Cancellation) {
            self.writer = writer
            self.cancellation = cancellation
        }

        mutating func walk(_ dir: Int32, prefix: String, display: String) throws {
            for name in try AnchoredDirectory.entries(of: dir, display: display) {
                try cancellation.check("pack(\(writer.path))")
                let path = prefix + name
                var st = stat()
                try checkedSyscall("fstatat(\(display)/\(name))") { fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) }
                var header = TarEntryHeader(path: path, kind: .regular, permissions: UInt32(st.st_mode) & 0o7777)
                header.uid = st.st_uid
                header.gid = st.st_gid
                header.mtime = st.st_mtim.tv_sec
                header.mtimeNanoseconds = st.st_mtim.tv_nsec
                if let clamp = clampMtime, header.mtime >= clamp {
                    header.mtime = clamp
                    header.mtimeNanoseconds = 0
                }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    let child = try checkedSyscall("openat(\(display)/\(name))") { openat(dir, name, AnchoredDirectory.directoryFlags) }
                    defer { close(child) }
                    header.kind = .directory
                    header.xattrs = Xattr.all(fd: child)
                    try writer.writeHeader(header)
                    count += 1
                    try walk(child, prefix: path + "/", display: display + "/" + name)
                case S_IFLNK:
                    header.kind = .symlink
                    header.linkTarget = try readLink(dir, name, display: display)
                    try writer.writeHeader(header)
                    count += 1
                case S_IFIFO:
                    header.kind = .fifo
                    try writer.writeHeader(header)
                    count += 1
                case S_IFREG:
                    let identity = "\(st.st_dev):\(st.st_ino)"
                    if st.st_nlink > 1, let first = seen[identity] {
                        header.kind = .hardlink
                        header.linkTarget = first
                        try writer.writeHeader(header)
                        count += 1
                        continue
                    }
                    if st.st_nlink > 1 { seen[identity] = path }
                    try writeFile(dir, name, header: header, size: Int64(st.st_size), display: display)
                    count += 1
                default:
                    continue  // devices and sockets are never extracted (see SafeExtractor)
                }
            }
        }

        private func writeFile(_ dir: Int32, _ name: String, header: TarEntryHeader, size: Int64, display: String) throws {
            let fd = try checkedSyscall("openat(\(display)/\(name))") { openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            defer { close(fd) }
            var header = header
            header.size = size
            header.xattrs = Xattr.all(fd: fd)
            try writer.writeHeader(header)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            var remaining = size
            while remaining > 0 {
                let n = try checkedSyscall("read(\(display)/\(name))") { read(fd, buffer.baseAddress, min(buffer.count, Int(remaining))) }
                if n == 0 { throw PodlabError(.invalidState, "read(\(display)/\(name)): file shrank while being packed") }
                try writer.writeData(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                remaining -= Int64(n)
            }
        }

        private func readLink(_ dir: Int32, _ name: String, display: String) throws -> String {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = try checkedSyscall("readlinkat(\(display)/\(name))") { readlinkat(dir, name, &buffer, buffer.count - 1) }
            return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
