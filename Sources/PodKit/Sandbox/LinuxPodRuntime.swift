import Cgroups
import Foundation
import PodNetwork
import PodlabCore
import SystemPackage

/// Where the runtime's own files live and which binaries it runs.
public enum PodRuntimeFiles {
    /// The pause binary: `PODLAB_PAUSE`, else `pause` next to the running `podlab`.
    public static func pauseBinary(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["PODLAB_PAUSE"] { return explicit }
        let exe = PodLauncher.currentExecutable()
        return (exe as NSString).deletingLastPathComponent + "/pause"
    }
}

/// The real `PodRuntime`: a pod as containerd + runc + pause build it, on this machine.
///
/// Pod directory layout (`<stateDir>/pods/<key>/`): `pod.json`, `network.json` (the veth/IP
/// attachment), `shm/` (the pod's 64 MiB /dev/shm tmpfs), `etc/{hosts,hostname,resolv.conf}`,
/// `volumes/<name>`, `containers/<id>/{upper,work,rootfs}` (one per attempt), `logs/<ctr>/<n>.log`.
public final class LinuxPodRuntime: PodRuntime {
    let paths: PodlabPaths
    let store: PodStore
    let spawner = ProcessSpawner()
    private var cachedDriver: (any CgroupDriver)?
    private var cachedNetwork: PodNetwork?

    public init(paths: PodlabPaths) {
        self.paths = paths
        self.store = PodStore(paths: paths)
    }

    /// The pod network from `PODLAB_BRIDGE` / `PODLAB_SUBNET` (default podlab0, 10.88.0.0/16).
    public func network() throws -> PodNetwork {
        if let cachedNetwork { return cachedNetwork }
        let env = ProcessInfo.processInfo.environment
        let config = try PodNetworkConfig(bridgeName: env["PODLAB_BRIDGE"] ?? "podlab0", subnet: env["PODLAB_SUBNET"] ?? "10.88.0.0/16",
                                          netnsDir: env["PODLAB_NETNS_DIR"] ?? "/run/netns")
        let network = PodNetwork(config: config, paths: paths)
        cachedNetwork = network
        return network
    }

    /// The cgroup driver for this machine's layout (v1/hybrid or v2), detected once.
    public func cgroups() throws -> any CgroupDriver {
        if let cachedDriver { return cachedDriver }
        let parent = ProcessInfo.processInfo.environment["PODLAB_CGROUP_PARENT"] ?? CgroupDefaults.parentName
        let driver = try CgroupLayout.detect().makeDriver(parent: parent)
        cachedDriver = driver
        return driver
    }

    func directory(_ record: PodRecord) -> String { store.directory(for: record.key) }

    /// The pod's machine-wide name (cgroup, pin, veth, lease): the key qualified by this state
    /// directory, so two podlab instances running the same pod never touch each other's.
    func hostName(_ key: String) -> String { paths.hostName(forPod: key) }

    /// The pod's cgroup below podlab's parent: kubelet's `kubepods/<qos>/pod<uid>` with the
    /// pod's host name as the uid (docs/FIDELITY.md #90).
    public static func podCgroupPath(for record: PodRecord, paths: PodlabPaths) -> String {
        KubepodsTree.podPath(paths.hostName(forPod: record.key), qos: KubernetesResources.qosClass(of: record.spec.resourceSpec))
    }

    func podCgroup(_ record: PodRecord) -> String { Self.podCgroupPath(for: record, paths: paths) }

    // MARK: sandbox

