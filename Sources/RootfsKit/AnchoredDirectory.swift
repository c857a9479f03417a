#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore
import SystemPackage

/// Why a component-by-component walk stopped.
enum WalkFailure: Error {
    /// A component is a symbolic link; following it could leave the root.
    case symlink(String)
    /// A component exists but is not a directory.
    case notDirectory(String)
    /// A component does not exist (and creating was not requested).
    case missing(String)
    /// A system call failed: the call with its argument, and errno.
    case syscall(String, Errno)
}

/// Path operations anchored to a directory fd, never following symlinks.
///
/// This is what makes extraction safe without `chroot`: every lookup is `openat(dirfd, component,
/// O_NOFOLLOW | O_DIRECTORY)`, so neither `..` nor a symlink planted by an earlier entry can move
/// the walk outside `root` (the same idea as runc's `securejoin` and containerization's
/// `FileDescriptorOps`, done here one component at a time).
enum AnchoredDirectory {
    static let directoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

    /// Opens the directory `components` below `root` (the caller closes the fd; `root` itself is
    /// returned as a new fd when `components` is empty).
    ///
    /// - Parameters:
    ///   - create: make missing directories (mode 0755) like tar does for implicit parents.
    ///   - display: the root's path, for messages.
    static func open(_ components: ArraySlice<String>, under root: Int32, create: Bool, display: String) -> Result<Int32, WalkFailure> {
        var fd = dup(root)
        if fd < 0 { return .failure(.syscall("dup(\(display))", Errno(rawValue: errno))) }
        var walked = display
        for component in components {
            walked += "/" + component
            var next = openat(fd, component, directoryFlags)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, component, 0o755) != 0 && errno != EEXIST {
                    let err = Errno(rawValue: errno)
                    close(fd)
                    return .failure(.syscall("mkdirat(\(walked))", err))
                }
                next = openat(fd, component, directoryFlags)
            }
            if next < 0 {
                let err = errno
                let failure = classify(err, parent: fd, name: component, walked: walked)
                close(fd)
                return .failure(failure)
            }
            close(fd)
            fd = next
        }
        return .success(fd)
    }

    /// Turns an `openat(O_NOFOLLOW|O_DIRECTORY)` errno into a reason a user understands.
    static func classify(_ err: Int32, parent: Int32, name: String, walked: String) -> WalkFailure {
        if err == ENOENT { return .missing(walked) }
        if err == ELOOP || err == ENOTDIR {
            var st = stat()
            if fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                return (st.st_mode & S_IFMT) == S_IFLNK ? .symlink(walked) : .notDirectory(walked)
            }
        }
        return .syscall("openat(\(walked))", Errno(rawValue: err))
    }

    /// The file type (`S_IFMT` bits) of `name` in `parent`, not following symlinks; nil if missing.
    static func fileType(_ name: String, in parent: Int32) -> mode_t? {
        var st = stat()
        guard fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return st.st_mode & S_IFMT
    }

    /// Removes `name` in `parent` and, if it is a directory, everything below it, without following
    /// symlinks. Missing is not an error.
    ///
    /// Iterative, with one directory descriptor open at a time: a hostile archive may nest
    /// directories deeper than RLIMIT_NOFILE (pax paths have no length limit), and a recursive
    /// walk then failed with EMFILE, leaving a scratch dir that every later unpack of the same
    /// digest tripped over. Going back up uses `..`, checked against the device and inode seen on
    /// the way down, so a directory moved meanwhile stops the removal instead of misdirecting it.
    static func removeTree(_ name: String, in parent: Int32, display: String) throws {
        guard let type = fileType(name, in: parent) else { return }
        if type != S_IFDIR {
            if unlinkat(parent, name, 0) != 0 && errno != ENOENT {
                throw PodlabError.syscall("unlinkat(\(display)/\(name))", Errno(rawValue: errno))
            }
            return
        }
        struct Level {
            var name: String
            var device: dev_t
            var inode: ino_t
            var subdirectories: [String]
        }
        var levels: [Level] = []
        var current: Int32 = -1
        defer { if current >= 0 { close(current) } }
        func path() -> String { ([display] + levels.map(\.name)).joined(separator: "/") }

        /// Makes `fd` (directory `childName` of the current level) current: unlinks its
        /// non-directories and remembers its subdirectories.
        func enter(_ fd: Int32, _ childName: String) throws {
            if current >= 0 { close(current) }
            current = fd
            var st = stat()
            levels.append(Level(name: childName, device: 0, inode: 0, subdirectories: []))
            try checkedSyscall("fstat(\(path()))") { fstat(fd, &st) }
            levels[levels.count - 1].device = st.st_dev
            levels[levels.count - 1].inode = st.st_ino
            var subdirectories: [String] = []
            for child in try entries(of: fd, display: path()) {
                if fileType(child, in: fd) == S_IFDIR {
                    subdirectories.append(child)
                } else if unlinkat(fd, child, 0) != 0 && errno != ENOENT {
                    throw PodlabError.syscall("unlinkat(\(path())/\(child))", Errno(rawValue: errno))
                }
            }
            levels[levels.count - 1].subdirectories = subdirectories
        }

        try enter(try checkedSyscall("openat(\(display)/\(name))") { openat(parent, name, directoryFlags) }, name)
        while let top = levels.last {
            if let child = top.subdirectories.last {
                levels[levels.count - 1].subdirectories.removeLast()
                let fd = openat(current, child, directoryFlags)
                if fd >= 0 {
                    try enter(fd, child)
                } else if errno == ENOTDIR || errno == ELOOP {
                    // Replaced by a file or symlink since it was listed: unlink that instead.
                    if unlinkat(current, child, 0) != 0 && errno != ENOENT {
                        throw PodlabError.syscall("unlinkat(\(path())/\(child))", Errno(rawValue: errno))
                    }
                } else if errno != ENOENT {
                    throw PodlabError.syscall("openat(\(path())/\(child))", Errno(rawValue: errno))
                }
                continue
            }
            // `top` is empty now: step up to its parent and remove it.
            levels.removeLast()
            guard let up = levels.last else {
                close(current)
                current = -1
                if unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT {
                    throw PodlabError.syscall("unlinkat(\(display)/\(name), AT_REMOVEDIR)", Errno(rawValue: errno))
                }
                return
            }
            let fd = try checkedSyscall("openat(\(path())/\(top.name)/..)") { openat(current, "..", directoryFlags) }
            close(current)
            current = fd
            var st = stat()
            try checkedSyscall("fstat(\(path()))") { fstat(fd, &st) }
            guard st.st_dev == up.device && st.st_ino == up.inode else {
                throw PodlabError(.invalidState, "remove(\(path())/\(top.name)): its parent changed during the removal; stopped")
            }
            if unlinkat(current, top.name, AT_REMOVEDIR) != 0 && errno != ENOENT {
                throw PodlabError.syscall("unlinkat(\(path())/\(top.name), AT_REMOVEDIR)", Errno(rawValue: errno))
            }
        }
    }

    /// The names in directory `fd` (without `.` and `..`), sorted bytewise. `fd` stays open.
    static func entries(of fd: Int32, display: @autoclosure () -> String) throws -> [String] {
        let copy = try checkedSyscall("dup(\(display()))") { dup(fd) }
        guard let dir = fdopendir(copy) else {
            let err = Errno(rawValue: errno)
            close(copy)
            throw PodlabError.syscall("fdopendir(\(display()))", err)
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress.unsafelyUnwrapped)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
