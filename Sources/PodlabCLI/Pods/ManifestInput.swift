#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore
import SystemPackage

/// What `apply -f` reads: each `-f` argument expanded into named texts, as kubectl's resource
/// builder does (k8s.io/cli-runtime/pkg/resource/builder.go `FilenameParam`, visitor.go
/// `ExpandPathsToFileVisitors`):
/// - `-` is standard input, named `<stdin>` in errors;
/// - a directory is its `*.yaml`, `*.yml` and `*.json` files in lexical order (not recursive,
///   kubectl's default without `-R`); other files in it are skipped, as kubectl skips them;
/// - anything else (a file, `/dev/fd/N`, a named pipe) is read to its end.
///
/// Manifests come from strangers: every source is bounded (`maxBytes`) and must be UTF-8.
enum ManifestInput {
    /// The largest manifest podlab reads from one source (kubectl has no limit; the API server
    /// refuses requests over 3 MiB, so nothing real comes close).
    static let maxBytes = 8 << 20
    /// kubectl's `FileExtensions`.
    static let extensions = [".json", ".yaml", ".yml"]
    static let stdinName = "<stdin>"

    /// The sources named by `arguments` (repeated `-f`), in order.
    static func sources(_ arguments: [String], standardInput: Int32 = STDIN_FILENO) throws -> [(file: String, yaml: String)] {
        var result: [(file: String, yaml: String)] = []
        var readStandardInput = false
        for argument in arguments {
            if argument == "-" {
                // kubectl: "Only one '-' is allowed": stdin can be read once.
                guard !readStandardInput else { throw PodlabError(.invalidArgument, "-f -: standard input can be given only once") }
                readStandardInput = true
                result.append((stdinName, try text(fd: standardInput, name: stdinName)))
                continue
            }
            var info = stat()
            guard stat(argument, &info) == 0 else {
                throw PodlabError.syscall("stat(\(argument))", Errno(rawValue: errno))
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                let names = try FileSystem.list(argument)
                    .filter { name in extensions.contains { name.hasSuffix($0) } && !name.hasPrefix(".") }
                    .sorted()
                guard !names.isEmpty else {
                    throw PodlabError(.notFound, "\(argument): no .yaml, .yml or .json files in the directory")
                }
                let directory = argument.hasSuffix("/") ? String(argument.dropLast()) : argument
                for name in names {
                    let path = "\(directory)/\(name)"
                    result.append((path, try text(path: path)))
                }
            } else {
                result.append((argument, try text(path: argument)))
            }
        }
        return result
    }

    static func text(path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PodlabError.syscall("open(\(path))", Errno(rawValue: errno)) }
        defer { close(fd) }
        return try text(fd: fd, name: path)
    }

    /// Reads `fd` to its end (a pipe has no size to trust), refusing more than `maxBytes`.
    static func text(fd: Int32, name: String) throws -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw PodlabError.syscall("read(\(name))", Errno(rawValue: errno))
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= maxBytes else {
                throw PodlabError(.badInput, "\(name): larger than \(maxBytes >> 20) MiB; not a manifest")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PodlabError(.badInput, "\(name): not UTF-8 text")
        }
        return text
    }
}
