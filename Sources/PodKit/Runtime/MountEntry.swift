/// One mount the container's process performs, in order, before `pivot_root` (see `pl_mount`).
///
/// `target` is a host path, normally under the container's rootfs; the process runs the plan in
/// its own mount namespace (made rslave first), so none of these mounts is visible on the host.
public struct MountEntry: Hashable, Sendable, CustomStringConvertible {
    /// mount(2) flags (`MS_*`). The values are the kernel ABI (`linux/mount.h`).
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }

        public static let readOnly = Flags(rawValue: 1)  // MS_RDONLY
        public static let noSuid = Flags(rawValue: 2)  // MS_NOSUID
        public static let noDev = Flags(rawValue: 4)  // MS_NODEV
        public static let noExec = Flags(rawValue: 8)  // MS_NOEXEC
        public static let bind = Flags(rawValue: 4096)  // MS_BIND
        public static let remount = Flags(rawValue: 32)  // MS_REMOUNT
        public static let recursive = Flags(rawValue: 16384)  // MS_REC
        public static let privatePropagation = Flags(rawValue: 1 << 18)  // MS_PRIVATE
        public static let slave = Flags(rawValue: 1 << 19)  // MS_SLAVE
        public static let shared = Flags(rawValue: 1 << 20)  // MS_SHARED
        public static let strictAtime = Flags(rawValue: 1 << 24)  // MS_STRICTATIME
    }

    /// What to create at `target` before mounting.
    public enum TargetCreation: Int32, Hashable, Sendable {
        /// The target must already exist.
        case none = 0
        /// `mkdir -p` the target (directories, filesystems).
        case directory = 1
        /// Create an empty file (to bind-mount a file such as /etc/hosts onto).
        case file = 2
        /// No mount: `target` becomes a symlink whose text is `source` (runc's
        /// `setupDevSymlinks`); an existing entry is kept. See ``MountEntry/symlink(_:at:)``.
        case symlink = 3
    }

    public var source: String?
    public var target: String
    public var fstype: String?
    public var data: String?
    public var flags: Flags
    public var create: TargetCreation
    /// For binds of an untrusted part of `source` (a volume's subPath): the relative path the
    /// container's process resolves beneath `source` with openat2(RESOLVE_BENEATH) and binds
    /// through its fd (see `pl_mount.source_beneath`). nil binds `source` itself.
    public var sourceBeneath: String?

    /// - Parameters:
    ///   - source: device or directory (`"overlay"`, `"tmpfs"`, a host path for binds).
    ///   - target: where, as a host path (under the rootfs for container mounts).
    ///   - fstype: filesystem type; nil for bind mounts.
    ///   - data: filesystem options (`"mode=755,size=65536k"`).
    ///   - flags: `MS_*` flags. `.bind` + `.readOnly` becomes bind then read-only remount.
    ///   - create: what to create at `target` first.
    public init(
        source: String?, target: String, fstype: String? = nil, data: String? = nil, flags: Flags = [],
        create: TargetCreation = .directory, sourceBeneath: String? = nil
    ) {
        self.sourceBeneath = sourceBeneath
        self.source = source
        self.target = target
        self.fstype = fstype
        self.data = data
        self.flags = flags
        self.create = create
    }

    /// A bind mount of `source` at `target`, read-only if asked.
    public static func bind(
        _ source: String, at target: String, readOnly: Bool = false, create: TargetCreation = .directory, beneath: String? = nil
    ) -> MountEntry {
        MountEntry(
            source: source, target: target, flags: readOnly ? [.bind, .recursive, .readOnly] : [.bind, .recursive],
            create: create, sourceBeneath: beneath)
    }

    /// A symlink at `target` (a host path under the rootfs) with the text `linkText`, made in
    /// plan order by the container's process, its parent resolved inside the rootfs.
    public static func symlink(_ linkText: String, at target: String) -> MountEntry {
        MountEntry(source: linkText, target: target, create: .symlink)
    }

    /// Whether the mount ends up read-only.
    public var isReadOnly: Bool { flags.contains(.readOnly) }

    /// `overlay on /…/rootfs (ro,nosuid)`: the shape of a line of `mount(8)` output.
    public var description: String {
        if create == .symlink { return "\(target) -> \(source ?? "")" }
        var options: [String] = []
        if flags.contains(.bind) { options.append(flags.contains(.recursive) ? "rbind" : "bind") }
        options.append(isReadOnly ? "ro" : "rw")
        if flags.contains(.noSuid) { options.append("nosuid") }
        if flags.contains(.noDev) { options.append("nodev") }
        if flags.contains(.noExec) { options.append("noexec") }
        if let data { options.append(data) }
        let type = fstype.map { " type \($0)" } ?? ""
        return "\(source ?? "none") on \(target)\(type) (\(options.joined(separator: ",")))"
    }
}

/// A device node for the container's /dev, made as runc's `createDeviceNode` makes it
/// (libcontainer/rootfs_linux.go): mknod of a character device at `target` with `node`'s
/// numbers, then chmod and chown to `node`'s mode and owner. Where mknod is refused with EPERM
/// (a user namespace), the host's node at `hostPath` is bind-mounted onto an empty file
/// instead, runc's `bindMountDeviceNode` fallback. docs/FIDELITY.md #225.
public struct DeviceEntry: Hashable, Sendable {
    /// The host's node, bound only in the fallback: `/dev/null`.
    public var hostPath: String
    /// Where it goes, as a host path: `<rootfs>/dev/null`.
    public var target: String
    /// Numbers, mode and owner of the node mknod creates.
    public var node: DeviceNode

    public init(hostPath: String, target: String, node: DeviceNode) {
        self.hostPath = hostPath
        self.target = target
        self.node = node
    }
}
