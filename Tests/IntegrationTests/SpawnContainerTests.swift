import Foundation
import PodKit
import PodlabCore
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An app container next to a pause sandbox, built like containerd + runc build one: joins pause's
/// net/ipc/uts by /proc path, own mnt+pid namespaces, overlay rootfs of a busybox image, the
/// Kubernetes /etc files, containerd's capabilities, masked and read-only paths.
@Suite("spawn: an app container in a pause sandbox", .enabled(if: SpawnFixtures.isRoot), .serialized)
struct SpawnContainerTests {
    /// A sandbox plus an image and everything one container attempt needs, under one temp dir.
    struct Pod {
        let dir: String
        let pause: PauseSandbox
        let hostname = "spawn-web"
        let podIP = "10.250.7.9"
        var image: String { dir + "/image" }

        /// Per attempt: fresh upper/work/merged dirs, as a restart gets (docs/FIDELITY.md #18).
        func filesystem(attempt: Int) throws -> ContainerFilesystem {
            let base = dir + "/ctr/\(attempt)"
            for sub in ["upper", "work", "rootfs"] {
                try FileManager.default.createDirectory(atPath: base + "/" + sub, withIntermediateDirectories: true)
            }
            return ContainerFilesystem(
                imageDir: image, upperDir: base + "/upper", workDir: base + "/work", rootfs: base + "/rootfs",
                podShmDir: dir + "/shm", hostsFile: dir + "/etc-hosts", hostnameFile: dir + "/hostname",
                resolvConfFile: dir + "/resolv.conf",
                volumes: [.init(hostPath: dir + "/vol", containerPath: "/data", readOnly: true)])
        }

        func request(_ arguments: [String], attempt: Int) throws -> SpawnRequest {
            let fs = try filesystem(attempt: attempt)
            let plan = try ContainerMountPlan.make(for: fs)
            var request = SpawnRequest(arguments: arguments)
            request.join = .pod(sandboxPid: pause.pid)
            request.newNamespaces = .container
            request.rootfs = fs.rootfs
            request.mounts = plan.mounts
            request.devices = plan.devices
            request.maskedPaths = ContainerDefaults.maskedPaths
            request.readonlyPaths = ContainerDefaults.readonlyPaths
            request.mountProc = true
            request.capabilities = ContainerDefaults.capabilities
            request.noNewPrivileges = true
            request.environment = [ContainerDefaults.pathEnvironment, "HOSTNAME=\(hostname)"]
            return request
        }

        static func start() throws -> Pod {
            let dir = try SpawnFixtures.makeTempDir("pod")
            do {
                for sub in ["image", "shm", "vol"] {
                    try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
                }
                try SpawnFixtures.makeBusyboxImage(at: dir + "/image")
                let pause = try PauseSandbox.start(hostname: "spawn-web", in: dir)
                let pod = Pod(dir: dir, pause: pause)
                try PodFiles.write(PodFiles.hosts(podIPs: [pod.podIP], hostname: pod.hostname), to: dir + "/etc-hosts")
                try PodFiles.write(PodFiles.hostname(pod.hostname), to: dir + "/hostname")
                try PodFiles.write(try PodFiles.resolvConf(), to: dir + "/resolv.conf")
                return pod
            } catch {
                SpawnFixtures.removeTree(dir)
                throw error
            }
        }

        func stop() {
            SpawnFixtures.killAndReap(pause.pid)
            SpawnFixtures.removeTree(dir)
        }
    }

    static let probeScript = """
        echo "hostname=$(hostname)"
        echo "pid=$$"
        echo '--- hosts'; cat /etc/hosts; echo '--- end'
        grep -E 'CapEff|NoNewPrivs' /proc/self/status
        echo "sysctl=$( (echo x > /proc/sys/kernel/hostname) 2>&1)"
        echo "keys=$(wc -c < /proc/keys)"
        echo "acpi=$(ls -A /proc/acpi | wc -l)"
        echo "kcore=$(stat -c %t:%T /proc/kcore 2>/dev/null || echo absent)"
        echo "data=$( (touch /data/x) 2>&1)"
        echo "devnull=$(stat -c %t:%T /dev/null)"
        for ns in net ipc uts mnt pid; do echo "ns.$ns=$(readlink /proc/self/ns/$ns)"; done
        exit 3
        """

