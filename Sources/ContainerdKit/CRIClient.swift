import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PodlabCore

/// A CRI (`runtime.v1`) client for one runtime endpoint, with CRI's verbs.
///
/// It runs one `podlab-cri serve` process for its lifetime (one HTTP/2 connection for a whole
/// pod cycle) and talks JSON lines to it: `{"id":N,"method":M,"request":{…}}` out,
/// `{"id":N,"response":{…}}` or `{"id":N,"error":{"code":…,"message":…}}` back. Failures are
/// `PodlabError`s naming the CRI method, its argument and the endpoint.
public final class CRIClient {
    /// The runtime's socket path (`unix://` prefix removed).
    public let endpoint: String
    private let process: Process
    private let input: FileHandle
    private let output: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1
    private var closed = false

    /// Starts the shim for `endpoint` (`/path/to.sock` or `unix:///path/to.sock`).
    ///
    /// - Parameters:
    ///   - timeout: per-call deadline in seconds, enforced by the shim as a gRPC deadline.
    ///   - shim: podlab-cri's path; default `CRIShim.locate()`.
    public init(endpoint: String, timeout: Double = 60, shim: String? = nil) throws {
        let path = endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
        guard path.hasPrefix("/") else {
            throw PodlabError(.invalidArgument, "CRI endpoint \(endpoint): want unix:///absolute/path.sock")
        }
        self.endpoint = path
        let executable = try shim ?? CRIShim.locate()
        // A shim that died must be a write error here, not SIGPIPE killing podlab (podlab's
        // main ignores SIGPIPE already; other hosts of this module, such as tests, may not).
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--address", path, "--timeout", String(timeout), "serve"]
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        do {
            try process.run()
        } catch {
            throw PodlabError(.syscall, "exec(\(executable)): \(error)")
        }
        self.process = process
        self.input = stdinPipe.fileHandleForWriting
        self.output = stdoutPipe.fileHandleForReading.fileDescriptor
        // Keep the read end alive as long as self: the FileHandle owns the descriptor.
        self.stdoutHandle = stdoutPipe.fileHandleForReading
    }
    private let stdoutHandle: FileHandle

    deinit { close() }

    /// Ends the shim (EOF on its stdin) and waits for it.
    public func close() {
        guard !closed else { return }
        closed = true
        try? input.close()
        process.waitUntilExit()
    }

    // MARK: RuntimeService

    /// `Version`: the runtime's name and version and the CRI API version it serves.
    public func version() throws -> CRIVersion {
        try call("Version", ["version": "v1"], argument: "v1")
    }

    /// `RunPodSandbox`: returns the sandbox id.
    public func runPodSandbox(_ config: CRIPodSandboxConfig, runtimeHandler: String = "") throws -> String {
        struct Request: Encodable { var config: CRIPodSandboxConfig; var runtimeHandler: String }
        struct Reply: Decodable { var podSandboxId: String? }
        let reply: Reply = try call("RunPodSandbox", Request(config: config, runtimeHandler: runtimeHandler), argument: config.metadata.name)
        guard let id = reply.podSandboxId, !id.isEmpty else {
            throw PodlabError(.invalidState, "CRI RunPodSandbox(\(config.metadata.name)) on \(endpoint): the runtime returned no sandbox id")
        }
        return id
    }

    /// `StopPodSandbox` (idempotent upstream).
    public func stopPodSandbox(_ id: String) throws {
        let _: Empty = try call("StopPodSandbox", ["podSandboxId": id], argument: id)
    }

    /// `RemovePodSandbox` (idempotent upstream).
    public func removePodSandbox(_ id: String) throws {
        let _: Empty = try call("RemovePodSandbox", ["podSandboxId": id], argument: id)
    }

