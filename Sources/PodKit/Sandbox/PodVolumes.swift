import CPodlab
import Foundation
import PodlabCore
import PodlabSyscalls
import SystemPackage

/// The pod's volumes on the host: `<pod dir>/volumes/<name>`, created once per pod (they
/// survive container restarts and sandbox recreation) and removed on delete.
/// docs/FIDELITY.md #28–#31.
public struct PodVolumes {
    public let podDirectory: String

    public init(podDirectory: String) {
        self.podDirectory = podDirectory
    }

    /// The volume's directory. Volume names are DNS-1123 labels (checked by the manifest
    /// parser); one that is not a single path component is refused here too, since it becomes
    /// a path.
    public func path(of volume: String) throws -> String {
        guard !volume.isEmpty, !volume.contains("/"), volume != ".", volume != "..", !volume.utf8.contains(0) else {
            throw PodlabError(.invalidArgument, "volume name \(volume.debugDescription): must be a DNS-1123 label")
        }
        return PodDirectory(podDirectory).volume(volume)
    }

    /// Prepares the `subPath` of a container's volume mount, as kubelet does before it starts
    /// the container (`pkg/volume/util/subpath/subpath_linux.go` `doSafeMakeDir`): resolved
    /// inside the volume with openat2(`RESOLVE_BENEATH`), created with the volume's own mode if
    /// missing. A subPath that resolves outside the volume — a symlink a container planted to
    /// `/`, or `..` — fails, as kubelet's "subpath … not within volume path" does.
    ///
    /// The container's process resolves it again, the same way, in its own mount namespace and
    /// binds the resulting fd (`MountEntry.sourceBeneath`), so a symlink swapped in after this
    /// check cannot redirect the mount either. Returns whether it is a regular file (the mount
    /// target is then created as a file).
    public func prepareSubPath(volume: String, subPath: String) throws -> Bool {
        let root = try ConfinedDirectory(path: try path(of: volume))
        let fd: Int32
        if let existing = try? root.open(subPath, flags: PL_O_PATH) {
            fd = existing
        } else {
            var info = stat()
            try checkedSyscall("fstat(\(root.display))") { fstat(root.fd, &info) }
            fd = try root.makeDirectories(subPath, mode: info.st_mode & 0o7777)
        }
        defer { close(fd) }
        var info = stat()
        try checkedSyscall("fstat(\(root.display)/\(subPath))") { fstat(fd, &info) }
        let type = info.st_mode & S_IFMT
        guard type == S_IFDIR || type == S_IFREG else {
            throw PodlabError(.invalidArgument, "subPath \(subPath.debugDescription) of volume \(volume): not a directory or regular file")
        }
        return type == S_IFREG
    }

    /// Creates every volume of the pod. Idempotent: existing volumes keep their data.
    public func prepare(_ spec: PodSpec) throws {
        for volume in spec.volumes {
            let dir = try path(of: volume.name)
            if FileSystem.exists(dir) { continue }
            try FileSystem.makeDirectories(dir)
            switch volume.source {
            case .emptyDir(let memory, let sizeLimit):
                if memory {
                    // medium: Memory is a tmpfs sized by the smallest of sizeLimit and the pod's
                    // memory limit (kubelet emptyDir `SizeMemoryBackedVolumes`, #29).
                    let podLimit = spec.containers.compactMap(\.resources.memoryLimit)
                    let limit = spec.containers.allSatisfy({ $0.resources.memoryLimit != nil }) ? podLimit.reduce(0, +) : nil
                    let size = [sizeLimit, limit].compactMap { $0 }.min()
                    let options = "mode=0777" + (size.map { ",size=\($0)" } ?? "")
                    try checkedSyscall("mount(tmpfs, \(dir), \(options))") {
                        mount("tmpfs", dir, "tmpfs", UInt(MS_NOSUID | MS_NODEV), options)
                    }
                }
                // emptyDir is 0777 (kubelet `perm`, #28); chmod because of the umask.
                try checkedSyscall("chmod(\(dir), 0777)") { chmod(dir, 0o777) }
            case .configMap(let name, let items, let defaultMode, _):
                // The configMap plugin sets up a wrapped emptyDir first (configmap.go SetUpAt,
                // `wrappedVolumeSpec`), so its root is the emptyDir's 0777 (docs/FIDELITY.md #92).
                try checkedSyscall("chmod(\(dir), 0777)") { chmod(dir, 0o777) }
                try writeConfigMap(spec.configMaps[name] ?? [:], items: items, defaultMode: defaultMode, into: dir)
            }
            // fsGroup: emptyDir and configMap volumes (docs/FIDELITY.md #72).
            if let fsGroup = spec.securityContext?.fsGroup {
                var readOnly = false
                if case .configMap = volume.source { readOnly = true }
                try VolumeOwnership.apply(fsGroup: fsGroup, to: dir, readOnly: readOnly)
            }
        }
    }

