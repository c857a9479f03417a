import Foundation
import PodlabCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a probe or hook ended.
public enum HandlerOutcome: Equatable, Sendable {
    case success
    /// Failed, with kubelet's kind of message (`HTTP probe failed with statuscode: 500`).
    case failure(String)
}

/// A tcpSocket or httpGet check that never blocks: a non-blocking socket that the supervisor's
/// loop advances with `poll()` until it has an outcome or its deadline passes.
///
/// Behaviour copied from `pkg/probe/tcp/tcp.go` (a connect is success) and
/// `pkg/probe/http/http.go` DoHTTPProbe (a status 200–399 is success, kubelet's
/// `User-Agent: kube-probe/<version>` and `Accept: */*`; the request is sent from the node,
/// here the supervisor's network namespace, to the pod IP). LabKit's HTTPClient blocks, and
/// PodKit must not depend on LabKit, so this is its own small state machine.
public final class NetworkProbe {
    enum Stage { case connecting, sending, reading }
    private var fd: Int32
    private var stage = Stage.connecting
    private let request: [UInt8]?
    private var sent = 0
    private var response: [UInt8] = []
    public let deadline: Date
    let target: String

    /// Starts connecting to `host:port`. `http` is the request path and extra headers for an
    /// httpGet check, nil for tcpSocket.
    public init(host: String, port: Int, http: (path: String, headers: [HTTPHeader])?, timeout: TimeInterval, now: Date = Date()) throws {
        deadline = now.addingTimeInterval(timeout)
        target = "\(host):\(port)"
        guard let port16 = UInt16(exactly: port) else { throw PodlabError(.invalidArgument, "probe port \(port) is out of range") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port16.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw PodlabError(.invalidArgument, "probe host \(host) is not an IPv4 address") }
        if let http {
            var text = "GET \(http.path) HTTP/1.1\r\nHost: \(target)\r\nUser-Agent: kube-probe/podlab\r\nAccept: */*\r\nConnection: close\r\n"
            for header in http.headers { text += "\(header.name): \(header.value)\r\n" }
            request = Array((text + "\r\n").utf8)
        } else {
            request = nil
        }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw PodlabError.syscall("socket(AF_INET, SOCK_STREAM)", Errno(rawValue: errno)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 && errno != EINPROGRESS {
            let error = errno
            close(fd)
            fd = -1
            throw PodlabError.syscall("connect(\(target))", Errno(rawValue: error))
        }
    }

    deinit { cancel() }

    /// Closes the socket (idempotent).
    public func cancel() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Advances the check without blocking: nil while it is still in progress.
    public func poll(now: Date = Date()) -> HandlerOutcome? {
        guard fd >= 0 else { return .failure("probe to \(target) was cancelled") }
        if let outcome = step() {
            cancel()
            return outcome
        }
        if now >= deadline {
            cancel()
            return .failure(stage == .connecting
                ? "dial tcp \(target): i/o timeout"
                : "Get \"http://\(target)\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
        }
        return nil
    }

    private func step() -> HandlerOutcome? {
        while true {
            switch stage {
            case .connecting:
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard Glibc.poll(&pfd, 1, 0) == 1 else { return nil }
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error != 0 { return .failure("dial tcp \(target): connect: \(String(cString: strerror(error)).lowercased())") }
                guard request != nil else { return .success }
                stage = .sending
            case .sending:
                guard let request else { return .success }
                let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if count < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
                    return .failure("Get \"http://\(target)\": write: \(String(cString: strerror(errno)).lowercased())")
                }
                sent += count
                if sent == request.count { stage = .reading }
            case .reading:
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
                    return .failure("Get \"http://\(target)\": read: \(String(cString: strerror(errno)).lowercased())")
                }
                if count > 0 { response += buffer[0..<count] }
                if let outcome = Self.statusOutcome(response) { return outcome }
                // kubelet reads at most 10 KiB of a response (`maxRespBodyLength`).
                if count == 0 || response.count > 10 * 1024 {
                    return .failure("Get \"http://\(target)\": malformed HTTP response")
                }
            }
        }
    }

    /// The outcome once the status line is complete: 200–399 success (`DoHTTPProbe`), else
    /// kubelet's `HTTP probe failed with statuscode: N`.
    static func statusOutcome(_ response: [UInt8]) -> HandlerOutcome? {
        guard let end = response.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = String(decoding: response[..<end], as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return .failure("malformed HTTP status line: \(line.prefix(80))")
        }
        return (200..<400).contains(code) ? .success : .failure("HTTP probe failed with statuscode: \(code)")
    }
}
