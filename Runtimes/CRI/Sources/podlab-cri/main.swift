// podlab-cri: podlab's CRI client (runtime.v1 over gRPC on a unix socket), as a shim process.
//
// podlab itself never links SwiftNIO or gRPC (start-up time, see Runtimes/CRI/Package.swift); it
// execs this program instead, in one of two modes:
//
//   podlab-cri --address SOCKET [--timeout SECONDS] call METHOD [JSON]
//       one CRI call; the request (proto3 JSON mapping, default `{}`) is the argument or stdin;
//       prints the reply as one JSON line.
//   podlab-cri --address SOCKET [--timeout SECONDS] serve
//       a long-lived client for a whole pod cycle: one JSON request per stdin line
//       `{"id":N,"method":"RunPodSandbox","request":{...}}`, one reply per stdout line
//       `{"id":N,"response":{...}}` or `{"id":N,"error":{"code":"unavailable","message":"..."}}`,
//       over one HTTP/2 connection; ends at EOF.
//
// Requests and responses use the proto3 JSON mapping of the CRI messages (lowerCamelCase field
// names, int64 as strings, enums by name), the same JSON `crictl` prints, so podlab's side of the
// shim is plain Codable. Exit status: 0 when every call got a reply (including error replies in
// serve mode), 1 for a failed `call`, 2 for bad usage.
import CRIProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftProtobuf

struct Usage: Error { var message: String }

/// A failed call, as the JSON error object podlab's CRIClient decodes.
struct CallFailure: Error {
    var code: String
    var message: String
}

struct Options {
    var address = ""
    var timeout: Double = 30
    var mode = ""
    var method = ""
    var body: String?

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--address":
                guard let value = rest.popFirst() else { throw Usage(message: "--address needs a socket path") }
                // crictl style unix:///path is accepted too.
                address = value.hasPrefix("unix://") ? String(value.dropFirst("unix://".count)) : value
            case "--timeout":
                guard let value = rest.popFirst(), let seconds = Double(value), seconds > 0, seconds <= 3600 else {
                    throw Usage(message: "--timeout needs seconds in (0, 3600]")
                }
                timeout = seconds
            case "serve":
                mode = "serve"
            case "call":
                mode = "call"
                guard let name = rest.popFirst() else { throw Usage(message: "call needs a METHOD") }
                method = name
                body = rest.popFirst()
            case "--version":
                mode = "version"
            default:
                throw Usage(message: "unknown argument \(argument)")
            }
        }
        if mode != "version" && address.isEmpty { throw Usage(message: "--address SOCKET is required") }
        if mode.isEmpty { throw Usage(message: "say `serve` or `call METHOD [JSON]`") }
    }
}

/// Every CRI method podlab uses, by its gRPC method name.
struct Dispatcher {
    let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    let images: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>
    let timeout: Duration

    static let methods = [
        "Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox", "PodSandboxStatus", "ListPodSandbox",
        "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer", "ListContainers",
        "ContainerStatus", "ExecSync", "ImageStatus",
    ]

    func call(_ method: String, json: String) async throws -> String {
        var options = CallOptions.defaults
        options.timeout = timeout
        func decode<M: SwiftProtobuf.Message>(_ type: M.Type) throws -> M {
            do {
                return try M(jsonString: json, options: JSONDecodingOptions())
            } catch {
                throw CallFailure(code: "invalidArgument", message: "\(method): request is not a \(M.protoMessageName) in JSON: \(error)")
            }
        }
        func encode<M: SwiftProtobuf.Message>(_ message: M) throws -> String {
            var encoding = JSONEncodingOptions()
            encoding.alwaysPrintEnumsAsInts = false
            return try message.jsonString(options: encoding)
        }
        switch method {
        case "Version":
            let request = try decode(Runtime_V1_VersionRequest.self)
            let response: Runtime_V1_VersionResponse = try await runtime.version(request, options: options)
            return try encode(response)
        case "RunPodSandbox":
            let request = try decode(Runtime_V1_RunPodSandboxRequest.self)
            let response: Runtime_V1_RunPodSandboxResponse = try await runtime.runPodSandbox(request, options: options)
            return try encode(response)
        case "StopPodSandbox":
            let request = try decode(Runtime_V1_StopPodSandboxRequest.self)
            let response: Runtime_V1_StopPodSandboxResponse = try await runtime.stopPodSandbox(request, options: options)
            return try encode(response)
        case "RemovePodSandbox":
            let request = try decode(Runtime_V1_RemovePodSandboxRequest.self)
            let response: Runtime_V1_RemovePodSandboxResponse = try await runtime.removePodSandbox(request, options: options)
            return try encode(response)
        case "PodSandboxStatus":
            let request = try decode(Runtime_V1_PodSandboxStatusRequest.self)
            let response: Runtime_V1_PodSandboxStatusResponse = try await runtime.podSandboxStatus(request, options: options)
            return try encode(response)
        case "ListPodSandbox":
            let request = try decode(Runtime_V1_ListPodSandboxRequest.self)
            let response: Runtime_V1_ListPodSandboxResponse = try await runtime.listPodSandbox(request, options: options)
            return try encode(response)
        case "CreateContainer":
            let request = try decode(Runtime_V1_CreateContainerRequest.self)
            let response: Runtime_V1_CreateContainerResponse = try await runtime.createContainer(request, options: options)
            return try encode(response)
        case "StartContainer":
            let request = try decode(Runtime_V1_StartContainerRequest.self)
            let response: Runtime_V1_StartContainerResponse = try await runtime.startContainer(request, options: options)
            return try encode(response)
        case "StopContainer":
            let request = try decode(Runtime_V1_StopContainerRequest.self)
            let response: Runtime_V1_StopContainerResponse = try await runtime.stopContainer(request, options: options)
            return try encode(response)
        case "RemoveContainer":
            let request = try decode(Runtime_V1_RemoveContainerRequest.self)
            let response: Runtime_V1_RemoveContainerResponse = try await runtime.removeContainer(request, options: options)
            return try encode(response)
        case "ListContainers":
            let request = try decode(Runtime_V1_ListContainersRequest.self)
            let response: Runtime_V1_ListContainersResponse = try await runtime.listContainers(request, options: options)
            return try encode(response)
        case "ContainerStatus":
            let request = try decode(Runtime_V1_ContainerStatusRequest.self)
            let response: Runtime_V1_ContainerStatusResponse = try await runtime.containerStatus(request, options: options)
            return try encode(response)
        case "ExecSync":
            let request = try decode(Runtime_V1_ExecSyncRequest.self)
            let response: Runtime_V1_ExecSyncResponse = try await runtime.execSync(request, options: options)
            return try encode(response)
        case "ImageStatus":
            let request = try decode(Runtime_V1_ImageStatusRequest.self)
            let response: Runtime_V1_ImageStatusResponse = try await images.imageStatus(request, options: options)
            return try encode(response)
        default:
            throw CallFailure(code: "unimplemented", message: "\(method): not a CRI method podlab-cri knows (known: \(Self.methods.joined(separator: ", ")))")
        }
    }
}

