#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// The file-system calls podlab's state handling needs, each with an error that names the call
/// and the path (`mkdir(/run/podlab/pods/x): EACCES`), instead of Foundation's `FileManager`,
/// whose errors name neither and whose `removeItem` walks into mount points.
public enum FileSystem {
    /// `mkdir -p`: creates `path` and every missing parent with `mode`; an existing directory is fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if mkdir(path, mode) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw PodlabError.syscall("mkdir(\(path))", Errno(rawValue: errno)) }
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        guard !parent.isEmpty, parent != path else { throw PodlabError.syscall("mkdir(\(path))", Errno(rawValue: ENOENT)) }
        try makeDirectories(parent, mode: mode)
        if mkdir(path, mode) != 0 && errno != EEXIST { throw PodlabError.syscall("mkdir(\(path))", Errno(rawValue: errno)) }
    }

    /// Names in `path` (without "." and ".."); a missing directory has none.
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw PodlabError.syscall("opendir(\(path))", Errno(rawValue: errno))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// A whole file's bytes. Errors name the call and the path: `open(<path>): ENOENT`.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try checkedSyscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = try checkedSyscall("read(\(path))") { buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }

    /// A whole file as UTF-8 text, read to end of file, or nil if it cannot be read. For procfs and
    /// sysfs files: they report size 0, and Foundation's `String(contentsOfFile:)` and
    /// `FileManager.contents(atPath:)` return only what their first `read` got (4 KiB): a long
    /// `/proc/<pid>/environ`, `mountinfo` or `cmdline` came back cut.
    public static func readWholeText(_ path: String) -> String? {
        (try? readFile(path)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A small text file's contents (first 4 KiB, surrounding white space trimmed), or nil if it
    /// cannot be read.
    public static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        let text = Substring(String(decoding: buffer[0..<count], as: UTF8.self))
        return String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// Whether anything (a file, a directory, a dangling symlink) exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// `rm -rf path` that stays on `path`'s file system: it never descends into a mount point
    /// below it (a leftover tmpfs volume or overlay would otherwise be emptied through the
    /// mount; the `rmdir` of its mount point then fails with EBUSY and is reported). Symlinks
    /// are removed, never followed. A missing `path` is fine.
    /// - Throws: the first failure, naming the call and the path (`rmdir(<path>): EBUSY`).
    public static func removeTree(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return }
            throw PodlabError.syscall("lstat(\(path))", Errno(rawValue: errno))
        }
        try removeTree(path, info: info, device: info.st_dev)
    }

    private static func removeTree(_ path: String, info: stat, device: dev_t) throws {
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            try checkedSyscall("unlink(\(path))") { unlink(path) }
            return
        }
        if info.st_dev == device {
            for name in try list(path) {
                let child = path + "/" + name
                var childInfo = stat()
                if lstat(child, &childInfo) != 0 {
                    if errno == ENOENT { continue }
                    throw PodlabError.syscall("lstat(\(child))", Errno(rawValue: errno))
                }
                try removeTree(child, info: childInfo, device: device)
            }
        }
        try checkedSyscall("rmdir(\(path))") { rmdir(path) }
    }
}
