import Foundation
import RootfsKit

/// A `docker save` archive for tests that need an image config or files busybox lacks:
/// podlab's busybox rootfs as the first layer, `files` as a second layer, and a config
/// whose `config` object holds `config` (JSON members, e.g. `"User":"app"`) and the usual PATH.
/// Import it with `podlab rootfs import PATH --name NAME`.
enum TestImageArchive {
    static func write(to path: String, scratch: String, files: [(name: String, text: String)], config: String) throws {
        let base = "\(scratch)/base.tar.gz"
        _ = try BusyboxRootfsBuilder().build(to: base)
        let upper = "\(scratch)/upper.tar"
        let layer = try ArchiveWriter(path: upper, compression: .none)
        var directories: Set<String> = []
        for file in files {
            var parent = ""
            for component in file.name.split(separator: "/").dropLast() {
                parent += (parent.isEmpty ? "" : "/") + component
                if directories.insert(parent).inserted {
                    try layer.write(TarEntryHeader(path: parent, kind: .directory, permissions: 0o755))
                }
            }
            try add(file.name, Data(file.text.utf8), to: layer)
        }
        try layer.finish()
        let document = #"{"architecture":"amd64","os":"linux","config":{"#
            + config + #","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":[]}}"#
        let manifest = #"[{"Config":"config.json","RepoTags":[],"Layers":["base.tar.gz","upper.tar"]}]"#
        let archive = try ArchiveWriter(path: path, compression: .none)
        try add("manifest.json", Data(manifest.utf8), to: archive)
        try add("config.json", Data(document.utf8), to: archive)
        try add("base.tar.gz", try Data(contentsOf: URL(fileURLWithPath: base)), to: archive)
        try add("upper.tar", try Data(contentsOf: URL(fileURLWithPath: upper)), to: archive)
        try archive.finish()
    }

    static func add(_ name: String, _ data: Data, to writer: ArchiveWriter) throws {
        var header = TarEntryHeader(path: name, kind: .regular, permissions: 0o644)
        header.size = Int64(data.count)
        try data.withUnsafeBytes { try writer.write(header, data: $0) }
    }
}
