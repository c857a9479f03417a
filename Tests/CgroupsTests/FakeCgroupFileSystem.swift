import Cgroups
import Foundation
import PodlabCore
import SystemPackage

/// A fake cgroupfs in a temporary directory that behaves like the kernel where the drivers
/// depend on it: `mkdir` creates the interface files of the controllers the cgroup gets, writes
/// only go to existing files, `cgroup.subtree_control` takes `+ctrl` tokens and may only enable
/// controllers listed in `cgroup.controllers`, children inherit their controllers from the
/// parent's `subtree_control` (v2), memsw must stay ≥ the memory limit (v1), `devices.deny` /
/// `devices.allow` change `devices.list` as the kernel's devices controller does (v1), and
/// `rmdir` fails with EBUSY while a cgroup has children or processes. v2 device filters are
/// recorded per directory (``deviceFilters``) instead of being loaded.
final class FakeCgroupFileSystem: CgroupFileSystem, @unchecked Sendable {
    enum Kind { case v1, v2 }

    let root: String
    let kind: Kind
    private let host = HostCgroupFileSystem()
    private let lock = NSLock()
    private var writeLog: [(path: String, value: String)] = []
    private var attachedFilters: [String: DeviceFilterProgram] = [:]
    /// v2: whether new cgroups get `memory.swap.max` (swap accounting) and `cgroup.kill`.
    var hasSwap = true
    var hasKill = true
    /// v2: answer EPERM to device filter attachments, as a kernel without CONFIG_CGROUP_BPF would.
    var refuseDeviceFilters = false
    /// Files whose read answers ENODEV, as kernfs does for a cgroup removed after the caller saw
    /// it (a supervisor's teardown racing `podlab clean`).
    var removedDuringRead: Set<String> = []

    /// The fake tree goes with the fake (tests that made one without removing it left
    /// `podlab-cgfake-*` in /tmp).
    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// v1 controllers, each mounted at `<root>/<controller>`.
    static let v1Controllers = ["memory", "cpu", "cpuacct", "pids", "freezer", "devices"]

    /// Creates the fake. v2: `root` is the cgroup2 mount with `rootControllers` available.
    init(kind: Kind, rootControllers: [String] = ["cpuset", "cpu", "io", "memory", "pids"]) throws {
        let template = NSTemporaryDirectory() + "podlab-cgfake-XXXXXX"
        var buffer = Array(template.utf8CString)
        guard mkdtemp(&buffer) != nil else { throw PodlabError.syscall("mkdtemp(\(template))", Errno(rawValue: errno)) }
        root = String(cString: buffer)
        self.kind = kind
        switch kind {
        case .v2:
            try put(root + "/cgroup.controllers", rootControllers.joined(separator: " "))
            try put(root + "/cgroup.subtree_control", "")
            try put(root + "/cgroup.procs", "")
        case .v1:
            for controller in Self.v1Controllers {
                try FileManager.default.createDirectory(atPath: root + "/" + controller, withIntermediateDirectories: false)
                try populateV1(root + "/" + controller, controller: controller)
            }
        }
    }

    /// The v1 mount points of this fake, as `CgroupLayout.v1MountPoints` would list them.
    var v1MountPoints: [String: String] {
        Dictionary(uniqueKeysWithValues: Self.v1Controllers.map { ($0, root + "/" + $0) })
    }

