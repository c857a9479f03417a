import CPodlab
import PodlabCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A directory, held open, under which paths that come from untrusted input (a manifest's
/// `subPath`, a ConfigMap key, a file a container wrote into a volume) are resolved by the kernel
/// with `openat2(2)`, never by joining strings: whatever symlinks or `..` a container planted,
/// the result stays below the directory or the call fails.
///
/// Two ways to confine, as in `openat2(2)`:
/// - `.beneath` (`RESOLVE_BENEATH`): a path that would leave the directory fails with `EXDEV`.
///   This is kubelet's rule for subPath (`pkg/volume/util/subpath/subpath_linux.go`:
///   "subpath … not within volume path" is an error, the container does not start).
/// - `.inRoot` (`RESOLVE_IN_ROOT`): the directory acts as `/` (absolute symlinks and `..` stop
///   there), runc's rule for paths inside a container root (`securejoin`).
/// Both add `RESOLVE_NO_MAGICLINKS`, so `/proc/self/fd/N`-style links cannot jump out either.
public final class ConfinedDirectory {
    /// How paths below the directory are resolved.
    public enum Confinement: Sendable {
        case beneath
        case inRoot

        var resolveFlags: UInt64 {
            // linux/openat2.h
            let noMagicLinks: UInt64 = 0x02
            switch self {
            case .beneath: return 0x08 | noMagicLinks
            case .inRoot: return 0x10 | noMagicLinks
            }
        }

        var name: String {
            switch self {
            case .beneath: return "RESOLVE_BENEATH"
            case .inRoot: return "RESOLVE_IN_ROOT"
            }
        }
    }

    /// The open directory (`O_PATH`), owned by this object.
    public let fd: Int32
    /// The directory's path, for messages only: it is never used to reach files.
    public let display: String
    public let confinement: Confinement

    /// Opens `path` (a directory podlab itself made, e.g. a pod's volume) as the confining root.
    /// The last component must not be a symlink.
    public init(path: String, confinement: Confinement = .beneath) throws {
        fd = try checkedSyscall("open(\(path), O_PATH|O_DIRECTORY|O_NOFOLLOW)") {
            Glibc.open(path, PL_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        display = path
        self.confinement = confinement
    }

    /// Takes ownership of `fd`, an open directory.
    public init(adopting fd: Int32, display: String, confinement: Confinement = .beneath) {
        self.fd = fd
        self.display = display
        self.confinement = confinement
    }

    deinit { close(fd) }

    /// `openat2(fd, relative, flags)` with this directory's confinement. The caller owns the fd.
    public func open(_ relative: String, flags: Int32, mode: mode_t = 0) throws -> Int32 {
        try Self.requireRelative(relative, under: display)
        let how = confinement
        return try checkedSyscall("openat2(\(display), \(relative.debugDescription), \(how.name))") {
            pl_openat2(fd, relative.isEmpty ? "." : relative, flags | O_CLOEXEC, UInt32(mode), how.resolveFlags)
        }
    }

    /// Resolves `relative` to a directory, creating each missing component with `mode` (exactly,
    /// whatever the umask), and returns an `O_PATH` fd for it (the caller closes it).
    ///
    /// Each component is created with `mkdirat` in the already-resolved parent, then the path
    /// so far is resolved again with `openat2`: a symlink planted in between is followed only
    /// within the confinement, never out of it (kubelet `doSafeMakeDir`).
    public func makeDirectories(_ relative: String, mode: mode_t) throws -> Int32 {
        try Self.requireRelative(relative, under: display)
        var parent = try open("", flags: PL_O_PATH | O_DIRECTORY)
        var walked: [Substring] = []
        for component in relative.split(separator: "/", omittingEmptySubsequences: true) where component != "." {
            walked.append(component)
            let prefix = walked.joined(separator: "/")
            var next = pl_openat2(fd, prefix, PL_O_PATH | O_DIRECTORY | O_CLOEXEC, 0, confinement.resolveFlags)
            if next < 0 && errno == ENOENT {
                let name = String(component)
                if mkdirat(parent, name, mode) == 0 {
                    // mkdirat applies the umask; kubelet chmods afterwards too.
                    let created = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if created >= 0 {
                        fchmod(created, mode)
                        close(created)
                    }
                } else if errno != EEXIST {
                    let err = Errno(rawValue: errno)
                    close(parent)
                    throw PodlabError.syscall("mkdirat(\(display)/\(prefix))", err)
                }
                next = pl_openat2(fd, prefix, PL_O_PATH | O_DIRECTORY | O_CLOEXEC, 0, confinement.resolveFlags)
            }
            if next < 0 {
                let err = Errno(rawValue: errno)
                close(parent)
                throw PodlabError.syscall("openat2(\(display), \(prefix.debugDescription), \(confinement.name))", err)
            }
            close(parent)
            parent = next
        }
        return parent
    }

    /// Creates the regular file `relative` (its directories with mode 0755) with `contents` and
    /// exactly `mode`. Fails if anything already exists at that name (no write through a link).
    public func createFile(_ relative: String, contents: [UInt8], mode: mode_t) throws {
        let (directory, name) = try Self.split(relative, under: display)
        let parent = try makeDirectories(directory, mode: 0o755)
        defer { close(parent) }
        // An O_PATH fd is a valid dirfd for openat(2).
        let file = try checkedSyscall("openat(\(display)/\(relative), O_CREAT|O_EXCL|O_NOFOLLOW)") {
            openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        defer { close(file) }
        try checkedSyscall("fchmod(\(display)/\(relative), \(String(mode, radix: 8)))") { fchmod(file, mode) }
        try contents.withUnsafeBytes { try writeFully(file, $0, path: "\(display)/\(relative)") }
    }

    /// Creates a symlink `name` (a single component) in this directory pointing at `target`.
    public func createSymlink(_ name: String, pointingAt target: String) throws {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw PodlabError(.invalidArgument, "symlink name \(name.debugDescription) in \(display): must be one path component")
        }
        try checkedSyscall("symlinkat(\(target), \(display)/\(name))") { symlinkat(target, fd, name) }
    }

    /// Splits a relative file path into its directory part ("" for none) and its last component.
    static func split(_ relative: String, under display: String) throws -> (directory: String, name: String) {
        try requireRelative(relative, under: display)
        var components = relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let name = components.popLast(), name != ".", name != ".." else {
            throw PodlabError(.invalidArgument, "path \(relative.debugDescription) under \(display): must name a file")
        }
        return (components.joined(separator: "/"), name)
    }

    /// Untrusted paths are relative, free of NUL and of `..` components. openat2 would contain
    /// them anyway; refusing them early gives the user a clear message (kubelet refuses a
    /// subPath with `..` or a leading `/` at validation, `validateLocalDescendingPath`).
    static func requireRelative(_ relative: String, under display: String) throws {
        guard !relative.hasPrefix("/"), !relative.utf8.contains(0),
              !relative.split(separator: "/").contains("..") else {
            throw PodlabError(.invalidArgument,
                              "path \(relative.debugDescription) under \(display): must be relative, without '..' or NUL")
        }
    }
}
