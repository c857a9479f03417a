import Foundation
import PodlabCore

/// What `ScratchLeftovers.remove(paths:)` did.
public struct ScratchCleanupReport: Sendable, Equatable {
    /// Paths removed (scratch of interrupted or crashed imports and unpacks).
    public var removed: [String] = []
    /// Paths kept because an import or unpack that owns them is still running.
    public var busy: [String] = []
    /// Paths that could not be removed, with the error.
    public var failed: [String] = []

    public init() {}
}

/// The scratch podlab writes beside the image catalog and the image cache, and how leftovers of
/// killed processes are told apart from the scratch of imports and unpacks still running in other
/// processes. Only podlab's own names are ever touched:
///
/// | scratch | where | owner is live while it holds |
/// |---|---|---|
/// | `.import-<pid>-<n>/` (an import) | rootfs dir | `.scratch.lock`, shared |
/// | `catalog.json.tmp-<pid>`, `<image>.tar.gz.tmp-<pid>` | rootfs dir | `.catalog.lock` |
/// | `.tmp-<sha256>-<pid>-<n>/` (an unpack), `<sha256>/` without `complete` | image cache | `<sha256>.lock` |
///
/// A sweeper takes the same lock exclusively and without waiting (`LOCK_EX | LOCK_NB`): getting it
/// proves no live process owns that scratch (every owner removes its scratch before it releases
/// the lock, and the kernel releases the locks of a killed process); not getting it means one is
/// running, and that scratch is left alone.
public enum ScratchLeftovers {
    static let scratchLockName = ".scratch.lock"
    static let catalogLockName = ".catalog.lock"

    /// Removes the leftover scratch of interrupted or crashed imports and unpacks under
    /// `paths.rootfsDir` and `paths.imageCacheDir` (for `podlab clean`). Never blocks, never
    /// touches the scratch of a running import or unpack, and goes on past a failure.
    public static func remove(paths: PodlabPaths) -> ScratchCleanupReport {
        var report = ScratchCleanupReport()
        removeImportScratch(rootfsDir: paths.rootfsDir, into: &report)
        removeCatalogTemporaries(rootfsDir: paths.rootfsDir, into: &report)
        removeCacheScratch(cacheDir: paths.imageCacheDir, into: &report)
        return report
    }

    // MARK: naming

