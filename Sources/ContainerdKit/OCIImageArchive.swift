import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PodlabCore
import RootfsKit

/// Writes a one-layer OCI image layout as a tar archive (image-spec image-layout.md:
/// `oci-layout`, `index.json`, `blobs/sha256/…`) with libarchive, for `ctr images import`.
///
/// The index names the image twice: `io.containerd.image.name` (the full reference containerd
/// stores, images/archive/importer.go `imageName`) and `org.opencontainers.image.ref.name`
/// (the tag, for other readers). The layer is an uncompressed tar, so its digest is also its
/// `rootfs.diff_ids` entry, which containerd checks when it unpacks (docs/FIDELITY.md #112).
public struct OCIImageArchive {
    /// The runtime fields of the image config (`config` in the OCI image config).
    public struct RuntimeConfig: Sendable, Equatable {
        public var entrypoint: [String]
        public var cmd: [String]
        public var env: [String]
        public var user: String
        public var workingDir: String
        public init(entrypoint: [String] = [], cmd: [String] = [], env: [String] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    user: String = "", workingDir: String = "/") {
            self.entrypoint = entrypoint; self.cmd = cmd; self.env = env; self.user = user; self.workingDir = workingDir
        }
    }

    /// What was written: the digests containerd will know the image by.
    public struct Written: Sendable, Equatable {
        public var reference: String
        public var manifestDigest: String
        public var configDigest: String
        public var layerDigest: String
    }

    /// OCI's name for this machine's architecture (uname -m → GOARCH).
    public static func architecture() -> String {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return ["x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"][machine] ?? machine
    }

    /// Writes the archive `output` for the uncompressed layer tar `layer` under `reference`.
    public static func write(layer: String, config: RuntimeConfig, reference: String, to output: String) throws -> Written {
        let (layerDigest, layerSize) = try sha256(ofFile: layer)
        var configObject: [String: Any] = [
            "architecture": architecture(),
            "os": "linux",
            "rootfs": ["type": "layers", "diff_ids": ["sha256:" + layerDigest]] as [String: Any],
            "history": [["created_by": "podlab"]],
        ]
        var runtime: [String: Any] = ["Env": config.env, "WorkingDir": config.workingDir]
        if !config.entrypoint.isEmpty { runtime["Entrypoint"] = config.entrypoint }
        if !config.cmd.isEmpty { runtime["Cmd"] = config.cmd }
        if !config.user.isEmpty { runtime["User"] = config.user }
        configObject["config"] = runtime
        let configBytes = try json(configObject)
        let configDigest = SHA256.hex(of: configBytes)
        let manifest: [String: Any] = [
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + configDigest, "size": configBytes.count] as [String: Any],
            "layers": [["mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + layerDigest, "size": layerSize] as [String: Any]],
        ]
        let manifestBytes = try json(manifest)
        let manifestDigest = SHA256.hex(of: manifestBytes)
        let tag = reference.split(separator: ":").last.map(String.init) ?? "latest"
        let index: [String: Any] = [
            "schemaVersion": 2,
            "manifests": [[
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + manifestDigest,
                "size": manifestBytes.count,
                "annotations": ["io.containerd.image.name": reference, "org.opencontainers.image.ref.name": tag],
            ] as [String: Any]],
        ]
        let writer = try ArchiveWriter(path: output, compression: .none)
        func directory(_ path: String) throws {
            try writer.write(TarEntryHeader(path: path, kind: .directory, permissions: 0o755))
        }
        func file(_ path: String, _ bytes: [UInt8]) throws {
            var header = TarEntryHeader(path: path, kind: .regular, permissions: 0o644)
            header.size = Int64(bytes.count)
            try bytes.withUnsafeBytes { try writer.write(header, data: $0) }
        }
        try file("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try directory("blobs")
        try directory("blobs/sha256")
        try file("blobs/sha256/" + configDigest, configBytes)
        try file("blobs/sha256/" + manifestDigest, manifestBytes)
        var layerHeader = TarEntryHeader(path: "blobs/sha256/" + layerDigest, kind: .regular, permissions: 0o644)
        layerHeader.size = layerSize
        try writer.writeHeader(layerHeader)
        try copyFile(layer, into: writer)
        try file("index.json", try json(index))
        try writer.finish()
        return Written(reference: reference, manifestDigest: "sha256:" + manifestDigest, configDigest: "sha256:" + configDigest,
                       layerDigest: "sha256:" + layerDigest)
    }

    static func json(_ object: Any) throws -> [UInt8] {
        do {
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        } catch {
            throw PodlabError(.invalidArgument, "OCI image JSON: \(error)")
        }
    }

    static func sha256(ofFile path: String) throws -> (String, Int64) {
        var hasher = SHA256()
        var total: Int64 = 0
        try forEachBlock(of: path) { block in
            hasher.update(block)
            total += Int64(block.count)
        }
        return (hasher.finalizeHex(), total)
    }

    static func copyFile(_ path: String, into writer: ArchiveWriter) throws {
        try forEachBlock(of: path) { try writer.writeData($0) }
    }

    static func forEachBlock(of path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = try checkedSyscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try checkedSyscall("read(\(path))") { read(fd, buffer.baseAddress, buffer.count) }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
