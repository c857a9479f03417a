import Foundation
import PodlabCore
import RegistryHTTP
import Testing
@testable import RootfsKit

/// `podlab rootfs pull` against real registries (scripts/registry: Debian's docker-registry with a
/// token server, and with htpasswd), populated with `skopeo copy` from archives `rootfs export`
/// wrote. Each test uses its own repository and its own catalog.
@Suite("Registry pull (real registry)", .serialized)
struct RegistryPullTests {
    static let nginxLike = ImageConfig(entrypoint: ["/bin/hello"], cmd: ["-g", "daemon off;"], env: ["PATH=/bin", "MODE=test"], workingDir: "/etc")

    @Test("a tag and then its digest pull into the catalog with the image config; a re-pull downloads nothing")
    func tagAndDigest() throws {
        let registry = try LocalRegistry.shared()
        let source = try Scratch("src"), target = try Scratch("dst")
        try exportImage(paths: source.paths, name: "app:1", marker: "tagged", config: Self.nginxLike, to: source.path + "/app.tar")
        try registry.push("oci-archive:\(source.path)/app.tar", to: "\(registry.token)/podlab/app:1")
        let digest = try run(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(registry.token)/podlab/app:1"])
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let log = EventLog()
        let record = try makePuller(target.paths, log: log).pull("\(registry.token)/podlab/app:1")
        #expect(record.reference == "\(registry.token)/podlab/app:1")
        #expect(record.config == Self.nginxLike, "the image config becomes ImageRecord.config")
        #expect(record.pulled?.manifestDigest == digest)
        #expect(record.pulled?.layers.count == 1)
        #expect(try fileInImage(record, "etc/platform", paths: target.paths) == "tagged\n")
        #expect(try ImageCatalog(paths: target.paths).resolve(record.reference) == record)
        #expect(registry.tokenLog.contains("anonymous repository:podlab/app:pull"), "the anonymous bearer flow ran: \(registry.tokenLog)")
        #expect(log.blobs.count == 1 && log.blobs.allSatisfy { !$0.1 }, "the layer downloaded: \(log.blobs)")

        // Same tag again: every blob is in the store, the catalog entry is reused.
        let again = EventLog()
        let second = try makePuller(target.paths, log: again).pull("\(registry.token)/podlab/app:1")
        #expect(second == record)
        #expect(again.blobs.isEmpty, "an up-to-date image downloads nothing: \(again.blobs)")

        // By digest, under another name: blobs shared, nothing downloaded.
        let pinnedLog = EventLog()
        let pinned = try makePuller(target.paths, log: pinnedLog).pull("\(registry.token)/podlab/app@\(digest)", as: "pinned:1")
        #expect(pinned.pulled?.manifestDigest == digest)
        #expect(pinned.config == Self.nginxLike)
        #expect(pinnedLog.blobs.count == 1 && pinnedLog.blobs.allSatisfy { $0.1 }, "the layer comes from the shared store: \(pinnedLog.blobs)")

        // A digest the registry does not have.
        let missing = "sha256:" + String(repeating: "0", count: 64)
        let error = #expect(throws: PodlabError.self) { try makePuller(target.paths).pull("\(registry.token)/podlab/app@\(missing)") }
        #expect(error?.code == .notFound, "\(String(describing: error))")
        #expect(try ImageCatalog(paths: target.paths).list().map(\.reference).sorted() == ["\(registry.token)/podlab/app:1", "pinned:1"])
    }

    @Test("an image index: the default platform, --platform, and a platform it lacks")
    func platformSelection() throws {
        let registry = try LocalRegistry.shared()
        let source = try Scratch("multi"), target = try Scratch("multi-dst")
        try exportImage(paths: source.paths, name: "m:amd64", marker: "amd64", config: nil,
                        platform: .init(os: "linux", architecture: "amd64"), to: source.path + "/amd64.tar")
        try exportImage(paths: source.paths, name: "m:arm64", marker: "arm64", config: ImageConfig(cmd: ["arm"]),
                        platform: .init(os: "linux", architecture: "arm64", variant: "v8"), to: source.path + "/arm64.tar")
        let layout = try MultiPlatformLayout.build(from: [source.path + "/amd64.tar", source.path + "/arm64.tar"], in: source.path + "/layout", tag: "multi")
        try registry.push("oci:\(layout):multi", to: "\(registry.token)/podlab/multi:1", all: true)

        var puller = makePuller(target.paths)
        puller.platform = .init(os: "linux", architecture: "amd64")
        let amd = try puller.pull("\(registry.token)/podlab/multi:1", as: "multi:amd")
        #expect(try fileInImage(amd, "etc/platform", paths: target.paths) == "amd64\n")
        #expect(amd.pulled?.indexDigest != nil && amd.pulled?.platform == "linux/amd64")

        puller.platform = try PlatformSelector(parsing: "linux/arm64")
        let arm = try puller.pull("\(registry.token)/podlab/multi:1", as: "multi:arm")
        #expect(try fileInImage(arm, "etc/platform", paths: target.paths) == "arm64\n")
        #expect(arm.config?.cmd == ["arm"])
        #expect(arm.pulled?.indexDigest == amd.pulled?.indexDigest && arm.pulled?.manifestDigest != amd.pulled?.manifestDigest)

        puller.platform = try PlatformSelector(parsing: "linux/s390x")
        let error = #expect(throws: PodlabError.self) { try puller.pull("\(registry.token)/podlab/multi:1", as: "multi:s390x") }
        #expect(error?.message.contains("no image for platform linux/s390x") == true && error?.message.contains("linux/arm64/v8") == true,
                "\(String(describing: error))")
    }

