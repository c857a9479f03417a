import Foundation
import RootfsKit
import Testing

extension PodTests {
    /// docs/FIDELITY.md #71 on real pods: the groups a container's process has come from the
    /// image's `/etc/group` as containerd's CRI computes them. `containerSpecOpts`
    /// (`internal/cri/server/container_create_linux.go`) calls
    /// `customopts.WithAdditionalGIDs(runAsUsername, else strconv(runAsUser.GetValue()))`: the
    /// user looked up is runAsUser, or uid 0 when the pod sets none — never the image's `USER`
    /// ("Even if RunAsUser is not set, we still call `GetValue` to get uid 0"). containerd's
    /// `oci.WithAdditionalGIDs` keeps the groups whose member list names that user, except the
    /// group named like the user, and puts the primary gid first; `WithSupplementalGroups` then
    /// adds the pod's supplementalGroups, into which kubelet has put fsGroup.
    ///
    /// The kernel sorts the list at setgroups(2) (`groups_sort`), so `Groups:` in
    /// /proc/<pid>/status and `id` show the set in ascending order whatever order podlab passes.
    @Suite("the image's group memberships")
    struct ImageGroupsTests {
        /// The second layer's `/etc/passwd`: `app`'s primary group is `users` (100), not its own.
        static let passwd = """
            root:x:0:0:root:/root:/bin/sh
            app:x:1000:100:app:/home/app:/bin/sh
            nobody:x:65534:65534:nobody:/home:/bin/false

            """
        /// `app` is listed in wheel, audio, video and its own group `app` (excluded: same name);
        /// root in wheel and staff.
        static let group = """
            root:x:0:
            wheel:x:10:root,app
            audio:x:29:app
            video:x:44:other,app
            staff:x:50:root
            users:x:100:
            app:x:1000:app
            nogroup:x:65534:

            """

        /// A `docker save` archive: podlab's busybox rootfs, then `/etc/passwd` and `/etc/group`
        /// above, and a config whose `User` is `app`.
        static func writeImage(to path: String, scratch: String) throws {
            try TestImageArchive.write(to: path, scratch: scratch, files: [("etc/passwd", passwd), ("etc/group", group)],
                                       config: #""User":"app","Cmd":["sh"]"#)
        }

        @Test("runAsUser: its /etc/group memberships; image USER only: root's (containerd looks up uid 0); supplementalGroups and fsGroup added")
        func memberships() throws {
            let cli = try PodlabCLI("imageGroups")
            defer { cli.tearDown() }
            let scratch = "\(cli.directory)/image"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            let image = "groups-\(cli.namespace):1"
            try Self.writeImage(to: "\(scratch)/image.tar", scratch: scratch)
            // Into the run's own catalog (PODLAB_ROOTFS_DIR below the run's root), which the
            // end-of-run check removes with everything else of the run.
            try cli.succeed(["rootfs", "import", "\(scratch)/image.tar", "--name", image], timeout: 120)
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: groups}
                spec:
                  terminationGracePeriodSeconds: 0
                  securityContext:
                    supplementalGroups: [4000]
                    fsGroup: 5000
                  containers:
                  - name: byuid
                    image: \(image)
                    command: [sleep, "3600"]
                    securityContext: {runAsUser: 1000}
                  - name: byimage
                    image: \(image)
                    command: [sleep, "3600"]
                  - name: byroot
                    image: \(image)
                    command: [sleep, "3600"]
                    securityContext: {runAsUser: 0}
                  - name: bygroup
                    image: \(image)
                    command: [sleep, "3600"]
                    securityContext: {runAsUser: 1000, runAsGroup: 3000}
                """)
            let containers = ["byuid", "byimage", "byroot", "bygroup"]
            try waitUntil("the containers run", timeout: 20) {
                try containers.allSatisfy { try cli.inspect($0, pod: "groups")["status"]["kubeState"].string == "running" }
            }
            // (uid, gid, Groups: of /proc/<pid>/status) per container.
            let expected: [String: (uid: String, gid: String, groups: String)] = [
                // app's groups (wheel, audio, video; not its own-named group 1000), its passwd
                // gid 100 first, then 4000 and fsGroup 5000.
                "byuid": ("1000", "100", "10 29 44 100 4000 5000"),
                // Runs as the image's app (uid 1000, gid 100) but gets root's memberships
                // (wheel, staff), not app's: containerd's lookup is for uid 0.
                "byimage": ("1000", "100", "10 50 100 4000 5000"),
                "byroot": ("0", "0", "0 10 50 4000 5000"),
                // runAsGroup replaces the primary gid; the memberships are still app's.
                "bygroup": ("1000", "3000", "10 29 44 3000 4000 5000"),
            ]
            for name in containers {
                guard let want = expected[name] else { continue }
                let status = try procStatus(try cli.pid(name, pod: "groups"))
                #expect(status["Uid"] == Array(repeating: want.uid, count: 4).joined(separator: "\t"), "\(name): \(status["Uid"] ?? "")")
                #expect(status["Gid"] == Array(repeating: want.gid, count: 4).joined(separator: "\t"), "\(name): \(status["Gid"] ?? "")")
                #expect(status["Groups"] == want.groups, "\(name): Groups \(status["Groups"] ?? "")")
                // Inside, through exec (runc exec gives the process the container's user): the same set.
                let inside = try cli.exec("groups", name, "cat", "/proc/self/status").stdout
                let line = inside.split(separator: "\n").first { $0.hasPrefix("Groups:") }.map { $0.dropFirst("Groups:".count).trimmingCharacters(in: .whitespaces) }
                #expect(line == want.groups, "\(name): exec sees Groups \(line ?? "none")")
            }
            // `id` names the groups from the image's /etc/group.
            let id = try cli.exec("groups", "byuid", "id").output
            #expect(id == "uid=1000(app) gid=100(users) groups=10(wheel),29(audio),44(video),100(users),4000,5000", "\(id)")
        }
    }
}
