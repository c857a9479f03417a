import Foundation
import PodlabCore

/// A `WWW-Authenticate` challenge (RFC 7235), as registries send with a 401: `Bearer realm="…",
/// service="…",scope="…"` (distribution `docs/spec/auth/token.md`) or `Basic realm="…"`.
public struct AuthChallenge: Equatable, Sendable {
    public var scheme: String
    public var parameters: [String: String]

    /// Parses one challenge; parameter names are lowercased, quoted values unescaped.
    /// Returns nil when the header has no scheme.
    public init?(header: String) {
        let trimmed = header.trimmingWhitespace
        guard let space = trimmed.firstIndex(of: " ") ?? (trimmed.isEmpty ? nil : trimmed.endIndex) else { return nil }
        scheme = trimmed[..<space].lowercased()
        parameters = [:]
        var rest = Substring(trimmed[space...])
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "," })
            guard let equals = rest.firstIndex(of: "=") else { break }
            let name = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped { value.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { break } else { value.append(c) }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            parameters[name] = value
        }
    }
}

/// A username and password (or identity token) for one registry.
public struct RegistryCredential: Equatable, Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// `Basic base64(user:password)`.
    var basicHeader: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }

    /// The credential for `host` from a docker `config.json` / containers `auth.json`: the file
    /// named by `REGISTRY_AUTH_FILE`, else `$HOME/.docker/config.json` (containers-auth.json(5):
    /// `{"auths": {"HOST": {"auth": "base64(user:password)"}}}`; Docker Hub may be keyed
    /// `https://index.docker.io/v1/`). Credential helpers (`credsStore`) are not run.
    ///
    /// - Throws: `.badInput` naming the file when it exists but cannot be read as JSON or its
    ///   `auth` is not base64 `user:password`.
    public static func lookup(host: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RegistryCredential? {
        let file: String
        if let explicit = environment["REGISTRY_AUTH_FILE"], !explicit.isEmpty {
            file = explicit
        } else if let home = environment["HOME"], !home.isEmpty {
            file = home + "/.docker/config.json"
        } else {
            return nil
        }
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        struct AuthFile: Decodable {
            struct Entry: Decodable { var auth: String?; var username: String?; var password: String? }
            var auths: [String: Entry]?
        }
        let parsed: AuthFile
        do { parsed = try JSONDecoder().decode(AuthFile.self, from: data) } catch {
            throw PodlabError(.badInput, "\(file): not a docker config / auth.json file (\(error))")
        }
        let keys = host == "docker.io"
            ? ["docker.io", "index.docker.io", "https://index.docker.io/v1/", "registry-1.docker.io"]
            : [host, "https://" + host, "http://" + host]
        guard let entry = keys.lazy.compactMap({ parsed.auths?[$0] }).first else { return nil }
        if let auth = entry.auth, !auth.isEmpty {
            guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                let colon = decoded.firstIndex(of: ":")
            else { throw PodlabError(.badInput, "\(file): auths[\(host)].auth is not base64 of user:password") }
            return RegistryCredential(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]))
        }
        if let username = entry.username, let password = entry.password { return RegistryCredential(username: username, password: password) }
        return nil
    }
}
