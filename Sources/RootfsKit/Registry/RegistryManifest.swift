import Foundation
import PodlabCore

/// The manifest media types `podlab rootfs pull` understands (OCI image-spec `media-types.md`,
/// docker `manifest-v2-2.md`). Schema 1 manifests (signed, deprecated) are refused.
public enum ManifestMediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// The `Accept` header: every type above, as containerd's resolver sends.
    static let accept = [ociIndex, ociManifest, dockerList, dockerManifest].joined(separator: ", ")
    static let indexes: Set<String> = [ociIndex, dockerList]
    static let images: Set<String> = [ociManifest, dockerManifest]
}

/// A content descriptor (OCI `descriptor.md`): what a manifest or index points at.
public struct ContentDescriptor: Codable, Sendable, Equatable {
    public struct Platform: Codable, Sendable, Equatable {
        public var architecture: String
        public var os: String
        public var variant: String?
        public init(architecture: String, os: String, variant: String? = nil) {
            self.architecture = architecture
            self.os = os
            self.variant = variant
        }
    }
    public var mediaType: String?
    public var digest: String
    public var size: Int64
    public var platform: Platform?

    public init(mediaType: String?, digest: String, size: Int64, platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
    }
}

/// An image index or manifest list, or an image manifest, as fetched (one decoder reads both,
/// then `mediaType`, or the fields present, say which it is).
struct RegistryManifest: Decodable {
    var schemaVersion: Int?
    var mediaType: String?
    var manifests: [ContentDescriptor]?
    var config: ContentDescriptor?
    var layers: [ContentDescriptor]?

    static func decode(_ bytes: [UInt8], what: String) throws -> RegistryManifest {
        do { return try JSONDecoder().decode(RegistryManifest.self, from: Data(bytes)) } catch {
            throw PodlabError(.badInput, "\(what): not a JSON image manifest or index (\(error))")
        }
    }
}

/// A `--platform` value: `os/arch[/variant]`, default this machine's (`linux/amd64` here),
/// matched like containerd's `platforms.Only` without its fallbacks (arm64 matches arm64/v8).
public struct PlatformSelector: Equatable, Sendable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    /// This machine, in GOARCH spelling.
    public static var host: PlatformSelector {
        #if arch(x86_64)
        PlatformSelector(os: "linux", architecture: "amd64")
        #elseif arch(arm64)
        PlatformSelector(os: "linux", architecture: "arm64")
        #else
        PlatformSelector(os: "linux", architecture: "unknown")
        #endif
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let ok = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { ok.contains($0) } }) else {
            throw PodlabError(.invalidArgument, "--platform \(text): expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    func matches(_ platform: ContentDescriptor.Platform) -> Bool {
        guard platform.os == os && platform.architecture == architecture else { return false }
        guard let variant else { return true }
        return platform.variant == variant || (platform.variant == nil && architecture == "arm64" && variant == "v8")
    }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }
}