    /// `.import-<pid>-<random>`: a new import's scratch dir name.
    static func newImportScratchName() -> String { ".import-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

    static func isImportScratch(_ name: String) -> Bool { matches(name, prefix: ".import-", numericParts: 2) }

    /// `NAME.tmp-<pid>`, the temp files written under the catalog lock (ImageCatalog.save,
    /// BusyboxRootfsBuilder.build).
    static func isCatalogTemporary(_ name: String) -> Bool {
        guard let range = name.range(of: ".tmp-", options: .backwards), range.lowerBound != name.startIndex else { return false }
        let pid = name[range.upperBound...]
        return !pid.isEmpty && pid.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The digest of a cache scratch dir `.tmp-<sha256>-…`, or nil.
    static func cacheScratchDigest(_ name: String) -> String? {
        guard name.hasPrefix(".tmp-") else { return nil }
        let rest = name.dropFirst(5)
        let digest = rest.prefix(64)
        guard digest.count == 64, isDigest(digest), rest.dropFirst(64).hasPrefix("-") else { return nil }
        return String(digest)
    }

    static func isDigest<S: StringProtocol>(_ text: S) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    private static func matches(_ name: String, prefix: String, numericParts: Int) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == numericParts && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    // MARK: imports

    /// The shared hold an import keeps on `.scratch.lock` while its scratch dir exists.
    final class ImportLease {
        private var fd: Int32

        /// Takes the lock shared. If it can first be taken exclusively, no other import is
        /// running, and the leftovers of dead ones are removed on the way (best effort).
        init(rootfsDir: String) throws {
            let path = rootfsDir + "/" + ScratchLeftovers.scratchLockName
            fd = try checkedSyscall("open(\(path))") { Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                var ignored = ScratchCleanupReport()
                ScratchLeftovers.sweepImportScratch(rootfsDir: rootfsDir, into: &ignored)
            }
            // Converts the exclusive lock, or waits while a sweeper holds it (briefly).
            do {
                try checkedSyscall("flock(\(path), LOCK_SH)") { flock(fd, LOCK_SH) }
            } catch {
                close(fd)
                throw error
            }
        }

        /// Releases the lock; the import's scratch must be gone by then.
        func release() {
            if fd >= 0 { close(fd) }
            fd = -1
        }

        deinit { release() }
    }

    private static func removeImportScratch(rootfsDir: String, into report: inout ScratchCleanupReport) {
        let names = scratchNames(in: rootfsDir, where: isImportScratch)
        guard !names.isEmpty else { return }
        switch tryExclusiveLock(rootfsDir + "/" + scratchLockName) {
        case .held(let fd):
            defer { close(fd) }
            sweepImportScratch(rootfsDir: rootfsDir, into: &report)
        case .busy:
            report.busy += names.map { "\(rootfsDir)/\($0)" }  // an import is running: it may own any of them
        case .failed(let why):
            report.failed += names.map { "\(rootfsDir)/\($0): \(why)" }
        }
    }

    /// Removes every `.import-*` dir; the caller holds `.scratch.lock` exclusively.
    static func sweepImportScratch(rootfsDir: String, into report: inout ScratchCleanupReport) {
        for name in scratchNames(in: rootfsDir, where: isImportScratch) {
            remove(rootfsDir + "/" + name, into: &report)
        }
    }

    // MARK: catalog temp files

    private static func removeCatalogTemporaries(rootfsDir: String, into report: inout ScratchCleanupReport) {
        let names = scratchNames(in: rootfsDir, where: isCatalogTemporary)
        guard !names.isEmpty else { return }
        switch tryExclusiveLock(rootfsDir + "/" + catalogLockName) {
        case .held(let fd):
            defer { close(fd) }
            for name in names { remove(rootfsDir + "/" + name, into: &report) }
        case .busy:
            report.busy += names.map { rootfsDir + "/" + $0 }
        case .failed(let why):
            report.failed += names.map { "\(rootfsDir)/\($0): \(why)" }
        }
    }

    // MARK: image cache

    private static func removeCacheScratch(cacheDir: String, into report: inout ScratchCleanupReport) {
        var byDigest: [String: [String]] = [:]
        for name in scratchNames(in: cacheDir, where: { _ in true }) {
            if let digest = cacheScratchDigest(name) {
                byDigest[digest, default: []].append(name)
            } else if isDigest(name), lstatMode(cacheDir + "/" + name + "/complete") == nil {
                byDigest[name, default: []].append(name)  // renamed into place only with its marker: a leftover
            }
        }
        for (digest, names) in byDigest.sorted(by: { $0.key < $1.key }) {
            switch tryExclusiveLock(cacheDir + "/\(digest).lock") {
            case .held(let fd):
                defer { close(fd) }
                // Looked at again under the lock: an unpack may have completed the entry meanwhile.
                for name in names where name != digest || lstatMode(cacheDir + "/" + name + "/complete") == nil {
                    remove(cacheDir + "/" + name, into: &report)
                }
            case .busy:
                report.busy += names.map { cacheDir + "/" + $0 }
            case .failed(let why):
                report.failed += names.map { "\(cacheDir)/\($0): \(why)" }
            }
        }
    }

    // MARK: helpers

    enum LockAttempt {
        case held(Int32)
        case busy
        case failed(String)
    }

    /// `flock(LOCK_EX | LOCK_NB)` on `lockPath` (created if missing); the caller closes a held fd.
    static func tryExclusiveLock(_ lockPath: String) -> LockAttempt {
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return .failed("open(\(lockPath)): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return .held(fd) }
        let err = errno
        close(fd)
        return err == EWOULDBLOCK ? .busy : .failed("flock(\(lockPath)): \(String(cString: strerror(err)))")
    }

    private static func remove(_ path: String, into report: inout ScratchCleanupReport) {
        do {
            try removeTree(path)
            report.removed.append(path)
        } catch {
            report.failed.append("\(path): \(error)")
        }
    }

    private static func scratchNames(in directory: String, where accept: (String) -> Bool) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter(accept).sorted()
    }
}
