import ArgumentParser
import PodlabCore
import RootfsKit

/// `--max-unpack-bytes` / `--max-unpack-entries`, shared by `rootfs import` and `rootfs unpack`.
struct UnpackLimitOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Cap on the bytes an image may unpack to (K, M, G, T suffixes; default 8G or PODLAB_MAX_UNPACK_BYTES).",
        valueName: "size"))
    var maxUnpackBytes: String?

    @Option(name: .long, help: ArgumentHelp(
        "Cap on the entries an image may hold (default 1000000 or PODLAB_MAX_UNPACK_ENTRIES).",
        valueName: "count"))
    var maxUnpackEntries: String?

    /// The environment's limits (or the defaults), overridden by the flags given.
    func limits() throws -> ExtractionLimits {
        var limits = try ExtractionLimits.fromEnvironment()
        if let maxUnpackBytes { limits.maxBytes = try ExtractionLimits.parseSize(maxUnpackBytes, what: "--max-unpack-bytes") }
        if let maxUnpackEntries { limits.maxEntries = try ExtractionLimits.parseCount(maxUnpackEntries, what: "--max-unpack-entries") }
        return limits
    }
}
