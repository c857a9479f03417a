#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore
import SystemPackage

/// sha256 and size of files, read in large blocks. Both refuse anything but a regular file
/// (`RegularFile.open`): hashing a FIFO would wait for a writer forever.
enum FileDigest {
    /// The sha256 (hex) and size of the file at `path`.
    static func sha256(ofFile path: String, cancellation: Cancellation = .signals) throws -> (digest: String, size: Int64) {
        let fd = try RegularFile.open(path, what: "open(\(path))")
        defer { close(fd) }
        var hasher = SHA256()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            try cancellation.check("read(\(path))")
            let n = try checkedSyscall("read(\(path))") { read(fd, buffer.baseAddress, buffer.count) }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
        return (hasher.finalizeHex(), total)
    }

    /// Copies `source` to `destination` (created exclusively, mode 0644, not yet fsynced) and
    /// returns its sha256 and size.
    ///
    /// - Parameters:
    ///   - name: how errors name the source (`import(NAME): …`).
    ///   - cancellation: checked between blocks (Ctrl-C during a multi-GB import).
    /// - Throws: `.archive` if `source` is not a regular file; ENOSPC naming `destination` when
    ///   its filesystem cannot hold the file (checked with fstatvfs before the first byte).
    @discardableResult
    static func copyChecked(_ source: String, to destination: String, name: String, cancellation: Cancellation = .signals) throws -> (digest: String, size: Int64) {
        let input = try RegularFile.open(source, what: "import(\(name))")
        defer { close(input) }
        let output = try checkedSyscall("open(\(destination))") {
            Glibc.open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        defer { close(output) }
        var space = try FreeSpace(fd: output, display: destination)
        try space.reserve(try RegularFile.size(of: input, path: source), archive: name, entry: "(the archive file itself)")
        var hasher = SHA256()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            try cancellation.check("import(\(name))")
            let n = try checkedSyscall("read(\(source))") { read(input, buffer.baseAddress, buffer.count) }
            if n == 0 { break }
            try writeFully(output, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: destination)
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
        return (hasher.finalizeHex(), total)
    }

    /// Flushes `path` to disk (before a scratch copy becomes a catalog tarball).
    static func sync(_ path: String) throws {
        let fd = try checkedSyscall("open(\(path))") { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        try checkedSyscall("fsync(\(path))") { fsync(fd) }
    }
}
