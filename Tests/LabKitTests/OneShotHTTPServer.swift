import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback HTTP server that answers one request on a background thread.
final class OneShotHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var request = ""
    private let done = DispatchSemaphore(value: 0)

    init(body: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 1) == 0 else { Glibc.close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = UInt16(bigEndian: address.sin_port)
        let listener = fd
        Thread { [self] in
            let client = accept(listener, nil, nil)
            if client >= 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(client, &buffer, buffer.count)
                lock.lock()
                request = String(decoding: buffer[0..<max(0, count)], as: UTF8.self)
                lock.unlock()
                let response = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n\(body)"
                _ = response.withCString { write(client, $0, strlen($0)) }
                Glibc.close(client)
            }
            done.signal()
        }.start()
    }

    func requestLine() -> String {
        _ = done.wait(timeout: .now() + 5)
        lock.lock()
        defer { lock.unlock() }
        return request
    }

    func close() { Glibc.close(fd) }
}
