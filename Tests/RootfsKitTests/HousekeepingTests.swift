import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

/// `rootfs rm`, `rootfs prune`, `rootfs export`, and the import policy applied to layers.
@Suite("Catalog housekeeping and export")
struct HousekeepingTests {
    static func smallImage(_ tmp: TempDir, name: String, marker: String) throws -> ImageRecord {
        let path = tmp.path + "/\(marker).tar.gz"
        try TestArchive(path, filter: .gzip).dir("etc").file("etc/marker", marker).finish()
        return try ImageCatalog(paths: tmp.paths).importImage(from: path, as: name)
    }

    @Test("rm removes the record and its tarball; prune frees unused cache entries and blobs, keeping what images and pods use")
    func removeAndPrune() throws {
        let tmp = try TempDir("prune")
        let catalog = ImageCatalog(paths: tmp.paths)
        let keep = try Self.smallImage(tmp, name: "keep:1", marker: "keep")
        let gone = try Self.smallImage(tmp, name: "gone:1", marker: "gone")
        let busy = try Self.smallImage(tmp, name: "busy:1", marker: "busy")
        let cache = ImageCache(paths: tmp.paths)
        for record in [keep, gone, busy] { _ = try cache.rootfs(for: record) }
        // Blobs: one an image lists, one nobody does, and a stale partial download.
        let store = BlobStore(paths: tmp.paths)
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        let used = "sha256:" + String(repeating: "1", count: 64), unused = "sha256:" + String(repeating: "2", count: 64)
        for path in [store.path(of: used), store.path(of: unused), store.path(of: unused) + ".partial"] {
            try "x".write(toFile: path, atomically: false, encoding: .utf8)
        }
        var pulled = keep
        pulled.pulled = PulledImage(reference: "r/keep:1", indexDigest: nil, manifestDigest: "sha256:" + String(repeating: "3", count: 64),
                                    platform: "linux/amd64", config: .init(mediaType: nil, digest: used, size: 1), layers: [])
        try FileLock.withExclusiveLock(tmp.paths.rootfsDir + "/.catalog.lock") { try catalog.save(replacing: pulled, in: try catalog.load()) }

        try catalog.remove("gone:1")
        try catalog.remove("busy:1")
        #expect(try catalog.list().map(\.reference) == ["keep:1"])
        #expect(lstatOf(gone.tarballPath) == nil, "the tarball goes with the record")
        #expect(throws: PodlabError.self) { try catalog.remove("gone:1") }

        let report = try catalog.prune(inUse: [busy.digest])
        #expect(report.cacheEntries == [gone.digest])
        #expect(report.inUse == [busy.digest], "a pod's image stays unpacked")
        #expect(Set(report.blobs) == [String(unused.dropFirst(7)), String(unused.dropFirst(7)) + ".partial"])
        #expect(try cache.cachedDigests().sorted() == [keep.digest, busy.digest].sorted())
        #expect(store.contains(used) && !store.contains(unused))
        #expect(try ImageCatalog(paths: tmp.paths).prune(inUse: []).cacheEntries == [busy.digest], "once no pod uses it, it goes")
    }

    @Test("export as OCI layout and as docker-archive; both import back to the same files", arguments: ImageExporter.Format.allCases)
    func exportRoundTrip(_ format: ImageExporter.Format) throws {
        let tmp = try TempDir("export")
        var record = try Self.smallImage(tmp, name: "orig:1", marker: "round-trip")
        record.config = ImageConfig(entrypoint: ["/bin/sh"], cmd: ["-c", "true"])
        let archive = tmp.path + "/out.tar"
        try ImageExporter(paths: tmp.paths).export(record, to: archive, format: format)
        let back = try ImageCatalog(paths: tmp.paths).importImage(from: archive, as: "back:1")
        #expect(back.source.contains(format == .oci ? "OCI layout archive" : "docker save archive"))
        let rootfs = try ImageCache(paths: tmp.paths).rootfs(for: back)
        #expect(contents(rootfs + "/etc/marker") == "round-trip")
        // The config podlab wrote names the layer's uncompressed digest as its diff_id.
        let unpacked = try tmp.sub("unpacked-\(format.rawValue)")
        _ = try SafeExtractor().extract(archive: archive, into: unpacked)
        let configText: String
        if format == .oci {
            let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: unpacked + "/index.json"))) as? [String: Any]
            let manifestDigest = ((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String) ?? ""
            let manifest = try JSONDecoder().decode(RegistryManifest.self, from: Data(contentsOf: URL(fileURLWithPath: unpacked + "/blobs/sha256/" + manifestDigest.dropFirst(7))))
            let layer = try #require(manifest.layers?.first)
            #expect(try FileDigest.sha256(ofFile: unpacked + "/blobs/sha256/" + layer.digest.dropFirst(7)).digest == String(layer.digest.dropFirst(7)))
            configText = contents(unpacked + "/blobs/sha256/" + (manifest.config?.digest.dropFirst(7) ?? "")) ?? ""
            #expect(configText.contains(layer.digest))
        } else {
            let names = try FileManager.default.contentsOfDirectory(atPath: unpacked).filter { $0.hasSuffix(".json") && $0 != "manifest.json" }
            configText = contents(unpacked + "/" + (names.first ?? "")) ?? ""
        }
        #expect(configText.contains(#""Entrypoint":["/bin/sh"]"#) && configText.contains(#""Cmd":["-c","true"]"#), "\(configText)")
    }

    @Test("a hostile layer inside a docker-save archive is refused at import, entry named, nothing recorded", arguments: HostileArchiveTests.cases)
    func hostileLayerRefusedAtImport(_ testCase: HostileArchiveTests.Case) throws {
        let tmp = try TempDir("hostile-layer")
        let outside = try tmp.sub("outside")
        let layer = tmp.path + "/layer.tar"
        let archive = try TestArchive(layer)
        try testCase.build(archive, outside)
        try archive.finish()
        let save = tmp.path + "/save.tar"
        try TestArchive(save).file("manifest.json", #"[{"Config":"c.json","RepoTags":["evil:1"],"Layers":["l/layer.tar"]}]"#)
            .file("c.json", "{}").dir("l").data("l/layer.tar", [UInt8](try Data(contentsOf: URL(fileURLWithPath: layer)))).finish()
        let catalog = ImageCatalog(paths: tmp.paths)
        let error = #expect(throws: PodlabError.self) { try catalog.importImage(from: save, as: nil) }
        let entry = testCase.offendingEntry == "ABS" ? outside + "/evil" : testCase.offendingEntry
        #expect(error?.message.contains("entry \(entry)") == true && error?.message.contains("layer l/layer.tar") == true, "\(error?.message ?? "")")
        #expect(try catalog.list().isEmpty)
        #expect(lstatOf(outside + "/evil") == nil)
    }
}
