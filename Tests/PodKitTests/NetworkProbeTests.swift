import Foundation
import Testing

@testable import PodKit

#if canImport(Glibc)
import Glibc
#endif

/// The non-blocking tcpSocket/httpGet prober against real loopback sockets.
@Suite("NetworkProbe: tcpSocket and httpGet without blocking")
struct NetworkProbeTests {
    /// A listening TCP socket on 127.0.0.1 and its port.
    final class Listener {
        let fd: Int32
        let port: Int
        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(bound == 0)
            try #require(listen(fd, 8) == 0)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            port = Int(UInt16(bigEndian: address.sin_port))
        }
        /// Accepts one connection, reads the request, answers `response` (nil: never answers).
        func serveOnce(_ response: String?) {
            let fd = self.fd
            Thread.detachNewThread {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = recv(client, &buffer, buffer.count, 0)
                if let response {
                    _ = Array(response.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }
                    close(client)
                } else {
                    sleep(3)
                    close(client)
                }
            }
        }
        deinit { close(fd) }
    }

    /// Polls like the supervisor loop until there is an outcome.
    func outcome(_ probe: NetworkProbe) -> HandlerOutcome? {
        for _ in 0..<500 {
            if let result = probe.poll() { return result }
            usleep(10_000)
        }
        return nil
    }

    @Test("tcpSocket: a listening port succeeds, a closed one fails with connection refused")
    func tcp() throws {
        let listener = try Listener()
        #expect(outcome(try NetworkProbe(host: "127.0.0.1", port: listener.port, http: nil, timeout: 1)) == .success)
        let closedPort: Int
        do { closedPort = try Listener().port }  // closed again at once
        let refused = outcome(try NetworkProbe(host: "127.0.0.1", port: closedPort, http: nil, timeout: 1))
        #expect(refused == .failure("dial tcp 127.0.0.1:\(closedPort): connect: connection refused"))
    }

    @Test("httpGet: 200 and 302 succeed, 500 fails with kubelet's message, silence times out")
    func http() throws {
        for (status, expected) in [("200 OK", HandlerOutcome.success), ("302 Found", .success),
                                   ("500 Internal Server Error", .failure("HTTP probe failed with statuscode: 500"))] {
            let listener = try Listener()
            listener.serveOnce("HTTP/1.1 \(status)\r\nContent-Length: 0\r\n\r\n")
            #expect(outcome(try NetworkProbe(host: "127.0.0.1", port: listener.port, http: ("/healthz", []), timeout: 2)) == expected)
        }
        let silent = try Listener()
        silent.serveOnce(nil)
        let start = Date()
        let result = outcome(try NetworkProbe(host: "127.0.0.1", port: silent.port, http: ("/", []), timeout: 0.3))
        #expect(result == .failure("Get \"http://127.0.0.1:\(silent.port)\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"))
        #expect(Date().timeIntervalSince(start) < 1.5)
    }

    @Test("the request carries kubelet's headers and the probe's own")
    func requestHeaders() throws {
        let listener = try Listener()
        let fd = listener.fd
        let received = Received()
        Thread.detachNewThread {
            let client = accept(fd, nil, nil)
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(client, &buffer, buffer.count, 0)
            received.set(String(decoding: buffer[0..<max(0, count)], as: UTF8.self))
            _ = Array("HTTP/1.0 204 No Content\r\n\r\n".utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }
            close(client)
        }
        let probe = try NetworkProbe(host: "127.0.0.1", port: listener.port, http: ("/ready?x=1", [HTTPHeader(name: "X-Lab", value: "on")]), timeout: 2)
        #expect(outcome(probe) == .success)
        let text = received.get()
        #expect(text.hasPrefix("GET /ready?x=1 HTTP/1.1\r\n"))
        #expect(text.contains("\r\nUser-Agent: kube-probe/"))
        #expect(text.contains("\r\nX-Lab: on\r\n"))
    }
}

final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func set(_ value: String) { lock.lock(); text = value; lock.unlock() }
    func get() -> String { lock.lock(); defer { lock.unlock() }; return text }
}
