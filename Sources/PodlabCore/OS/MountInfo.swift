/// One line of `/proc/<pid>/mountinfo` (see proc(5)): podlab's one mountinfo parser, used for
/// cgroup detection and for finding the mounts a pod left (`MountTable`).
///
/// Format: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`.
public struct MountInfoEntry: Sendable, Equatable {
    /// The mounted subtree of the filesystem (`/` for a whole cgroup hierarchy).
    public var root: String
    /// Where it is mounted, with the kernel's octal escapes (`\040` …) decoded.
    public var mountPoint: String
    /// `cgroup`, `cgroup2`, `tmpfs`, …
    public var fileSystemType: String
    /// Per-superblock options; for cgroup v1 these name the controllers (`rw,memory`).
    public var superOptions: [String]

    /// Parses every well-formed line; malformed lines are skipped (the kernel writes the file,
    /// so a malformed line means a format we do not know, not user error).
    /// - Parameter fileSystemTypes: keep only these types (`["cgroup", "cgroup2"]`); the other
    ///   lines are skipped before any string is made. The host's mountinfo grows by a line per
    ///   pod (its /dev/shm), and cgroup detection runs in every apply and supervisor: a full
    ///   parse was ~11 % of a pod start's CPU at 115 pods.
    public static func parse(_ text: String, fileSystemTypes: Set<String>? = nil) -> [MountInfoEntry] {
        var entries: [MountInfoEntry] = []
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            if let entry = parseFields(line, fileSystemTypes: fileSystemTypes) { entries.append(entry) }
        }
        return entries
    }

    public static func parseLine(_ line: String) -> MountInfoEntry? { parseFields(line.utf8[...], fileSystemTypes: nil) }

    /// One line's fields, split on the bytes; strings are made only for a kept entry's fields.
    private static func parseFields(_ line: Substring.UTF8View, fileSystemTypes: Set<String>?) -> MountInfoEntry? {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        // The optional fields end at a lone "-"; it can only appear after the first 6 fields.
        guard fields.count >= 9,
              let separator = fields[6...].firstIndex(where: { $0.count == 1 && $0.first == UInt8(ascii: "-") }),
              separator + 2 < fields.count
        else { return nil }
        let type = String(decoding: fields[separator + 1], as: UTF8.self)
        if let fileSystemTypes, !fileSystemTypes.contains(type) { return nil }
        let superOptions = separator + 3 < fields.count ? String(decoding: fields[separator + 3], as: UTF8.self) : ""
        return MountInfoEntry(
            root: unescape(String(decoding: fields[3], as: UTF8.self)),
            mountPoint: unescape(String(decoding: fields[4], as: UTF8.self)),
            fileSystemType: type,
            superOptions: superOptions.split(separator: ",").map(String.init))
    }

    /// Decodes the `\NNN` octal escapes the kernel uses for space, tab, newline and backslash
    /// (fs/proc_namespace.c `show_mountinfo` → `seq_path_root(..., " \t\n\\")`).
    public static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Mount points of this process's mount namespace (`/proc/self/mountinfo`).
public enum MountTable {
    /// Every mount point at or below `directory`, in mount order (so `reversed()` is the order
    /// to unmount them in). Paths with spaces are matched decoded.
    public static func mountPoints(under directory: String, mountinfo: String? = nil) -> [String] {
        guard let text = mountinfo ?? readMountInfo() else { return [] }
        return MountInfoEntry.parse(text).map(\.mountPoint).filter { $0 == directory || $0.hasPrefix(directory + "/") }
    }

    /// `/proc/self/mountinfo`, read whole (it has no size in stat, so read until EOF).
    static func readMountInfo() -> String? {
        FileSystem.readWholeText("/proc/self/mountinfo")
    }
}
