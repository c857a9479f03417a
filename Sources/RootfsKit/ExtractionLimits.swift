#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import PodlabCore
import SystemPackage

/// Caps on what one image may unpack to: a 46 MB gzip bomb used to write 10 GiB in 31 s.
///
/// The defaults are sized for real images (the largest common ones, CUDA and TeX Live bases,
/// unpack to 5–7 GB and well under a million files). Raise them per command with
/// `--max-unpack-bytes` / `--max-unpack-entries` or for every podlab command with
/// `PODLAB_MAX_UNPACK_BYTES` / `PODLAB_MAX_UNPACK_ENTRIES`. An image in the catalog records
/// what it unpacked to at import, and the cache allows at least that, so an image imported with
/// raised limits unpacks later without the flag.
public struct ExtractionLimits: Sendable, Equatable {
    /// Regular-file data (logical size, sparse holes included) across all entries and layers.
    public var maxBytes: Int64
    /// Entries read (every kind, whiteouts and skipped devices included) across all layers.
    public var maxEntries: Int

    public static let defaultMaxBytes: Int64 = 8 << 30
    public static let defaultMaxEntries = 1_000_000
    public static let bytesVariable = "PODLAB_MAX_UNPACK_BYTES"
    public static let entriesVariable = "PODLAB_MAX_UNPACK_ENTRIES"

    /// 8 GiB and 1,000,000 entries.
    public static let standard = ExtractionLimits(maxBytes: defaultMaxBytes, maxEntries: defaultMaxEntries)

    public init(maxBytes: Int64, maxEntries: Int) {
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
    }

    /// The defaults overridden by `PODLAB_MAX_UNPACK_BYTES` / `PODLAB_MAX_UNPACK_ENTRIES`.
    ///
    /// - Throws: `.invalidArgument` naming the variable when a value is not a positive size.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ExtractionLimits {
        var limits = standard
        if let value = environment[bytesVariable] { limits.maxBytes = try parseSize(value, what: bytesVariable) }
        if let value = environment[entriesVariable] { limits.maxEntries = try parseCount(value, what: entriesVariable) }
        return limits
    }

    /// At least `bytes` and `entries` (what a catalog image was measured to unpack to at import).
    public func allowing(bytes: Int64?, entries: Int?) -> ExtractionLimits {
        ExtractionLimits(maxBytes: max(maxBytes, bytes ?? 0), maxEntries: max(maxEntries, entries ?? 0))
    }

    /// A byte count: digits with an optional binary suffix, `K`, `M`, `G` or `T` (`KiB`… and
    /// `KB`… mean the same), e.g. `16G`, `500M`, `1073741824`.
    ///
    /// - Throws: `.invalidArgument` "`what`: …" for anything else, zero, or more than 2^63-1.
    public static func parseSize(_ text: String, what: String) throws -> Int64 {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var shift: Int64 = 0
        let lower = digits.lowercased()
        for (suffix, bits) in [("t", 40), ("g", 30), ("m", 20), ("k", 10)] as [(String, Int64)] {
            if let range = [suffix + "ib", suffix + "b", suffix].first(where: { lower.hasSuffix($0) }) {
                digits = digits.dropLast(range.count)
                shift = bits
                break
            }
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits), value > 0 else {
            throw PodlabError(.invalidArgument, "\(what): \"\(text)\" is not a size (a positive number of bytes, optionally with K, M, G or T, e.g. 16G)")
        }
        let (scaled, overflow) = value.multipliedReportingOverflow(by: Int64(1) << shift)
        guard !overflow else { throw PodlabError(.invalidArgument, "\(what): \"\(text)\" is too large") }
        return scaled
    }

    /// A positive entry count, e.g. `2000000`.
    public static func parseCount(_ text: String, what: String) throws -> Int {
        let digits = text.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits), value > 0 else {
            throw PodlabError(.invalidArgument, "\(what): \"\(text)\" is not a positive number of entries")
        }
        return value
    }

    /// `8 GiB (8589934592 bytes)`.
    static func describe(bytes: Int64) -> String {
        let units: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (unit, size) in units where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit) (\(bytes) bytes)"
        }
        return "\(bytes) bytes"
    }
}

/// What extractions sharing one `ExtractionLimits` have used so far: all layers of one image
/// count against the same caps (a bomb split over 100 layers is still one image).
final class ExtractionBudget {
    let limits: ExtractionLimits
    private(set) var bytes: Int64 = 0
    private(set) var entries = 0

    init(_ limits: ExtractionLimits) {
        self.limits = limits
    }

    /// Counts one more entry; throws once more than `maxEntries` were read.
    func chargeEntry(archive: String, entry: String) throws {
        entries += 1
        guard entries <= limits.maxEntries else {
            throw PodlabError(.archive, "unpack(\(archive)): entry \(entry): more than \(limits.maxEntries) entries, the limit for one image; "
                + "raise it with --max-unpack-entries (podlab rootfs import/unpack) or \(ExtractionLimits.entriesVariable)")
        }
    }

    /// Counts `count` more bytes of file data; throws before they would pass `maxBytes`.
    func chargeBytes(_ count: Int64, archive: String, entry: String) throws {
        let (total, overflow) = bytes.addingReportingOverflow(max(count, 0))
        guard !overflow, total <= limits.maxBytes else {
            throw PodlabError(.archive, "unpack(\(archive)): entry \(entry): unpacked data would pass \(ExtractionLimits.describe(bytes: limits.maxBytes)), "
                + "the limit for one image (\(bytes) bytes so far, this entry declares \(count)); "
                + "raise it with --max-unpack-bytes (podlab rootfs import/unpack) or \(ExtractionLimits.bytesVariable)")
        }
        bytes = total
    }
}

/// Free space on the filesystem being unpacked to, checked before each file against the size its
/// header declares, so a too-large image fails naming the entry instead of filling the disk.
///
/// `fstatvfs` is called once and then only when the running estimate says a file may not fit,
/// so the check costs one syscall per extraction in the common case.
struct FreeSpace {
    private let fd: Int32
    private let display: String
    private var estimate: Int64

    /// - Parameter fd: any descriptor on the target filesystem (not owned).
    init(fd: Int32, display: String) throws {
        self.fd = fd
        self.display = display
        estimate = try Self.available(fd: fd, display: display)
    }

    /// Reserves `bytes` (rounded up to whole 4 KiB blocks); throws `.syscall` ENOSPC naming the
    /// entry when the filesystem does not have them.
    mutating func reserve(_ bytes: Int64, archive: String, entry: String) throws {
        let blocks = (max(bytes, 0) / 4096 + 1) * 4096
        if blocks > estimate {
            estimate = try Self.available(fd: fd, display: display)
            guard blocks <= estimate else {
                throw PodlabError(.syscall, "unpack(\(archive)): entry \(entry) needs \(bytes) bytes but fstatvfs(\(display)) reports \(estimate) free",
                                  cause: Errno.noSpace)
            }
        }
        estimate -= blocks
    }

    /// Bytes available to this process on the filesystem of `fd` (`f_bavail * f_frsize`).
    static func available(fd: Int32, display: String) throws -> Int64 {
        var st = statvfs()
        try checkedSyscall("fstatvfs(\(display))") { fstatvfs(fd, &st) }
        let (total, overflow) = Int64(clamping: st.f_bavail).multipliedReportingOverflow(by: Int64(clamping: st.f_frsize))
        return overflow ? .max : total
    }
}
