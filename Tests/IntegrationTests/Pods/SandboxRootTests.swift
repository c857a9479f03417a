import Foundation
import Testing

extension PodTests {
    /// Issue 12 item 10, docs/FIDELITY.md #88: pause runs in a read-only root of its own, not on
    /// the host's root.
    @Suite("sandbox: pause's own read-only root")
    struct SandboxRootTests {
        @Test("pause's / is a read-only tmpfs holding /pause and its loader's files, not the host's root")
        func pauseHasItsOwnReadOnlyRoot() throws {
            let cli = try PodlabCLI("pauseRoot")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: sb}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            let pause = try cli.pausePID("sb")
            let root = "/proc/\(pause)/root"
            #expect(FileManager.default.fileExists(atPath: "\(root)/pause"))
            #expect(!FileManager.default.fileExists(atPath: "\(root)/etc/passwd"), "not the host's root")
            #expect(!FileManager.default.fileExists(atPath: "\(root)/bin/sh"), "no shell in the sandbox")
            let entries = Set((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            #expect(entries.contains("pause"))
            #expect(entries.isSubset(of: ["pause", "lib", "lib64", "usr", "opt", "etc"]), "\(entries.sorted())")
            // The root mount, as pause's mount namespace sees it: tmpfs, read-only.
            let mountinfo = try String(contentsOfFile: "/proc/\(pause)/mountinfo", encoding: .utf8)
            let rootLine = mountinfo.split(separator: "\n").first { $0.split(separator: " ").dropFirst(4).first == "/" }.map(String.init) ?? ""
            #expect(rootLine.contains(" - tmpfs "), "\(rootLine)")
            let options = rootLine.split(separator: " ").dropFirst(5).first.map(String.init) ?? ""
            #expect(options.split(separator: ",").contains("ro"), "\(rootLine)")
            // The containers still share pause's namespaces and run normally.
            #expect(try cli.exec("sb", "app", "hostname").output == "sb")
            let statusText = try String(contentsOfFile: "/proc/\(pause)/status", encoding: .utf8)
            #expect(statusText.contains("State:\tS"), "pause sleeps in pause()")
        }
    }
}
