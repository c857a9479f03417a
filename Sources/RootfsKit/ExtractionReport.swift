/// What an extraction did: counts, bytes, and warnings for entries deliberately not created.
public struct ExtractionReport: Sendable, Equatable {
    /// Entries read from the archive (all kinds, including skipped ones and whiteouts).
    public var entries = 0
    public var regularFiles = 0
    public var directories = 0
    public var symlinks = 0
    public var hardlinks = 0
    public var fifos = 0
    /// Whiteouts applied (layer mode only): `.wh.NAME` removals and `.wh..wh..opq` opaque dirs.
    public var whiteouts = 0
    /// Bytes of regular-file data written.
    public var bytes: Int64 = 0
    /// The archive's compression as libarchive names it: `gzip`, `xz`, `zstd`, `none`…
    public var compression = "none"
    /// Human-readable warnings, e.g. `skipped character device dev/null: the runtime provides /dev`.
    public var warnings: [String] = []

    public init() {}
}

/// How `SafeExtractor` treats an archive.
public struct ExtractionOptions: Sendable {
    /// Restore numeric owners (only possible as root; the default is "when running as root").
    public var preserveOwners: Bool
    /// Treat the archive as an OCI/docker image layer: apply `.wh.NAME` and `.wh..wh..opq`
    /// whiteouts to what earlier layers left in the target instead of creating those files.
    public var applyWhiteouts: Bool
    /// Restore extended attributes (e.g. `security.capability` on `ping`).
    public var preserveXattrs: Bool
    /// Caps on unpacked bytes and entries (`ExtractionLimits.standard`: 8 GiB, 1,000,000).
    public var limits: ExtractionLimits
    /// Stops the extraction between entries (SIGINT during `podlab rootfs import`, or a test).
    var cancellation: Cancellation = .signals

    public init(preserveOwners: Bool = RootfsPlatform.isRoot, applyWhiteouts: Bool = false, preserveXattrs: Bool = true,
                limits: ExtractionLimits = .standard) {
        self.preserveOwners = preserveOwners
        self.applyWhiteouts = applyWhiteouts
        self.preserveXattrs = preserveXattrs
        self.limits = limits
    }
}
