import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

/// docker save / podman save archives: layers applied in order with whiteouts (OCI image spec,
/// layer.md): `.wh.gone` removes a lower file; `.wh..wh..opq` empties a lower directory but keeps
/// what the same layer puts there.
@Suite("Image archives (docker save, OCI layout)")
struct ImageLayerTests {
    /// Layer 1: the lower content.
    static func lowerLayer(_ path: String, filter: TestArchive.Filter = .none) throws {
        let a = try TestArchive(path, filter: filter)
        try a.dir("etc").file("etc/keep", "kept").file("etc/gone", "should be whited out")
        try a.dir("data").file("data/lower1", "lower").dir("data/sub").file("data/sub/lower2", "lower")
        try a.dir("gonedir").file("gonedir/f", "x")
        try a.finish()
    }

    /// Layer 2: whiteouts plus new content; the opaque marker comes after an upper file on purpose.
    static func upperLayer(_ path: String, filter: TestArchive.Filter = .none) throws {
        let a = try TestArchive(path, filter: filter)
        try a.dir("etc").file("etc/.wh.gone").file("etc/added", "new")
        try a.dir("data").file("data/upper", "upper")
        try a.file("data/implicit/deep", "no dir entry for data/implicit")  // parent created implicitly
        try a.file("data/.wh..wh..opq")
        try a.file(".wh.gonedir")
        try a.finish()
    }

    static func expectFlattened(_ record: ImageRecord, paths: PodlabPaths) throws {
        let rootfs = try ImageCache(paths: paths).rootfs(for: record)
        #expect(contents(rootfs + "/etc/keep") == "kept")
        #expect(contents(rootfs + "/etc/added") == "new")
        #expect(lstatOf(rootfs + "/etc/gone") == nil, "whited-out file is gone")
        #expect(lstatOf(rootfs + "/gonedir") == nil, "whited-out directory is gone")
        #expect(contents(rootfs + "/data/upper") == "upper", "opaque dir keeps the upper layer's content")
        #expect(contents(rootfs + "/data/implicit/deep") != nil, "opaque dir keeps implicit upper dirs")
        #expect(lstatOf(rootfs + "/data/lower1") == nil, "opaque dir hides lower content")
        #expect(lstatOf(rootfs + "/data/sub") == nil, "opaque dir hides lower subdirs")
        let listing = treeListing(rootfs)
        #expect(!listing.contains { $0.contains(".wh.") }, "no whiteout files materialise: \(listing)")
    }

    @Test("a docker save archive (legacy manifest.json) flattens with whiteouts")
    func dockerSave() throws {
        let tmp = try TempDir("docker")
        let staging = try tmp.sub("staging")
        try FileManager.default.createDirectory(atPath: staging + "/aaa", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: staging + "/bbb", withIntermediateDirectories: true)
        try Self.lowerLayer(staging + "/aaa/layer.tar")
        try Self.upperLayer(staging + "/bbb/layer.tar")
        let manifest = #"[{"Config":"cfg.json","RepoTags":["demo:1.0"],"Layers":["aaa/layer.tar","bbb/layer.tar"]}]"#

        let archivePath = tmp.path + "/demo-docker.tar"
        let archive = try TestArchive(archivePath)
        try archive.file("cfg.json", "{}").file("manifest.json", manifest).file("repositories", "{}")
        try archive.dir("aaa").data("aaa/layer.tar", [UInt8](try Data(contentsOf: URL(fileURLWithPath: staging + "/aaa/layer.tar"))))
        try archive.dir("bbb").data("bbb/layer.tar", [UInt8](try Data(contentsOf: URL(fileURLWithPath: staging + "/bbb/layer.tar"))))
        try archive.finish()

        let catalog = ImageCatalog(paths: tmp.paths)
        let record = try catalog.importImage(from: archivePath, as: nil)
        #expect(record.reference == "demo:1.0", "the name comes from RepoTags when --name is not given")
        #expect(record.source.contains("docker save archive, 2 layers flattened"))
        #expect(try catalog.resolve("demo:1.0") == record)
        try Self.expectFlattened(record, paths: tmp.paths)
    }

    @Test("an OCI layout archive (podman save --format oci-archive) flattens with whiteouts")
    func ociLayout() throws {
        let tmp = try TempDir("oci")
        let staging = try tmp.sub("staging")
        try Self.lowerLayer(staging + "/l1", filter: .gzip)
        try Self.upperLayer(staging + "/l2", filter: .zstd)
        func blob(_ bytes: [UInt8]) -> (digest: String, bytes: [UInt8]) { (SHA256.hex(of: bytes), bytes) }
        let l1 = blob([UInt8](try Data(contentsOf: URL(fileURLWithPath: staging + "/l1"))))
        let l2 = blob([UInt8](try Data(contentsOf: URL(fileURLWithPath: staging + "/l2"))))
        let config = blob(Array(#"{"architecture":"amd64","os":"linux"}"#.utf8))
        let manifest = blob(Array("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\(config.digest)","size":\(config.bytes.count)},
             "layers":[
               {"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:\(l1.digest)","size":\(l1.bytes.count)},
               {"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":"sha256:\(l2.digest)","size":\(l2.bytes.count)}]}
            """.utf8))
        let index = """
            {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "digest":"sha256:\(manifest.digest)","size":\(manifest.bytes.count),
             "annotations":{"org.opencontainers.image.ref.name":"latest"}}]}
            """

        let archivePath = tmp.path + "/demo-oci.tar"
        let archive = try TestArchive(archivePath)
        try archive.file("oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#).file("index.json", index)
        try archive.dir("blobs").dir("blobs/sha256")
        for b in [l1, l2, config, manifest] { try archive.data("blobs/sha256/\(b.digest)", b.bytes) }
        try archive.finish()

        let catalog = ImageCatalog(paths: tmp.paths)
        // ref.name "latest" is only a tag: the archive carries no usable name, so --name is needed.
        let error = #expect(throws: PodlabError.self) { try catalog.importImage(from: archivePath, as: nil) }
        #expect(error?.message.contains("--name") == true)
        let record = try catalog.importImage(from: archivePath, as: "demo-oci:2")
        #expect(record.source.contains("OCI layout archive, 2 layers flattened"))
        try Self.expectFlattened(record, paths: tmp.paths)
    }

    @Test("an OCI blob whose content does not match its digest is refused")
    func tamperedBlob() throws {
        let tmp = try TempDir("ocibad")
        let layer = Array("not really a layer".utf8)
        let digest = String(repeating: "ab", count: 32)
        let manifest = Array(#"{"schemaVersion":2,"layers":[{"digest":"sha256:\#(digest)","size":18}]}"#.utf8)
        let manifestDigest = SHA256.hex(of: manifest)
        let archivePath = tmp.path + "/bad.tar"
        let archive = try TestArchive(archivePath)
        try archive.file("oci-layout", "{}")
        try archive.file("index.json", #"{"manifests":[{"digest":"sha256:\#(manifestDigest)"}]}"#)
        try archive.data("blobs/sha256/\(manifestDigest)", manifest).data("blobs/sha256/\(digest)", layer)
        try archive.finish()
        let error = #expect(throws: PodlabError.self) { try ImageCatalog(paths: tmp.paths).importImage(from: archivePath, as: "bad") }
        #expect(error?.message.contains("corrupt blob") == true)
    }
}
