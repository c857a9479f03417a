import Cgroups
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Netlink
import PodlabCore

/// A containerd that podlab started itself (`podlab runtime up containerd`), and the one place
/// that starts and stops it.
///
/// `up` writes config.toml and the CNI conflist (`ContainerdSetup`), starts containerd as a
/// session leader (so a Ctrl-C in the terminal does not reach it), waits until the CRI answers
/// `Version`, and records the pid in `instance.json`. `down` is the reverse and also removes
/// what containerd and runc leave when a sandbox was not torn down through the CRI: shims,
/// container processes, netns pins, mounts, cgroups, the bridge, the directories.
/// A containerd this podlab did not start is never signalled: `down` acts only on the recorded
/// pid, and only while `/proc/PID/cmdline` still names our config file.
public struct ContainerdInstance {
    /// What `instance.json` holds.
    public struct Record: Codable, Equatable, Sendable {
        public var pid: Int32
        public var socket: String
        public var configPath: String
        public var startTime: UInt64?
        public var runtimeVersion: String?
        public var bridge: String
        public var subnet: String
        public var cgroupParent: String
    }

    public let setup: ContainerdSetup

    public init(setup: ContainerdSetup) { self.setup = setup }

    /// The record of a running instance; nil when none was started (or it has exited).
    public func running() -> Record? {
        guard let data = FileManager.default.contents(atPath: setup.recordPath),
              let record = try? JSONDecoder().decode(Record.self, from: data) else { return nil }
        if isOurs(pid: record.pid, record: record) { return record }
        // A record from before the pid was known (an interrupted up): find it by command line.
        guard let pid = findContainerdPid() else { return nil }
        var found = record
        found.pid = pid
        return found
    }

    /// Whether `pid` is still the containerd we started (same config path on its command line).
    func isOurs(pid: Int32, record: Record) -> Bool {
        guard pid > 0, let cmdline = try? FileSystem.readFile("/proc/\(pid)/cmdline") else { return false }
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains(record.configPath) && (arguments.first.map { $0.hasSuffix("containerd") } ?? false)
    }

    // MARK: up

