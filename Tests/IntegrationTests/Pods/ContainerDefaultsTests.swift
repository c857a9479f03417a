import Foundation
import Testing

extension PodTests {
    /// Issue 12 items 8, 9 and 11, docs/FIDELITY.md #80–#94: what a container finds in /dev and
    /// /sys/fs/cgroup, its HOME and working directory, start errors, configMap subPath files.
    @Suite("container defaults: /dev, /sys/fs/cgroup, HOME, workingDir, start errors, configMap subPath")
    struct ContainerDefaultsTests {
        @Test("/dev has runc's mknod'd nodes, symlinks and ptmx link, its own devpts (ptmxmode 0666) and mqueue")
        func devSymlinks() throws {
            let cli = try PodlabCLI("devSymlinks")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: dev}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["sleep", "3600"]}
                """)
            func run(_ script: String) throws -> CommandResult { try cli.exec("dev", "app", "sh", "-c", script) }
            // #80: runc setupDevSymlinks.
            #expect(try run("for l in fd stdin stdout stderr; do readlink /dev/$l; done").output
                == "/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2")
            if FileManager.default.fileExists(atPath: "/proc/kcore") {
                #expect(try run("readlink /dev/core").output == "/proc/kcore")
            }
            let echoed = try run("echo to-stderr > /dev/stderr")
            #expect(echoed.status == 0)
            #expect(echoed.stderr.contains("to-stderr"), "\(echoed)")
            // #81: a devpts instance of its own with a 0666 ptmx, and a POSIX mqueue fs.
            let mounts = try run("cat /proc/mounts").stdout
            let devpts = mounts.split(separator: "\n").first { $0.contains(" /dev/pts devpts ") }.map(String.init) ?? ""
            #expect(devpts.contains("ptmxmode=666"), "\(mounts)")
            #expect(mounts.contains(" /dev/mqueue mqueue "), "\(mounts)")
            // #226: runc setupPtmx: /dev/ptmx is a link to the container's own ptmx.
            #expect(try run("readlink /dev/ptmx").output == "pts/ptmx")
            #expect(try run("stat -L -c %a /dev/ptmx").output == "666")

            // #225: runc createDevices: character nodes made with mknod in the /dev tmpfs, 0666
            // and root's, not binds of the host's devtmpfs nodes (before: six devtmpfs mounts,
            // and /proc/kcore's mask bound from one of them).
            let mountinfo = try run("cat /proc/self/mountinfo").stdout
            #expect(mountinfo.contains(" /dev rw,"), "\(mountinfo)")
            let devtmpfs = mountinfo.split(separator: "\n").filter { $0.contains(" - devtmpfs ") }
            #expect(devtmpfs.isEmpty, "devtmpfs mounts inside the container: \(devtmpfs)")
            for mountPoint in ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"] {
                #expect(!mountinfo.contains(" \(mountPoint) "), "\(mountPoint) is a mount: \(mountinfo)")
            }
            // stat's %t:%T are hex: 1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom, 5:0 tty.
            let nodes = try run("for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a %u:%g' /dev/$d; done").output
            #expect(nodes == """
                /dev/null character special file 1:3 666 0:0
                /dev/zero character special file 1:5 666 0:0
                /dev/full character special file 1:7 666 0:0
                /dev/random character special file 1:8 666 0:0
                /dev/urandom character special file 1:9 666 0:0
                /dev/tty character special file 5:0 666 0:0
                """)
            let listing = try run("ls -l /dev/null").output
            #expect(listing.hasPrefix("crw-rw-rw-") && listing.contains("1,   3"), "\(listing)")
            // They work: the device cgroup still allows them (runc's AllowedDevices rules).
            #expect(try run("echo gone > /dev/null && head -c 4 /dev/zero | od -An -tx1").output == "00 00 00 00")
            #expect(try run("head -c 16 /dev/urandom | wc -c").output == "16")
            let full = try run("echo x > /dev/full")
            #expect(full.status != 0 && full.stderr.contains("No space left on device"), "\(full)")
        }

        @Test("/sys/fs/cgroup shows the container's own cgroup, read-only: its memory limit is readable inside")
        func cgroupMount() throws {
            let cli = try PodlabCLI("cgroupMount")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: cg}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: app
                    image: busybox
                    command: ["sleep", "3600"]
                    resources:
                      limits: {memory: 96Mi}
                """)
            func run(_ script: String) throws -> CommandResult { try cli.exec("cg", "app", "sh", "-c", script) }
            let v2 = try run("test -e /sys/fs/cgroup/cgroup.controllers").status == 0
            let limitFile = v2 ? "/sys/fs/cgroup/memory.max" : "/sys/fs/cgroup/memory/memory.limit_in_bytes"
            #expect(try run("cat \(limitFile)").output == "\(96 * 1024 * 1024)", "the container's own limit, not the host root's")
            // The processes file lists the container's own processes only (its cgroup, not the host's root).
            let procs = v2 ? "/sys/fs/cgroup/cgroup.procs" : "/sys/fs/cgroup/memory/cgroup.procs"
            let listed = try run("cat \(procs)").output.split(separator: "\n")
            #expect(!listed.isEmpty && listed.count < 10, "\(listed)")
            // Read-only, like containerd's `ro` cgroup mount.
            let write = try run("echo 1 > \(limitFile)")
            #expect(write.status != 0)
            #expect(write.stderr.contains("Read-only file system"), "\(write)")
            let mounts = try run("cat /proc/mounts").stdout
            func options(_ mountPoint: String) -> String {
                let line = mounts.split(separator: "\n").first { $0.split(separator: " ").dropFirst().first.map(String.init) == mountPoint }
                return line.map { String($0.split(separator: " ")[3]) } ?? "(not mounted)"
            }
            if v2 {
                #expect(options("/sys/fs/cgroup").hasPrefix("ro,"), "\(mounts)")
            } else {
                // #227: runc's mountCgroupV1 leaves the tmpfs read-write (nosuid, nodev, noexec),
                // as containerd shows; the hierarchy binds are read-only.
                #expect(options("/sys/fs/cgroup").hasPrefix("rw,nosuid,nodev,noexec"), "\(mounts)")
                #expect(options("/sys/fs/cgroup/memory").hasPrefix("ro,nosuid,nodev,noexec"), "\(mounts)")
                #expect(try run("mkdir /sys/fs/cgroup/x && rmdir /sys/fs/cgroup/x").status == 0,
                        "the tmpfs holding the v1 hierarchies is writable, as under runc")
                #expect(try run("ls /sys/fs/cgroup").output.split(separator: "\n").contains("memory"))
            }
        }

        @Test("HOME comes from the image's /etc/passwd unless set; a missing workingDir is created 0755")
        func homeAndWorkingDir() throws {
            let cli = try PodlabCLI("homeAndWorkingDir")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: home}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: plain
                    image: busybox
                    workingDir: /srv/app/data
                    command: ["sh", "-c", "pwd > /tmp/pwd; echo $HOME > /tmp/home; exec sleep 3600"]
                  - name: explicit
                    image: busybox
                    command: ["sleep", "3600"]
                    env: [{name: HOME, value: /custom}]
                """)
            try waitUntil("the main process wrote its HOME") { try cli.exec("home", "plain", "test", "-s", "/tmp/home").status == 0 }
            #expect(try cli.exec("home", "plain", "cat", "/tmp/home").output == "/root", "busybox's passwd: root's home is /root")
            #expect(try cli.exec("home", "plain", "sh", "-c", "echo $HOME").output == "/root", "exec gets the same HOME")
            #expect(try cli.exec("home", "explicit", "sh", "-c", "echo $HOME").output == "/custom")
            #expect(try cli.exec("home", "plain", "cat", "/tmp/pwd").output == "/srv/app/data")
            #expect(try cli.exec("home", "plain", "pwd").output == "/srv/app/data", "exec starts in the workingDir too")
            #expect(try cli.exec("home", "plain", "stat", "-c", "%a", "/srv/app/data").output == "755")
        }

        @Test("a missing program is StartError with runc's message in the status; the log stays empty")
        func startErrorMessage() throws {
            let cli = try PodlabCLI("startErrorMessage")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: broken}
                spec:
                  restartPolicy: Never
                  terminationGracePeriodSeconds: 0
                  containers:
                  - {name: app, image: busybox, command: ["no-such-program"]}
                """)
            try waitUntil("the container has terminated") { try cli.inspect("app", pod: "broken")["status"]["kubeState"].string == "terminated" }
            let status = try cli.inspect("app", pod: "broken")["status"]
            #expect(status["reason"].string == "StartError")
            #expect(status["exitCode"].int == 128)
            let message = status["message"].string ?? ""
            #expect(message.contains("exec: \"no-such-program\": executable file not found in $PATH"), "\(message)")
            let log = try cli.run(["logs", "broken", "-c", "app"])
            #expect(!log.stdout.contains("no-such-program") && !log.stdout.contains("podlab:"), "the log is the container's output only: \(log)")
        }

        @Test("a configMap key mounted by subPath is a single file; the configMap volume root is 0777")
        func configMapSubPathFile() throws {
            let cli = try PodlabCLI("configMapSubPathFile")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data:
                  app.conf: "color=blue"
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: sub}
                spec:
                  terminationGracePeriodSeconds: 0
                  volumes:
                  - {name: cfg, configMap: {name: settings}}
                  containers:
                  - name: app
                    image: busybox
                    command: ["sleep", "3600"]
                    volumeMounts:
                    - {name: cfg, mountPath: /etc/app.conf, subPath: app.conf}
                    - {name: cfg, mountPath: /cfg}
                """)
            try waitUntil("the container runs") { try cli.inspect("app", pod: "sub")["status"]["kubeState"].string == "running" }
            #expect(try cli.exec("sub", "app", "cat", "/etc/app.conf").output == "color=blue")
            #expect(try cli.exec("sub", "app", "sh", "-c", "test -f /etc/app.conf && ! test -L /etc/app.conf").status == 0,
                    "a regular file, not the ..data symlink")
            #expect(try cli.exec("sub", "app", "stat", "-c", "%a", "/cfg").output == "777")
        }
    }
}
