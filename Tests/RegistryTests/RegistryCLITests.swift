import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

/// The commands as users type them: `podlab rootfs export`, `pull` (which execs podlab-pull),
/// `inspect --json`, `ls`, `rm`, `prune`, on the binaries `swift build` made.
@Suite("podlab rootfs pull/export/inspect/rm/prune (CLI)", .serialized)
struct RegistryCLITests {
    @Test("export, push with skopeo, pull by the CLI, inspect, ls, rm and prune")
    func commands() throws {
        let registry = try LocalRegistry.shared()
        let work = try Scratch("cli")
        var env = ProcessInfo.processInfo.environment
        env["PODLAB_ROOTFS_DIR"] = work.paths.rootfsDir
        env["PODLAB_DATA_DIR"] = work.paths.dataDir
        env["PODLAB_STATE_DIR"] = work.paths.stateDir
        env["HOME"] = work.path  // no machine credentials
        env.removeValue(forKey: "REGISTRY_AUTH_FILE")
        let podlab = LocalRegistry.repositoryRoot + "/.build/debug/podlab"
        func cli(_ arguments: String...) throws -> String { try run([podlab] + arguments, environment: env) }

        let tarball = work.path + "/src.tar.gz"
        try writeRootfs(tarball, marker: "cli")
        try cli("rootfs", "import", tarball, "--name", "src:1")
        try cli("rootfs", "export", "src:1", "-o", work.path + "/src-docker.tar", "--format", "docker-archive")
        try registry.push("docker-archive:\(work.path)/src-docker.tar", to: "\(registry.token)/podlab/cli:1")

        let pulled = try cli("rootfs", "pull", "\(registry.token)/podlab/cli:1", "--name", "cli:1", "--quiet")
        #expect(pulled.hasPrefix("cli:1  sha256:"), "\(pulled)")
        let json = try cli("rootfs", "inspect", "cli:1", "--json")
        let record = try JSONDecoder().decode(ImageRecord.self, from: Data(json.utf8))
        #expect(record.pulled?.reference == "\(registry.token)/podlab/cli:1" && record.pulled?.layers.count == 1)
        let text = try cli("rootfs", "inspect", "cli:1")
        #expect(text.contains("Manifest:    \(record.pulled?.manifestDigest ?? "?")") && text.contains("Layers:"), "\(text)")
        let listing = try cli("rootfs", "ls")
        #expect(listing.contains("ENTRYPOINT") && listing.contains("CMD") && listing.contains("cli:1"), "\(listing)")

        // rm, then prune frees the blobs only the removed image used.
        try cli("rootfs", "rm", "cli:1")
        #expect(throws: PodlabError.self) { try cli("rootfs", "inspect", "cli:1") }
        let pruned = try cli("rootfs", "prune")
        #expect(pruned.contains("2 blobs"), "\(pruned)")
        #expect(BlobStore(paths: work.paths).storedDigests().isEmpty)
    }

    @Test("rootfs unpack takes a catalog name with a slash; a missing ./path is a file error, not a catalog lookup")
    func unpackNameWithSlash() throws {
        let work = try Scratch("unpack-slash")
        var env = ProcessInfo.processInfo.environment
        env["PODLAB_ROOTFS_DIR"] = work.paths.rootfsDir
        env["PODLAB_DATA_DIR"] = work.paths.dataDir
        env["PODLAB_STATE_DIR"] = work.paths.stateDir
        let podlab = LocalRegistry.repositoryRoot + "/.build/debug/podlab"
        func cli(_ arguments: String...) throws -> String { try run([podlab] + arguments, environment: env) }
        let tarball = work.path + "/demo.tar.gz"
        try writeRootfs(tarball, marker: "slash")
        try cli("rootfs", "import", tarball, "--name", "podlab/demo:1")
        // Was: every argument with a slash was opened as a tarball ("open(podlab/demo:1): no such file").
        let unpacked = try cli("rootfs", "unpack", "podlab/demo:1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(unpacked.hasPrefix(work.paths.dataDir + "/images/"), "\(unpacked)")
        #expect(try String(contentsOfFile: unpacked + "/etc/platform", encoding: .utf8) == "slash\n")
        let missing = #expect(throws: (any Error).self) { try cli("rootfs", "unpack", "./no-such.tar.gz") }
        #expect("\(missing.map { "\($0)" } ?? "")".contains("no-such.tar.gz"))
    }
}