    /// kubelet's atomic writer layout (#30): a timestamped data directory, `..data` pointing at
    /// it, and one symlink per top-level entry into `..data`
    /// (`pkg/volume/util/atomic_writer.go`).
    ///
    /// Keys and item paths come from the manifest: every file is created through directory fds
    /// under the volume (`ConfinedDirectory`, openat2 `RESOLVE_BENEATH`), never by joining
    /// strings, so a key like `x/../../etc/passwd` cannot name a host file even if validation
    /// missed it.
    func writeConfigMap(_ data: [String: String], items: [KeyToPath], defaultMode: Int, into dir: String) throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy_MM_dd_HH_mm_ss"
        let stamp = "..\(formatter.string(from: Date())).\(UInt32.random(in: 100_000_000...999_999_999))"
        let volume = try ConfinedDirectory(path: dir)
        close(try volume.makeDirectories(stamp, mode: 0o755))
        let dataFD = try volume.open(stamp, flags: PL_O_PATH | O_DIRECTORY)
        let dataDir = ConfinedDirectory(adopting: dataFD, display: "\(dir)/\(stamp)")
        let files: [(path: String, content: String, mode: Int)] =
            items.isEmpty
            ? data.sorted { $0.key < $1.key }.map { ($0.key, $0.value, defaultMode) }
            : items.compactMap { item in data[item.key].map { (item.path, $0, item.mode ?? defaultMode) } }
        var topLevel = Set<String>()
        for file in files {
            // The API server allows 0–0777 (`validation.go` fileModeErrorMsg); the parser checks
            // it with a location, this keeps a bad value from reaching mode_t.
            guard let mode = mode_t(exactly: file.mode), mode <= 0o777 else {
                throw PodlabError(.invalidArgument, "configMap file \(file.path.debugDescription): mode \(file.mode) is not between 0 and 0777")
            }
            try dataDir.createFile(file.path, contents: Array(file.content.utf8), mode: mode)
            if let first = file.path.split(separator: "/").first { topLevel.insert(String(first)) }
        }
        try volume.createSymlink("..data", pointingAt: stamp)
        for entry in topLevel.sorted() {
            try volume.createSymlink(entry, pointingAt: "..data/\(entry)")
        }
    }

    /// Removes every volume (unmounting memory-backed ones). Never throws: used on delete;
    /// returns what could not be removed (`umount2(<volume>): EBUSY`, `rmdir(...)`).
    @discardableResult
    public func removeAll() -> [String] {
        var log = TeardownLog()
        let root = PodDirectory(podDirectory).volumes
        for name in (try? FileSystem.list(root)) ?? [] {
            // EINVAL: not a mount point (a disk-backed emptyDir).
            if umount2("\(root)/\(name)", Int32(MNT_DETACH)) != 0 && errno != EINVAL && errno != ENOENT {
                log.record("umount2(\(root)/\(name), MNT_DETACH): \(Errno(rawValue: errno))")
            }
        }
        log.attempt("volumes") { try FileSystem.removeTree(root) }
        return log.failures
    }
}