    @Test("a zstd-compressed layer (skopeo --dest-compress-format zstd) pulls and unpacks")
    func zstdLayer() throws {
        let registry = try LocalRegistry.shared()
        let source = try Scratch("zstd"), target = try Scratch("zstd-dst")
        try exportImage(paths: source.paths, name: "z:1", marker: "zstd", config: nil, to: source.path + "/z.tar")
        try registry.push("oci-archive:\(source.path)/z.tar", to: "\(registry.token)/podlab/zstd:1", zstd: true)
        let record = try makePuller(target.paths).pull("\(registry.token)/podlab/zstd:1")
        #expect(record.pulled?.layers.first?.mediaType == "application/vnd.oci.image.layer.v1.tar+zstd")
        #expect(try fileInImage(record, "etc/platform", paths: target.paths) == "zstd\n")
    }

    @Test("auth: htpasswd registry and a token-protected repository need the credential from REGISTRY_AUTH_FILE")
    func authentication() throws {
        let registry = try LocalRegistry.shared()
        let env = registry.env
        let source = try Scratch("auth"), target = try Scratch("auth-dst")
        try exportImage(paths: source.paths, name: "s:1", marker: "secret", config: nil, to: source.path + "/s.tar")
        let basicCreds = "\(env["BASIC_USER"] ?? ""):\(env["BASIC_PASSWORD"] ?? "")"
        let tokenCreds = "\(env["TOKEN_USER"] ?? ""):\(env["TOKEN_PASSWORD"] ?? "")"
        try registry.push("oci-archive:\(source.path)/s.tar", to: "\(registry.basic)/podlab/secret:1", creds: basicCreds)
        try registry.push("oci-archive:\(source.path)/s.tar", to: "\(registry.token)/private/secret:1", creds: tokenCreds)

        // Without a credential: refused, nothing recorded.
        let basicError = #expect(throws: PodlabError.self) { try makePuller(target.paths).pull("\(registry.basic)/podlab/secret:1") }
        #expect(basicError?.message.contains("asks for a password") == true, "\(String(describing: basicError))")
        let tokenError = #expect(throws: PodlabError.self) { try makePuller(target.paths).pull("\(registry.token)/private/secret:1") }
        #expect(tokenError?.message.contains("401") == true, "\(String(describing: tokenError))")
        #expect(try ImageCatalog(paths: target.paths).list().isEmpty)

        // A wrong password is refused too.
        let authFile = target.path + "/auth.json"
        func writeAuth(_ basic: String, _ token: String) throws {
            let auths = [registry.basic: ["auth": Data(basic.utf8).base64EncodedString()], registry.token: ["auth": Data(token.utf8).base64EncodedString()]]
            try JSONSerialization.data(withJSONObject: ["auths": auths]).write(to: URL(fileURLWithPath: authFile))
        }
        try writeAuth("tester:wrong", "puller:wrong")
        var puller = makePuller(target.paths)
        puller.environment = ["REGISTRY_AUTH_FILE": authFile]
        #expect(throws: PodlabError.self) { try puller.pull("\(registry.basic)/podlab/secret:1") }

        try writeAuth(basicCreds, tokenCreds)
        let viaBasic = try puller.pull("\(registry.basic)/podlab/secret:1")
        #expect(try fileInImage(viaBasic, "etc/platform", paths: target.paths) == "secret\n")
        let viaToken = try puller.pull("\(registry.token)/private/secret:1")
        #expect(viaToken.digest == viaBasic.digest)
        #expect(registry.tokenLog.contains("\(env["TOKEN_USER"] ?? "") repository:private/secret:pull"), "\(registry.tokenLog)")

        // ~/.docker/config.json is read when REGISTRY_AUTH_FILE is unset.
        try FileManager.default.createDirectory(atPath: target.path + "/home/.docker", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: authFile, toPath: target.path + "/home/.docker/config.json")
        #expect(try RegistryCredential.lookup(host: registry.basic, environment: ["HOME": target.path + "/home"])?.username == env["BASIC_USER"])
    }

