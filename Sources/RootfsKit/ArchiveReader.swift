import CLibArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore

/// Owns one libarchive read handle (`struct archive *`) opened on a regular file.
///
/// Every compression filter and archive format libarchive knows is enabled, so `.tar`, `.tar.gz`,
/// `.tar.xz`, `.tar.zst` and friends are all read the same way. Errors carry the file name and
/// `archive_error_string`, e.g. `read(/tmp/x.tar.gz): truncated gzip input`. The file is opened
/// by `RegularFile.open` and handed to libarchive as a descriptor: a FIFO or device is refused
/// instead of blocking the reader forever.
public final class ArchiveReader {
    /// The file being read.
    public let path: String
    /// How errors name the archive: `path`, or what the user knows it as (an import reads a
    /// scratch copy of the user's file, and names the user's file).
    public let name: String
    private var handle: OpaquePointer?
    private var fd: Int32 = -1

    /// Opens `path` for reading.
    ///
    /// - Parameters:
    ///   - path: the archive file; must be a regular file.
    ///   - name: the name used in errors (default: `path`).
    ///   - blockSize: bytes read from the file per call; large blocks keep syscall overhead low.
    public init(path: String, name: String? = nil, blockSize: Int = 1 << 20) throws {
        self.path = path
        self.name = name ?? path
        try LibArchive.load()
        fd = try RegularFile.open(path, what: "open(\(self.name))")
        guard let a = archive_read_new() else {
            Glibc.close(fd)
            throw PodlabError(.archive, "archive_read_new(\(self.name)): out of memory")
        }
        handle = a
        archive_read_support_filter_all(a)
        archive_read_support_format_all(a)
        // A non-archive file must be refused, not read as a single "raw" entry.
        // archive_read_open_fd does not close the descriptor (archive_read_open_fd.c, file_close).
        if archive_read_open_fd(a, fd, blockSize) != ARCHIVE_OK {
            let error = Self.error(a, "open(\(self.name))")
            close()
            throw error
        }
    }

    /// Reads the next entry header; nil at the end of the archive.
    ///
    /// The returned entry is owned by the reader and valid until the next call.
    public func nextEntry() throws -> ArchiveEntryRef? {
        let a = try live("read header")
        var entry: OpaquePointer?
        let result = archive_read_next_header(a, &entry)
        switch result {
        case ARCHIVE_EOF:
            return nil
        case ARCHIVE_OK, ARCHIVE_WARN:
            guard let entry else { throw PodlabError(.archive, "read(\(name)): libarchive returned no entry") }
            return ArchiveEntryRef(entry)
        default:
            throw Self.error(a, "read(\(name))")
        }
    }

    /// Reads the current entry's data one block at a time (no copy: libarchive's own buffer).
    ///
    /// - Parameter body: called with each block and its offset in the file (sparse files have gaps).
    public func forEachDataBlock(_ body: (UnsafeRawBufferPointer, Int64) throws -> Void) throws {
        let a = try live("read data")
        while true {
            var buffer: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let result = archive_read_data_block(a, &buffer, &size, &offset)
            if result == ARCHIVE_EOF { return }
            if result != ARCHIVE_OK && result != ARCHIVE_WARN { throw Self.error(a, "read(\(name))") }
            try body(UnsafeRawBufferPointer(start: buffer, count: size), Int64(offset))
        }
    }

    /// Reads the whole current entry into memory (for small files such as `manifest.json`).
    public func readData(limit: Int = 64 << 20) throws -> [UInt8] {
        var bytes = [UInt8]()
        try forEachDataBlock { block, offset in
            let end = Int(offset) + block.count
            guard end <= limit else { throw PodlabError(.archive, "read(\(name)): entry larger than \(limit) bytes") }
            if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
            bytes.withUnsafeMutableBytes { dst in
                dst.baseAddress.map { $0.advanced(by: Int(offset)).copyMemory(from: block.baseAddress.unsafelyUnwrapped, byteCount: block.count) }
            }
        }
        return bytes
    }

    /// Skips the current entry's data.
    public func skipData() throws {
        let a = try live("skip data")
        if archive_read_data_skip(a) != ARCHIVE_OK { throw Self.error(a, "read(\(name))") }
    }

    /// The compression filter name of the archive (`gzip`, `xz`, `zstd`, `none`), after the first header.
    public var filterName: String {
        guard let a = handle, let name = archive_filter_name(a, 0) else { return "none" }
        return String(cString: name)
    }

    /// Frees the handle. Safe to call more than once.
    public func close() {
        if let a = handle {
            handle = nil
            archive_read_free(a)
        }
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit { close() }

    private func live(_ what: String) throws -> OpaquePointer {
        guard let a = handle else { throw PodlabError(.invalidState, "\(what) (\(name)): archive reader is closed") }
        return a
    }

    /// Wraps libarchive's own message: `operation: message`.
    static func error(_ a: OpaquePointer, _ operation: String) -> PodlabError {
        let message = archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
        return PodlabError(.archive, "\(operation): \(message)")
    }
}
