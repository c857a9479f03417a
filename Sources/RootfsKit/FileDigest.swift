#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore
import SystemPackage

/// sha256 and size of files, read in large blocks.
enum FileDigest {
    /// The sha256 (hex) and size of the file at `path`.
    static func sha256(ofFile path: String) throws -> (digest: String, size: Int64) {
        let fd = try checkedSyscall("open(\(path))") { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var hasher = SHA256()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try checkedSyscall("read(\(path))") { read(fd, buffer.baseAddress, buffer.count) }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
        return (hasher.finalizeHex(), total)
    }

    /// Copies `source` to `destination` (created exclusively, mode 0644) and returns its sha256 and size.
    static func copy(_ source: String, to destination: String) throws -> (digest: String, size: Int64) {
        let input = try checkedSyscall("open(\(source))") { Glibc.open(source, O_RDONLY | O_CLOEXEC) }
        defer { close(input) }
        let output = try checkedSyscall("open(\(destination))") {
            Glibc.open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        defer { close(output) }
        var hasher = SHA256()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try checkedSyscall("read(\(source))") { read(input, buffer.baseAddress, buffer.count) }
            if n == 0 { break }
            try writeFully(output, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), path: destination)
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
        try checkedSyscall("fsync(\(destination))") { fsync(output) }
        return (hasher.finalizeHex(), total)
    }
}
