import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PodlabCore
import RootfsKit

/// `RegistryTransport` on URLSession (libcurl on Linux: HTTPS with the system's CA store).
///
/// Its own module, linked only into `podlab-pull` and the tests: FoundationNetworking brings
/// libcurl and some 30 shared libraries, which every `podlab` start would otherwise load.
public final class URLSessionTransport: RegistryTransport, @unchecked Sendable {
    /// Seconds without data before a request fails.
    public var idleTimeout: TimeInterval

    public init(idleTimeout: TimeInterval = 60) {
        self.idleTimeout = idleTimeout
    }

    public func get(_ url: String, headers: [String: String], begin: (Int, [String: String]) throws -> Void,
                    sink: (UnsafeRawBufferPointer) throws -> Void) throws -> RegistryResponse {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw PodlabError(.invalidArgument, "GET \(url): not an http(s) URL")
        }
        var request = URLRequest(url: target)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.setValue("podlab", forHTTPHeaderField: "User-Agent")
        return try withoutActuallyEscaping(begin) { begin in
            try withoutActuallyEscaping(sink) { sink in
                let task = Exchange(url: url, begin: begin, sink: sink)
                let configuration = URLSessionConfiguration.ephemeral
                configuration.timeoutIntervalForRequest = idleTimeout
                configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
                configuration.urlCache = nil
                let queue = OperationQueue()
                queue.maxConcurrentOperationCount = 1
                let session = URLSession(configuration: configuration, delegate: task, delegateQueue: queue)
                session.dataTask(with: request).resume()
                task.done.wait()
                // The session keeps its delegate until it is invalidated, asynchronously: drop the
                // closures now, so they do not outlive this call (withoutActuallyEscaping checks).
                task.queue.sync { task.begin = nil; task.sink = nil }
                session.finishTasksAndInvalidate()
                if let error = task.failure { throw error }
                return RegistryResponse(status: task.status, headers: task.headers, body: task.errorBody)
            }
        }
    }
}

/// One request's state, filled in by URLSession's delegate callbacks (on its serial queue)
/// while `get` waits on `done`.
private final class Exchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let url: String
    var begin: ((Int, [String: String]) throws -> Void)?
    var sink: ((UnsafeRawBufferPointer) throws -> Void)?
    let done = DispatchSemaphore(value: 0)
    /// Serialises the delegate callbacks' use of the closures with their removal.
    let queue = DispatchQueue(label: "podlab.registry.exchange")
    var status = 0
    var headers: [String: String] = [:]
    var errorBody: [UInt8] = []
    var failure: (any Error)?
    var streaming = false
    /// A 401 whose challenge was cancelled: the response is the answer, the error is not.
    var challenged = false

    init(url: String, begin: @escaping (Int, [String: String]) throws -> Void, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.url = url
        self.begin = begin
        self.sink = sink
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = PodlabError(.badInput, "GET \(url): not an HTTP response")
            return completionHandler(.cancel)
        }
        status = http.statusCode
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        if (200..<300).contains(status) {
            do { try queue.sync { try begin?(status, headers) }; streaming = true } catch {
                failure = error
                return completionHandler(.cancel)
            }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        if !streaming {
            errorBody.append(contentsOf: data.prefix(max(0, 65536 - errorBody.count)))
            return
        }
        do { try queue.sync { try data.withUnsafeBytes { try sink?($0) } } } catch {
            failure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        // A redirect to another host (a blob in object storage) must not carry the registry's
        // token, as containerd's fetcher and docker's client drop it; nor may HTTPS turn into HTTP.
        var request = request
        if request.url?.host != task.originalRequest?.url?.host { request.setValue(nil, forHTTPHeaderField: "Authorization") }
        if task.originalRequest?.url?.scheme == "https" && request.url?.scheme != "https" {
            failure = PodlabError(.badInput, "GET \(url): redirected from https to \(request.url?.absoluteString ?? "?"); refused")
            return completionHandler(nil)
        }
        completionHandler(request)
    }

    /// URLSession answers a `Basic` 401 itself (and with no credential, was seen to hang here):
    /// cancel that, and hand the 401 to `RegistryClient`, which owns authentication.
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        if let http = challenge.failureResponse as? HTTPURLResponse {
            status = http.statusCode
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            challenged = true
        }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if failure == nil, let error, !challenged {
            failure = PodlabError(.badInput, "GET \(url): \(error.localizedDescription)")
        }
        done.signal()
    }
}
