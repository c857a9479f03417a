import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// docs/FIDELITY.md #68, #71: the image's /etc/passwd and /etc/group decide the primary gid of a
/// numeric user and its extra groups, read with the image root as `/` so a symlink in a
/// stranger's image cannot make podlab read a host file.
@Suite("Image users and groups (containerd WithUserID / WithAdditionalGIDs)")
struct ImageUserDatabaseTests {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "podlab-image-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/image/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/host", withIntermediateDirectories: true)
    }

    func pod(_ yaml: String) throws -> PodSpec {
        try #require(try ManifestParser().parse(yaml: yaml, file: "p.yaml").pods.first)
    }

    @Test("a numeric user takes its passwd gid; the groups listing its name follow the primary gid")
    func memberships() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n".write(toFile: root + "/image/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\napp:x:1000:app\nwheel:x:10:root,app\naudio:x:29:app\nvideo:x:44:other\n".write(toFile: root + "/image/etc/group", atomically: true, encoding: .utf8)
        let spec = try pod("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              securityContext: {supplementalGroups: [29, 5000]}
              containers:
              - {name: app, image: busybox, securityContext: {runAsUser: 1000}}
              - {name: root, image: busybox}
            """)
        let app = try ContainerSecurity.resolve(container: spec.containers[0], pod: spec, podUID: "u", imageUser: nil, imageRoot: root + "/image")
        #expect(app.uid == 1000)
        #expect(app.gid == 1000, "gid from the passwd entry of uid 1000")
        #expect(app.groups == [1000, 10, 29, 5000], "primary, then wheel and audio (its own group excluded), then supplementalGroups without duplicates")
        let rootUser = try ContainerSecurity.resolve(container: spec.containers[1], pod: spec, podUID: "u", imageUser: nil, imageRoot: root + "/image")
        #expect(rootUser.groups == [0, 10, 29, 5000])
        // A named image user resolves through passwd; an unknown one is a config error.
        #expect(try ContainerSecurity.resolve(container: spec.containers[1], pod: spec, podUID: "u", imageUser: "app", imageRoot: root + "/image").uid == 1000)
        #expect(throws: ContainerConfigError.self) {
            try ContainerSecurity.resolve(container: spec.containers[1], pod: spec, podUID: "u", imageUser: "ghost", imageRoot: root + "/image")
        }
    }

    @Test("an /etc/passwd symlink out of the image resolves inside the image, never to the host file")
    func symlinkStaysInTheImage() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A host file the image's symlink aims at, with an entry that must never be read.
        try "evil:x:4242:4242::/:/bin/sh\n".write(toFile: root + "/host/passwd", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/image/etc/passwd", withDestinationPath: root + "/host/passwd")
        try FileManager.default.createSymbolicLink(atPath: root + "/image/etc/group", withDestinationPath: "../../../../../../../../" + root + "/host/passwd")
        let spec = try pod("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox, securityContext: {runAsUser: 4242}}]}")
        let security = try ContainerSecurity.resolve(container: spec.containers[0], pod: spec, podUID: "u", imageUser: nil, imageRoot: root + "/image")
        #expect(security.gid == 0, "the host file's gid 4242 must not be read")
        #expect(security.groups == [0])
    }
}
