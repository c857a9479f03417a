import PodlabCore

/// An image name as users write it: `busybox`, `busybox:latest`, `alpine:3.20`,
/// `docker.io/library/alpine:3.20`, or `alpine@sha256:<hex>`.
///
/// Like docker, a missing tag means `latest`, and the Docker Hub prefixes `docker.io/` and
/// `docker.io/library/` are dropped so `docker save` names match what manifests say.
public struct ImageReference: Equatable, Sendable, CustomStringConvertible {
    public var name: String
    public var tag: String
    /// A pinned digest (hex, without `sha256:`), when the reference used `@sha256:`.
    public var digest: String?

    public init(name: String, tag: String = "latest", digest: String? = nil) {
        self.name = name
        self.tag = tag
        self.digest = digest
    }

    /// Parses `reference`.
    ///
    /// - Throws: `.invalidArgument` naming the reference when it is empty or has invalid characters.
    public init(parsing reference: String) throws {
        var rest = reference.trimmingWhitespace
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let pinned = rest[rest.index(after: at)...]
            guard pinned.hasPrefix("sha256:"), pinned.count == 71,
                pinned.dropFirst(7).allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            else { throw PodlabError(.invalidArgument, "image reference \(reference): digest must be sha256:<64 lowercase hex>") }
            digest = String(pinned.dropFirst(7))
            rest = String(rest[..<at])
        }
        var tag = "latest"
        // The tag is after the last ':' that follows the last '/' (a registry port has a '/' after it).
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
        }
        for prefix in ["docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"] where rest.hasPrefix(prefix) {
            rest = String(rest.dropFirst(prefix.count))
            break
        }
        let nameChars = Set("abcdefghijklmnopqrstuvwxyz0123456789._-/:")
        let tagChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !rest.isEmpty, rest.allSatisfy({ nameChars.contains($0) }), !rest.hasPrefix("/"), !rest.contains(".."),
            // ':' only in the registry host (`localhost:5000/…`), never in a path component.
            !rest.split(separator: "/").dropFirst().contains(where: { $0.contains(":") }), !(rest.contains(":") && !rest.contains("/")),
            rest.split(separator: "/").first.map({ !$0.contains(":") || $0.split(separator: ":").last?.allSatisfy(\.isNumber) == true }) ?? false
        else {
            throw PodlabError(.invalidArgument, "image reference \(reference): name must be lowercase letters, digits, '.', '_', '-', '/'")
        }
        guard !tag.isEmpty, tag.count <= 128, tag.allSatisfy({ tagChars.contains($0) }) else {
            throw PodlabError(.invalidArgument, "image reference \(reference): tag must be 1-128 of letters, digits, '.', '_', '-'")
        }
        self.init(name: rest, tag: tag, digest: digest)
    }

    /// `name:tag` (and `@sha256:…` when pinned).
    public var description: String {
        "\(name):\(tag)" + (digest.map { "@sha256:\($0)" } ?? "")
    }

    /// A file-name-safe stem for this image's tarball: `alpine_3.20`.
    var fileStem: String {
        "\(name)_\(tag)".map { $0 == "/" || $0 == ":" ? "_" : $0 }.reduce(into: "") { $0.append($1) }
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
