import ArgumentParser
import PodlabCore
import RootfsKit

/// `--max-unpack-bytes` / `--max-unpack-entries`, declared by `rootfs import` and `rootfs unpack`
/// as plain options (an `@OptionGroup` costs ~8 ms of argument-parser reflection per call).
enum UnpackLimitOptions {
    static let bytesHelp = ArgumentHelp(
        "Cap on the bytes an image may unpack to (K, M, G, T suffixes; default 8G or PODLAB_MAX_UNPACK_BYTES).", valueName: "size")
    static let entriesHelp = ArgumentHelp(
        "Cap on the entries an image may hold (default 1000000 or PODLAB_MAX_UNPACK_ENTRIES).", valueName: "count")

    /// The environment's limits (or the defaults), overridden by the flags given.
    static func limits(maxBytes: String?, maxEntries: String?) throws -> ExtractionLimits {
        var limits = try ExtractionLimits.fromEnvironment()
        if let maxBytes { limits.maxBytes = try ExtractionLimits.parseSize(maxBytes, what: "--max-unpack-bytes") }
        if let maxEntries { limits.maxEntries = try ExtractionLimits.parseCount(maxEntries, what: "--max-unpack-entries") }
        return limits
    }
}
