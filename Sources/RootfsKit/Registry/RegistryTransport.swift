import PodlabCore

/// One HTTP GET as the registry client needs it. The implementation lives outside RootfsKit
/// (`RegistryHTTP`, on URLSession/libcurl) so the `podlab` binary never loads libcurl: linking
/// FoundationNetworking pulls in some 30 more shared libraries at every start.
public protocol RegistryTransport: Sendable {
    /// GETs `url` with `headers`, following redirects (dropping `Authorization` when the host
    /// changes, as a blob redirect to object storage must not carry the registry token). For a
    /// 2xx response `begin` gets the status and headers (names lowercased) before any body, then
    /// `sink` each body chunk in order; a throwing `begin` or `sink` aborts the transfer and that
    /// error is rethrown. Any other status's body is collected (up to 64 kB) into
    /// `RegistryResponse.body`.
    func get(_ url: String, headers: [String: String], begin: (Int, [String: String]) throws -> Void,
             sink: (UnsafeRawBufferPointer) throws -> Void) throws -> RegistryResponse
}

/// A response's status, headers (names lowercased) and, unless it was streamed, body.
public struct RegistryResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as text for error messages, cut to 300 characters.
    var bodySnippet: String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "" : ": " + text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

extension RegistryTransport {
    /// GET collecting the whole body (manifests, tokens, configs), refused past `limit` bytes.
    func fetch(_ url: String, headers: [String: String], limit: Int = 4 << 20) throws -> RegistryResponse {
        var bytes: [UInt8] = []
        var response = try get(url, headers: headers, begin: { _, _ in }) { chunk in
            guard bytes.count + chunk.count <= limit else {
                throw PodlabError(.badInput, "GET \(url): response larger than \(limit) bytes")
            }
            bytes.append(contentsOf: chunk)
        }
        if (200..<300).contains(response.status) { response.body = bytes }
        return response
    }
}