    /// `PodSandboxStatus` (verbose), with the sandbox's `info` map (containerd: `{"info": {"pid": N, …}}`).
    public func podSandboxStatus(_ id: String) throws -> (status: CRIPodSandboxStatus, info: [String: String]) {
        struct Request: Encodable { var podSandboxId: String; var verbose: Bool }
        struct Reply: Decodable { var status: CRIPodSandboxStatus?; var info: [String: String]? }
        let reply: Reply = try call("PodSandboxStatus", Request(podSandboxId: id, verbose: true), argument: id)
        guard let status = reply.status else {
            throw PodlabError(.invalidState, "CRI PodSandboxStatus(\(id)) on \(endpoint): the reply has no status")
        }
        return (status, reply.info ?? [:])
    }

    /// `ListPodSandbox`, optionally only those with all of `labels`.
    public func listPodSandbox(labels: [String: String] = [:]) throws -> [CRIPodSandbox] {
        struct Filter: Encodable { var labelSelector: [String: String] }
        struct Request: Encodable { var filter: Filter }
        struct Reply: Decodable { var items: [CRIPodSandbox]? }
        let reply: Reply = try call("ListPodSandbox", Request(filter: Filter(labelSelector: labels)), argument: "")
        return reply.items ?? []
    }

    /// `CreateContainer` in `sandboxID`; returns the container id.
    public func createContainer(in sandboxID: String, config: CRIContainerConfig, sandboxConfig: CRIPodSandboxConfig) throws -> String {
        struct Request: Encodable { var podSandboxId: String; var config: CRIContainerConfig; var sandboxConfig: CRIPodSandboxConfig }
        struct Reply: Decodable { var containerId: String? }
        let reply: Reply = try call("CreateContainer", Request(podSandboxId: sandboxID, config: config, sandboxConfig: sandboxConfig),
                                    argument: config.metadata.name)
        guard let id = reply.containerId, !id.isEmpty else {
            throw PodlabError(.invalidState, "CRI CreateContainer(\(config.metadata.name)) on \(endpoint): the runtime returned no container id")
        }
        return id
    }

    /// `StartContainer`.
    public func startContainer(_ id: String) throws {
        let _: Empty = try call("StartContainer", ["containerId": id], argument: id)
    }

    /// `StopContainer` with a grace period in seconds (0: SIGKILL at once).
    public func stopContainer(_ id: String, timeout: Int64) throws {
        struct Request: Encodable { var containerId: String; var timeout: CRIInt64 }
        let _: Empty = try call("StopContainer", Request(containerId: id, timeout: CRIInt64(timeout)), argument: id)
    }

    /// `RemoveContainer`.
    public func removeContainer(_ id: String) throws {
        let _: Empty = try call("RemoveContainer", ["containerId": id], argument: id)
    }

    /// `ListContainers`, optionally of one sandbox.
    public func listContainers(sandboxID: String? = nil) throws -> [CRIContainer] {
        struct Filter: Encodable { var podSandboxId: String? }
        struct Request: Encodable { var filter: Filter }
        struct Reply: Decodable { var containers: [CRIContainer]? }
        let reply: Reply = try call("ListContainers", Request(filter: Filter(podSandboxId: sandboxID)), argument: sandboxID ?? "")
        return reply.containers ?? []
    }

    /// `ContainerStatus` (verbose), with containerd's `info` JSON (`"pid"` of the container's process).
    public func containerStatus(_ id: String) throws -> (status: CRIContainerStatus, info: [String: String]) {
        struct Request: Encodable { var containerId: String; var verbose: Bool }
        struct Reply: Decodable { var status: CRIContainerStatus?; var info: [String: String]? }
        let reply: Reply = try call("ContainerStatus", Request(containerId: id, verbose: true), argument: id)
        guard let status = reply.status else {
            throw PodlabError(.invalidState, "CRI ContainerStatus(\(id)) on \(endpoint): the reply has no status")
        }
        return (status, reply.info ?? [:])
    }

    /// `ExecSync`: runs `command` in the container and returns its output and exit code.
    public func execSync(_ id: String, command: [String], timeout: Int64 = 0) throws -> CRIExecResult {
        struct Request: Encodable { var containerId: String; var cmd: [String]; var timeout: CRIInt64 }
        return try call("ExecSync", Request(containerId: id, cmd: command, timeout: CRIInt64(timeout)),
                        argument: "\(id), \(command.joined(separator: " "))")
    }