    @Test("a corrupted blob in the registry: digest mismatch refused, catalog and blob store unchanged")
    func corruptedBlob() throws {
        let registry = try LocalRegistry.shared()
        let source = try Scratch("corrupt"), target = try Scratch("corrupt-dst")
        try exportImage(paths: source.paths, name: "c:1", marker: "corrupt-me", config: nil, to: source.path + "/c.tar")
        try registry.push("oci-archive:\(source.path)/c.tar", to: "\(registry.token)/podlab/corrupt:1")
        // Find the layer through the manifest and flip one byte of it in the registry's storage.
        let manifest = try run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(registry.token)/podlab/corrupt:1"])
        let parsed = try JSONDecoder().decode(RegistryManifest.self, from: Data(manifest.utf8))
        let layer = try #require(parsed.layers?.first)
        let data = registry.storagePath(ofBlob: layer.digest)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: data)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: data))

        let catalog = ImageCatalog(paths: target.paths)
        let error = #expect(throws: PodlabError.self) { try makePuller(target.paths).pull("\(registry.token)/podlab/corrupt:1") }
        #expect(error?.code == .archive && error?.message.contains("digest mismatch") == true && error?.message.contains(layer.digest) == true,
                "\(String(describing: error))")
        #expect(try catalog.list().isEmpty, "nothing enters the catalog")
        let store = BlobStore(paths: target.paths)
        #expect(!store.contains(layer.digest))
        #expect(lstatMode(store.path(of: layer.digest) + ".partial") == nil, "the bad download is not kept for resuming")
    }

    @Test("a pull cut off mid-layer keeps the verified-so-far bytes and the next pull resumes with Range")
    func interruptedPullResumes() throws {
        let registry = try LocalRegistry.shared()
        let source = try Scratch("resume"), target = try Scratch("resume-dst")
        // A layer of about 1.5 MB of random hex (about 0.9 MB gzip'ed), so the cut lands in the middle.
        let big = (0..<(3 << 20) / 32).map { _ in UInt64.random(in: 0...UInt64.max) }.map { String($0, radix: 16) }.joined()
        let tarball = source.path + "/big.tar.gz"
        try FileManager.default.createDirectory(atPath: source.paths.rootfsDir, withIntermediateDirectories: true)
        try writeRootfs(tarball, marker: "resumed", extra: [("etc/big", big)])
        var record = try ImageCatalog(paths: source.paths).importImage(from: tarball, as: "big:1")
        record.config = ImageConfig(cmd: ["sh"])
        try ImageExporter(paths: source.paths).export(record, to: source.path + "/big.tar", format: .oci)
        try registry.push("oci-archive:\(source.path)/big.tar", to: "\(registry.token)/podlab/big:1")

        let cutting = CuttingTransport(cutAfter: 300_000)
        let error = #expect(throws: PodlabError.self) { try makePuller(target.paths, transport: cutting).pull("\(registry.token)/podlab/big:1") }
        #expect(error?.message.contains("connection reset (test)") == true, "\(String(describing: error))")
        #expect(try ImageCatalog(paths: target.paths).list().isEmpty)
        let partials = try FileManager.default.contentsOfDirectory(atPath: BlobStore(paths: target.paths).directory).filter { $0.hasSuffix(".partial") }
        #expect(partials.count == 1, "\(partials)")

        let recording = CuttingTransport(cutAfter: nil)
        let log = EventLog()
        let pulled = try makePuller(target.paths, transport: recording, log: log).pull("\(registry.token)/podlab/big:1")
        #expect(try fileInImage(pulled, "etc/platform", paths: target.paths) == "resumed\n")
        let ranged = recording.requests.filter { $0.range != nil }
        #expect(ranged.count == 1 && ranged.first?.status == 206, "one ranged GET answered 206: \(recording.requests)")
        #expect(ranged.first?.range?.hasPrefix("bytes=") == true && ranged.first?.range != "bytes=0-")
        #expect(log.blobs.contains { $0.2 == 300_000 }, "the layer resumed at the 300,000 bytes the cut pull kept: \(log.blobs)")
    }

    @Test("two layers with a whiteout and an opaque directory flatten as overlayfs would show them")
    func whiteouts() throws {
        let registry = try LocalRegistry.shared()
        let source = try Scratch("wh"), target = try Scratch("wh-dst")
        let lower = """
            add(tarfile.TarInfo("etc"), dir=True); add(tarfile.TarInfo("etc/gone"), data=b"old"); add(tarfile.TarInfo("etc/kept"), data=b"kept")
            add(tarfile.TarInfo("d"), dir=True); add(tarfile.TarInfo("d/lower"), data=b"lower")
            """
        let upper = """
            add(tarfile.TarInfo("etc"), dir=True); add(tarfile.TarInfo("etc/.wh.gone"), data=b"")
            add(tarfile.TarInfo("d"), dir=True); add(tarfile.TarInfo("d/.wh..wh..opq"), data=b""); add(tarfile.TarInfo("d/upper"), data=b"upper")
            """
        let layout = try TarLayersImage.build([lower, upper], in: source.path + "/layout", tag: "wh")
        try registry.push("oci:\(layout):wh", to: "\(registry.token)/podlab/whiteouts:1")
        let record = try makePuller(target.paths).pull("\(registry.token)/podlab/whiteouts:1")
        #expect(record.pulled?.layers.count == 2)
        let rootfs = try ImageCache(paths: target.paths).rootfs(for: record)
        #expect(lstatMode(rootfs + "/etc/gone") == nil, "a whiteout removes the lower file")
        #expect(try fileInImage(record, "etc/kept", paths: target.paths) == "kept")
        #expect(lstatMode(rootfs + "/d/lower") == nil, "an opaque dir hides the lower layer's entries")
        #expect(try fileInImage(record, "d/upper", paths: target.paths) == "upper")
        let names = try FileManager.default.subpathsOfDirectory(atPath: rootfs)
        #expect(!names.contains { $0.contains(".wh.") }, "\(names)")
    }

    @Test("a layer with a '..' entry, a write through a symlink or a hard link out of the image is refused at pull, entry named",
          arguments: HostileLayer.allCases)
    func hostileLayer(_ hostile: HostileLayer) throws {
        let registry = try LocalRegistry.shared()
        let source = try Scratch("hostile"), target = try Scratch("hostile-dst")
        let layout = try HostileImage.build(hostile, in: source.path + "/layout")
        try registry.push("oci:\(layout):evil", to: "\(registry.token)/podlab/hostile-\(hostile.rawValue):1")
        let error = #expect(throws: PodlabError.self) { try makePuller(target.paths).pull("\(registry.token)/podlab/hostile-\(hostile.rawValue):1") }
        #expect(error?.code == .archive && error?.message.contains("entry \(hostile.offendingEntry)") == true, "\(String(describing: error))")
        #expect(try ImageCatalog(paths: target.paths).list().isEmpty)
        #expect(lstatMode("/tmp/podlab-pull-escape-\(hostile.rawValue)") == nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: target.paths.rootfsDir).filter { $0.hasPrefix(".import-") }
        #expect(leftovers.isEmpty, "scratch removed: \(leftovers)")
    }
}

