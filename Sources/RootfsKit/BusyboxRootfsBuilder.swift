import Foundation
import PodlabCore

/// Builds podlab's default image: a busybox rootfs tarball made from Debian's `busybox-static`.
///
/// Layout follows the official `busybox` image: `/bin/busybox` with every applet as a hard link
/// (paths from `busybox --list-full`), the usual FHS directories, and minimal `/etc/passwd`,
/// `/etc/group`, `/etc/hosts`, `/etc/os-release`. `/etc/hostname` and `/etc/resolv.conf` are left to
/// the runtime, which bind-mounts them like the kubelet does.
///
/// Reproducible: entries sorted bytewise, every mtime = `SOURCE_DATE_EPOCH` (default
/// 2024-01-01T00:00:00Z), owners 0:0, pax without atime/ctime, gzip without a timestamp.
public struct BusyboxRootfsBuilder {
    /// The static busybox binary to package.
    public var busyboxPath: String
    /// The mtime of every entry.
    public var sourceDateEpoch: Int

    /// What a build produced.
    public struct Result: Sendable {
        public var entryCount: Int
        /// `BusyBox v1.35.0 (Debian 1:1.35.0-4+b3)`.
        public var version: String
    }

    /// The official `busybox` image's config (docker-library/busybox Dockerfile: `CMD ["sh"]`,
    /// and the PATH every docker image gets): a container with neither `command` nor `args` runs
    /// `sh` (docs/FIDELITY.md #99).
    public static let imageConfig = ImageConfig(cmd: ["sh"], env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])

    public init(busyboxPath: String = "/bin/busybox", sourceDateEpoch: Int? = nil) {
        self.busyboxPath = busyboxPath
        self.sourceDateEpoch = sourceDateEpoch
            ?? ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int($0) }
            ?? 1_704_067_200
    }

    /// Writes the tarball (gzip) to `path`, replacing it atomically.
    public func build(to path: String) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: busyboxPath) else {
            throw PodlabError(.notFound, "build busybox rootfs: \(busyboxPath) not found; install it with `apt-get install busybox-static`")
        }
        let binary = try Data(contentsOf: URL(fileURLWithPath: busyboxPath))
        // A dynamically linked busybox (Debian's `busybox` package) would not run in a rootfs without libc.
        if binary.prefix(4096).range(of: Data("ld-linux".utf8)) != nil || binary.prefix(4096).range(of: Data("ld-musl".utf8)) != nil {
            throw PodlabError(.unsupported, "build busybox rootfs: \(busyboxPath) is dynamically linked; install `busybox-static`")
        }
        let applets = try run(["--list-full"]).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard !applets.isEmpty else { throw PodlabError(.invalidState, "\(busyboxPath) --list-full listed no applets") }
        let version = try run([]).split(separator: "\n").first.map { String($0).replacingOccurrences(of: " multi-call binary.", with: "") } ?? "BusyBox"

        var entries: [String: (TarEntryHeader, [UInt8])] = [:]
        func add(_ path: String, _ kind: ArchiveEntryKind, _ mode: UInt32, data: [UInt8] = [], link: String? = nil) {
            var header = TarEntryHeader(path: path, kind: kind, permissions: mode)
            header.mtime = sourceDateEpoch
            header.size = Int64(data.count)
            header.linkTarget = link
            entries[path] = (header, data)
        }
        for dir in ["bin", "dev", "etc", "home", "proc", "run", "sbin", "sys", "usr", "usr/bin", "usr/sbin", "var", "var/log", "var/spool", "var/www"] {
            add(dir, .directory, 0o755)
        }
        add("root", .directory, 0o700)
        add("tmp", .directory, 0o1777)
        add("var/tmp", .directory, 0o1777)
        add("etc/passwd", .regular, 0o644, data: Array("""
            root:x:0:0:root:/root:/bin/sh
            daemon:x:1:1:daemon:/usr/sbin:/bin/false
            www-data:x:33:33:www-data:/var/www:/bin/false
            nobody:x:65534:65534:nobody:/home:/bin/false

            """.utf8))
        add("etc/group", .regular, 0o644, data: Array("""
            root:x:0:
            daemon:x:1:
            www-data:x:33:
            nogroup:x:65534:

            """.utf8))
        add("etc/hosts", .regular, 0o644, data: Array("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n".utf8))
        let versionNumber = version.split(separator: " ").dropFirst().first.map { String($0.drop(while: { $0 == "v" })) } ?? "unknown"
        add("etc/os-release", .regular, 0o644, data: Array("""
            NAME="podlab busybox"
            ID=busybox
            VERSION_ID=\(versionNumber)
            PRETTY_NAME="podlab busybox (\(version))"
            HOME_URL="https://busybox.net/"

            """.utf8))

        // Every applet is a hard link to one busybox inode. The first path in archive order carries
        // the data (tar requires a hard link's target to precede it).
        let programPaths = Set(applets + ["bin/busybox"]).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        guard let first = programPaths.first else { throw PodlabError(.invalidState, "no busybox paths") }
        add(first, .regular, 0o755, data: [UInt8](binary))
        for path in programPaths.dropFirst() { add(path, .hardlink, 0o755, link: first) }
        for path in programPaths {
            var parent = (path as NSString).deletingLastPathComponent
            while !parent.isEmpty, entries[parent] == nil {
                add(parent, .directory, 0o755)
                parent = (parent as NSString).deletingLastPathComponent
            }
        }

        let temporary = path + ".tmp-\(getpid())"
        do {
            let writer = try ArchiveWriter(path: temporary, compression: .gzip)
            for key in entries.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                guard let (header, data) = entries[key] else { continue }
                try data.withUnsafeBytes { try writer.write(header, data: $0) }
            }
            try writer.finish()
            try checkedSyscall("rename(\(temporary), \(path))") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
        return Result(entryCount: entries.count, version: version)
    }

    /// Runs busybox with `arguments` and returns its stdout (busybox prints usage with exit 0/1).
    private func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: busyboxPath)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw PodlabError(.invalidState, "exec(\(busyboxPath) \(arguments.joined(separator: " "))): \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