    // MARK: ImageService

    /// `ImageStatus`: the image, or nil when the runtime does not have it.
    public func imageStatus(_ reference: String) throws -> CRIImage? {
        struct Request: Encodable { var image: CRIImageSpec }
        struct Reply: Decodable { var image: CRIImage? }
        let reply: Reply = try call("ImageStatus", Request(image: CRIImageSpec(reference)), argument: reference)
        return reply.image
    }

    // MARK: Info helpers

    /// The pid containerd reports in a verbose status `info["info"]` JSON (`{"pid": N, …}`).
    public static func pid(fromInfo info: [String: String]) -> Int32? {
        guard let text = info["info"], let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let number = object["pid"] as? NSNumber else { return nil }
        return Int32(exactly: number.int64Value)
    }

    // MARK: Transport

    private struct Empty: Decodable {}

    private struct Envelope<Request: Encodable>: Encodable {
        var id: Int
        var method: String
        var request: Request
    }

    private struct Failure: Decodable {
        var code: String
        var message: String
    }

    private struct Reply<Response: Decodable>: Decodable {
        var id: Int
        var response: Response?
        var error: Failure?
    }

    private struct IDOnly: Decodable { var id: Int }

    func call<Request: Encodable, Response: Decodable>(_ method: String, _ request: Request, argument: String) throws -> Response {
        let operation = "CRI \(method)(\(argument)) on \(endpoint)"
        guard !closed else { throw PodlabError(.invalidState, "\(operation): the client is closed") }
        let id = nextID
        nextID += 1
        let line: Data
        do {
            line = try JSONEncoder().encode(Envelope(id: id, method: method, request: request)) + Data("\n".utf8)
        } catch {
            throw PodlabError(.invalidArgument, "\(operation): cannot encode the request: \(error)")
        }
        do {
            try input.write(contentsOf: line)
        } catch {
            throw PodlabError(.invalidState, "\(operation): podlab-cri exited (write to its stdin: \(error))")
        }
        guard let replyLine = try readLine() else {
            throw PodlabError(.invalidState, "\(operation): podlab-cri exited without a reply")
        }
        let decoder = JSONDecoder()
        let reply: Reply<Response>
        do {
            reply = try decoder.decode(Reply<Response>.self, from: replyLine)
        } catch {
            throw PodlabError(.invalidState, "\(operation): unreadable reply from podlab-cri: \(error)")
        }
        guard reply.id == id else {
            throw PodlabError(.invalidState, "\(operation): podlab-cri answered request \(reply.id), not \(id)")
        }
        if let failure = reply.error {
            throw Self.error(operation: operation, code: failure.code, message: failure.message)
        }
        guard let response = reply.response else {
            throw PodlabError(.invalidState, "\(operation): reply without response or error")
        }
        return response
    }

    /// Maps a gRPC status code (as podlab-cri names it) to podlab's error codes, with the fix for
    /// the common set-up mistakes.
    static func error(operation: String, code: String, message: String) -> PodlabError {
        switch code {
        case "unavailable":
            return PodlabError(.invalidState, "\(operation): the runtime is not answering (\(message)); "
                + "start one with `podlab runtime up containerd`, or check --cri-endpoint")
        case "deadlineExceeded":
            return PodlabError(.timeout, "\(operation): no answer before the deadline (\(message))")
        case "notFound":
            return PodlabError(.notFound, "\(operation): \(message)")
        case "unimplemented":
            return PodlabError(.unsupported, "\(operation): the runtime does not serve this CRI method (\(message)); "
                + "podlab needs CRI runtime.v1 (containerd >= 1.6)")
        case "invalidArgument":
            return PodlabError(.invalidArgument, "\(operation): \(message)")
        default:
            return PodlabError(.invalidState, "\(operation): \(code): \(message)")
        }
    }

    private func readLine() throws -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = try checkedSyscall("read(podlab-cri stdout)") { read(output, &chunk, chunk.count) }
            if n == 0 { return nil }
            buffer.append(contentsOf: chunk[..<n])
        }
    }
}
