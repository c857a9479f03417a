import Foundation
import PodlabCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A minimal HTTP/1.0 GET client over POSIX sockets, for fetching a pod's page from the host.
/// HTTP/1.0 with `Connection: close` means the body simply ends at EOF: no chunked encoding.
public enum HTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
    }

    /// GETs `url` (`http://host[:port]/path`), the whole exchange bounded by `timeout`.
    public static func get(_ url: String, timeout: Double) throws -> Response {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host, !host.isEmpty else {
            throw PodlabError(.invalidArgument, "http GET \(url): not an http:// URL")
        }
        let port = components.port ?? 80
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        let deadline = Date().addingTimeInterval(timeout)
        let fd = try connect(host: host, port: port, deadline: deadline, url: url)
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.0\r\nHost: \(host)\r\nUser-Agent: podlab\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        try send(Array(request.utf8), fd: fd, deadline: deadline, url: url)
        let raw = try receiveAll(fd: fd, deadline: deadline, url: url)
        return try parse(raw, url: url)
    }

    private static func connect(host: String, port: Int, deadline: Date, url: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw PodlabError(.notFound, "http GET \(url): cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = Errno(rawValue: ECONNREFUSED)
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), info.pointee.ai_protocol)
            if fd < 0 { lastError = Errno(rawValue: errno); continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            if errno == EINPROGRESS, wait(fd: fd, for: Int16(POLLOUT), deadline: deadline) {
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error == 0 { return fd }
                lastError = Errno(rawValue: error)
            } else {
                lastError = errno == EINPROGRESS ? .timedOut : Errno(rawValue: errno)
            }
            close(fd)
        }
        throw PodlabError.syscall("connect(\(host):\(port)) for GET \(url)", lastError)
    }

    private static func send(_ bytes: [UInt8], fd: Int32, deadline: Date, url: String) throws {
        var offset = 0
        while offset < bytes.count {
            guard wait(fd: fd, for: Int16(POLLOUT), deadline: deadline) else { throw PodlabError(.timeout, "http GET \(url): timed out sending the request") }
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw PodlabError.syscall("send(GET \(url))", Errno(rawValue: errno))
            }
            offset += sent
        }
    }

    private static func receiveAll(fd: Int32, deadline: Date, url: String) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            guard wait(fd: fd, for: Int16(POLLIN), deadline: deadline) else { throw PodlabError(.timeout, "http GET \(url): timed out reading the response") }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return data }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw PodlabError.syscall("recv(GET \(url))", Errno(rawValue: errno))
            }
            data += buffer[0..<count]
            if data.count > 16 * 1024 * 1024 { throw PodlabError(.invalidState, "http GET \(url): response larger than 16 MiB") }
        }
    }

    private static func wait(fd: Int32, for events: Int16, deadline: Date) -> Bool {
        waitUntilReady(fd, events: events, deadline: monotonicSeconds() + deadline.timeIntervalSinceNow)
    }

    /// Splits `HTTP/1.x NNN reason\r\nheaders\r\n\r\nbody`.
    static func parse(_ raw: [UInt8], url: String) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        if raw.count >= 4 {
            for index in 0...(raw.count - 4) where Array(raw[index..<(index + 4)]) == separator {
                headerEnd = index
                break
            }
        }
        guard let headerEnd else { throw PodlabError(.invalidState, "http GET \(url): no complete HTTP response (\(raw.count) bytes)") }
        let head = String(decoding: raw[0..<headerEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw PodlabError(.invalidState, "http GET \(url): bad status line \"\(statusLine)\"")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Response(status: status, headers: headers, body: String(decoding: raw[(headerEnd + 4)...], as: UTF8.self))
    }
}
