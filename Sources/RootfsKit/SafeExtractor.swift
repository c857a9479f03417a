#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore
import SystemPackage

/// Unpacks an untrusted tar archive into a directory without ever writing outside it.
///
/// Every path is resolved component by component from a directory fd with
/// `openat(…, O_NOFOLLOW | O_DIRECTORY)` (see `AnchoredDirectory`); files are created with
/// `O_CREAT | O_EXCL | O_NOFOLLOW`, so:
/// - `..` components and absolute paths are refused (error naming the entry, code `.archive`);
/// - a symlink in the archive is created as is, but writing *through* it (`evil -> /etc` then
///   `evil/passwd`) is refused, like bsdtar's default `ARCHIVE_EXTRACT_SECURE_SYMLINKS`;
/// - hard links must point to a path inside the archive, resolved the same way.
///
/// Preserved: modes (including setuid/sticky), numeric owners (as root), hard links, symlinks,
/// FIFOs, xattrs, mtimes (directories last, deepest first, so adding children doesn't bump them).
/// Device nodes and sockets are skipped with a warning: the runtime provides `/dev`.
public struct SafeExtractor {
    public var options: ExtractionOptions

    public init(options: ExtractionOptions = ExtractionOptions()) {
        self.options = options
    }

    /// Extracts `archivePath` into the existing directory `target`.
    ///
    /// On error the target may hold a partial tree; callers unpack into a temp dir and discard it.
    @discardableResult
    public func extract(archive archivePath: String, into target: String) throws -> ExtractionReport {
        try extract(archive: archivePath, into: target, name: nil, budget: ExtractionBudget(options.limits))
    }

    /// The same, naming the archive `name` in errors and charging `budget` (shared by the layers
    /// of one image, so the caps apply to the image, not to each layer).
    @discardableResult
    func extract(archive archivePath: String, into target: String, name: String?, budget: ExtractionBudget) throws -> ExtractionReport {
        let reader = try ArchiveReader(path: archivePath, name: name)
        defer { reader.close() }
        let root = try checkedSyscall("open(\(target))") { Glibc.open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(root) }
        let session = ExtractionSession(
            reader: reader, root: root, target: target, options: options, budget: budget,
            freeSpace: try FreeSpace(fd: root, display: target))
        defer { session.closeCachedParent() }
        try session.run()
        return session.report
    }
}

/// The state of one extraction: the root fd, a one-entry cache of the current parent directory fd
/// (tar entries come grouped by directory, so this saves most of the walks), and the directory
/// metadata applied at the end.
private final class ExtractionSession {
    struct DirectoryMetadata {
        var components: [String]
        var permissions: UInt32
        var uid: UInt32
        var gid: UInt32
        var mtime: timespec
        var atime: timespec
        var xattrs: [(name: String, value: [UInt8])]
    }

    let reader: ArchiveReader
    let root: Int32
    let target: String
    let options: ExtractionOptions
    let budget: ExtractionBudget
    var freeSpace: FreeSpace
    var report = ExtractionReport()
    private var cachedParentKey: String?
    private var cachedParentFd: Int32 = -1
    private var directories: [String: DirectoryMetadata] = [:]
    /// Paths created by this archive (layer mode): an opaque whiteout keeps only these.
    private var createdPaths: Set<String> = []
    private var entryName = ""

    init(reader: ArchiveReader, root: Int32, target: String, options: ExtractionOptions, budget: ExtractionBudget, freeSpace: FreeSpace) {
        self.reader = reader
        self.root = root
        self.target = target
        self.options = options
        self.budget = budget
        self.freeSpace = freeSpace
    }

    func run() throws {
        while let entry = try reader.nextEntry() {
            report.entries += 1
            entryName = entry.pathname
            try options.cancellation.check("unpack(\(reader.name)): entry \(entryName)")
            try budget.chargeEntry(archive: reader.name, entry: entryName)
            try extract(entry)
        }
        report.compression = reader.filterName
        try applyDirectoryMetadata()
    }

    // MARK: entries

