import Foundation

/// Where podlab keeps things on the host. Every location can be moved with an environment
/// variable so tests and parallel CI jobs never share state by accident.
public struct PodlabPaths: Sendable, Equatable {
    /// Runtime state of live pods (tmpfs-like, gone on reboot): `/run/podlab`. `PODLAB_STATE_DIR`.
    public var stateDir: String
    /// Persistent data: unpacked image cache, IPAM leases: `/var/lib/podlab`. `PODLAB_DATA_DIR`.
    public var dataDir: String
    /// The image catalog and its tarballs: `./rootfs` of the checkout. `PODLAB_ROOTFS_DIR`.
    public var rootfsDir: String
    /// Lab files: `./Labs`. `PODLAB_LABS_DIR`.
    public var labsDir: String
    /// Reports: `./reports`. `PODLAB_REPORTS_DIR`.
    public var reportsDir: String

    /// What makes this state directory's names on the host its own (see `hostName(forPod:)`):
    /// nil for the default state directory, else 8 hex digits of a hash of its absolute path.
    public private(set) var instanceTag: String?

    /// The default state directory, whose host-wide names carry no instance tag.
    public static let defaultStateDir = "/run/podlab"

    public init(stateDir: String, dataDir: String, rootfsDir: String, labsDir: String, reportsDir: String) {
        self.instanceTag = Self.instanceTag(forStateDirectory: stateDir)
        self.stateDir = stateDir
        self.dataDir = dataDir
        self.rootfsDir = rootfsDir
        self.labsDir = labsDir
        self.reportsDir = reportsDir
    }

    /// The paths from the environment, defaulting to the system locations and the checkout's
    /// `rootfs/`, `Labs/` and `reports/`: the current directory when it has a `Labs/` folder,
    /// else the checkout the running binary was built in (`<checkout>/.build/…/podlab`), so
    /// `podlab run pause-persistence` works from any directory.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> PodlabPaths {
        let cwd = checkoutDirectory()
        return PodlabPaths(
            stateDir: env["PODLAB_STATE_DIR"] ?? defaultStateDir,
            dataDir: env["PODLAB_DATA_DIR"] ?? "/var/lib/podlab",
            rootfsDir: env["PODLAB_ROOTFS_DIR"] ?? cwd + "/rootfs",
            labsDir: env["PODLAB_LABS_DIR"] ?? cwd + "/Labs",
            reportsDir: env["PODLAB_REPORTS_DIR"] ?? cwd + "/reports")
    }

    /// The `PODLAB_*_DIR` variables that make a child podlab process use these same paths.
    public var environment: [String: String] {
        ["PODLAB_STATE_DIR": stateDir, "PODLAB_DATA_DIR": dataDir, "PODLAB_ROOTFS_DIR": rootfsDir,
         "PODLAB_LABS_DIR": labsDir, "PODLAB_REPORTS_DIR": reportsDir]
    }

    /// The directory holding `Labs/`: the current one, else the nearest ancestor of the
    /// executable that has `Labs/` and `Package.swift`, else the current one.
    static func checkoutDirectory() -> String {
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath
        if fm.fileExists(atPath: cwd + "/Labs") { return cwd }
        var dir = ((try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "") as NSString
        while dir.length > 1 {
            dir = dir.deletingLastPathComponent as NSString
            if fm.fileExists(atPath: "\(dir)/Labs") && fm.fileExists(atPath: "\(dir)/Package.swift") { return dir as String }
        }
        return cwd
    }

    /// The content-addressed cache of unpacked images: `<dataDir>/images/<sha256>/rootfs`.
    public var imageCacheDir: String { dataDir + "/images" }
    /// IPAM leases, one file per address: `<dataDir>/ipam/<network>`.
    public var ipamDir: String { dataDir + "/ipam" }
    /// One directory per pod: `<stateDir>/pods/<name>`.
    public var podsDir: String { stateDir + "/pods" }

    // MARK: names on the host

    /// The machine-wide name of pod `key` (netns pin `podlab-<name>`, host veth hash, cgroup
    /// `<parent>/<name>`, IP lease owner). Pods live in a state directory, but those names are
    /// shared by the whole machine: two state directories (a lab run and a test run, two CI jobs)
    /// applying the same pod must not kill each other's processes or unpin each other's netns.
    /// So every name is qualified by the instance: `key` for the default state directory (the
    /// names users see in `ip netns` stay `podlab-<pod>`), `key.<tag>` for any other. Pod keys
    /// are DNS-1123 labels joined by `-`, so they never contain a `.`.
    public func hostName(forPod key: String) -> String {
        instanceTag.map { "\(key).\($0)" } ?? key
    }

    /// Whether a machine-wide pod name (from `hostName(forPod:)`) belongs to this state
    /// directory: what `podlab clean` may remove without touching another instance's pods.
    public func ownsHostName(_ name: String) -> Bool {
        guard let instanceTag else { return !name.contains(".") }
        return name.hasSuffix(".\(instanceTag)")
    }

    /// The pod key inside a machine-wide name this instance owns (nil if not ours).
    public func podKey(fromHostName name: String) -> String? {
        guard ownsHostName(name) else { return nil }
        return instanceTag.map { String(name.dropLast($0.count + 1)) } ?? name
    }

    /// 8 hex digits of FNV-1a over the state directory's absolute, symlink-free path (stable
    /// across processes, unlike Swift's seeded `Hasher`); nil for the default state directory.
    static func instanceTag(forStateDirectory stateDir: String) -> String? {
        let resolved = canonicalPath(stateDir)
        if resolved == defaultStateDir { return nil }
        return StableHash.fnv1a32Hex(resolved)
    }

    /// `path` absolute, without `.`/`..`/trailing slash, and with symlinks resolved where it
    /// exists (`realpath`): two spellings of one directory give one string.
    public static func canonicalPath(_ path: String) -> String {
        var resolved = URL(fileURLWithPath: path).standardizedFileURL.path
        if let real = realpath(resolved, nil) {
            resolved = String(cString: real)
            free(real)
        }
        return resolved
    }

    // MARK: refusing dangerous locations

    /// System directories that must never be a state or data directory: `podlab clean` removes
    /// what it made there, and a pod directory layout spread over `/run` or `/var` would put
    /// other software's files next to podlab's.
    public static let systemDirectories: Set<String> = [
        "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt", "/opt",
        "/proc", "/root", "/run", "/run/lock", "/run/netns", "/run/user", "/sbin", "/srv", "/sys", "/tmp", "/usr",
        "/usr/local", "/var", "/var/lib", "/var/log", "/var/run", "/var/tmp", "/var/cache",
    ]

    /// Throws `.invalidArgument` naming the variable if the state or data directory is relative
    /// or a system directory (`PODLAB_STATE_DIR=/run` would make `clean` work in `/run`).
    public func requireSafeDirectories() throws {
        for (variable, path) in [("PODLAB_STATE_DIR", stateDir), ("PODLAB_DATA_DIR", dataDir)] {
            guard path.hasPrefix("/") else {
                throw PodlabError(.invalidArgument, "\(variable)=\(path): must be an absolute path")
            }
            let resolved = Self.canonicalPath(path)
            if Self.systemDirectories.contains(resolved) {
                throw PodlabError(.invalidArgument,
                                  "\(variable)=\(path) is a system directory; podlab needs a directory of its own there (e.g. \(resolved == "/" ? "" : resolved)/podlab)")
            }
        }
    }
}
