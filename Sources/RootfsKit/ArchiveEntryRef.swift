import CLibArchive
// AE_IF* are cast macros Swift cannot import; the S_IF* values are the same (archive_entry.h).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The kind of an archive entry, from its `AE_IF*` file type.
public enum ArchiveEntryKind: Equatable, Sendable {
    case regular, directory, symlink, hardlink, fifo, characterDevice, blockDevice, socket, unknown
}

/// A borrowed view of a libarchive entry (`struct archive_entry *`) owned by an `ArchiveReader`.
///
/// Valid only until the reader moves to the next entry; copy out what you need.
public struct ArchiveEntryRef {
    let raw: OpaquePointer

    init(_ raw: OpaquePointer) { self.raw = raw }

    /// The path as stored (bytes, not necessarily UTF-8), e.g. `./bin/sh`.
    public var pathname: String {
        archive_entry_pathname(raw).map { String(cString: $0) } ?? ""
    }

    /// The target of a hard link entry (a path inside the archive), or nil.
    public var hardlinkTarget: String? {
        archive_entry_hardlink(raw).map { String(cString: $0) }
    }

    /// The target of a symbolic link entry, or nil.
    public var symlinkTarget: String? {
        archive_entry_symlink(raw).map { String(cString: $0) }
    }

    /// The entry's kind; hard links are reported as `.hardlink` whatever their file type.
    public var kind: ArchiveEntryKind {
        if archive_entry_hardlink(raw) != nil { return .hardlink }
        switch archive_entry_filetype(raw) {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        case S_IFIFO: return .fifo
        case S_IFCHR: return .characterDevice
        case S_IFBLK: return .blockDevice
        case S_IFSOCK: return .socket
        default: return .unknown
        }
    }

    /// Permission bits including setuid/setgid/sticky (`mode & 07777`).
    public var permissions: UInt32 { UInt32(archive_entry_perm(raw)) & 0o7777 }
    /// Numeric owner.
    public var uid: UInt32 { UInt32(truncatingIfNeeded: archive_entry_uid(raw)) }
    /// Numeric group.
    public var gid: UInt32 { UInt32(truncatingIfNeeded: archive_entry_gid(raw)) }
    /// Declared size of the data in bytes.
    public var size: Int64 { Int64(archive_entry_size(raw)) }
    /// Modification time (seconds, nanoseconds).
    public var mtime: (seconds: Int, nanoseconds: Int) { (Int(archive_entry_mtime(raw)), Int(archive_entry_mtime_nsec(raw))) }
    /// Access time if the archive stored one.
    public var atime: (seconds: Int, nanoseconds: Int)? {
        archive_entry_atime_is_set(raw) != 0 ? (Int(archive_entry_atime(raw)), Int(archive_entry_atime_nsec(raw))) : nil
    }
    /// Device number of a device node entry.
    public var rdev: UInt64 { UInt64(archive_entry_rdev(raw)) }

    /// Extended attributes (name, value), e.g. `security.capability`.
    public var xattrs: [(name: String, value: [UInt8])] {
        var result: [(String, [UInt8])] = []
        guard archive_entry_xattr_reset(raw) > 0 else { return result }
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(raw, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let bytes = value.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            result.append((String(cString: name), bytes))
        }
        return result
    }
}
