import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

@Suite("Image catalog and references")
struct ImageCatalogTests {
    @Test("references parse like docker's", arguments: [
        ("busybox", "busybox", "latest"),
        ("busybox:latest", "busybox", "latest"),
        ("alpine:3.20", "alpine", "3.20"),
        ("docker.io/library/alpine:3.20", "alpine", "3.20"),
        ("docker.io/nginxinc/nginx-unprivileged", "nginxinc/nginx-unprivileged", "latest"),
        ("localhost:5000/team/app:v1", "localhost:5000/team/app", "v1"),
        ("localhost:5000/team/app", "localhost:5000/team/app", "latest"),
    ])
    func parse(_ input: String, _ name: String, _ tag: String) throws {
        let reference = try ImageReference(parsing: input)
        #expect(reference.name == name)
        #expect(reference.tag == tag)
    }

    @Test("invalid references are refused by name", arguments: ["", "Alpine", "alpine:", "../x", "alpine:bad/tag", "a@sha256:zz"])
    func invalid(_ input: String) {
        let error = #expect(throws: PodlabError.self) { try ImageReference(parsing: input) }
        #expect(error?.code == .invalidArgument)
    }

    /// Builds a small Alpine-like rootfs tarball: /bin/sh -> /bin/busybox, musl loader, apk files.
    static func alpineTarball(_ path: String, filter: TestArchive.Filter) throws {
        let a = try TestArchive(path, filter: filter)
        try a.dir("./").dir("./bin").data("./bin/busybox", Array(repeating: 0x7f, count: 4096), mode: 0o755)
        try a.symlink("./bin/sh", to: "/bin/busybox").symlink("./bin/ls", to: "/bin/busybox")
        try a.dir("./lib").data("./lib/ld-musl-x86_64.so.1", Array(repeating: 1, count: 2048), mode: 0o755)
        try a.symlink("./lib/libc.musl-x86_64.so.1", to: "ld-musl-x86_64.so.1")
        try a.dir("./etc").dir("./etc/apk").file("./etc/apk/world", "alpine-baselayout\nbusybox\n").file("./etc/apk/arch", "x86_64\n")
        try a.file("./etc/alpine-release", "3.20.3\n").file("./etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        try a.dir("./tmp", mode: 0o1777).dir("./root", mode: 0o700)
        try a.finish()
    }

    @Test("an Alpine minirootfs tarball imports, lists, resolves and unpacks", arguments: [
        (TestArchive.Filter.gzip, ".tar.gz"), (.xz, ".tar.xz"), (.zstd, ".tar.zst"), (.none, ".tar"),
    ])
    func alpineImport(_ filter: TestArchive.Filter, _ ext: String) throws {
        let tmp = try TempDir("alpine")
        let source = tmp.path + "/alpine-minirootfs-3.20.3-x86_64" + ext
        try Self.alpineTarball(source, filter: filter)
        let catalog = ImageCatalog(paths: tmp.paths)
        let record = try catalog.importImage(from: source, as: "alpine:3.20")

        #expect(record.reference == "alpine:3.20")
        #expect(record.tarballPath == tmp.paths.rootfsDir + "/alpine_3.20" + ext)
        #expect(record.digest == (try sha256(ofFile: source)), "a plain tarball is stored unchanged")
        #expect(record.fileCount == 16, "every entry of the tarball, ./ included")
        #expect(record.source.contains(source))
        #expect(try catalog.list().map(\.reference) == ["alpine:3.20"])
        #expect(try catalog.resolve("alpine:3.20") == record)
        #expect(try catalog.resolve("docker.io/library/alpine:3.20") == record)

        let rootfs = try ImageCache(paths: tmp.paths).rootfs(for: record)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/bin/sh")) == "/bin/busybox")
        #expect(lstatOf(rootfs + "/lib/ld-musl-x86_64.so.1").map { $0.st_mode & 0o777 } == 0o755)
        #expect(contents(rootfs + "/etc/apk/world")?.contains("busybox") == true)
        #expect(lstatOf(rootfs + "/tmp").map { $0.st_mode & 0o7777 } == 0o1777)
        // The catalog stores paths relative to the rootfs dir, so the checkout can move.
        #expect(contents(catalog.catalogPath)?.contains("\"tarballPath\" : \"alpine_3.20\(ext)\"") == true)
    }

    @Test("an unknown image name lists what is available and how to add it")
    func unknownImage() throws {
        let tmp = try TempDir("unknown")
        let source = tmp.path + "/alpine.tar.gz"
        try Self.alpineTarball(source, filter: .gzip)
        let catalog = ImageCatalog(paths: tmp.paths)
        try catalog.importImage(from: source, as: "alpine:3.20")
        try catalog.importImage(from: source, as: "mini")

        let error = #expect(throws: PodlabError.self) { try catalog.resolve("alpine:3.2") }
        #expect(error?.code == .notFound)
        let message = error?.message ?? ""
        #expect(message.contains("alpine:3.2 is not in the catalog"))
        #expect(message.contains("available: alpine:3.20, mini:latest"))
        #expect(message.contains("podlab rootfs import PATH --name alpine:3.2"))
        #expect(message.contains("podlab rootfs build busybox"))

        // `mini` == `mini:latest`, like docker.
        #expect(try catalog.resolve("mini").reference == "mini:latest")
    }
}