    private func extract(_ entry: ArchiveEntryRef) throws {
        let components = try ArchivePath.components(of: entryName, entry: entryName, archive: reader.name)
        guard let name = components.last else {
            // "./" itself: the archive describes the root directory's metadata.
            if entry.kind == .directory { record(directory: [], entry) }
            return
        }
        if options.applyWhiteouts && name.hasPrefix(".wh.") {
            try applyWhiteout(name: name, parentComponents: components.dropLast())
            return
        }
        let key = components.joined(separator: "/")
        if options.applyWhiteouts {
            // Ancestors count as created by this layer too: layers may omit implicit parent entries.
            for depth in stride(from: components.count, through: 1, by: -1) {
                if !createdPaths.insert(components.prefix(depth).joined(separator: "/")).inserted { break }
            }
        }
        switch entry.kind {
        case .directory:
            try freeSpace.reserve(0, archive: reader.name, entry: entryName)
            let parent = try parentFd(components.dropLast())
            if mkdirat(parent, name, 0o700) != 0 {
                guard errno == EEXIST else { throw syscallError("mkdirat", name, errno) }
                if AnchoredDirectory.fileType(name, in: parent) != S_IFDIR {
                    try replace(name, in: parent, key: key)
                    guard mkdirat(parent, name, 0o700) == 0 else { throw syscallError("mkdirat", name, errno) }
                }
            }
            report.directories += 1
            record(directory: components, entry)
        case .regular:
            let parent = try parentFd(components.dropLast())
            try writeRegular(entry, name: name, parent: parent, key: key)
            report.regularFiles += 1
        case .symlink:
            let parent = try parentFd(components.dropLast())
            let linkTarget = entry.symlinkTarget ?? ""
            if symlinkat(linkTarget, parent, name) != 0 {
                guard errno == EEXIST else { throw syscallError("symlinkat", name, errno) }
                try replace(name, in: parent, key: key)
                guard symlinkat(linkTarget, parent, name) == 0 else { throw syscallError("symlinkat", name, errno) }
            }
            try applyMetadata(entry, name: name, parent: parent, chmod: false)
            report.symlinks += 1
        case .hardlink:
            try writeHardlink(entry, name: name, components: components, key: key)
            report.hardlinks += 1
        case .fifo:
            let parent = try parentFd(components.dropLast())
            if mkfifoat(parent, name, 0o600) != 0 {
                guard errno == EEXIST else { throw syscallError("mkfifoat", name, errno) }
                try replace(name, in: parent, key: key)
                guard mkfifoat(parent, name, 0o600) == 0 else { throw syscallError("mkfifoat", name, errno) }
            }
            try applyMetadata(entry, name: name, parent: parent, chmod: true)
            report.fifos += 1
        case .characterDevice, .blockDevice:
            // Policy (rootfs/README.md): the runtime bind-mounts /dev/null, /dev/zero… into every
            // container, as containerd/runc do; a device node from an image is never needed and
            // would be a way to smuggle access to host hardware into a shared cache.
            let kind = entry.kind == .characterDevice ? "character device" : "block device"
            report.warnings.append("skipped \(kind) \(entryName): the runtime provides /dev")
        case .socket:
            report.warnings.append("skipped socket \(entryName): sockets are created by programs, not archives")
        case .unknown:
            report.warnings.append("skipped \(entryName): unknown file type")
        }
    }