/// The JSON error object for any failure: gRPC status code name and message.
func failure(_ error: any Error, method: String, address: String) -> CallFailure {
    if let failure = error as? CallFailure { return failure }
    if let rpc = error as? RPCError {
        return CallFailure(code: "\(rpc.code)", message: "\(method) on \(address): \(rpc.message)")
    }
    return CallFailure(code: "unknown", message: "\(method) on \(address): \(error)")
}

func jsonString(_ value: String) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: [value], options: [])) ?? Data("[\"\"]".utf8)
    let text = String(decoding: data, as: UTF8.self)
    return String(text.dropFirst().dropLast())
}

func errorJSON(_ failure: CallFailure) -> String {
    "{\"code\":\(jsonString(failure.code)),\"message\":\(jsonString(failure.message))}"
}

func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

struct ServeRequest: Decodable {
    var id: Int
    var method: String
}

func run(_ options: Options) async throws -> Int32 {
    let transport = try HTTP2ClientTransport.Posix(
        target: .unixDomainSocket(path: options.address, authority: "localhost"),
        transportSecurity: .plaintext)
    return try await withGRPCClient(transport: transport) { client in
        let dispatcher = Dispatcher(
            runtime: Runtime_V1_RuntimeService.Client(wrapping: client),
            images: Runtime_V1_ImageService.Client(wrapping: client),
            timeout: .milliseconds(Int64(options.timeout * 1000)))
        if options.mode == "call" {
            let body = options.body ?? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            do {
                writeLine(try await dispatcher.call(options.method, json: body.isEmpty ? "{}" : body))
                return 0
            } catch {
                FileHandle.standardError.write(Data((errorJSON(failure(error, method: options.method, address: options.address)) + "\n").utf8))
                return 1
            }
        }
        while let line = readLine(strippingNewline: true) {
            if line.isEmpty { continue }
            // The envelope is decoded with Foundation; the request object is re-serialised and
            // decoded by SwiftProtobuf's JSON decoder, which checks it against the message.
            guard let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let id = object["id"] as? Int, let method = object["method"] as? String else {
                writeLine("{\"id\":-1,\"error\":\(errorJSON(CallFailure(code: "invalidArgument", message: "serve: a line is not {\"id\":N,\"method\":\"NAME\",\"request\":{...}}")))}")
                continue
            }
            let request = object["request"].flatMap { try? JSONSerialization.data(withJSONObject: $0) }
                .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            do {
                let reply = try await dispatcher.call(method, json: request)
                writeLine("{\"id\":\(id),\"response\":\(reply)}")
            } catch {
                writeLine("{\"id\":\(id),\"error\":\(errorJSON(failure(error, method: method, address: options.address)))}")
            }
        }
        return 0
    }
}

let options: Options
do {
    options = try Options(Array(CommandLine.arguments.dropFirst()))
} catch {
    let message = (error as? Usage)?.message ?? "\(error)"
    FileHandle.standardError.write(Data("podlab-cri: \(message)\nusage: podlab-cri --address SOCKET [--timeout S] (serve | call METHOD [JSON])\n".utf8))
    exit(2)
}
if options.mode == "version" {
    print("podlab-cri (CRI runtime.v1 subset: \(Dispatcher.methods.joined(separator: ",")))")
    exit(0)
}
do {
    exit(try await run(options))
} catch {
    FileHandle.standardError.write(Data((errorJSON(failure(error, method: options.method.isEmpty ? "serve" : options.method, address: options.address)) + "\n").utf8))
    exit(1)
}
