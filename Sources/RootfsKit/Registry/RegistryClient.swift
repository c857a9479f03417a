import Foundation
import PodlabCore

/// Requests to one repository of a registry (distribution `docs/spec/api.md`), answering its
/// authentication challenges: a 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`
/// gets a token from the realm (anonymously, or with the basic credential when there is one)
/// and the request is sent once more; `Basic` gets the credential directly. The token is kept for
/// the following requests, as containerd's `docker/authorizer.go` does.
final class RegistryClient: @unchecked Sendable {
    let transport: any RegistryTransport
    let reference: RegistryReference
    let scheme: String
    let credential: RegistryCredential?
    /// Plain-HTTP token realms are accepted only where plain HTTP is (loopback, or insecure).
    let allowsPlainHTTP: Bool
    private var authorization: String?

    init(transport: any RegistryTransport, reference: RegistryReference, insecure: Bool, credential: RegistryCredential?) {
        self.transport = transport
        self.reference = reference
        self.allowsPlainHTTP = insecure || reference.isLoopback
        self.scheme = allowsPlainHTTP ? "http" : "https"
        self.credential = credential
    }

    /// `<scheme>://<host>/v2/<repository>/<path>`.
    func url(_ path: String) -> String { "\(scheme)://\(reference.apiHost)/v2/\(reference.repository)/\(path)" }

    /// GET `/v2/<repository>/<path>`, authenticating on a 401 once.
    func get(_ path: String, headers: [String: String] = [:], begin: (Int, [String: String]) throws -> Void = { _, _ in },
             sink: (UnsafeRawBufferPointer) throws -> Void) throws -> RegistryResponse {
        let target = url(path)
        var response = try send(target, headers, begin, sink)
        if response.status == 401 {
            authorization = try authorize(response, url: target)
            response = try send(target, headers, begin, sink)
            if response.status == 401 || response.status == 403 {
                let who = credential.map { "as \($0.username)" } ?? "anonymously (no credential for \(reference.host) in REGISTRY_AUTH_FILE or ~/.docker/config.json)"
                throw PodlabError(.badInput, "GET \(target): \(response.status) unauthorized \(who)\(response.bodySnippet)")
            }
        }
        return response
    }

    /// GET a small document (manifest, config), whole.
    func fetch(_ path: String, headers: [String: String] = [:], limit: Int = 4 << 20) throws -> RegistryResponse {
        var bytes: [UInt8] = []
        var response = try get(path, headers: headers) { chunk in
            guard bytes.count + chunk.count <= limit else {
                throw PodlabError(.badInput, "GET \(self.url(path)): response larger than \(limit) bytes")
            }
            bytes.append(contentsOf: chunk)
        }
        if (200..<300).contains(response.status) { response.body = bytes }
        return response
    }

    private func send(_ url: String, _ headers: [String: String], _ begin: (Int, [String: String]) throws -> Void,
                      _ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> RegistryResponse {
        var headers = headers
        if let authorization { headers["Authorization"] = authorization }
        return try transport.get(url, headers: headers, begin: begin, sink: sink)
    }

    /// The `Authorization` value answering the 401 `response` (distribution `token.md`).
    private func authorize(_ response: RegistryResponse, url: String) throws -> String {
        guard let header = response.headers["www-authenticate"], let challenge = AuthChallenge(header: header) else {
            throw PodlabError(.badInput, "GET \(url): 401 without a WWW-Authenticate challenge\(response.bodySnippet)")
        }
        switch challenge.scheme {
        case "basic":
            guard let credential else {
                throw PodlabError(.badInput, "GET \(url): \(reference.host) asks for a password (Basic) and there is none for it in REGISTRY_AUTH_FILE or ~/.docker/config.json")
            }
            return credential.basicHeader
        case "bearer":
            guard let realm = challenge.parameters["realm"], let realmURL = URL(string: realm), let realmScheme = realmURL.scheme?.lowercased(),
                realmScheme == "https" || (realmScheme == "http" && (allowsPlainHTTP || ["localhost", "127.0.0.1", "::1"].contains(realmURL.host ?? "")))
            else {
                throw PodlabError(.badInput, "GET \(url): token realm \(challenge.parameters["realm"] ?? "(none)") is not an https URL; refused (credentials would travel in clear)")
            }
            var components = URLComponents(url: realmURL, resolvingAgainstBaseURL: false)
            var query = components?.queryItems ?? []
            if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
            query.append(URLQueryItem(name: "scope", value: challenge.parameters["scope"] ?? "repository:\(reference.repository):pull"))
            components?.queryItems = query
            guard let tokenURL = components?.url?.absoluteString else {
                throw PodlabError(.badInput, "GET \(url): cannot build a token URL from realm \(realm)")
            }
            var headers: [String: String] = [:]
            if let credential { headers["Authorization"] = credential.basicHeader }
            let answer = try transport.fetch(tokenURL, headers: headers, limit: 1 << 20)
            guard answer.status == 200 else {
                throw PodlabError(.badInput, "GET \(tokenURL): \(answer.status) (token request\(credential == nil ? ", anonymous" : " as \(credential?.username ?? "")"))\(answer.bodySnippet)")
            }
            struct Token: Decodable { var token: String?; var access_token: String? }
            guard let token = try? JSONDecoder().decode(Token.self, from: Data(answer.body)), let value = token.token ?? token.access_token, !value.isEmpty else {
                throw PodlabError(.badInput, "GET \(tokenURL): the answer carries no token")
            }
            return "Bearer " + value
        default:
            throw PodlabError(.unsupported, "GET \(url): authentication scheme \(challenge.scheme) is not supported (Bearer and Basic are)")
        }
    }
}