    /// `key=value` lines of the probe's output.
    static func values(_ output: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix("---") else { continue }
            result[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return result
    }

    @Test func containerSeesThePodAndIsConfinedLikeAContainerdContainer() throws {
        let pod = try Pod.start()
        defer { pod.stop() }
        let outPath = pod.dir + "/probe.out"
        let out = try SpawnFixtures.openOutput(outPath)
        defer { try? out.close() }

        var request = try pod.request(["sh", "-c", Self.probeScript], attempt: 0)
        request.stdout = out
        request.stderr = out
        request.waitForExit = true
        let result = try ProcessSpawner().spawn(request)
        let output = SpawnFixtures.read(outPath)
        #expect(result.exit == .exited(3), "wait_for_exit passes the exit code through; output:\n\(output)")

        let v = Self.values(output)
        #expect(v["hostname"] == pod.hostname, "the hostname set in pause's UTS namespace")
        #expect(v["pid"] == "1", "own PID namespace: the app is PID 1")
        let hosts = output.components(separatedBy: "--- hosts\n").last?.components(separatedBy: "--- end").first
        #expect(hosts == PodFiles.hosts(podIPs: [pod.podIP], hostname: pod.hostname))
        #expect(output.contains("CapEff:\t\(ContainerDefaults.capabilities.hexMask)\n"))
        #expect(output.contains("NoNewPrivs:\t1\n"))
        #expect(v["sysctl"]?.contains("Read-only file system") == true, "/proc/sys is read-only: \(v["sysctl"] ?? "")")
        #expect(v["keys"] == "0", "/proc/keys is masked by /dev/null")
        #expect(v["acpi"] == "0", "/proc/acpi is masked by an empty tmpfs")
        if FileManager.default.fileExists(atPath: "/proc/kcore") {
            #expect(v["kcore"] == "1:3", "/proc/kcore is /dev/null inside")
        } else {
            #expect(v["kcore"] == "absent", "the host kernel has no /proc/kcore, so nothing to mask")
        }
        #expect(v["data"]?.contains("Read-only file system") == true, "readOnly volume")
        #expect(v["devnull"] == "1:3")

        for kind in ["net", "ipc", "uts"] {
            #expect(v["ns.\(kind)"] == (try SpawnFixtures.namespace(kind, of: pod.pause.pid)), "\(kind) is the pod's")
        }
        for kind in ["mnt", "pid"] {
            let inside = try #require(v["ns.\(kind)"])
            #expect(inside != (try SpawnFixtures.namespace(kind, of: pod.pause.pid)), "\(kind) is the container's own")
            #expect(inside != (try SpawnFixtures.namespace(kind, of: getpid())))
        }
        // The container's writes went to its upper layer, never to the shared image.
        #expect(!FileManager.default.fileExists(atPath: pod.image + "/etc/hosts"))
        #expect(FileManager.default.fileExists(atPath: pod.dir + "/ctr/0/upper/etc/hosts"))
        // Every mount lived in the container's mount namespace, which died with it.
        #expect(SpawnFixtures.mounts(under: pod.dir).isEmpty)
    }

    @Test func aMissingProgramInTheImageFailsAtExecveWithENOENT() throws {
        let pod = try Pod.start()
        defer { pod.stop() }
        var request = try pod.request(["/bin/nope"], attempt: 0)
        request.waitForExit = true
        let error = try #require(throws: PodlabError.self) { try ProcessSpawner().spawn(request) }
        #expect(error.message == "execve(/bin/nope)")
        #expect(error.cause as? Errno == .noSuchFileOrDirectory)
        #expect(SpawnFixtures.mounts(under: pod.dir).isEmpty)
    }

    @Test func aBadMountNamesTheMountAndItsTarget() throws {
        let pod = try Pod.start()
        defer { pod.stop() }
        var request = try pod.request(["true"], attempt: 0)
        request.mounts[0].data = "lowerdir=\(pod.dir)/missing-image,upperdir=\(pod.dir)/ctr/0/upper,workdir=\(pod.dir)/ctr/0/work"
        let error = try #require(throws: PodlabError.self) { try ProcessSpawner().spawn(request) }
        #expect(error.message == "mount(overlay, \(pod.dir)/ctr/0/rootfs)")
        #expect(SpawnFixtures.mounts(under: pod.dir).isEmpty)
    }

    @Test func theProcessIsInItsCgroupBeforeItRuns() throws {
        let v2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        let hierarchy = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids"
        guard FileManager.default.fileExists(atPath: hierarchy + "/cgroup.procs") else { return }
        let name = "podlab-spawn-test-\(getpid())"
        let cgroup = hierarchy + "/" + name
        try FileManager.default.createDirectory(atPath: cgroup, withIntermediateDirectories: false)
        defer { rmdir(cgroup) }
        let pod = try Pod.start()
        defer { pod.stop() }
        let outPath = pod.dir + "/cgroup.out"
        let out = try SpawnFixtures.openOutput(outPath)
        defer { try? out.close() }

        var request = try pod.request(["cat", "/proc/self/cgroup"], attempt: 0)
        request.cgroupProcsFiles = [cgroup + "/cgroup.procs"]
        request.stdout = out
        request.waitForExit = true
        #expect(try ProcessSpawner().spawn(request).exit == .exited(0))
        // The first thing the program ran already belonged to the cgroup.
        #expect(SpawnFixtures.read(outPath).contains("/\(name)\n"))
    }

    /// Twenty attempts in a row, each on a fresh writable layer, as restarts do (timing is for
    /// the benchmark scripts, not asserted here).
    @Test func twentyAttemptsInARowEachRunAndLeaveNoMount() throws {
        let pod = try Pod.start()
        defer { pod.stop() }
        for attempt in 0..<20 {
            var request = try pod.request(["true"], attempt: attempt)
            request.waitForExit = true
            #expect(try ProcessSpawner().spawn(request).exit == .exited(0))
        }
        #expect(SpawnFixtures.mounts(under: pod.dir).isEmpty)
    }

    /// A hostile image whose `/etc` and `/data` are absolute symlinks to a host directory: the
    /// files podlab creates to bind /etc/hosts and the volume onto must stay inside the image
    /// (resolved with RESOLVE_IN_ROOT, like runc's securejoin), never appear on the host.
    @Test func symlinksInTheImageCannotPointMountTargetsAtTheHost() throws {
        let pod = try Pod.start()
        defer { pod.stop() }
        let outside = try SpawnFixtures.makeTempDir("outside")
        defer { SpawnFixtures.removeTree(outside) }
        try FileManager.default.removeItem(atPath: pod.image + "/etc")
        try FileManager.default.createSymbolicLink(atPath: pod.image + "/etc", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: pod.image + "/data", withDestinationPath: outside + "/vol")
        let outPath = pod.dir + "/hostile.out"
        let out = try SpawnFixtures.openOutput(outPath)
        defer { try? out.close() }
        var request = try pod.request(["sh", "-c", "cat /etc/hostname; ls /data >/dev/null && echo data-ok"], attempt: 0)
        request.stdout = out
        request.waitForExit = true
        #expect(try ProcessSpawner().spawn(request).exit == .exited(0))
        #expect(SpawnFixtures.read(outPath) == "spawn-web\ndata-ok\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "podlab created files on the host through the image's symlinks")
        #expect(SpawnFixtures.mounts(under: pod.dir).isEmpty)
    }

    /// Issue 10 #4: an image whose `dev` climbs out of the rootfs through another symlink
    /// (`usr/lib -> /x/y/z/w`, `dev -> ../../../../../../usr/lib/../../dev`) resolves to the
    /// host's /dev on the host, so binding "<rootfs>/dev/pts/ptmx" by path used the host's
    /// devpts for the container's /dev/ptmx. Sources inside the image now resolve inside it.
    @Test func anImageSymlinkCannotGiveTheContainerTheHostsPtmx() throws {
        let pod = try Pod.start()
        defer { pod.stop() }
        try? FileManager.default.removeItem(atPath: pod.image + "/dev")
        try FileManager.default.createDirectory(atPath: pod.image + "/usr", withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: pod.image + "/usr/lib")
        try FileManager.default.createSymbolicLink(atPath: pod.image + "/usr/lib", withDestinationPath: "/x/y/z/w")
        let climb = String(repeating: "../", count: pod.image.split(separator: "/").count + 2)
        try FileManager.default.createSymbolicLink(atPath: pod.image + "/dev", withDestinationPath: climb + "usr/lib/../../dev")
        var hostPtmx = stat()
        #expect(stat("/dev/pts/ptmx", &hostPtmx) == 0)
        let outPath = pod.dir + "/ptmx.out"
        let out = try SpawnFixtures.openOutput(outPath)
        defer { try? out.close() }
        // /dev/ptmx is runc's `pts/ptmx` link now (docs/FIDELITY.md #226): followed, it must
        // land on the container's own devpts.
        var request = try pod.request(["sh", "-c", "stat -L -c %d /dev/ptmx /dev/pts/ptmx"], attempt: 0)
        request.stdout = out
        request.waitForExit = true
        #expect(try ProcessSpawner().spawn(request).exit == .exited(0))
        let devices = SpawnFixtures.read(outPath).split(separator: "\n").map(String.init)
        #expect(devices.count == 2)
        #expect(devices.first == devices.last, "/dev/ptmx is not the container's own devpts: \(devices)")
        #expect(devices.first != String(hostPtmx.st_dev), "/dev/ptmx is the host's devpts")
        #expect(SpawnFixtures.mounts(under: pod.dir).isEmpty)
    }
}
