import Foundation
import PodlabCore

/// The pod's volumes on the host: `<pod dir>/volumes/<name>`, created once per pod (they
/// survive container restarts and sandbox recreation) and removed on delete.
/// K8S-SEMANTICS #28–#31.
public struct PodVolumes {
    public let podDirectory: String

    public init(podDirectory: String) {
        self.podDirectory = podDirectory
    }

    public func path(of volume: String) -> String { "\(podDirectory)/volumes/\(volume)" }

    /// Creates every volume of the pod. Idempotent: existing volumes keep their data.
    public func prepare(_ spec: PodSpec) throws {
        for volume in spec.volumes {
            let dir = path(of: volume.name)
            if FileManager.default.fileExists(atPath: dir) { continue }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
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
                try writeConfigMap(spec.configMaps[name] ?? [:], items: items, defaultMode: defaultMode, into: dir)
            }
        }
    }

    /// kubelet's atomic writer layout (#30): a timestamped data directory, `..data` pointing at
    /// it, and one symlink per top-level entry into `..data`.
    func writeConfigMap(_ data: [String: String], items: [KeyToPath], defaultMode: Int, into dir: String) throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy_MM_dd_HH_mm_ss"
        let stamp = "..\(formatter.string(from: Date())).\(UInt32.random(in: 100_000_000...999_999_999))"
        let dataDir = "\(dir)/\(stamp)"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        try checkedSyscall("chmod(\(dataDir), 0755)") { chmod(dataDir, 0o755) }
        let files: [(path: String, content: String, mode: Int)] =
            items.isEmpty
            ? data.sorted { $0.key < $1.key }.map { ($0.key, $0.value, defaultMode) }
            : items.compactMap { item in data[item.key].map { (item.path, $0, item.mode ?? defaultMode) } }
        var topLevel = Set<String>()
        for file in files {
            let target = "\(dataDir)/\(file.path)"
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: target, contents: Data(file.content.utf8)) else {
                throw PodlabError(.syscall, "write(\(target)) failed")
            }
            try checkedSyscall("chmod(\(target), \(String(file.mode, radix: 8)))") { chmod(target, mode_t(file.mode)) }
            if let first = file.path.split(separator: "/").first { topLevel.insert(String(first)) }
        }
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/..data", withDestinationPath: stamp)
        for entry in topLevel.sorted() {
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/\(entry)", withDestinationPath: "..data/\(entry)")
        }
    }

    /// Removes every volume (unmounting memory-backed ones). Never throws: used on delete.
    public func removeAll() {
        let root = "\(podDirectory)/volumes"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            umount2("\(root)/\(name)", Int32(MNT_DETACH))
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}