    /// Deletes the whole fake tree.
    func destroy() {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Every successful write, in order.
    var writes: [(path: String, value: String)] {
        lock.lock()
        defer { lock.unlock() }
        return writeLog
    }

    /// v2: the device filter attached to each cgroup directory (the last one: attaching replaces).
    var deviceFilters: [String: DeviceFilterProgram] {
        lock.lock()
        defer { lock.unlock() }
        return attachedFilters
    }

    /// Sets a file's content as the kernel would (an OOM counter, a pid in cgroup.procs).
    func simulateKernel(_ path: String, _ content: String) throws {
        try put(path, content)
    }

    // MARK: CgroupFileSystem

    func makeDirectory(_ path: String) throws {
        if exists(path) { return }
        try host.makeDirectory(path)
        switch kind {
        case .v2: try populateV2(path)
        case .v1:
            let relative = path.dropFirst(root.count + 1)
            let controller = String(relative.split(separator: "/").first ?? "")
            try populateV1(path, controller: controller)
        }
    }

    func removeDirectory(_ path: String) throws {
        guard exists(path) else { throw PodlabError.syscall("rmdir(\(path))", .noSuchFileOrDirectory) }
        let busy = try !host.subdirectories(of: path).isEmpty
            || !(try host.read(path + "/cgroup.procs")).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        if busy { throw PodlabError.syscall("rmdir(\(path))", .resourceBusy) }
        try FileManager.default.removeItem(atPath: path)
    }

    func write(_ path: String, _ value: String) throws {
        let operation = "write(\(path), \"\(value)\")"
        guard exists(path) else { throw PodlabError.syscall(operation, .noSuchFileOrDirectory) }
        let name = (path as NSString).lastPathComponent
        let dir = (path as NSString).deletingLastPathComponent
        var stored = value
        if name == "cgroup.subtree_control" {
            let available = Set(words(try host.read(dir + "/cgroup.controllers")))
            var enabled = words(try host.read(path))
            for token in value.split(separator: " ") {
                let controller = String(token.dropFirst())
                guard token.first == "+" || token.first == "-", available.contains(controller) else {
                    throw PodlabError.syscall(operation, .noSuchFileOrDirectory)
                }
                if token.first == "+" && !enabled.contains(controller) { enabled.append(controller) }
                if token.first == "-" { enabled.removeAll { $0 == controller } }
            }
            stored = enabled.joined(separator: " ")
        }
        if name == "memory.limit_in_bytes" || name == "memory.memsw.limit_in_bytes" {
            // The kernel keeps memsw ≥ limit at all times and answers EINVAL otherwise.
            guard let new = Int64(value), new >= -1 else { throw PodlabError.syscall(operation, .invalidArgument) }
            // -1 means unlimited, the largest value.
            func bytes(_ text: String) -> Int64 {
                let value = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max
                return value == -1 ? .max : value
            }
            let limit = name == "memory.limit_in_bytes" ? bytes(value) : bytes(try host.read(dir + "/memory.limit_in_bytes"))
            let memsw = name == "memory.memsw.limit_in_bytes"
                ? bytes(value) : bytes(try host.read(dir + "/memory.memsw.limit_in_bytes"))
            if memsw < limit { throw PodlabError.syscall(operation, .invalidArgument) }
        }
        if name == "devices.deny" || name == "devices.allow" {
            // security/device_cgroup.c devcgroup_update_access: "a" switches the default and
            // clears the exceptions (EINVAL once the cgroup has children); a rule is an
            // exception to the default: added to the list when allowing in deny-all mode.
            let list = dir + "/devices.list"
            let allowAll = contents(list) == "a *:* rwm"
            if value == "a" {
                if try !host.subdirectories(of: dir).isEmpty { throw PodlabError.syscall(operation, .invalidArgument) }
                try put(list, name == "devices.allow" ? "a *:* rwm\n" : "")
            } else {
                guard DeviceRule(listLine: Substring(value)) != nil else { throw PodlabError.syscall(operation, .invalidArgument) }
                if name == "devices.allow" && !allowAll { try put(list, try host.read(list) + value + "\n") }
            }
            lock.lock()
            writeLog.append((path, value))
            lock.unlock()
            return
        }
        try put(path, stored)
        lock.lock()
        writeLog.append((path, value))
        lock.unlock()
    }

    func read(_ path: String) throws -> String {
        if removedDuringRead.contains(path) { throw PodlabError.syscall("read(\(path))", Errno(rawValue: ENODEV)) }
        let content = try host.read(path)
        guard (path as NSString).lastPathComponent == "cgroup.procs" else { return content }
        // Like the kernel: a process leaves cgroup.procs when it exits (zombies included).
        return content.split(separator: "\n").filter { Self.isRunning(String($0)) }.joined(separator: "\n")
    }

    /// Whether /proc/<pid> exists and is not a zombie.
    private static func isRunning(_ pid: String) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }
    func exists(_ path: String) -> Bool { host.exists(path) }
    func subdirectories(of path: String) throws -> [String] { try host.subdirectories(of: path) }

    func attachDeviceFilter(_ program: DeviceFilterProgram, to path: String) throws {
        guard kind == .v2, exists(path + "/cgroup.procs") else {
            throw PodlabError.syscall("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) on \(path)", .badFileDescriptor)
        }
        if refuseDeviceFilters {
            throw PodlabError.syscall("bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE) on \(path)", .notPermitted)
        }
        lock.lock()
        attachedFilters[path] = program
        lock.unlock()
    }

    // MARK: Kernel-like population

    private func populateV2(_ dir: String) throws {
        let parent = (dir as NSString).deletingLastPathComponent
        let controllers = words(try host.read(parent + "/cgroup.subtree_control"))
        try put(dir + "/cgroup.controllers", controllers.joined(separator: " "))
        try put(dir + "/cgroup.subtree_control", "")
        try put(dir + "/cgroup.procs", "")
        try put(dir + "/cgroup.events", "populated 0\nfrozen 0\n")
        if hasKill { try put(dir + "/cgroup.kill", "") }
        if controllers.contains("memory") {
            try put(dir + "/memory.max", "max\n")
            try put(dir + "/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n")
            try put(dir + "/memory.oom.group", "0\n")
            if hasSwap { try put(dir + "/memory.swap.max", "max\n") }
        }
        if controllers.contains("cpu") {
            try put(dir + "/cpu.weight", "100\n")
            try put(dir + "/cpu.max", "max 100000\n")
        }
        if controllers.contains("pids") { try put(dir + "/pids.max", "max\n") }
    }

    private func populateV1(_ dir: String, controller: String) throws {
        try put(dir + "/cgroup.procs", "")
        switch controller {
        case "memory":
            try put(dir + "/memory.limit_in_bytes", "9223372036854771712\n")
            try put(dir + "/memory.memsw.limit_in_bytes", "9223372036854771712\n")
            try put(dir + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
            try put(dir + "/memory.use_hierarchy", "1\n")
        case "cpu":
            try put(dir + "/cpu.shares", "1024\n")
            try put(dir + "/cpu.cfs_quota_us", "-1\n")
            try put(dir + "/cpu.cfs_period_us", "100000\n")
        case "pids":
            try put(dir + "/pids.max", "max\n")
        case "freezer":
            try put(dir + "/freezer.state", "THAWED\n")
        case "devices":
            // A new cgroup starts with a copy of its parent's rules (allow-all at the root).
            let parentList = (dir as NSString).deletingLastPathComponent + "/devices.list"
            try put(dir + "/devices.list", host.exists(parentList) ? try host.read(parentList) : "a *:* rwm\n")
            try put(dir + "/devices.allow", "")
            try put(dir + "/devices.deny", "")
        default:
            break
        }
    }

    private func put(_ path: String, _ content: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(content.utf8)) else {
            throw PodlabError.syscall("create(\(path))", .ioError)
        }
    }

    private func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}

/// The content of a fake file without the trailing newline.
func contents(_ path: String) -> String {
    ((try? HostCgroupFileSystem().read(path)) ?? "<missing>").trimmingCharacters(in: .whitespacesAndNewlines)
}