    public func createSandbox(_ record: PodRecord) throws -> SandboxStatus {
        let dir = directory(record)
        var undo: [() -> Void] = []
        do {
            let driver = try cgroups()
            let podCgroup = PodCgroup(pod: podCgroup(record))
            _ = try driver.createPod(podCgroup.pod, resources: KubernetesResources.podCgroupResources(for: record.spec.resourceSpec))
            undo.append { try? driver.killAll(podCgroup); try? driver.remove(podCgroup) }
            let pauseCgroup = try driver.createChild(pod: podCgroup.pod, name: "pause", resources: .pause)

            // The pinned netns first, so pause can start in it at once: pause moves itself into
            // its cgroups (on cgroup v1 the first migration waits for an RCU grace period,
            // 5–15 ms) while the veth, lease and addresses are made, like CNI ADD running
            // against containerd's pre-made netns.
            let network = try network()
            let pin = try network.createNamespace(podName: record.key)
            undo.append { try? pin.remove() }

            // pause: new pid, ipc, uts (+ mnt) namespaces inside the pinned netns (#8).
            let hostname = record.spec.effectiveHostname
            var request = SpawnRequest(arguments: [SandboxRootfs.pausePath])
            // pause runs in a read-only root of its own holding only pause and what its loader
            // needs, as containerd's sandbox container does (#88).
            let pauseBinary = PodRuntimeFiles.pauseBinary()
            let pauseRoot = "\(dir)/pause-root"
            try FileManager.default.createDirectory(atPath: pauseRoot, withIntermediateDirectories: true)
            request.rootfs = pauseRoot
            request.mounts = SandboxRootfs.mounts(
                root: pauseRoot, pause: pauseBinary,
                files: try SandboxRootfs.loaderFiles(of: pauseBinary, cacheDirectory: paths.dataDir + "/sandbox"))
            request.executable = SandboxRootfs.pausePath
            request.join = SpawnRequest.JoinedNamespaces(network: pin.path)
            request.newNamespaces = .sandbox
            request.hostname = hostname
            request.cgroupProcsFiles = driver.procsFiles(for: pauseCgroup)
            request.oomScoreAdj = Self.allowedOOMScoreAdj(Int32(KubernetesResources.pauseOOMScoreAdj))
            let log = try openLog("\(dir)/pause.log")
            let startedPause: StartedSpawn
            do {
                defer { try? log.close() }
                request.stdout = log
                request.stderr = log
                startedPause = try spawner.start(request)
            }
            undo.append { startedPause.cancel() }

            let attachment = try network.attach(podName: record.key, pin: pin)
            undo.append { try? network.tearDown(attachment) }
            try writeJSON(attachment, to: "\(dir)/network.json")

            // /dev/shm: one tmpfs per sandbox, 64 MiB, 1777 (containerd `defaultShmSize`, #13).
            let shm = "\(dir)/shm"
            try FileManager.default.createDirectory(atPath: shm, withIntermediateDirectories: true)
            if !isMountPoint(shm) {
                try checkedSyscall("mount(shm, \(shm), tmpfs, mode=1777,size=67108864)") {
                    mount("shm", shm, "tmpfs", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), "mode=1777,size=67108864")
                }
            }
            undo.append { umount2(shm, Int32(MNT_DETACH)) }

            // kubelet-managed /etc/hosts, containerd's hostname and resolv.conf (#10–#12).
            let etc = "\(dir)/etc"
            try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
            try PodFiles.write(PodFiles.hosts(podIPs: [attachment.ip], hostname: hostname), to: "\(etc)/hosts")
            try PodFiles.write(PodFiles.hostname(hostname), to: "\(etc)/hostname")
            try PodFiles.write(PodFiles.resolvConf(), to: "\(etc)/resolv.conf")

            let pause = try startedPause.finish()
            return SandboxStatus(ready: true, attempt: record.sandbox.attempt, pausePID: pause.pid, netnsPath: attachment.netnsPath,
                                 ip: attachment.ip, gateway: attachment.gateway, hostVeth: attachment.hostVeth, createdAt: Date())
        } catch {
            for step in undo.reversed() { step() }
            throw error
        }
    }

    public func destroySandbox(_ record: PodRecord) {
        let dir = directory(record)
        // pause is normally this supervisor's child, whose pid cannot be reused before it is
        // reaped: kill and reap it directly; the cgroup sweep below then only looks for strays.
        if let pause = record.sandbox.pausePID, isLiveChild(pause) {
            kill(pause, SIGKILL)
            reap(pause)
        }
        if let driver = try? cgroups() {
            // Everything left in the pod (pause, stray processes) dies; zombies are reaped by the
            // supervisor's loop (or by init after a forced removal).
            _ = try? driver.killAll(PodCgroup(pod: podCgroup(record)))
        } else if let pause = record.sandbox.pausePID {
            kill(pause, SIGKILL)
        }
        if let pause = record.sandbox.pausePID { reap(pause) }
        tearDownNetwork(key: record.key)
        waitForLinkRemoval(record.sandbox.hostVeth ?? HostVethName.forPod(hostName(record.key)))
        try? FileManager.default.removeItem(atPath: "\(dir)/network.json")
        umount2("\(dir)/shm", Int32(MNT_DETACH))
        if let driver = try? cgroups() { try? driver.remove(PodCgroup(pod: podCgroup(record))) }
    }

    /// Kills every process of the pod (used by forced removal, when the supervisor is gone).
    public func killPod(_ record: PodRecord) {
        if let driver = try? cgroups() { try? driver.killAll(PodCgroup(pod: podCgroup(record))) }
    }

    /// Removes whatever a pod directory without a readable record left (crash before the first save).
    public func forceRemoveUnknown(key: String) -> [String] {
        var problems: [String] = []
        let dir = store.directory(for: key)
        do {
            let driver = try cgroups()
            // Without the record the QoS class is unknown: every QoS parent may hold it.
            for qos in QoSClass.allCases {
                let cgroup = PodCgroup(pod: KubepodsTree.podPath(hostName(key), qos: qos))
                try driver.killAll(cgroup)
                try driver.remove(cgroup)
            }
        } catch { problems.append("cgroup \(key): \(error)") }
        tearDownNetwork(key: key)
        for mount in MountTable.mountPoints(under: dir).reversed() { umount2(mount, Int32(MNT_DETACH)) }
        return problems
    }

    /// Unpins the pod's netns (the kernel then destroys it and the veth pair) and releases its
    /// lease. Without `network.json` (the supervisor was killed between `setUp` and writing it)
    /// the pin is found by its name, `podlab-<host name>`.
    func tearDownNetwork(key: String) {
        guard let network = try? network() else { return }
        if let attachment = try? readJSON(PodNetworkAttachment.self, from: "\(store.directory(for: key))/network.json") {
            try? network.tearDown(attachment)
        } else {
            let pin = NetnsPin(path: network.netnsPath(for: key))
            if pin.isMounted { try? pin.remove() }
        }
        _ = try? network.ipam.release(pod: hostName(key))
    }

    /// The kernel destroys an unpinned netns (and with it the veth pair) asynchronously, in its
    /// netns cleanup work. Wait (up to 3 s) for the host end to go, so that `delete` returning
    /// means the veth is gone and re-creating a pod of the same name (same veth name) cannot hit
    /// EEXIST; CNI's bridge plugin gets the same effect by deleting the veth itself on DEL.
    func waitForLinkRemoval(_ name: String) {
        let path = "/sys/class/net/\(name)"
        pollUntil(timeout: 3) { !FileManager.default.fileExists(atPath: path) }
    }

    /// Whether `pid` is a child of this process that has not exited (WNOHANG; an exited child
    /// is reaped by the check).
    func isLiveChild(_ pid: Int32) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// The supervisor process is a child subreaper: every container, pause and orphan is its child.
    public func reapExitedChild() -> ChildReap {
        var status: Int32 = 0
        let pid = waitpid(-1, &status, WNOHANG)
        if pid > 0 { return .exited(pid: pid, waitStatus: status) }
        return pid < 0 && errno == ECHILD ? .noChildren : .noneExited
    }

    func reap(_ pid: Int32) {
        // Only our own children can be reaped; others (forced removal) are init's.
        pollUntil(timeout: 0.5) {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            return result == pid || (result < 0 && errno == ECHILD)
        }
    }

    // MARK: volumes

    public func prepareVolumes(_ record: PodRecord) throws {
        try PodVolumes(podDirectory: directory(record)).prepare(record.spec)
    }

    public func removeVolumes(_ record: PodRecord) {
        PodVolumes(podDirectory: directory(record)).removeAll()
    }

    // MARK: containers

    public func startContainer(_ spec: ContainerSpec, status: ContainerStatus, record: PodRecord) throws -> StartedContainer {
        guard let pause = record.sandbox.pausePID else { throw PodlabError(.invalidState, "the sandbox of \(record.spec.name) has no pause process") }
        guard let image = record.imageRoots[spec.name] else { throw PodlabError(.invalidState, "no image resolved for container \(spec.name)") }
        let dir = directory(record)
        let attempt = "\(dir)/containers/\(status.id)"
        for sub in ["upper", "work", "rootfs"] {
            try FileManager.default.createDirectory(atPath: "\(attempt)/\(sub)", withIntermediateDirectories: true)
        }
        let volumes = PodVolumes(podDirectory: dir)
        let mounts = try spec.volumeMounts.map { mount -> ContainerFilesystem.Volume in
            guard let volume = record.spec.volumes.first(where: { $0.name == mount.name }) else {
                throw PodlabError(.invalidState, "volume \(mount.name) is not declared")
            }
            let subPath = mount.subPath.flatMap { $0.isEmpty ? nil : $0 }
            var isFile = false
            if let subPath {
                do {
                    isFile = try volumes.prepareSubPath(volume: volume.name, subPath: subPath)
                } catch {
                    // kubelet_pods.go makeMounts: the container is not created.
                    throw ContainerConfigError(PodlabError(
                        .invalidArgument,
                        "failed to prepare subPath \(subPath.debugDescription) for volumeMount \(mount.name.debugDescription) of container \(spec.name.debugDescription)",
                        cause: error as? PodlabError))
                }
            }
            // configMap volumes are always read-only (#30); readOnly applies per mount (#31).
            var readOnly = mount.readOnly
            if case .configMap = volume.source { readOnly = true }
            return ContainerFilesystem.Volume(hostPath: try volumes.path(of: volume.name), containerPath: mount.mountPath,
                                              readOnly: readOnly, isFile: isFile, subPath: subPath)
        }
        // kubelet's termination message file (makeMounts, docs/FIDELITY.md #55): an empty 0666
        // file per attempt, bind-mounted at terminationMessagePath, read when the attempt ends.
        let messageFile = Self.terminationMessageFile(attempt: attempt)
        guard FileManager.default.createFile(atPath: messageFile, contents: nil) else {
            throw PodlabError.syscall("open(\(messageFile), O_CREAT)", Errno(rawValue: errno))
        }
        guard chmod(messageFile, 0o666) == 0 else { throw PodlabError.syscall("chmod(\(messageFile), 0666)", Errno(rawValue: errno)) }
        let messageMount = ContainerFilesystem.Volume(hostPath: messageFile, containerPath: spec.effectiveTerminationMessagePath,
                                                      readOnly: false, isFile: true, subPath: nil)
        let driver = try cgroups()
        let podResources = record.spec.resourceSpec
        let containerResources = spec.resourceSpec(isSidecar: spec.restartPolicy == .always)
        let cgroup = try driver.createChild(pod: podCgroup(record), name: status.id,
                                            resources: KubernetesResources.containerCgroupResources(for: containerResources))
        let filesystem = ContainerFilesystem(
            imageDir: image, upperDir: "\(attempt)/upper", workDir: "\(attempt)/work", rootfs: "\(attempt)/rootfs",
            podShmDir: "\(dir)/shm", hostsFile: "\(dir)/etc/hosts", hostnameFile: "\(dir)/etc/hostname",
            resolvConfFile: "\(dir)/etc/resolv.conf", volumes: mounts + [messageMount],
            cgroupView: ContainerCgroupView.view(of: cgroup, driver: driver),
            linkDevCore: FileManager.default.fileExists(atPath: "/proc/kcore"))
        let plan: ContainerMountPlan
        do {
            plan = try ContainerMountPlan.make(for: filesystem)
        } catch {
            try? driver.remove(cgroup)
            throw error
        }
        let capacity = (try? MemoryCapacity.host()) ?? 0
        let oomScore = capacity > 0 ? try? KubernetesResources.oomScoreAdj(for: containerResources, in: podResources, memoryCapacityBytes: capacity) : nil

        // Environment, $(VAR) expansion and securityContext (docs/FIDELITY.md #63–#79).
        let process: ContainerProcess
        do {
            process = try ContainerProcess.make(for: spec, record: record)
        } catch {
            try? driver.remove(cgroup)
            throw error
        }
        var request = SpawnRequest(arguments: process.arguments)
        request.join = .pod(sandboxPid: pause, sharePID: record.spec.shareProcessNamespace)
        request.newNamespaces = record.spec.shareProcessNamespace ? [.mount] : .container
        // containerd on cgroup v2: a cgroup namespace per container, so its /sys/fs/cgroup
        // shows its own cgroup as the root (docs/FIDELITY.md #82).
        if driver.version == .v2 { request.newNamespaces.insert(.cgroup) }
        request.rootfs = filesystem.rootfs
        request.mounts = plan.mounts
        request.devices = plan.devices
        request.mountProc = true
        request.maskedPaths = ContainerDefaults.maskedPaths
        request.readonlyPaths = ContainerDefaults.readonlyPaths
        request.cgroupProcsFiles = driver.procsFiles(for: cgroup)
        request.oomScoreAdj = oomScore.flatMap { Self.allowedOOMScoreAdj(Int32($0)) }
        process.security.apply(to: &request)
        request.workingDirectory = process.workingDirectory
        request.environment = ImagePasswd.addingHome(to: process.environment, uid: process.security.uid, imageRoot: image)
        let log = try openLog(status.logPath)
        defer { try? log.close() }
        request.stdout = log
        request.stderr = log
        do {
            let started = try spawner.spawn(request)
            return StartedContainer(pid: started.pid, cgroupPath: driver.directories(of: cgroup).first)
        } catch {
            try? driver.remove(cgroup)
            // The status message names the program as runc does; the log stays the
            // container's own output (#86).
            if let message = ExecFailure.runcMessage(for: error, program: request.arguments.first ?? "") {
                throw PodlabError(.syscall, "failed to start container process: \(message)")
            }
            throw error
        }
    }

    /// Negative oom_score_adj needs CAP_SYS_RESOURCE; without it (some VMs) keep the inherited value
    /// rather than fail the pod. The report and `inspectp` show the QoS class either way.
    static func allowedOOMScoreAdj(_ value: Int32) -> Int32? {
        if value >= 0 { return value }
        guard let caps = try? LinuxCapabilitySet.currentEffective(), caps.contains(.sysResource) else { return nil }
        return value
    }

    public func cleanupContainer(_ status: ContainerStatus, record: PodRecord) {
        let attempt = "\(directory(record))/containers/\(status.id)"
        // The overlay lived in the container's own mount namespace, gone with its last process.
        umount2("\(attempt)/rootfs", Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: attempt)
        if let driver = try? cgroups() {
            let cgroup = ContainerCgroup(pod: podCgroup(record), name: status.id)
            try? driver.killAll(cgroup)
            try? driver.remove(cgroup)
        }
    }

    public func wasOOMKilled(_ status: ContainerStatus, record: PodRecord) -> Bool {
        guard let driver = try? cgroups() else { return false }
        return driver.oomKilled(ContainerCgroup(pod: podCgroup(record), name: status.id))
    }

    static func terminationMessageFile(attempt: String) -> String { "\(attempt)/termination-log" }

    public func terminationMessageFile(_ status: ContainerStatus, record: PodRecord) -> String? {
        Self.terminationMessageFile(attempt: "\(directory(record))/containers/\(status.id)")
    }

    public func startHandlerProcess(_ command: [String], container: ContainerStatus, record: PodRecord) throws -> HandlerProcess {
        guard container.state == .running, let pid = container.pid else {
            throw PodlabError(.invalidState, "container \(container.name) is not running")
        }
        var request = try PodExec(paths: paths).request(record, container: container, pid: pid, command: command)
        let null: FileDescriptor
        do {
            null = try FileDescriptor.open("/dev/null", .readOnly, options: [.closeOnExec])
        } catch let error as Errno {
            throw PodlabError.syscall("open(/dev/null)", error)
        }
        defer { try? null.close() }
        // The output goes to a file in the pod directory, unlinked at once: kubelet keeps an
        // exec probe's output (10 KiB) for its message. The supervisor reads it after the exit.
        let outputPath = "\(directory(record))/handler-output-\(generateID().prefix(16))"
        let output: FileDescriptor
        do {
            output = try FileDescriptor.open(outputPath, .readWrite, options: [.create, .exclusiveCreate, .closeOnExec], permissions: .ownerReadWrite)
        } catch let error as Errno {
            throw PodlabError.syscall("open(\(outputPath))", error)
        }
        unlink(outputPath)
        request.stdin = null
        request.stdout = output
        request.stderr = output
        request.waitForExit = false
        do {
            return HandlerProcess(pid: try ProcessSpawner().spawn(request).pid, output: output.rawValue)
        } catch {
            try? output.close()
            throw error
        }
    }

    public func signal(_ pid: Int32, _ signal: Int32) {
        kill(pid, signal)
    }

    // MARK: helpers

    func openLog(_ path: String) throws -> FileDescriptor {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            return try FileDescriptor.open(path, .writeOnly, options: [.create, .append, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch let error as Errno {
            throw PodlabError.syscall("open(\(path))", error)
        }
    }

    func isMountPoint(_ path: String) -> Bool { MountTable.mountPoints(under: path).contains(path) }
}

func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    try StateFile.replace(path, with: try JSONEncoder().encode(value))
}

func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
    guard let data = FileManager.default.contents(atPath: path) else { throw PodlabError(.notFound, "\(path) not found") }
    return try JSONDecoder().decode(type, from: data)
}

/// Mount points from `/proc/self/mountinfo`.
public enum MountTable {
    /// Every mount point at or below `directory`, in mount order.
    public static func mountPoints(under directory: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            // mountinfo escapes spaces etc. as \040; podlab's own paths have none.
            let point = String(fields[4])
            return point == directory || point.hasPrefix(directory + "/") ? point : nil
        }
    }
}
