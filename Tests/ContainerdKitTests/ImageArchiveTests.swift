@testable import ContainerdKit
import Foundation
import PodlabCore
import RootfsKit
import Testing

/// The OCI archive podlab hands to `ctr images import`, read back with libarchive: the layout
/// files, blob names equal to their sha256, the config's diff_id equal to the layer digest.
@Suite final class ImageArchiveTests {
    let scratch: String

    init() throws {
        scratch = "/tmp/podlab-cri-unit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    // Every test gets its own instance: its scratch directory goes with it, whatever the test did.
    deinit { try? FileManager.default.removeItem(atPath: scratch) }

    func entries(of archive: String) throws -> [String: [UInt8]] {
        let reader = try ArchiveReader(path: archive)
        defer { reader.close() }
        var result: [String: [UInt8]] = [:]
        while let entry = try reader.nextEntry() {
            result[entry.pathname] = entry.kind == .regular ? try reader.readData() : []
        }
        return result
    }

    @Test func busyboxRootfsBecomesAnOCIArchiveWhoseDigestsCheckOut() throws {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let tarball = scratch + "/busybox.tar.gz"
        _ = try BusyboxRootfsBuilder().build(to: tarball)
        let layer = scratch + "/layer.tar"
        try ImageLayers.writeUncompressedLayer(from: tarball, to: layer)
        let layerEntries = try entries(of: layer)
        // One regular busybox, the applets hard links to it (BusyboxRootfsBuilder).
        #expect(layerEntries.values.contains { $0.count > 100_000 })
        #expect(layerEntries.keys.contains("bin/sh"))
        #expect(layerEntries["etc/passwd"].map { String(decoding: $0, as: UTF8.self).hasPrefix("root:") } == true)

        let archive = scratch + "/image.tar"
        let written = try OCIImageArchive.write(layer: layer, config: .init(cmd: ["sh"]), reference: "podlab.local/busybox:latest", to: archive)
        let files = try entries(of: archive)
        #expect(files["oci-layout"].map { String(decoding: $0, as: UTF8.self) } == #"{"imageLayoutVersion":"1.0.0"}"#)
        for (name, bytes) in files where name.hasPrefix("blobs/sha256/") && !bytes.isEmpty {
            #expect(SHA256.hex(of: bytes) == String(name.dropFirst("blobs/sha256/".count)), "blob \(name)")
        }
        let indexBytes = try #require(files["index.json"])
        let index = try #require(try JSONSerialization.jsonObject(with: Data(indexBytes)) as? [String: Any])
        let manifests = try #require(index["manifests"] as? [[String: Any]])
        let annotations = try #require(manifests.first?["annotations"] as? [String: String])
        #expect(annotations["io.containerd.image.name"] == "podlab.local/busybox:latest")
        #expect(annotations["org.opencontainers.image.ref.name"] == "latest")
        let configBytes = try #require(files["blobs/sha256/" + written.configDigest.dropFirst("sha256:".count)])
        let config = try #require(try JSONSerialization.jsonObject(with: Data(configBytes)) as? [String: Any])
        let rootfs = try #require(config["rootfs"] as? [String: Any])
        #expect(rootfs["diff_ids"] as? [String] == [written.layerDigest])
        #expect(config["os"] as? String == "linux")
        #expect((config["config"] as? [String: Any])?["Cmd"] as? [String] == ["sh"])
    }

    @Test func pauseLayerCarriesTheBinaryAndEveryLibraryItNeeds() throws {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // A dynamically linked program stands in for pause: /bin/ls needs libc and the loader.
        let layer = scratch + "/pause.tar"
        try ImageLayers.writePauseLayer(pause: "/bin/ls", to: layer)
        let files = try entries(of: layer)
        #expect(files["pause"].map { !$0.isEmpty } == true)
        let libraries = try ImageLayers.sharedLibraries(of: "/bin/ls")
        #expect(libraries.contains { $0.contains("libc.so") })
        for library in libraries {
            #expect(files[String(library.dropFirst())] != nil, "\(library) missing from the layer")
        }
        // Parent directories come before their files.
        #expect(files.keys.contains { ["lib64", "lib64/", "lib", "lib/"].contains($0) })
    }

    @Test func staticBinaryNeedsNoLibraries() throws {
        #expect(try ImageLayers.sharedLibraries(of: "/bin/busybox") == [])
    }

    @Test func lddOutputParsing() throws {
        let output = """
        \tlinux-vdso.so.1 (0x00007ffd)
        \tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x00007f69)
        \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f69)
        \t/lib64/ld-linux-x86-64.so.2 (0x00007f69)
        """
        #expect(try ImageLayers.parseLdd(output, binary: "pause") == [
            "/opt/swift/usr/lib/swift/linux/libswiftCore.so", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
        ])
        #expect(throws: PodlabError.self) { try ImageLayers.parseLdd("\tlibfoo.so => not found\n", binary: "pause") }
    }

    @Test func missingPauseIsANamedError() throws {
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let error = try #require(throws: PodlabError.self) { try ImageLayers.writePauseLayer(pause: scratch + "/nope", to: scratch + "/l.tar") }
        #expect(error.message.contains("swift build --product pause"))
    }

    @Test func mountinfoEscapesAreDecoded() {
        #expect(MountTable.decode(#"/tmp/a\040b"#) == "/tmp/a b")
        #expect(MountTable.decode(#"/tmp/back\134slash"#) == #"/tmp/back\slash"#)
        #expect(MountTable.decode("/plain") == "/plain")
    }
}
