import Cgroups
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PodKit
import PodObservations
import PodlabCore
import Reports

/// The one collector behind `podlab compare` and `podlab run --runtime podlab,containerd`
/// (issue 13 item 5): everything is read from the host's `/proc` and `/sys/fs/cgroup` by pid,
/// with the inspectors `podlab ns`, `ps` and the labs use (`NamespaceInspector` through
/// `PodAPI.namespaces`, `PodAPI.processTree`, `MountInfoEntry`, `LinuxCapabilitySet`,
/// `CgroupLayout`), so both runtimes are observed the same way and only the runtime differs.
///
/// Values that must differ between two runs (the pod IP, pids, container ids, host paths) are
/// left out or replaced by a placeholder (`<pod IP>`), so a difference in the table is a
/// difference in behaviour.
struct PodObservationCollector {
    let api: PodAPI
    var procRoot = "/proc"

    init(api: PodAPI) { self.api = api }

    /// The name the pod is compared under: a Deployment's pod by its Deployment (its own name
    /// has a random suffix), as the labs name it.
    static func subject(_ record: PodRecord) -> String { record.spec.ownerDeployment ?? record.spec.name }

    /// Every observation of a pod as it is now.
    /// - Parameter firstIP: the IP the pod had when it was first seen (for "IP kept").
    func collect(_ record: PodRecord, firstIP: String?) -> [ObservedValue] {
        let pod = "pod \(Self.subject(record))"
        var values: [ObservedValue] = []
        func add(_ name: String, _ value: String?) { if let value { values.append(ObservedValue(name, normalise(value, record))) } }
        add("\(pod): phase", record.phase.rawValue)
        add("\(pod): sandbox attempt", String(record.sandbox.attempt))
        let restarts = record.containers.reduce(0) { $0 + $1.restartCount }
        if let firstIP, let ip = record.sandbox.ip {
            add("\(pod): IP kept across \(restarts == 0 ? "the run" : "container restarts")", ip == firstIP ? "kept" : "changed")
        }
        // A finished pod has no tree (pause is gone): the supervisor alone is no shape to compare.
        // Its sandbox is stopped right after the terminal status is saved, as kubelet kills a
        // terminal pod after publishing its status; through containerd that StopPodSandbox takes
        // a few hundred ms more than podlab's kill of pause, so give it up to 2 s
        // (docs/FIDELITY.md #223).
        if record.phase == .succeeded || record.phase == .failed, let pause = record.sandbox.pausePID {
            let deadline = monotonicSeconds() + 2
            while kill(pause, 0) == 0, monotonicSeconds() < deadline { usleep(20_000) }
        }
        if record.sandbox.pausePID.map({ kill($0, 0) == 0 }) == true, let tree = stableProcessTree(record) {
            add("\(pod): process tree root", Self.command(tree.command))
            add("\(pod): process tree below the root", tree.children.compactMap { Self.shape($0) }.sorted().joined(separator: "\n"))
        }
        let rows = api.namespaces(record)
        let pause = rows.first { $0.process == "pause" }
        let host = NamespaceInspector.inodes(pid: 1, procRoot: procRoot)
        for container in record.containers {
            let subject = "container \(container.name)"
            add("\(subject): state", container.labState)
            var restart = "restartCount=\(container.restartCount)"
            if let last = container.lastTerminated {
                restart += " lastExitCode=\(last.exitCode) lastReason=\(last.reason)"
                // Its own row: CRI's ContainerStatus has no signal (docs/FIDELITY.md #208).
                add("\(subject): last exit signal", last.signal.map(String.init) ?? "nil")
            }
            add("\(subject): restarts", restart)
            guard container.state == .running, let pid = container.pid else { continue }
            if let row = rows.first(where: { $0.pid == pid }) {
                add("\(subject): namespaces", Self.sharing(row, pause: pause, host: host))
            }
            values += processObservations(pid: pid, subject: subject).map { ObservedValue($0.observation, normalise($0.value, record)) }
        }
        return values
    }

