import Foundation
import PodlabCore
@testable import RootfsKit

/// OCI image layout directories the tests push with `skopeo copy oci:DIR:TAG`.
enum OCILayoutWriter {
    static func blob(_ bytes: [UInt8], in layout: String) throws -> ContentDescriptor {
        let hex = SHA256.hex(of: bytes)
        try FileManager.default.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: layout + "/blobs/sha256/" + hex))
        return ContentDescriptor(mediaType: nil, digest: "sha256:" + hex, size: Int64(bytes.count))
    }

    static func json(_ object: Any) throws -> [UInt8] {
        [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// Writes `index.json` (one entry, `mediaType`, tagged `tag`) and `oci-layout`.
    static func finish(_ layout: String, top: ContentDescriptor, mediaType: String, tag: String) throws {
        let index: [String: Any] = ["schemaVersion": 2, "manifests": [[
            "mediaType": mediaType, "digest": top.digest, "size": top.size,
            "annotations": ["org.opencontainers.image.ref.name": tag],
        ]]]
        try Data(try json(index)).write(to: URL(fileURLWithPath: layout + "/index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
    }
}

/// One multi-platform image (an image index of the given archives' manifests) from OCI archives
/// `rootfs export` wrote, as an OCI layout tagged `tag`.
enum MultiPlatformLayout {
    static func build(from archives: [String], in layout: String, tag: String) throws -> String {
        var entries: [[String: Any]] = []
        for (n, archive) in archives.enumerated() {
            let unpacked = layout + "-src\(n)"
            try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
            _ = try SafeExtractor().extract(archive: archive, into: unpacked)
            try FileManager.default.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: unpacked + "/blobs/sha256") where lstatMode(layout + "/blobs/sha256/" + name) == nil {
                try FileManager.default.copyItem(atPath: unpacked + "/blobs/sha256/" + name, toPath: layout + "/blobs/sha256/" + name)
            }
            let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: unpacked + "/index.json"))) as? [String: Any]
            guard var entry = (index?["manifests"] as? [[String: Any]])?.first else { throw PodlabError(.badInput, "\(archive): no manifest") }
            entry["annotations"] = nil
            entries.append(entry)
        }
        let nested = try OCILayoutWriter.blob(try OCILayoutWriter.json([
            "schemaVersion": 2, "mediaType": ManifestMediaType.ociIndex, "manifests": entries,
        ]), in: layout)
        try OCILayoutWriter.finish(layout, top: nested, mediaType: ManifestMediaType.ociIndex, tag: tag)
        return layout
    }
}

/// The three attacks issue 14 names, each as the only layer of an image.
enum HostileLayer: String, CaseIterable, CustomStringConvertible, Sendable {
    case dotdot, symlink, hardlink

    var description: String { rawValue }

    /// The entry the error must name.
    var offendingEntry: String {
        switch self {
        case .dotdot: "../podlab-pull-escape-dotdot"
        case .symlink: "tmpdir/podlab-pull-escape-symlink"
        case .hardlink: "hl"
        }
    }

    /// Python tarfile members (it writes what podlab's own writer never would).
    var script: String {
        switch self {
        case .dotdot:
            """
            add(tarfile.TarInfo("etc"), dir=True); add(tarfile.TarInfo("../podlab-pull-escape-dotdot"), data=b"x")
            """
        case .symlink:
            """
            i = tarfile.TarInfo("tmpdir"); i.type = tarfile.SYMTYPE; i.linkname = "/tmp"; add(i)
            add(tarfile.TarInfo("tmpdir/podlab-pull-escape-symlink"), data=b"x")
            """
        case .hardlink:
            """
            i = tarfile.TarInfo("hl"); i.type = tarfile.LNKTYPE; i.linkname = "../../../../etc/passwd"; add(i)
            """
        }
    }
}

enum HostileImage {
    static func build(_ hostile: HostileLayer, in layout: String) throws -> String {
        try TarLayersImage.build([hostile.script], in: layout, tag: "evil")
    }
}

/// An image whose layers are tar files Python's tarfile writes from `scripts` (one per layer,
/// bottom first; each calls `add(TarInfo, data=bytes, dir=Bool)`), as an OCI layout tagged `tag`.
enum TarLayersImage {
    static func build(_ scripts: [String], in layout: String, tag: String) throws -> String {
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        var layers: [ContentDescriptor] = []
        for body in scripts {
            let layerPath = layout + "/layer.tar"
            let script = """
                import io, sys, tarfile
                t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
                def add(info, data=None, dir=False):
                    if dir: info.type = tarfile.DIRTYPE; info.mode = 0o755
                    if data is not None: info.size = len(data)
                    t.addfile(info, io.BytesIO(data) if data is not None else None)
                \(body)
                t.close()
                """
            try run(["python3", "-c", script, layerPath])
            let layerBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: layerPath)))
            try FileManager.default.removeItem(atPath: layerPath)
            layers.append(try OCILayoutWriter.blob(layerBytes, in: layout))
        }
        let config = try OCILayoutWriter.blob(try OCILayoutWriter.json([
            "architecture": PlatformSelector.host.architecture, "os": "linux", "config": [:] as [String: Any],
            "rootfs": ["type": "layers", "diff_ids": layers.map(\.digest)],
        ]), in: layout)
        let manifest = try OCILayoutWriter.blob(try OCILayoutWriter.json([
            "schemaVersion": 2, "mediaType": ManifestMediaType.ociManifest,
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": config.size],
            "layers": layers.map { ["mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": $0.digest, "size": $0.size] as [String: Any] },
        ]), in: layout)
        try OCILayoutWriter.finish(layout, top: manifest, mediaType: ManifestMediaType.ociManifest, tag: tag)
        return layout
    }
}
