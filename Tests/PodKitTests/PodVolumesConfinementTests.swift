import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// Issue 10 #1–#2: volume files are written, and subPaths resolved, through directory fds under
/// the volume (openat2 RESOLVE_BENEATH), so a hostile key or a planted symlink cannot name a
/// path outside it — even where the manifest parser's validation would be bypassed.
@Suite("Volumes are confined to their directory")
struct PodVolumesConfinementTests {
    let root: String
    let volumes: PodVolumes

    init() throws {
        root = NSTemporaryDirectory() + "podlab-volumes-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/pod/volumes/cfg", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/outside", withIntermediateDirectories: true)
        volumes = PodVolumes(podDirectory: root + "/pod")
    }

    func outsideIsEmpty() throws -> Bool { try FileManager.default.contentsOfDirectory(atPath: root + "/outside").isEmpty }

    @Test func aConfigMapKeyWithDotDotIsRefusedAndWritesNothingOutside() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: PodlabError.self) {
            try volumes.writeConfigMap(["x/../../../../outside/pwned": "owned"], items: [], defaultMode: 0o644, into: root + "/pod/volumes/cfg")
        }
        #expect(try outsideIsEmpty())
    }

    @Test func anItemPathThroughASymlinkIsRefused() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A directory of the data dir that is a symlink out: the walk must not follow it. The
        // writer makes a fresh data dir per call, so plant the link in a key's parent instead:
        // an absolute path is refused before any file is created.
        #expect(throws: PodlabError.self) {
            try volumes.writeConfigMap(["k": "v"], items: [KeyToPath(key: "k", path: root + "/outside/abs", mode: nil)],
                                       defaultMode: 0o644, into: root + "/pod/volumes/cfg")
        }
        #expect(try outsideIsEmpty())
    }

    @Test func outOfRangeModesAreErrorsNotTraps() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        for mode in [-1, 99_999_999_999, 0o1000] {
            #expect(throws: PodlabError.self) {
                try volumes.writeConfigMap(["k": "v"], items: [KeyToPath(key: "k", path: "k", mode: mode)], defaultMode: 0o644,
                                           into: root + "/pod/volumes/cfg")
            }
        }
    }

    @Test func nestedItemPathsLandInsideWithTheirMode() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try volumes.writeConfigMap(["k": "v"], items: [KeyToPath(key: "k", path: "conf/deep/k.conf", mode: 0o640)], defaultMode: 0o644,
                                   into: root + "/pod/volumes/cfg")
        let file = root + "/pod/volumes/cfg/conf/deep/k.conf"
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "v")
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/pod/volumes/cfg/conf") == "..data/conf")
    }

    @Test func subPathsResolveInsideTheVolumeOnly() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let volume = root + "/pod/volumes/cfg"
        try FileManager.default.createSymbolicLink(atPath: volume + "/abs", withDestinationPath: root + "/outside")
        try FileManager.default.createSymbolicLink(atPath: volume + "/up", withDestinationPath: "../../../outside")
        try FileManager.default.createDirectory(atPath: volume + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: volume + "/inside", withDestinationPath: "real")
        for hostile in ["abs", "abs/new", "up", "up/new", "../x", "/etc"] {
            #expect(throws: PodlabError.self, "\(hostile)") { try volumes.prepareSubPath(volume: "cfg", subPath: hostile) }
        }
        #expect(try outsideIsEmpty())
        #expect(try volumes.prepareSubPath(volume: "cfg", subPath: "inside/created/below") == false)
        #expect(FileManager.default.fileExists(atPath: volume + "/real/created/below"))
        #expect(throws: PodlabError.self) { try volumes.path(of: "../escape") }
    }
}
