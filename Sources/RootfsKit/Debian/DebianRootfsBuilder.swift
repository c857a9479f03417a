import Foundation
import PodlabCore

/// Builds a rootfs tarball from Debian packages with Debian's `mmdebstrap`
/// (docs/FIDELITY.md #101).
///
/// mmdebstrap runs in `--mode=root` (podlab runs as root; no user namespaces needed, which CI
/// containers often forbid) into a scratch directory with `--format=directory`; the recipe's
/// customize script runs as its `--customize-hook`; then podlab packs the directory itself with
/// libarchive (`DirectoryTarWriter`), every mtime clamped to `SOURCE_DATE_EPOCH` (like tar's
/// `--clamp-mtime`). mmdebstrap gets `SOURCE_DATE_EPOCH` too, so the package set and timestamps
/// are stable; the package *versions* are whatever the mirror serves on the day (pin a
/// snapshot.debian.org mirror to fix them).
public struct DebianRootfsBuilder {
    /// The mmdebstrap executable: a path, or a name searched in PATH.
    public var mmdebstrap: String
    /// The mtime clamp and mmdebstrap's `SOURCE_DATE_EPOCH`.
    public var sourceDateEpoch: Int

    /// What a build produced.
    public struct Result: Sendable {
        public var entryCount: Int
        /// The installed version of each of the recipe's packages (from the image's dpkg status).
        public var packageVersions: [String: String]
    }

    public init(mmdebstrap: String = "mmdebstrap", sourceDateEpoch: Int? = nil) {
        self.mmdebstrap = mmdebstrap
        self.sourceDateEpoch = sourceDateEpoch
            ?? ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int($0) }
            ?? 1_704_067_200
    }

    /// The absolute path of mmdebstrap, or a `.notFound` error that says how to get it and what
    /// still works without it.
    public func locate() throws -> String {
        if mmdebstrap.contains("/") {
            if FileManager.default.isExecutableFile(atPath: mmdebstrap) { return mmdebstrap }
        } else {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            for dir in path.split(separator: ":") + ["/usr/bin", "/usr/sbin"] {
                let candidate = "\(dir)/\(mmdebstrap)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        throw PodlabError(.notFound, "build Debian rootfs: \(mmdebstrap) not found; install it with `apt-get install mmdebstrap` (it needs apt access to a Debian mirror). Without it, use the busybox image (`podlab rootfs build busybox`)")
    }

    /// Runs mmdebstrap for `recipe` in `scratch` (an empty directory the caller removes) and
    /// writes the gzip tarball to `path`, replacing it atomically. mmdebstrap's output goes to
    /// `log`, which the error names when it fails.
    public func build(_ recipe: DebianImageRecipe, scratch: String, log: String, to path: String) throws -> Result {
        let executable = try locate()
        guard RootfsPlatform.isRoot else {
            throw PodlabError(.unsupported, "build Debian rootfs: mmdebstrap --mode=root needs root; run podlab as root")
        }
        for package in recipe.packages { try DebianImageRecipe.validatePackage(package) }
        let root = scratch + "/root"
        var arguments = [
            "--mode=root", "--variant=\(recipe.variant)", "--format=directory",
            // Documentation is not needed in a container (what the official images' slim variants do).
            "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-exclude=/usr/share/info/*", "--dpkgopt=path-exclude=/usr/share/locale/*",
        ]
        if !recipe.packages.isEmpty { arguments.append("--include=" + recipe.packages.joined(separator: ",")) }
        if !recipe.customizeScript.isEmpty { arguments.append("--customize-hook=" + recipe.customizeScript) }
        // Logs and caches that only record when the build ran.
        arguments.append("--customize-hook=rm -rf \"$1\"/var/log/apt \"$1\"/var/log/dpkg.log \"$1\"/var/log/alternatives.log \"$1\"/var/cache/ldconfig/aux-cache \"$1\"/var/cache/debconf/*-old \"$1\"/var/lib/dpkg/*-old")
        arguments += [recipe.suite, root]
        if let mirror = recipe.mirror { arguments.append(mirror) }

        let status = try run(executable, arguments, log: log)
        guard status == 0 else {
            let tail = (try? String(contentsOfFile: log, encoding: .utf8)).map { text in
                text.split(separator: "\n").suffix(12).joined(separator: "\n  ")
            } ?? ""
            let network = ["Failed to fetch", "Temporary failure resolving", "Could not resolve", "Unable to connect", "Release file", "Network is unreachable"]
                .contains { tail.contains($0) }
            let hint = network
                ? "mmdebstrap could not reach the Debian mirror \(recipe.mirror ?? "http://deb.debian.org/debian") (apt access is needed to build this image; without it use busybox images, e.g. the sidecar-busybox lab)"
                : "mmdebstrap failed"
            throw PodlabError(.invalidState, "build Debian rootfs (\(recipe.suite), \(recipe.packages.joined(separator: " "))): \(hint), exit status \(status); full log: \(log)\n  \(tail)")
        }
        let versions = try Self.installedVersions(of: recipe.packages, root: root)

        let temporary = path + ".tmp-\(getpid())"
        do {
            let writer = try ArchiveWriter(path: temporary, compression: .gzip)
            let count = try DirectoryTarWriter.write(root: root, to: writer, clampMtime: sourceDateEpoch)
            try writer.finish()
            try checkedSyscall("rename(\(temporary), \(path))") { rename(temporary, path) }
            return Result(entryCount: count, packageVersions: versions)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Runs mmdebstrap with stdout and stderr to `log`; returns its exit status.
    private func run(_ executable: String, _ arguments: [String], log: String) throws -> Int32 {
        guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log) else {
            throw PodlabError(.invalidState, "create(\(log)): cannot create the build log")
        }
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SOURCE_DATE_EPOCH"] = String(sourceDateEpoch)
        environment["LC_ALL"] = "C.UTF-8"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        do { try process.run() } catch {
            throw PodlabError(.invalidState, "exec(\(executable)): \(error)")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// `Version:` of each package in `<root>/var/lib/dpkg/status`.
    static func installedVersions(of packages: [String], root: String) throws -> [String: String] {
        let statusPath = root + "/var/lib/dpkg/status"
        guard let text = try? String(contentsOfFile: statusPath, encoding: .utf8) else {
            throw PodlabError(.notFound, "read(\(statusPath)): the built rootfs has no dpkg status")
        }
        let wanted = Set(packages.compactMap { $0.split(separator: "=").first?.split(separator: "/").first.map(String.init) })
        var versions: [String: String] = [:]
        for paragraph in text.components(separatedBy: "\n\n") {
            var fields: [String: String] = [:]
            for line in paragraph.split(separator: "\n") where !line.hasPrefix(" ") {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
            }
            if let name = fields["Package"], wanted.contains(name), let version = fields["Version"] { versions[name] = version }
        }
        return versions
    }

    /// Unmounts whatever an interrupted mmdebstrap left mounted below `directory` (it mounts
    /// /proc, /sys and /dev in the chroot while packages install), deepest first, so removing
    /// the scratch tree never descends into the host's /proc or /dev.
    public static func unmountLeftovers(below directory: String) {
        guard let mounts = FileSystem.readWholeText("/proc/self/mounts") else { return }
        let targets = mounts.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            // /proc/self/mounts escapes space, tab, newline and backslash as octal.
            let target = String(fields[1]).replacingOccurrences(of: "\\040", with: " ").replacingOccurrences(of: "\\011", with: "\t")
            return target.hasPrefix(directory + "/") ? target : nil
        }
        for target in targets.sorted(by: { $0.count > $1.count }) { umount2(target, Int32(MNT_DETACH)) }
    }
}