    /// Starts containerd and waits for its CRI; returns the record (or the running one).
    ///
    /// - Parameter timeout: seconds to wait for `Version` to answer.
    /// - Throws: the doctor's message for a missing binary or CNI plugin; `.timeout` with the
    ///   tail of containerd's log when the CRI never answers.
    @discardableResult
    public func up(timeout: Double = 30) throws -> Record {
        if let record = running() { return record }
        try setup.validate()
        for problem in RuntimeDoctor.containerdProblems(setup) {
            throw PodlabError(.notFound, "\(problem.detail); fix: \(problem.fix)")
        }
        let manager = FileManager.default
        for directory in [setup.stateDir, setup.containerdStateDir, setup.cniConfDir, setup.ipamDir, setup.rootDir] {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try write(setup.configTOML(), to: setup.configPath)
        try write(setup.cniConflist(), to: setup.cniConfDir + "/10-\(ContainerdSetup.networkName).conflist")
        // A stale socket from a killed instance would make the wait below talk to nothing.
        unlink(setup.socket)

        let log = open(setup.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw PodlabError.syscall("open(\(setup.logPath))", errnoValue: errno) }
        defer { close(log) }
        let process = Process()
        // setsid(1) makes containerd a session leader: no controlling terminal, no SIGINT from ^C.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = [setup.containerdBinary, "--config", setup.configPath]
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = FileHandle(fileDescriptor: log, closeOnDealloc: false)
        process.standardError = FileHandle(fileDescriptor: log, closeOnDealloc: false)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        process.environment = environment
        do { try process.run() } catch {
            throw PodlabError(.syscall, "exec(\(setup.containerdBinary) --config \(setup.configPath)): \(error)")
        }
        // Foundation starts the child as a process-group leader, so setsid(1) forks: the pid
        // to record is containerd's own, found by its command line.
        var record = Record(pid: 0, socket: setup.socket, configPath: setup.configPath, startTime: nil,
                            runtimeVersion: nil, bridge: setup.bridge, subnet: setup.subnet, cgroupParent: setup.cgroupParent)
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        while Date() < deadline {
            if record.pid == 0, let pid = findContainerdPid() {
                record.pid = pid
                record.startTime = Self.startTime(of: pid)
                try writeRecord(record)
            }
            if record.pid == 0 {
                if !process.isRunning && process.terminationStatus != 0 {
                    throw PodlabError(.invalidState, "containerd did not start (setsid exit \(process.terminationStatus)); its log \(setup.logPath) ends:\n\(logTail())")
                }
            } else if !isOurs(pid: record.pid, record: record) {
                throw PodlabError(.invalidState, "containerd (pid \(record.pid)) exited at start; its log \(setup.logPath) ends:\n\(logTail())")
            } else if FileManager.default.fileExists(atPath: setup.socket) {
                do {
                    let client = try CRIClient(endpoint: setup.socket, timeout: 5)
                    defer { client.close() }
                    let version = try client.version()
                    record.runtimeVersion = "\(version.runtimeName ?? "?") \(version.runtimeVersion ?? "?") (CRI \(version.runtimeApiVersion ?? "?"))"
                    try writeRecord(record)
                    if !process.isRunning { process.waitUntilExit() }  // reap setsid
                    return record
                } catch {
                    lastError = error
                }
            }
            usleep(100_000)
        }
        let reason = lastError.map { "\($0)" } ?? "the socket \(setup.socket) never appeared"
        try? down()
        throw PodlabError(.timeout, "containerd did not answer CRI Version within \(Int(timeout)) s (\(reason)); its log ends:\n\(logTail())")
    }

    // MARK: down

    /// What `down` removed, for the CLI to print.
    public struct Removal: Sendable, Equatable {
        public var sandboxes = 0
        public var processes = 0
        public var mounts = 0
        public var cgroups = 0
        public var bridge = false
        /// The links still enslaved to the bridge when `down` kept it (another instance's pods).
        public var bridgeKeptFor: [String] = []
        public var containerdStopped = false
    }

    /// Stops our containerd, its shims and containers, and removes everything it made.
    /// Safe to call when nothing runs (it still sweeps leftovers of a killed instance).
    @discardableResult
    public func down() throws -> Removal {
        var removal = Removal()
        let record = running()
        var netnsPaths: Set<String> = []
        // 1. Tear sandboxes down through the CRI, as kubelet would: this runs CNI DEL (veth, IP).
        if let record, FileManager.default.fileExists(atPath: record.socket), let client = try? CRIClient(endpoint: record.socket, timeout: 30) {
            defer { client.close() }
            for sandbox in (try? client.listPodSandbox()) ?? [] {
                if let status = try? client.podSandboxStatus(sandbox.id), let path = Self.netnsPath(fromInfo: status.info) {
                    netnsPaths.insert(path)
                }
                try? client.stopPodSandbox(sandbox.id)
                try? client.removePodSandbox(sandbox.id)
                removal.sandboxes += 1
            }
        }
        // 2. containerd itself: SIGTERM, then SIGKILL after 10 s.
        if let record {
            removal.containerdStopped = stop(pid: record.pid, record: record)
        }
        // 3. Shims started for our socket, and every process left in our cgroups.
        removal.processes += killShims()
        removal.processes += killCgroupProcesses()
        // 4. netns pins containerd made for our sandboxes (only those still mounted), then
        //    every mount under our root and state dirs (overlay rootfs, shm, sandbox files).
        removal.mounts += unmountAll(under: [setup.rootDir + "/", setup.stateDir + "/"], plus: netnsPaths)
        for path in netnsPaths { unlink(path) }
        // 5. cgroups, bridge, directories.
        removal.cgroups = removeCgroups()
        // The Burstable request files podlab's pod cgroups recorded under our parent (#211), and
        // the parent's first component when no other instance has files there.
        let requests = BurstableCPURequests.defaultRoot + setup.cgroupParent
        try? FileManager.default.removeItem(atPath: requests)
        rmdir((requests as NSString).deletingLastPathComponent)
        // The bridge only when no link is enslaved to it any more: another instance given the
        // same bridge (PODLAB_CRI_BRIDGE, or two podlabs before names were per instance) may
        // still have pods on it (docs/FIDELITY.md #221). Our own sandboxes' veths went with
        // CNI DEL or their netns above; the kernel may take a moment to drop a peer.
        if let session = try? NetlinkSession(socket: RouteNetlinkSocket()), (try? session.link(name: setup.bridge)) != nil {
            var ports = Self.bridgePorts(setup.bridge)
            for _ in 0..<20 where !ports.isEmpty {
                usleep(50_000)
                ports = Self.bridgePorts(setup.bridge)
            }
            if ports.isEmpty {
                try? session.deleteLink(name: setup.bridge)
                removal.bridge = true
            } else {
                removal.bridgeKeptFor = ports
            }
        }
        for directory in [setup.stateDir, setup.rootDir] where FileManager.default.fileExists(atPath: directory) {
            do { try FileManager.default.removeItem(atPath: directory) } catch {
                throw PodlabError(.invalidState, "remove \(directory): \(error); something still holds it (see `grep \(directory) /proc/self/mountinfo`)")
            }
        }
        return removal
    }

    /// The links enslaved to bridge `name` (`/sys/class/net/<name>/brif`, one entry per port).
    public static func bridgePorts(_ name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net/\(name)/brif")) ?? []).sorted()
    }

    func stop(pid: Int32, record: Record) -> Bool {
        guard isOurs(pid: pid, record: record) else { return false }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            reap(pid)
            if !isOurs(pid: pid, record: record) { return true }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        for _ in 0..<100 {
            reap(pid)
            if !isOurs(pid: pid, record: record) { break }
            usleep(20_000)
        }
        return true
    }

    /// Reaps `pid` if it is our child (when up and down run in one process, as in tests).
    func reap(_ pid: Int32) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    /// The containerd running with exactly our binary and config file.
    func findContainerdPid() -> Int32? {
        processes().first { _, arguments in arguments == [setup.containerdBinary, "--config", setup.configPath] }?.0
    }

    /// containerd-shim-runc-v2 processes whose `-address` is our socket (containerd passes its
    /// own gRPC address to every shim it starts: runtime/v2/shim/util.go `Command`).
    public func shimPids() -> [Int32] {
        processes().filter { _, arguments in
            guard let first = arguments.first, first.hasSuffix("containerd-shim-runc-v2") || first.hasSuffix("containerd-shim") else { return false }
            guard let index = arguments.firstIndex(of: "-address"), index + 1 < arguments.count else { return false }
            return arguments[index + 1] == setup.socket
        }.map(\.0)
    }

    func killShims() -> Int {
        let pids = shimPids()
        for pid in pids { kill(pid, SIGKILL) }
        for pid in pids { reap(pid) }
        return pids.count
    }

    /// Every `/proc/PID` with its argv.
    func processes() -> [(Int32, [String])] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { name in
            guard let pid = Int32(name), let data = try? FileSystem.readFile("/proc/\(name)/cmdline"), !data.isEmpty else { return nil }
            return (pid, data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
        }
    }

    /// The cgroup directories of our parent on every mounted hierarchy.
    public func cgroupDirectories() -> [String] {
        CgroupMounts.mountPoints().map { $0 + setup.cgroupParent }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    func killCgroupProcesses() -> Int {
        var killed: Set<Int32> = []
        for _ in 0..<3 {
            var found = false
            for directory in cgroupDirectories() {
                for procs in Self.files(named: "cgroup.procs", under: directory) {
                    let text = FileSystem.readWholeText(procs) ?? ""
                    for pid in text.split(separator: "\n").compactMap({ Int32($0) }) where pid > 1 {
                        kill(pid, SIGKILL)
                        killed.insert(pid)
                        found = true
                    }
                }
            }
            if !found { break }
            usleep(100_000)
        }
        return killed.count
    }

    func removeCgroups() -> Int {
        var removed = 0
        for directory in cgroupDirectories() {
            // Deepest first: rmdir needs an empty cgroup without children.
            let subdirectories = Self.directories(under: directory).sorted { $0.count > $1.count }
            for path in subdirectories + [directory] where rmdir(path) == 0 { removed += 1 }
        }
        // runc's cgroupfs driver creates the whole parent path in every mounted hierarchy,
        // also in those podlab's own driver never uses (cpuacct, name=systemd, the hybrid
        // unified mount): the empty ancestors (`/podlab`) it made there go too. Hierarchies
        // podlab's driver uses are left alone: their ancestors belong to podlab's own
        // instance with that cgroup parent.
        let managed: Set<String> = {
            guard let layout = try? CgroupLayout.detect() else { return [] }
            if layout.version == .v2 { return Set([layout.unifiedMountPoint].compactMap { $0 }) }
            return Set(CgroupV1Driver.usedControllers.compactMap { layout.v1MountPoints[$0] })
        }()
        var ancestor = (setup.cgroupParent as NSString).deletingLastPathComponent
        while ancestor != "/" && !ancestor.isEmpty {
            for mount in CgroupMounts.mountPoints() where !managed.contains(mount) && rmdir(mount + ancestor) == 0 { removed += 1 }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        return removed
    }

    func unmountAll(under prefixes: [String], plus extra: Set<String>) -> Int {
        let targets = MountTable.mountPoints().filter { point in extra.contains(point) || prefixes.contains { point.hasPrefix($0) } }
        var count = 0
        // Deepest (latest) mounts first.
        for target in targets.reversed() where umount2(target, Int32(MNT_DETACH)) == 0 { count += 1 }
        return count
    }

    /// The network namespace path in containerd's verbose sandbox info (`runtimeSpec.linux.namespaces`).
    public static func netnsPath(fromInfo info: [String: String]) -> String? {
        guard let text = info["info"], let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let spec = object["runtimeSpec"] as? [String: Any], let linux = spec["linux"] as? [String: Any],
              let namespaces = linux["namespaces"] as? [[String: Any]] else { return nil }
        return namespaces.first { ($0["type"] as? String) == "network" }?["path"] as? String
    }

    static func files(named name: String, under directory: String) -> [String] {
        ([directory] + directories(under: directory)).map { $0 + "/" + name }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    static func directories(under directory: String) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var result: [String] = []
        for entry in entries {
            let path = directory + "/" + entry
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                result.append(path)
                result += directories(under: path)
            }
        }
        return result
    }

    /// Field 22 of /proc/PID/stat: tells a recycled pid from ours.
    static func startTime(of pid: Int32) -> UInt64? {
        guard let text = FileSystem.readWholeText("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: setup.logPath, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    func write(_ text: String, to path: String) throws {
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw PodlabError(.invalidState, "write \(path): \(error)")
        }
    }

    func writeRecord(_ record: Record) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(record) } catch { throw PodlabError(.invalidState, "encode \(setup.recordPath): \(error)") }
        try write(String(decoding: data, as: UTF8.self), to: setup.recordPath)
    }
}

/// Mount points from /proc/self/mountinfo (field 5, octal escapes decoded), in mount order.
enum MountTable {
    static func mountPoints() -> [String] {
        let text = FileSystem.readWholeText("/proc/self/mountinfo") ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? decode(String(fields[4])) : nil
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func decode(_ field: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The mount points of every cgroup hierarchy (v1 controllers and the v2 unified tree).
enum CgroupMounts {
    static func mountPoints() -> [String] {
        let text = FileSystem.readWholeText("/proc/self/mountinfo") ?? ""
        var result: [String] = []
        for line in text.split(separator: "\n") {
            guard let separator = line.range(of: " - ") else { continue }
            let fsType = line[separator.upperBound...].split(separator: " ").first ?? ""
            guard fsType == "cgroup" || fsType == "cgroup2" else { continue }
            let fields = line[..<separator.lowerBound].split(separator: " ")
            if fields.count > 4 { result.append(MountTable.decode(String(fields[4]))) }
        }
        return result
    }
}