    /// What a container's process shows in /proc and its cgroup in /sys/fs/cgroup.
    func processObservations(pid: Int32, subject: String) -> [ObservedValue] {
        var values: [ObservedValue] = []
        let dir = "\(procRoot)/\(pid)"
        func add(_ name: String, _ value: String?) { if let value { values.append(ObservedValue("\(subject): \(name)", value)) } }
        let status = read(dir + "/status") ?? ""
        let fields = Self.statusFields(status)
        for field in ["Uid", "Gid", "Groups"] { add(field, fields[field]) }
        for field in ["CapEff", "CapBnd", "CapPrm", "CapInh", "CapAmb"] {
            add(field, fields[field].map(Self.capabilities))
        }
        for field in ["NoNewPrivs", "Seccomp"] { add(field, fields[field]) }
        add("oom_score_adj", read(dir + "/oom_score_adj")?.trimmingCharacters(in: .whitespacesAndNewlines))
        add("command line", read(dir + "/cmdline").map { $0.split(separator: "\0").joined(separator: " ") })
        add("working directory", try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/cwd"))
        add("environment", read(dir + "/environ").map { $0.split(separator: "\0").map(String.init).sorted().joined(separator: "\n") })
        add("mounts", read(dir + "/mountinfo").map(Self.mounts))
        for file in ["/etc/hosts", "/etc/resolv.conf", "/etc/hostname"] { add(file, read(dir + "/root" + file)) }
        add("hostname", Self.utsHostname(pid: pid))
        for (name, value) in Self.cgroupLimits(cgroupFile: read(dir + "/cgroup") ?? "", read: read) { add(name, value) }
        return values
    }

    // MARK: pieces

    /// The whole file (`FileSystem.readWholeText`): Foundation stopped after the first 4 KiB of a
    /// container's mountinfo (its /proc mounts were lost).
    func read(_ path: String) -> String? { FileSystem.readWholeText(path) }

    /// Replaces what differs between two runs of the same pod by design
    /// (the IP from each runtime's own subnet, a Deployment pod's random name suffix).
    func normalise(_ value: String, _ record: PodRecord) -> String {
        var value = value
        if let ip = record.sandbox.ip, !ip.isEmpty { value = value.replacingOccurrences(of: ip, with: "<pod IP>") }
        if record.spec.ownerDeployment != nil { value = value.replacingOccurrences(of: record.spec.name, with: "<pod name>") }
        return value
    }

    /// The pod's process tree without the processes that come and go: read three times 100 ms
    /// apart, keeping only the pids present every time. A shell loop's command substitution or
    /// a probe's `sh` lives for milliseconds; seen in one read on one runtime and not on the
    /// other, it is a moment, not a difference in shape.
    func stableProcessTree(_ record: PodRecord) -> ProcessNode? {
        guard var tree = try? api.processTree(record) else { return nil }
        for _ in 0..<2 {
            usleep(100_000)
            guard let next = try? api.processTree(record) else { return nil }
            tree = Self.keeping(tree, pids: Self.pids(next))
        }
        return tree
    }

    static func pids(_ node: ProcessNode) -> Set<Int32> {
        node.children.reduce(into: [node.pid]) { $0.formUnion(pids($1)) }
    }

    /// `node` without the descendants whose pid is not in `pids` (their subtrees go with them).
    static func keeping(_ node: ProcessNode, pids: Set<Int32>) -> ProcessNode {
        var kept = node
        kept.children = node.children.filter { pids.contains($0.pid) }.map { keeping($0, pids: pids) }
        return kept
    }

    /// `podlab supervise <key>` / `/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id …`
    /// → the program's base name (pids, keys and ids differ by run).
    static func command(_ command: String) -> String {
        let program = command.split(separator: " ").first.map(String.init) ?? command
        return (program as NSString).lastPathComponent
    }

    /// `sh(sleep)`: a process and its children's shapes, by program name. Left out, as moments
    /// rather than shape: a process that exited while the tree was read (`[?]`) and `runc`
    /// itself, which a containerd shim runs for the length of an exec probe (docs/FIDELITY.md #205).
    static func shape(_ node: ProcessNode) -> String? {
        let name = command(node.command)
        if transient.contains(name) { return nil }
        let children = node.children.compactMap { shape($0) }
        if children.isEmpty { return name }
        return name + "(" + children.sorted().joined(separator: ",") + ")"
    }

    static let transient: Set<String> = ["[?]", "runc"]

    /// `cgroup=private ipc=shared net=shared pid=private …`: each namespace of the row against
    /// pause's (shared) and the host's (host).
    static func sharing(_ row: NamespaceRow, pause: NamespaceRow?, host: [String: UInt64]) -> String {
        row.inodes.keys.sorted().map { kind in
            let inode = row.inodes[kind]
            let word: String
            if let pause, pause.pid != row.pid, pause.inodes[kind] == inode { word = "shared" }
            else if host[kind] == inode { word = "host" }
            else { word = "private" }
            return "\(kind)=\(word)"
        }.joined(separator: " ")
    }

    /// `Name:\tvalue` lines of /proc/<pid>/status.
    static func statusFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            // `Uid:\t0\t0\t0\t0` → `0 0 0 0`: tabs make poor table cells.
            fields[String(line[..<colon])] = line[line.index(after: colon)...].split(whereSeparator: { $0 == "\t" || $0 == " " }).joined(separator: " ")
        }
        return fields
    }

    /// The hex mask and one capability name per line, so a difference names the capability.
    static func capabilities(_ mask: String) -> String {
        guard let set = LinuxCapabilitySet(hexMask: mask) else { return mask }
        return ([set.hexMask] + set.capabilities.map(\.description)).joined(separator: "\n")
    }

    /// `<mount point> <fstype> <per-mount options>` per line, sorted; sources (host paths,
    /// overlay ids) are left out.
    static func mounts(_ mountinfo: String) -> String {
        mountinfo.split(separator: "\n").compactMap { line -> String? in
            guard let entry = MountInfoEntry.parseLine(String(line)) else { return nil }
            let fields = line.split(separator: " ")
            let options = fields.count > 5 ? String(fields[5]) : ""
            return "\(entry.mountPoint) \(entry.fileSystemType) \(options)"
        }.sorted().joined(separator: "\n")
    }

    /// The UTS namespace's hostname, read by `nsenter -t PID -u hostname` (the file
    /// /proc/sys/kernel/hostname shows the reader's UTS namespace, not the target's).
    static func utsHostname(pid: Int32) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        process.arguments = ["-t", String(pid), "-u", "hostname"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The limit files of a process's cgroup and of its parent (the pod cgroup), read where the
    /// process's `/proc/<pid>/cgroup` points: v1 per controller hierarchy, v2 in the one tree.
    static func cgroupLimits(cgroupFile: String, layout: CgroupLayout? = try? CgroupLayout.detect(), read: (String) -> String?) -> [(String, String)] {
        guard let layout else { return [] }
        var paths: [String: String] = [:]  // controller ("" for v2) → cgroup path
        for line in cgroupFile.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[1].isEmpty { paths[""] = String(fields[2]) }
            for controller in fields[1].split(separator: ",") { paths[String(controller)] = String(fields[2]) }
        }
        let files: [(controller: String, file: String)]
        switch layout.version {
        case .v1:
            files = [("memory", "memory.limit_in_bytes"), ("memory", "memory.memsw.limit_in_bytes"), ("cpu", "cpu.shares"),
                     ("cpu", "cpu.cfs_quota_us"), ("cpu", "cpu.cfs_period_us"), ("pids", "pids.max")]
        default:
            files = [("", "memory.max"), ("", "memory.swap.max"), ("", "cpu.weight"), ("", "cpu.max"), ("", "pids.max")]
        }
        var result: [(String, String)] = []
        for level in ["cgroup", "pod cgroup"] {
            for (controller, file) in files {
                let mount = controller.isEmpty ? layout.unifiedMountPoint : layout.v1MountPoints[controller]
                guard let mount, let path = paths[controller] else { continue }
                let directory = level == "cgroup" ? path : (path as NSString).deletingLastPathComponent
                guard let text = read(mount + directory + "/" + file) else { continue }
                result.append(("\(level) \(file)", text.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
        }
        return result
    }
}
