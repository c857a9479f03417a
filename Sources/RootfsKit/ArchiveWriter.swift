import CLibArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore

/// The header of an entry to write: everything but the data.
public struct TarEntryHeader: Sendable {
    /// Path inside the archive, relative, without a leading `./` (e.g. `bin/busybox`).
    public var path: String
    /// Regular file, directory, symlink, hard link or FIFO.
    public var kind: ArchiveEntryKind
    /// Permission bits (`07777`).
    public var permissions: UInt32
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    /// Modification time in seconds since the epoch.
    public var mtime: Int = 0
    /// Nanoseconds of the modification time (pax records it only when non-zero).
    public var mtimeNanoseconds: Int = 0
    /// Data size of a regular file.
    public var size: Int64 = 0
    /// Symlink target, or the archive path a hard link points to.
    public var linkTarget: String? = nil
    /// Extended attributes, written as pax `SCHILY.xattr` records.
    public var xattrs: [(name: String, value: [UInt8])] = []

    public init(path: String, kind: ArchiveEntryKind, permissions: UInt32) {
        self.path = path
        self.kind = kind
        self.permissions = permissions
    }
}

/// Owns one libarchive write handle producing a pax tarball, optionally gzip'ed.
///
/// Output is deterministic for the same entries: no uname/gname lookups, no atime/ctime, and gzip
/// without its timestamp (`gzip:!timestamp`), so a rebuilt image has the same sha256.
public final class ArchiveWriter {
    /// The compression applied to the tar stream.
    public enum Compression: Sendable { case none, gzip }

    /// The file being written, named in errors.
    public let path: String
    private var handle: OpaquePointer?

    /// Creates (truncates) `path` and starts a pax (restricted) tar stream.
    public init(path: String, compression: Compression) throws {
        self.path = path
        try LibArchive.load()
        guard let a = archive_write_new() else { throw PodlabError(.archive, "archive_write_new(\(path)): out of memory") }
        handle = a
        do {
            try check(archive_write_set_format_pax_restricted(a), "set format pax")
            if compression == .gzip {
                try check(archive_write_add_filter_gzip(a), "add gzip filter")
                // The gzip header otherwise stores the current time and breaks reproducibility.
                try check(archive_write_set_options(a, "gzip:!timestamp"), "set gzip:!timestamp")
            }
            // Pad only to the 512-byte record, not libarchive's default 10 KiB block.
            archive_write_set_bytes_in_last_block(a, 1)
            try check(archive_write_open_filename(a, path), "open")
        } catch {
            archive_write_free(a)
            handle = nil
            throw error
        }
    }

    /// Writes one entry header, then `data` (regular files only; must be `header.size` bytes).
    public func write(_ header: TarEntryHeader, data: UnsafeRawBufferPointer? = nil) throws {
        try writeHeader(header)
        if let data, data.count > 0 { try writeData(data) }
    }

    /// Writes one entry header; follow it with `writeData` calls totalling `header.size` bytes.
    public func writeHeader(_ header: TarEntryHeader) throws {
        let a = try live()
        guard let entry = archive_entry_new() else { throw PodlabError(.archive, "archive_entry_new(\(header.path)): out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, header.path)
        archive_entry_set_perm(entry, mode_t(header.permissions & 0o7777))
        archive_entry_set_uid(entry, la_int64_t(header.uid))
        archive_entry_set_gid(entry, la_int64_t(header.gid))
        archive_entry_set_mtime(entry, time_t(header.mtime), header.mtimeNanoseconds)
        switch header.kind {
        case .regular:
            archive_entry_set_filetype(entry, S_IFREG)
            archive_entry_set_size(entry, la_int64_t(header.size))
        case .directory:
            archive_entry_set_filetype(entry, S_IFDIR)
        case .symlink:
            archive_entry_set_filetype(entry, S_IFLNK)
            archive_entry_set_symlink(entry, header.linkTarget ?? "")
        case .hardlink:
            archive_entry_set_filetype(entry, S_IFREG)
            archive_entry_set_hardlink(entry, header.linkTarget ?? "")
            archive_entry_set_size(entry, 0)
        case .fifo:
            archive_entry_set_filetype(entry, S_IFIFO)
        default:
            throw PodlabError(.unsupported, "write(\(path)): entry \(header.path): kind \(header.kind) is not written by podlab")
        }
        for xattr in header.xattrs {
            xattr.value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, xattr.name, $0.baseAddress, $0.count) }
        }
        let result = archive_write_header(a, entry)
        if result != ARCHIVE_OK && result != ARCHIVE_WARN { throw ArchiveReader.error(a, "write(\(path)): entry \(header.path)") }
    }

    /// Appends data to the current regular-file entry.
    public func writeData(_ data: UnsafeRawBufferPointer) throws {
        let a = try live()
        guard let base = data.baseAddress else { return }
        var written = 0
        while written < data.count {
            let n = archive_write_data(a, base + written, data.count - written)
            if n < 0 { throw ArchiveReader.error(a, "write(\(path))") }
            if n == 0 { throw PodlabError(.archive, "write(\(path)): libarchive accepted no data") }
            written += n
        }
    }

    /// Flushes and closes the archive; errors here mean the file is incomplete. Idempotent.
    public func finish() throws {
        guard let a = handle else { return }
        handle = nil
        let closed = archive_write_close(a)
        let error = closed == ARCHIVE_OK ? nil : ArchiveReader.error(a, "close(\(path))")
        archive_write_free(a)
        if let error { throw error }
    }

    deinit {
        if let a = handle { archive_write_free(a) }
    }

    private func live() throws -> OpaquePointer {
        guard let a = handle else { throw PodlabError(.invalidState, "write(\(path)): archive writer is finished") }
        return a
    }

    private func check(_ result: Int32, _ what: String) throws {
        guard result == ARCHIVE_OK, let a = handle else {
            throw handle.map { ArchiveReader.error($0, "\(what) (\(path))") } ?? PodlabError(.archive, "\(what) (\(path))")
        }
        _ = a
    }
}