    private func writeRegular(_ entry: ArchiveEntryRef, name: String, parent: Int32, key: String) throws {
        // The caps and free space are checked against the size the header declares, before a
        // byte is written; data past it (sparse maps) is charged as it comes.
        let declared = max(entry.size, 0)
        try budget.chargeBytes(declared, archive: reader.name, entry: entryName)
        try freeSpace.reserve(declared, archive: reader.name, entry: entryName)
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = openat(parent, name, flags, 0o600)
        if fd < 0 {
            guard errno == EEXIST else { throw syscallError("openat", name, errno) }
            try replace(name, in: parent, key: key)
            fd = openat(parent, name, flags, 0o600)
            guard fd >= 0 else { throw syscallError("openat", name, errno) }
        }
        defer { close(fd) }
        var end: Int64 = 0
        var charged = declared
        try reader.forEachDataBlock { block, offset in
            try options.cancellation.check("unpack(\(reader.name)): entry \(entryName)")
            let blockEnd = offset + Int64(block.count)
            if blockEnd > charged {
                try budget.chargeBytes(blockEnd - charged, archive: reader.name, entry: entryName)
                try freeSpace.reserve(blockEnd - charged, archive: reader.name, entry: entryName)
                charged = blockEnd
            }
            var written = 0
            while written < block.count {
                let n = pwrite(fd, block.baseAddress.unsafelyUnwrapped + written, block.count - written, off_t(offset) + off_t(written))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw syscallError("pwrite", name, errno)
                }
                written += n
            }
            end = max(end, blockEnd)
        }
        // Sparse files: a trailing hole has no data block, so set the length explicitly.
        if entry.size > end, ftruncate(fd, off_t(entry.size)) != 0 { throw syscallError("ftruncate", name, errno) }
        report.bytes += end
        // chown before chmod: chown clears setuid/setgid bits.
        if options.preserveOwners, fchown(fd, entry.uid, entry.gid) != 0 { throw syscallError("fchown", name, errno) }
        if fchmod(fd, mode_t(entry.permissions)) != 0 { throw syscallError("fchmod", name, errno) }
        if options.preserveXattrs { setXattrs(entry.xattrs, fd: fd) }
        var times = [entry.atime.map(Self.timespecOf) ?? Self.timespecOf(entry.mtime), Self.timespecOf(entry.mtime)]
        if futimens(fd, &times) != 0 { throw syscallError("futimens", name, errno) }
    }

    private func writeHardlink(_ entry: ArchiveEntryRef, name: String, components: [String], key: String) throws {
        let rawTarget = entry.hardlinkTarget ?? ""
        let targetComponents: [String]
        do {
            targetComponents = try ArchivePath.components(of: rawTarget, entry: entryName, archive: reader.name)
        } catch {
            throw PodlabError(.archive, "unpack(\(reader.name)): entry \(entryName): hard link to \(rawTarget) refused (outside the target)")
        }
        guard let targetName = targetComponents.last else {
            throw PodlabError(.archive, "unpack(\(reader.name)): entry \(entryName): hard link to the root directory refused")
        }
        let targetParent: Int32
        switch AnchoredDirectory.open(targetComponents.dropLast()[...], under: root, create: false, display: target) {
        case .success(let fd): targetParent = fd
        case .failure(let failure): throw walkError(failure, what: "hard link target \(rawTarget)")
        }
        defer { close(targetParent) }
        guard let type = AnchoredDirectory.fileType(targetName, in: targetParent) else {
            throw PodlabError(.archive, "unpack(\(reader.name)): entry \(entryName): hard link target \(rawTarget) does not exist (yet)")
        }
        if type == S_IFDIR {
            throw PodlabError(.archive, "unpack(\(reader.name)): entry \(entryName): hard link to directory \(rawTarget) refused")
        }
        let parent = try parentFd(components.dropLast())
        // Flags 0: never follow a symlink target, so linking to `evil -> /etc/shadow` links the
        // symlink itself, which stays harmless inside the root.
        if linkat(targetParent, targetName, parent, name, 0) != 0 {
            guard errno == EEXIST else { throw syscallError("linkat", name, errno) }
            if components == targetComponents { return }
            try replace(name, in: parent, key: key)
            guard linkat(targetParent, targetName, parent, name, 0) == 0 else { throw syscallError("linkat", name, errno) }
        }
    }

    /// Owner, mode and times for things we must not open (symlinks, FIFOs).
    private func applyMetadata(_ entry: ArchiveEntryRef, name: String, parent: Int32, chmod: Bool) throws {
        if options.preserveOwners, fchownat(parent, name, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw syscallError("fchownat", name, errno)
        }
        if chmod, fchmodat(parent, name, mode_t(entry.permissions), 0) != 0 { throw syscallError("fchmodat", name, errno) }
        var times = [entry.atime.map(Self.timespecOf) ?? Self.timespecOf(entry.mtime), Self.timespecOf(entry.mtime)]
        if utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw syscallError("utimensat", name, errno) }
    }

    // MARK: whiteouts (OCI image spec, "Representing Changes": whiteouts and opaque whiteouts)

    private func applyWhiteout(name: String, parentComponents: ArraySlice<String>) throws {
        report.whiteouts += 1
        let parentKey = parentComponents.joined(separator: "/")
        if name == ".wh..wh..opq" {
            // Opaque: hide everything lower layers put in this directory; keep what this layer adds.
            let parent = try parentFd(parentComponents)
            let fd = try checkedSyscall("dup(\(target)/\(parentKey))") { dup(parent) }
            defer { close(fd) }
            try prune(fd, key: parentKey)
            return
        }
        let hidden = String(name.dropFirst(4))
        guard !hidden.isEmpty, hidden != ".", hidden != ".." else {
            throw PodlabError(.archive, "unpack(\(reader.name)): entry \(entryName): invalid whiteout")
        }
        let parent: Int32
        switch AnchoredDirectory.open(parentComponents, under: root, create: false, display: target) {
        case .success(let fd): parent = fd
        case .failure(.missing): return  // nothing to hide
        case .failure(let failure): throw walkError(failure, what: "whiteout parent")
        }
        defer { close(parent) }
        let key = parentKey.isEmpty ? hidden : parentKey + "/" + hidden
        invalidateCache(under: key)
        try AnchoredDirectory.removeTree(hidden, in: parent, display: target + "/" + parentKey)
    }

    /// Removes from directory `fd` every child this layer did not create, recursing into the ones it did.
    private func prune(_ fd: Int32, key: String) throws {
        for child in try AnchoredDirectory.entries(of: fd, display: target + "/" + key) {
            let childKey = key.isEmpty ? child : key + "/" + child
            if !createdPaths.contains(childKey) {
                invalidateCache(under: childKey)
                try AnchoredDirectory.removeTree(child, in: fd, display: target + "/" + key)
            } else if AnchoredDirectory.fileType(child, in: fd) == S_IFDIR {
                let childFd = try checkedSyscall("openat(\(target)/\(childKey))") { openat(fd, child, AnchoredDirectory.directoryFlags) }
                defer { close(childFd) }
                try prune(childFd, key: childKey)
            }
        }
    }

    // MARK: directories

    private func record(directory components: [String], _ entry: ArchiveEntryRef) {
        let mtime = Self.timespecOf(entry.mtime)
        directories[components.joined(separator: "/")] = DirectoryMetadata(
            components: components, permissions: entry.permissions, uid: entry.uid, gid: entry.gid,
            mtime: mtime, atime: entry.atime.map(Self.timespecOf) ?? mtime,
            xattrs: options.preserveXattrs ? entry.xattrs : [])
    }

    /// Directory metadata last and deepest first: creating children updates a directory's mtime,
    /// and a read-only directory must stay writable until its children exist.
    private func applyDirectoryMetadata() throws {
        closeCachedParent()
        let ordered = directories.values.sorted { $0.components.count > $1.components.count }
        for dir in ordered {
            let fd: Int32
            switch AnchoredDirectory.open(dir.components[...], under: root, create: false, display: target) {
            case .success(let opened): fd = opened
            case .failure(.missing), .failure(.notDirectory), .failure(.symlink):
                continue  // replaced or whited out by a later entry
            case .failure(let failure): throw walkError(failure, what: "directory")
            }
            defer { close(fd) }
            let display = ([target] + dir.components).joined(separator: "/")
            if options.preserveOwners, fchown(fd, dir.uid, dir.gid) != 0 {
                throw PodlabError.syscall("fchown(\(display))", Errno(rawValue: errno))
            }
            if fchmod(fd, mode_t(dir.permissions)) != 0 { throw PodlabError.syscall("fchmod(\(display))", Errno(rawValue: errno)) }
            setXattrs(dir.xattrs, fd: fd)
            var times = [dir.atime, dir.mtime]
            if futimens(fd, &times) != 0 { throw PodlabError.syscall("futimens(\(display))", Errno(rawValue: errno)) }
        }
    }

    // MARK: helpers

    /// The fd of the directory holding an entry, creating missing parents, from the cache when the
    /// previous entry had the same parent.
    private func parentFd(_ components: ArraySlice<String>) throws -> Int32 {
        let key = components.joined(separator: "/")
        if key == cachedParentKey { return cachedParentFd }
        closeCachedParent()
        switch AnchoredDirectory.open(components, under: root, create: true, display: target) {
        case .success(let fd):
            cachedParentKey = key
            cachedParentFd = fd
            return fd
        case .failure(let failure):
            throw walkError(failure, what: "parent directory")
        }
    }

    func closeCachedParent() {
        if cachedParentFd >= 0 { close(cachedParentFd) }
        cachedParentFd = -1
        cachedParentKey = nil
    }

    /// Forgets the cached parent if `key` is it or one of its ancestors (about to be removed).
    private func invalidateCache(under key: String) {
        guard let cached = cachedParentKey else { return }
        if key.isEmpty || cached == key || cached.hasPrefix(key + "/") { closeCachedParent() }
    }

    /// Removes whatever is at `name` so a new entry can take its place (tar's overwrite semantics).
    ///
    /// A directory is removed with everything below it: the later entry wins, as in containerd's
    /// layer apply (archive/tar.go, `applyNaive`: an existing path is removed and replaced unless
    /// both it and the new entry are directories, which merge). So a layer turning `/opt/app`
    /// from a directory into a file or symlink works instead of failing with "Directory not
    /// empty". `removeTree` never follows symlinks, so this cannot reach outside the target.
    private func replace(_ name: String, in parent: Int32, key: String) throws {
        invalidateCache(under: key)
        if AnchoredDirectory.fileType(name, in: parent) == S_IFDIR {
            let parentPath = key.split(separator: "/").dropLast().joined(separator: "/")
            try AnchoredDirectory.removeTree(name, in: parent, display: parentPath.isEmpty ? target : target + "/" + parentPath)
        } else if unlinkat(parent, name, 0) != 0 && errno != ENOENT {
            throw syscallError("unlinkat", name, errno)
        }
    }

    private func setXattrs(_ xattrs: [(name: String, value: [UInt8])], fd: Int32) {
        for xattr in xattrs {
            let result = Xattr.set(fd: fd, name: xattr.name, value: xattr.value)
            if result != 0 {
                // Like bsdtar: a filesystem without that xattr namespace is a warning, not a failure.
                report.warnings.append("xattr \(xattr.name) on \(entryName) not restored: \(Errno(rawValue: errno))")
            }
        }
    }

    private func walkError(_ failure: WalkFailure, what: String) -> PodlabError {
        let prefix = "unpack(\(reader.name)): entry \(entryName)"
        switch failure {
        case .symlink(let path):
            return PodlabError(.archive, "\(prefix): refusing to write through symlink \(path) (\(what))")
        case .notDirectory(let path):
            return PodlabError(.archive, "\(prefix): \(path) is not a directory (\(what))")
        case .missing(let path):
            return PodlabError(.archive, "\(prefix): \(path) does not exist (\(what))")
        case .syscall(let operation, let err):
            return PodlabError(.syscall, "\(prefix): \(operation)", cause: err)
        }
    }

    private func syscallError(_ call: String, _ name: String, _ code: Int32) -> PodlabError {
        PodlabError(.syscall, "unpack(\(reader.name)): entry \(entryName): \(call)(\(name))", cause: Errno(rawValue: code))
    }

    private static func timespecOf(_ time: (seconds: Int, nanoseconds: Int)) -> timespec {
        timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds)
    }
}
