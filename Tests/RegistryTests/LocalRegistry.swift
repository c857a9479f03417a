import Foundation
import PodlabCore
import RegistryHTTP
@testable import RootfsKit

/// The real registries of `scripts/registry` (Debian's docker-registry, distribution v2, with a
/// token server and with htpasswd), started once per test process on 127.0.0.1 and stopped when it
/// exits: by `atexit`, and by the script's watchdog if the process dies without running it.
final class LocalRegistry: @unchecked Sendable {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    let dir: String
    let env: [String: String]
    var token: String { env["REGISTRY_TOKEN"] ?? "" }
    var basic: String { env["REGISTRY_BASIC"] ?? "" }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var started: Result<LocalRegistry, any Error>?
    nonisolated(unsafe) static var runningDir: String?

    /// The shared registries, started on first use.
    static func shared() throws -> LocalRegistry {
        lock.lock()
        defer { lock.unlock() }
        if let started { return try started.get() }
        let result = Result { try LocalRegistry() }
        started = result
        return try result.get()
    }

    private init() throws {
        dir = "/tmp/podlab-registry-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let out = try run([Self.repositoryRoot + "/scripts/registry", "start", dir, "--owner", String(getpid())])
        Self.runningDir = dir
        atexit {
            if let dir = LocalRegistry.runningDir { _ = try? run([LocalRegistry.repositoryRoot + "/scripts/registry", "stop", dir]) }
        }
        let envFile = out.trimmingCharacters(in: .whitespacesAndNewlines)
        let text = try String(contentsOfFile: envFile, encoding: .utf8)
        var env: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { env[parts[0]] = parts[1] }
        }
        self.env = env
    }

    /// `skopeo copy` of an archive podlab wrote into `destination` (`HOST/REPO:TAG`).
    func push(_ source: String, to destination: String, creds: String? = nil, zstd: Bool = false, all: Bool = false) throws {
        var arguments = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false"]
        if let creds { arguments += ["--dest-creds", creds] }
        if zstd { arguments += ["--dest-compress-format", "zstd"] }
        if all { arguments.append("--all") }
        _ = try run(arguments + [source, "docker://" + destination])
    }

    /// The registry's own storage path of a blob (distribution's filesystem driver layout).
    func storagePath(ofBlob digest: String, basicRegistry: Bool = false) -> String {
        let hex = String(digest.dropFirst("sha256:".count))
        let storage = env[basicRegistry ? "BASIC_STORAGE" : "TOKEN_STORAGE"] ?? ""
        return "\(storage)/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    /// The token server's request log (`USER SCOPE…` per token issued).
    var tokenLog: String { (try? String(contentsOfFile: dir + "/token-requests.log", encoding: .utf8)) ?? "" }
}

/// Runs a command (PATH lookup), returns stdout; throws with stderr on failure.
///
/// posix_spawn with an empty signal mask and waitpid on its pid, not Foundation's Process: that
/// starts children with most signals blocked (so `scripts/registry stop`'s SIGTERM would not reach
/// the servers), and its `waitUntilExit` was seen to hang here after the child had exited.
@discardableResult
func run(_ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let base = "/tmp/podlab-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let outPath = base + ".out", errPath = base + ".err"
    defer { unlink(outPath); unlink(errPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigfillset(&defaults)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = env.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
    guard rc == 0 else { throw PodlabError.syscall("posix_spawnp(\(arguments[0]))", errnoValue: rc) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw PodlabError.syscall("waitpid(\(pid))", errnoValue: errno) }
    }
    let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    // WIFEXITED && WEXITSTATUS == 0
    guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
        throw PodlabError(.invalidState, "\(arguments.joined(separator: " ")): wait status \(status): \(stderr)\(stdout)")
    }
    return stdout
}

/// A temp directory removed when the test ends.
final class Scratch {
    let path: String

    init(_ label: String) throws {
        path = "/tmp/podlab-pulltest-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// podlab paths confined here.
    var paths: PodlabPaths {
        PodlabPaths(stateDir: path + "/state", dataDir: path + "/data", rootfsDir: path + "/rootfs",
                    labsDir: path + "/labs", reportsDir: path + "/reports")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A small rootfs tarball with `etc/platform` holding `marker` and `bin/hello`.
func writeRootfs(_ path: String, marker: String, extra: [(String, String)] = []) throws {
    let writer = try ArchiveWriter(path: path, compression: .gzip)
    for dir in ["bin", "etc"] {
        var header = TarEntryHeader(path: dir, kind: .directory, permissions: 0o755)
        header.mtime = 1_700_000_000
        try writer.writeHeader(header)
    }
    for (name, text) in [("etc/platform", marker + "\n"), ("bin/hello", "#!/bin/sh\necho hello\n")] + extra {
        var header = TarEntryHeader(path: name, kind: .regular, permissions: name.hasPrefix("bin/") ? 0o755 : 0o644)
        header.size = Int64(text.utf8.count)
        header.mtime = 1_700_000_000
        try Array(text.utf8).withUnsafeBytes { try writer.write(header, data: $0) }
    }
    try writer.finish()
}

/// An image in `paths`' catalog built from `writeRootfs`, with `config`, exported as an OCI
/// archive (podlab's `rootfs export`) to `output`.
@discardableResult
func exportImage(paths: PodlabPaths, name: String, marker: String, config: ImageConfig?, platform: PlatformSelector = .host,
                 to output: String, format: ImageExporter.Format = .oci) throws -> ImageRecord {
    let tarball = paths.rootfsDir + "-src-\(marker).tar.gz"
    try FileManager.default.createDirectory(atPath: (tarball as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try writeRootfs(tarball, marker: marker)
    var record = try ImageCatalog(paths: paths).importImage(from: tarball, as: name)
    record.config = config
    var exporter = ImageExporter(paths: paths)
    exporter.platform = platform
    try exporter.export(record, to: output, format: format)
    return record
}

/// Reads a file of an image's rootfs through the image cache (as a pod would see it).
func fileInImage(_ record: ImageRecord, _ path: String, paths: PodlabPaths) throws -> String {
    let rootfs = try ImageCache(paths: paths).rootfs(for: record)
    return try String(contentsOfFile: rootfs + "/" + path, encoding: .utf8)
}

/// A puller over URLSession for `paths`, collecting its events.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RegistryPuller.PullEvent] = []
    func append(_ event: RegistryPuller.PullEvent) { lock.lock(); items.append(event); lock.unlock() }
    var events: [RegistryPuller.PullEvent] { lock.lock(); defer { lock.unlock() }; return items }
    /// (digest, cached, resumedFrom) of every finished blob.
    var blobs: [(String, Bool, Int64)] {
        events.compactMap { if case let .blobDone(digest, _, cached, resumed) = $0 { return (digest, cached, resumed) } else { return nil } }
    }
}

func makePuller(_ paths: PodlabPaths, transport: any RegistryTransport = URLSessionTransport(), log: EventLog? = nil) -> RegistryPuller {
    var puller = RegistryPuller(paths: paths, transport: transport)
    puller.environment = [:]  // hermetic: no ~/.docker/config.json of the machine
    if let log { puller.progress = { log.append($0) } }
    return puller
}
