import PodlabCore

/// Where `podlab rootfs pull REF` fetches from: registry host, repository, and a tag or digest.
///
/// Follows the docker reference grammar (distribution/reference `normalize.go`): the first
/// component is a registry host when it contains a `.` or a `:` or is `localhost`; otherwise the
/// image is on Docker Hub (`registry-1.docker.io`), and a one-component Hub name gets `library/`.
public struct RegistryReference: Equatable, Sendable, CustomStringConvertible {
    /// Host as written (`127.0.0.1:5000`, `ghcr.io`); `docker.io` for Docker Hub.
    public var host: String
    /// Repository path on that registry (`library/busybox`, `team/app`).
    public var repository: String
    /// Tag; `latest` when neither a tag nor a digest is given.
    public var tag: String
    /// `sha256:<hex>` when the reference is pinned (`REF@sha256:…`).
    public var digest: String?

    public init(parsing text: String) throws {
        var rest = text.trimmingWhitespace
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let pinned = String(rest[rest.index(after: at)...])
            guard Self.isSHA256Digest(pinned) else {
                throw PodlabError(.invalidArgument, "image reference \(text): digest must be sha256:<64 lowercase hex>")
            }
            digest = pinned
            rest = String(rest[..<at])
        }
        var host = "docker.io"
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" {
                host = String(first)
                rest = String(rest[rest.index(after: slash)...])
            }
        }
        var tag = "latest"
        if let colon = rest.lastIndex(of: ":") {
            tag = String(rest[rest.index(after: colon)...])
            rest = String(rest[..<colon])
        }
        if host == "index.docker.io" { host = "docker.io" }
        if host == "docker.io" && !rest.contains("/") { rest = "library/" + rest }
        // distribution/reference regexp.go: path components of [a-z0-9] separated by . _ __ -.
        let pathChars = Set("abcdefghijklmnopqrstuvwxyz0123456789._-/")
        let tagChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        let hostChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        guard !rest.isEmpty, rest.count <= 255, rest.allSatisfy({ pathChars.contains($0) }),
            !rest.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0.hasPrefix(".") || $0.hasPrefix("-") })
        else {
            throw PodlabError(.invalidArgument, "image reference \(text): repository must be lowercase letters, digits, '.', '_', '-' separated by '/'")
        }
        guard !host.isEmpty, host.allSatisfy({ hostChars.contains($0) }) else {
            throw PodlabError(.invalidArgument, "image reference \(text): bad registry host \(host)")
        }
        guard !tag.isEmpty, tag.count <= 128, tag.allSatisfy({ tagChars.contains($0) }), tag.first != "." && tag.first != "-" else {
            throw PodlabError(.invalidArgument, "image reference \(text): tag must be 1-128 of letters, digits, '.', '_', '-'")
        }
        self.host = host
        self.repository = rest
        self.tag = tag
        self.digest = digest
    }

    /// `sha256:` and 64 lowercase hex characters.
    public static func isSHA256Digest(_ text: String) -> Bool {
        let hex = text.utf8.dropFirst(7)
        return text.hasPrefix("sha256:") && hex.count == 64 && hex.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The host the API is served from: Docker Hub's `docker.io` is `registry-1.docker.io`.
    public var apiHost: String { host == "docker.io" ? "registry-1.docker.io" : host }

    /// The manifest to fetch: the pinned digest if any, else the tag.
    public var manifestReference: String { digest ?? tag }

    /// True for `localhost`, `127.0.0.0/8` and `[::1]` (with any port): plain HTTP is allowed
    /// there by default, as docker treats them as insecure registries (registry/config.go).
    public var isLoopback: Bool {
        var name = host
        if name.hasPrefix("[") { name = String(name.dropFirst().prefix(while: { $0 != "]" })) }
        else if let colon = name.lastIndex(of: ":") { name = String(name[..<colon]) }
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }

    /// The catalog name the pulled image gets by default: `host/repository:tag`, with Docker
    /// Hub's prefixes dropped as `ImageReference` does (`docker.io/library/busybox` is `busybox`).
    public var catalogName: String {
        var name = host == "docker.io" ? repository : host + "/" + repository
        if name.hasPrefix("library/") { name.removeFirst("library/".count) }
        return name + ":" + tag
    }

    public var description: String {
        "\(host)/\(repository)" + (digest.map { "@\($0)" } ?? ":\(tag)")
    }
}