/// Wraps URLSessionTransport: records each request's Range and status, and (once) throws after
/// `cutAfter` bytes of a blob body, as a dropped connection would.
final class CuttingTransport: RegistryTransport, @unchecked Sendable {
    struct Request { var url: String; var range: String?; var status: Int }
    private let inner = URLSessionTransport()
    private let lock = NSLock()
    private var cutAfter: Int?
    private(set) var requests: [Request] = []

    init(cutAfter: Int?) { self.cutAfter = cutAfter }

    func get(_ url: String, headers: [String: String], begin: (Int, [String: String]) throws -> Void,
             sink: (UnsafeRawBufferPointer) throws -> Void) throws -> RegistryResponse {
        var received = 0
        let limit: Int? = url.contains("/blobs/") ? cutAfter : nil
        let response = try inner.get(url, headers: headers, begin: begin) { chunk in
            if let limit, received + chunk.count > limit {
                try sink(UnsafeRawBufferPointer(rebasing: chunk[0..<(limit - received)]))
                self.lock.lock(); self.cutAfter = nil; self.lock.unlock()
                throw PodlabError(.badInput, "GET \(url): connection reset (test)")
            }
            received += chunk.count
            try sink(chunk)
        }
        lock.lock()
        requests.append(Request(url: url, range: headers["Range"], status: response.status))
        lock.unlock()
        return response
    }
}
