import Foundation
import PodlabCore
import PodObservations

/// Reads a process tree from `/proc` (what `pstree -p` shows); Reports renders it
/// (`ProcessTreeText`).
public enum ProcessTree {
    /// The tree under `root`: every descendant, with its command line (or comm).
    public static func build(root: Int32, procRoot: String = "/proc") -> ProcessNode? {
        var parentOf: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: procRoot)) ?? [] {
            guard let pid = Int32(entry), let ppid = parentPID(pid, procRoot: procRoot) else { continue }
            parentOf[pid] = ppid
        }
        var children: [Int32: [Int32]] = [:]
        for (pid, ppid) in parentOf { children[ppid, default: []].append(pid) }
        func node(_ pid: Int32) -> ProcessNode {
            ProcessNode(pid: pid, command: command(pid, procRoot: procRoot),
                            children: (children[pid] ?? []).sorted().map(node))
        }
        guard parentOf[root] != nil else { return nil }
        return node(root)
    }

    /// `ppid` from `/proc/<pid>/stat` (the field after the parenthesised comm, which may hold spaces).
    static func parentPID(_ pid: Int32, procRoot: String) -> Int32? {
        guard let stat = FileSystem.readWholeText("\(procRoot)/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// The command line as `ps` shows it, falling back to `[comm]`.
    public static func command(_ pid: Int32, procRoot: String = "/proc") -> String {
        if let data = try? FileSystem.readFile("\(procRoot)/\(pid)/cmdline"), !data.isEmpty {
            return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }
        let comm = FileSystem.readWholeText("\(procRoot)/\(pid)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines)
        return "[\(comm ?? "?")]"
    }
}
