import Foundation

/// Reads `/proc/<pid>/ns/<kind>` links (`net:[4026532508]`) into inode numbers: the one reader
/// behind `podlab ns` (PodKit's `NamespaceInspector`) and the host's own inodes a lab's
/// namespace table is compared with (LabKit), so "the host's" means the same in both.
public enum NamespaceLinks {
    /// The inode of each kind in `kinds` for `process` (a pid, or `self`); kinds whose link
    /// cannot be read (process gone, kind unknown to the kernel) are left out.
    public static func inodes(process: String, kinds: [String], procRoot: String = "/proc") -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for kind in kinds {
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(procRoot)/\(process)/ns/\(kind)"),
                  let open = link.firstIndex(of: "["), let close = link.firstIndex(of: "]"), open < close,
                  let inode = UInt64(link[link.index(after: open)..<close])
            else { continue }
            result[kind] = inode
        }
        return result
    }
}
