import Foundation
import PodlabCore
import Testing

@testable import RootfsKit

/// Images keep their OCI config (docs/FIDELITY.md #99, #100, #103, #104): built busybox, docker
/// save and OCI layout imports, and the Debian build's inputs and failure modes.
@Suite("Image configs in the catalog")
struct ImageConfigKeepingTests {
    static let dockerConfig = #"""
        {"architecture":"amd64","os":"linux","config":{"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],
         "Env":["PATH=/usr/local/sbin:/usr/bin","NGINX_VERSION=1.27.3"],"WorkingDir":"/srv","User":"101:101",
         "ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGQUIT","Labels":{"maintainer":"x"},"Volumes":null,"OnBuild":null},
         "rootfs":{"type":"layers","diff_ids":[]}}
        """#

    static let expected = ImageConfig(
        entrypoint: ["/docker-entrypoint.sh"], cmd: ["nginx", "-g", "daemon off;"], env: ["PATH=/usr/local/sbin:/usr/bin", "NGINX_VERSION=1.27.3"],
        workingDir: "/srv", user: "101:101", exposedPorts: ["80/tcp": .init()], stopSignal: "SIGQUIT", labels: ["maintainer": "x"])

    static func layer(_ path: String) throws {
        let archive = try TestArchive(path)
        try archive.dir("etc").file("etc/hello", "hi\n")
        try archive.finish()
    }

    @Test("a docker save archive keeps its config's Entrypoint, Cmd, Env, WorkingDir, User, ports and stop signal")
    func dockerSaveKeepsConfig() throws {
        let tmp = try TempDir("cfg-docker")
        let staging = try tmp.sub("staging")
        try Self.layer(staging + "/layer.tar")
        let archivePath = tmp.path + "/img.tar"
        let archive = try TestArchive(archivePath)
        try archive.file("cfg.json", Self.dockerConfig)
            .file("manifest.json", #"[{"Config":"cfg.json","RepoTags":["web:1"],"Layers":["l/layer.tar"]}]"#)
        try archive.dir("l").data("l/layer.tar", [UInt8](try Data(contentsOf: URL(fileURLWithPath: staging + "/layer.tar"))))
        try archive.finish()

        let catalog = ImageCatalog(paths: tmp.paths)
        let record = try catalog.importImage(from: archivePath, as: nil)
        #expect(record.config == Self.expected)
        // Stored in catalog.json, so `apply` in another process sees it.
        #expect(try ImageCatalog(paths: tmp.paths).resolve("web:1").config == Self.expected)
    }

    @Test("an OCI layout archive keeps the config its manifest points to")
    func ociLayoutKeepsConfig() throws {
        let tmp = try TempDir("cfg-oci")
        let staging = try tmp.sub("staging")
        try Self.layer(staging + "/l1")
        func blob(_ bytes: [UInt8]) -> (digest: String, bytes: [UInt8]) { (SHA256.hex(of: bytes), bytes) }
        let l1 = blob([UInt8](try Data(contentsOf: URL(fileURLWithPath: staging + "/l1"))))
        let config = blob(Array(Self.dockerConfig.utf8))
        let manifest = blob(Array("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\(config.digest)","size":\(config.bytes.count)},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:\(l1.digest)","size":\(l1.bytes.count)}]}
            """.utf8))
        let index = #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(manifest.digest)","size":\#(manifest.bytes.count)}]}"#
        let archivePath = tmp.path + "/oci.tar"
        let archive = try TestArchive(archivePath)
        try archive.file("oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#).file("index.json", index)
        try archive.dir("blobs").dir("blobs/sha256")
        for b in [l1, config, manifest] { try archive.data("blobs/sha256/\(b.digest)", b.bytes) }
        try archive.finish()

        let record = try ImageCatalog(paths: tmp.paths).importImage(from: archivePath, as: "web:oci")
        #expect(record.config == Self.expected)
    }

    @Test("a config that is not JSON fails the import naming it, and nothing is recorded")
    func badConfigRefused() throws {
        let tmp = try TempDir("cfg-bad")
        let staging = try tmp.sub("staging")
        try Self.layer(staging + "/layer.tar")
        let archivePath = tmp.path + "/img.tar"
        let archive = try TestArchive(archivePath)
        try archive.file("cfg.json", #"{"config":{"Cmd":"not-a-list"}}"#)
            .file("manifest.json", #"[{"Config":"cfg.json","RepoTags":["bad:1"],"Layers":["l/layer.tar"]}]"#)
        try archive.dir("l").data("l/layer.tar", [UInt8](try Data(contentsOf: URL(fileURLWithPath: staging + "/layer.tar"))))
        try archive.finish()
        let catalog = ImageCatalog(paths: tmp.paths)
        let error = #expect(throws: PodlabError.self) { try catalog.importImage(from: archivePath, as: nil) }
        #expect(error?.message.contains("config cfg.json") == true)
        #expect(try catalog.list().isEmpty)
    }

    @Test("a plain rootfs tarball has no config")
    func rootfsTarballHasNoConfig() throws {
        let tmp = try TempDir("cfg-plain")
        let path = tmp.path + "/root.tar"
        try Self.layer(path)
        #expect(try ImageCatalog(paths: tmp.paths).importImage(from: path, as: "plain").config == nil)
    }

    @Test("busybox is built with CMD [\"sh\"], and a catalog entry from before configs gets it too")
    func busyboxConfig() throws {
        let tmp = try TempDir("cfg-busybox")
        let catalog = ImageCatalog(paths: tmp.paths)
        let record = try catalog.buildBusybox()
        #expect(record.config?.cmd == ["sh"])
        #expect(record.config?.entrypoint == nil)
        // An older podlab's catalog.json: the same record without "config".
        var text = try String(contentsOfFile: catalog.catalogPath, encoding: .utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var images = try #require(object["images"] as? [[String: Any]])
        images[0].removeValue(forKey: "config")
        text = String(decoding: try JSONSerialization.data(withJSONObject: ["version": 1, "images": images]), as: UTF8.self)
        try text.write(toFile: catalog.catalogPath, atomically: true, encoding: .utf8)
        #expect(try catalog.resolve("busybox").config == BusyboxRootfsBuilder.imageConfig)

        let demo = try catalog.build(.entrypointDemo)
        #expect(demo.reference == "podlab/entrypoint-demo:latest")
        #expect(demo.config?.entrypoint == ["echo", "entry"])
        #expect(demo.config?.cmd == ["default-cmd"])
        #expect(demo.digest == record.digest, "the same reproducible tarball, only the config differs")
    }

    @Test("Debian recipe inputs: the cache key changes with every input and package names are checked")
    func recipeInputs() throws {
        let nginx = DebianImageRecipe.nginx()
        #expect(nginx.inputsDigest(sourceDateEpoch: 1) == DebianImageRecipe.nginx().inputsDigest(sourceDateEpoch: 1))
        #expect(nginx.inputsDigest(sourceDateEpoch: 1) != nginx.inputsDigest(sourceDateEpoch: 2))
        var other = nginx
        other.packages.append("curl")
        #expect(other.inputsDigest(sourceDateEpoch: 1) != nginx.inputsDigest(sourceDateEpoch: 1))
        other = nginx
        other.config.cmd = ["nginx"]
        #expect(other.inputsDigest(sourceDateEpoch: 1) != nginx.inputsDigest(sourceDateEpoch: 1))
        try DebianImageRecipe.validatePackage("nginx-light")
        try DebianImageRecipe.validatePackage("libc6=2.36-9")
        for bad in ["", "x", "--root=/", "a,b", "Nginx", "a b", "pkg'", "../x"] {
            #expect(throws: PodlabError.self, "\(bad)") { try DebianImageRecipe.validatePackage(bad) }
        }
    }

    @Test("without mmdebstrap the build says how to get it and that busybox still works; the catalog is unchanged")
    func missingMmdebstrap() throws {
        let tmp = try TempDir("cfg-nommdebstrap")
        let catalog = ImageCatalog(paths: tmp.paths)
        let builder = DebianRootfsBuilder(mmdebstrap: tmp.path + "/no-such-mmdebstrap", sourceDateEpoch: 1)
        let error = #expect(throws: PodlabError.self) {
            try catalog.buildDebian(.nginx(), reference: ImageReference(name: "nginx"), builder: builder)
        }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("apt-get install mmdebstrap") == true)
        #expect(error?.message.contains("busybox") == true)
        #expect(try catalog.list().isEmpty)
    }
}
