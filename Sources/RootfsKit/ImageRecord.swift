/// One image in the catalog: a name, its tarball and what that tarball contains.
public struct ImageRecord: Codable, Sendable, Equatable {
    /// Repository name, e.g. `busybox`, `alpine`.
    public var name: String
    /// Tag, e.g. `latest`, `3.20`.
    public var tag: String
    /// sha256 of the tarball file (64 hex characters, no `sha256:` prefix); names the cache entry.
    public var digest: String
    /// Absolute path of the tarball (stored relative to the rootfs dir in `catalog.json`).
    public var tarballPath: String
    /// Tarball size in bytes.
    public var size: Int64
    /// Number of entries in the tarball.
    public var fileCount: Int
    /// Where it came from, e.g. `built from /bin/busybox (BusyBox v1.35.0)` or `imported from …`.
    public var source: String
    /// Regular-file bytes the image unpacked to when it was imported (nil for built images and
    /// catalogs written before podlab recorded it). The cache allows at least this much, so an
    /// image imported with `--max-unpack-bytes` raised unpacks later without the flag.
    public var unpackedBytes: Int64?
    /// The image's OCI runtime configuration (Entrypoint, Cmd, Env, …); nil for images recorded
    /// before podlab kept configs. See `ImageConfig`.
    public var config: ImageConfig?
    /// Registry, manifest, config and layer digests of an image `podlab rootfs pull` fetched;
    /// nil for built and imported images.
    public var pulled: PulledImage?

    public init(name: String, tag: String, digest: String, tarballPath: String, size: Int64, fileCount: Int, source: String) {
        self.name = name
        self.tag = tag
        self.digest = digest
        self.tarballPath = tarballPath
        self.size = size
        self.fileCount = fileCount
        self.source = source
    }

    /// `name:tag`.
    public var reference: String { "\(name):\(tag)" }
    /// The first 12 hex characters of the digest, as `docker images` shows.
    public var shortDigest: String { String(digest.prefix(12)) }
}
