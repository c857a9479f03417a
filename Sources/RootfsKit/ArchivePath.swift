import PodlabCore

/// Validation of paths stored in untrusted archives.
///
/// This is the *first* line of defence (string level); the second is that `SafeExtractor` opens
/// every component with `O_NOFOLLOW` from a directory fd, so a symlink can never redirect a write.
enum ArchivePath {
    /// Linux's PATH_MAX, including the terminating NUL.
    static let maxPathBytes = 4096

    /// Splits an entry path into components, dropping `.` and empty ones (`./bin//sh` → `bin`, `sh`).
    ///
    /// - Throws: `.archive` naming the entry for absolute paths and any `..` component.
    ///   Unlike GNU tar we do not strip a leading `/`: rootfs tarballs never need it, and
    ///   accepting it would hide a hostile archive.
    ///   Paths of PATH_MAX (4096) bytes or more are refused too: no program could open them, and
    ///   they bound how deep a tree an archive can make (a walk per level must stay cheap).
    static func components(of path: String, entry: String, archive: String) throws -> [String] {
        if path.utf8.count >= maxPathBytes {
            throw PodlabError(.archive, "unpack(\(archive)): entry \(entry.prefix(200))…: path of \(path.utf8.count) bytes refused (PATH_MAX is \(maxPathBytes))")
        }
        if path.hasPrefix("/") {
            throw PodlabError(.archive, "unpack(\(archive)): entry \(entry): absolute path refused")
        }
        var result: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                throw PodlabError(.archive, "unpack(\(archive)): entry \(entry): '..' component refused (would escape the target)")
            }
            result.append(String(part))
        }
        return result
    }
}
