import Foundation
import Glibc
import LabKit
import PodKit
import RootfsKit

/// The fuzz targets' bodies: each feeds one input to the code podlab runs on a stranger's file,
/// the way the command does after reading it. A thrown error is the parser doing its job; a trap,
/// an ASan report or a leak is a finding. The regression tests (Tests/PodKitTests/
/// ManifestFuzzRegressionTests.swift, Tests/LabKitTests/LabFuzzRegressionTests.swift,
/// Tests/RootfsKitTests/ArchiveFuzzRegressionTests.swift) make the same calls on
/// Fuzz/regressions/<target>/*.
public enum FuzzTargets {
    /// The file as `podlab apply -f` and labs read it (YAMLCursor.documents(atPath:)): UTF-8 or refused.
    static func text(_ data: UnsafeRawBufferPointer) -> String? {
        String(data: Data(data), encoding: .utf8)
    }

    /// `podlab apply -f FILE`: ManifestParser, then what apply derives from the specs before it
    /// creates anything (the pod key, the record's JSON round trip).
    public static func manifest(_ data: UnsafeRawBufferPointer) {
        guard let yaml = text(data), let parsed = try? ManifestParser().parse(yaml: yaml, file: "fuzz.yaml") else { return }
        for pod in parsed.pods { _ = PodRecord.key(name: pod.name, namespace: pod.namespace) }
        if let json = try? JSONEncoder().encode(parsed.pods) { _ = try? JSONDecoder().decode([PodSpec].self, from: json) }
    }

    /// `podlab lint FILE` (LabParser: YAML, field tables, cross-field rules), then `podlab docs`
    /// on what parsed. `directory` anchors relative manifest paths (only checked for existence).
    public static func lab(_ data: UnsafeRawBufferPointer, directory: String) {
        guard let yaml = text(data), let lab = try? LabParser.parse(yaml: yaml, file: directory + "/fuzz.lab.yaml") else { return }
        _ = LabHandout.render(lab)
    }

    /// `podlab rootfs import` / the image cache (SafeExtractor over ArchiveReader) into a fresh
    /// directory, then the same archive again as an OCI layer over what it left (whiteouts,
    /// replacing existing entries). `scratch` must be a directory only this process uses.
    public static func archive(_ data: UnsafeRawBufferPointer, scratch: String) {
        let archive = scratch + "/input"
        let root = scratch + "/rootfs"
        let fd = open(archive, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: open(\(archive)): \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < data.count, let base = data.baseAddress {
            let written = write(fd, base + offset, data.count - offset)
            guard written > 0 else { fatalError("fuzz harness: write(\(archive)): \(String(cString: strerror(errno)))") }
            offset += written
        }
        close(fd)
        guard mkdir(root, 0o755) == 0 else { fatalError("fuzz harness: mkdir(\(root)): \(String(cString: strerror(errno)))") }
        defer {
            do { try FileManager.default.removeItem(atPath: root) } catch { fatalError("fuzz harness: cannot empty \(root): \(error)") }
        }
        _ = try? SafeExtractor().extract(archive: archive, into: root)
        _ = try? SafeExtractor(options: ExtractionOptions(applyWhiteouts: true)).extract(archive: archive, into: root)
    }

    /// A directory for one fuzzing process: `$PODLAB_FUZZ_SCRATCH` (scripts/fuzz mounts a tmpfs
    /// there), else a new one under `$TMPDIR`.
    public static func scratchDirectory() -> String {
        if let dir = ProcessInfo.processInfo.environment["PODLAB_FUZZ_SCRATCH"] { return dir }
        var template = Array((NSTemporaryDirectory() + "podlab-fuzz-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("fuzz harness: mkdtemp: \(String(cString: strerror(errno)))") }
        return String(cString: made)
    }
}
