/// Where a pulled image came from, kept in its catalog record: `rootfs inspect` shows it, and
/// `rootfs prune` keeps the blobs it lists.
public struct PulledImage: Codable, Sendable, Equatable {
    /// The reference pulled, normalised (`127.0.0.1:5000/app:1`, `docker.io/library/busybox:latest`).
    public var reference: String
    /// Digest of the image index / manifest list the tag named, when it was one.
    public var indexDigest: String?
    /// Digest of the image manifest pulled (the platform's, from an index).
    public var manifestDigest: String
    /// `os/arch[/variant]` of the image.
    public var platform: String
    /// The config blob.
    public var config: ContentDescriptor
    /// The layers, bottom first, as the manifest lists them (compressed digests and sizes).
    public var layers: [ContentDescriptor]

    public init(reference: String, indexDigest: String?, manifestDigest: String, platform: String,
                config: ContentDescriptor, layers: [ContentDescriptor]) {
        self.reference = reference
        self.indexDigest = indexDigest
        self.manifestDigest = manifestDigest
        self.platform = platform
        self.config = config
        self.layers = layers
    }

    /// Every blob digest this image needs kept in the blob store.
    public var blobDigests: [String] { [config.digest] + layers.map(\.digest) }
}
