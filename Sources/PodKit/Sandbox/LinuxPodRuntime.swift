import Cgroups
import Foundation
import PodNetwork
import PodlabCore
import PodlabSyscalls
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
/// Each pod's files live in its `PodDirectory`; bridge, subnet, netns dir, cgroup parent and
/// pause binary come from the state directory's saved `RuntimeConfiguration`.
public final class LinuxPodRuntime: PodRuntime {
    let paths: PodlabPaths
    let store: PodStore
    /// The settings of this state directory (saved by `apply`, else the environment's).
    public let configuration: RuntimeConfiguration
    let spawner = ProcessSpawner()
    private var cachedDriver: (any CgroupDriver)?
    private var cachedNetwork: PodNetwork?
    /// Attempts `createContainer` prepared and `startContainer` has not spawned yet, by id.
    private var created: [String: CreatedAttempt] = [:]

    /// A created attempt: the spawn request (everything but its log) and its cgroup.
    struct CreatedAttempt {
        var request: SpawnRequest
        var cgroup: ContainerCgroup
        var cgroupPath: String?
    }

    /// - Parameter configuration: nil reads the state directory's saved settings (else the environment's).
    public init(paths: PodlabPaths, configuration: RuntimeConfiguration? = nil) {
        self.paths = paths
        self.store = PodStore(paths: paths)
        self.configuration = configuration ?? RuntimeConfiguration.current(paths: paths)
    }

    /// The pod network: the configuration's bridge, subnet and netns dir (default podlab0, 10.88.0.0/16).
    public func network() throws -> PodNetwork {
        if let cachedNetwork { return cachedNetwork }
        let config = try PodNetworkConfig(bridgeName: configuration.bridge, subnet: configuration.subnet, netnsDir: configuration.netnsDir)
        let network = PodNetwork(config: config, paths: paths)
        cachedNetwork = network
        return network
    }

    /// The cgroup driver for this machine's layout (v1/hybrid or v2), detected once.
    public func cgroups() throws -> any CgroupDriver {
        if let cachedDriver { return cachedDriver }
        let driver = try CgroupLayout.detect().makeDriver(parent: configuration.cgroupParent)
        cachedDriver = driver
        return driver
    }

    func directory(_ record: PodRecord) -> String { store.directory(for: record.key) }
    func podDirectory(_ key: String) -> PodDirectory { PodDirectory(paths: paths, key: key) }

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

    /// CRI `RunPodSandbox`, built here as containerd + runc build it (docs/FIDELITY.md #8–#13).
    public func runPodSandbox(_ record: PodRecord) throws -> SandboxStatus {
        let dir = podDirectory(record.key)
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
            let pauseBinary = configuration.pauseBinary
            let pauseRoot = dir.pauseRoot
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
            // The pause image's `USER 65535:65535` (kubernetes build/pause/Dockerfile), or the
            // pod's runAsUser/runAsGroup, which containerd's `sandboxContainerSpecOpts` applies
            // with `oci.WithUser` (#87, #176); the spec keeps containerd's default capability
            // sets (`WithoutDefaultSecuritySettings` drops only seccomp, AppArmor and rlimits),
            // so the bounding set is the default 14 and a non-root exec leaves permitted and
            // effective empty.
            request.user = Self.sandboxUser(for: record.spec.securityContext)
            request.capabilities = ContainerDefaults.capabilities
            // The pod-level seccomp profile, which kubelet sends to RunPodSandbox and
            // containerd applies to pause (#222).
            request.seccompRuntimeDefault = Self.sandboxSeccomp(for: record.spec.securityContext) == .runtimeDefault
            let log = try openLog(dir.pauseLog)
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
            try writeJSON(attachment, to: dir.network)

            // /dev/shm: one tmpfs per sandbox, 64 MiB, 1777 (containerd `defaultShmSize`, #13).
            let shm = dir.shm
            try FileSystem.makeDirectories(shm)
            if !isMountPoint(shm) {
                try checkedSyscall("mount(shm, \(shm), tmpfs, mode=1777,size=67108864)") {
                    mount("shm", shm, "tmpfs", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), "mode=1777,size=67108864")
                }
            }
            undo.append { umount2(shm, Int32(MNT_DETACH)) }

            // kubelet-managed /etc/hosts, containerd's hostname and resolv.conf (#10–#12).
            try FileSystem.makeDirectories(dir.etc)
            try PodFiles.write(PodFiles.hosts(podIPs: [attachment.ip], hostname: hostname), to: dir.hostsFile)
            try PodFiles.write(PodFiles.hostname(hostname), to: dir.hostnameFile)
            try PodFiles.write(PodFiles.resolvConf(), to: dir.resolvConfFile)

            let pause = try startedPause.finish()
            return SandboxStatus(ready: true, attempt: record.sandbox.attempt, pausePID: pause.pid, netnsPath: attachment.netnsPath,
                                 ip: attachment.ip, gateway: attachment.gateway, hostVeth: attachment.hostVeth, createdAt: Date(),
                                 id: record.sandbox.id)
        } catch {
            for step in undo.reversed() { step() }
            throw error
        }
    }

    /// pause is exiting (`PF_EXITING` in the flags of `/proc/<pid>/stat`, set at the start of
    /// `do_exit`) or gone. While an init exits, `zap_pid_ns_processes` kills and reaps the rest
    /// of its PID namespace before the init itself becomes a zombie, so its containers' exits
    /// reach the supervisor first; a container started then would fork into a dying PID
    /// namespace (`alloc_pid`: ENOMEM) and count as a failed restart (docs/FIDELITY.md #177).
    public func sandboxIsExiting(_ record: PodRecord) -> Bool {
        guard let pid = record.sandbox.pausePID else { return false }
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let text = String(data: data, encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return true }
        // After "pid (comm)": state, ppid, pgrp, session, tty_nr, tpgid, flags.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 6 else { return true }
        if fields[0] == "Z" || fields[0] == "X" { return true }
        let pfExiting: UInt64 = 0x4
        return (UInt64(fields[6]) ?? 0) & pfExiting != 0
    }

    /// pause's credentials without a pod-level user: the pause image's `USER 65535:65535`.
    public static let sandboxUser = SpawnRequest.User(uid: 65535, gid: 65535, groups: [])

    /// pause's credentials for a pod (docs/FIDELITY.md #87, #176). kubelet's
    /// `generatePodSandboxLinuxConfig` (kuberuntime_sandbox.go) passes the pod's `runAsUser`,
    /// `runAsGroup` and, as supplemental groups, `fsGroup` then `supplementalGroups`; containerd's
    /// `sandboxContainerSpecOpts` makes the user string with `GenerateUserString` (a group without
    /// a user is refused at apply, ManifestParser) and applies it with `oci.WithUser`, over the
    /// image's 65535:65535. A numeric user alone takes its group from the pause image's
    /// /etc/passwd, which it has none of: gid 0 (`WithUserID`). `WithSupplementalGroups` sets the
    /// groups whatever the user.
    public static func sandboxUser(for context: PodSecurityContext?) -> SpawnRequest.User {
        var user = sandboxUser
        if let runAsUser = context?.shared.runAsUser, let uid = UInt32(exactly: runAsUser) {
            user.uid = uid
            user.gid = context?.shared.runAsGroup.flatMap { UInt32(exactly: $0) } ?? 0
        }
        let fsGroup = context?.fsGroup.map { [$0] } ?? []
        user.groups = (fsGroup + (context?.supplementalGroups ?? [])).compactMap { UInt32(exactly: $0) }
        return user
    }

    /// pause's seccomp profile (docs/FIDELITY.md #222): kubelet's
    /// `generatePodSandboxLinuxConfig` (kuberuntime_sandbox.go) asks `getSeccompProfile` with no
    /// container, so the pod's `seccompProfile`, else Unconfined (podlab models no
    /// `SeccompDefault` kubelet setting); containerd's `sandboxContainerSpec`
    /// (`sandbox_run_linux.go`) turns RuntimeDefault into its default profile, the filter
    /// podlab installs for containers (`pl_seccomp_default_filter`).
    public static func sandboxSeccomp(for context: PodSecurityContext?) -> SeccompProfileType {
        context?.shared.seccompProfile ?? .unconfined
    }

    /// CRI `StopPodSandbox`: pause, the network, /dev/shm and the pod cgroup go at once.
    public func stopPodSandbox(_ record: PodRecord) {
        // The supervisor's stderr is the pod's supervisor.log: what could not be removed is
        // written there, and left for `podlab clean`.
        for failure in tearDownSandbox(record).failures {
            StandardStreams.error("podlab: destroy sandbox of \(record.key): \(failure)\n")
        }
    }

    /// CRI `RemovePodSandbox`: nothing left after `stopPodSandbox` (the pod directory's
    /// files go with the pod's state directory).
    public func removePodSandbox(_ record: PodRecord) {}

    /// `stopPodSandbox`, reporting each step that failed (forced removal prints them).
    public func tearDownSandbox(_ record: PodRecord) -> TeardownLog {
        var log = TeardownLog()
        let dir = podDirectory(record.key)
        let podCgroup = PodCgroup(pod: self.podCgroup(record))
        // pause is normally this supervisor's child, whose pid cannot be reused before it is
        // reaped: kill and reap it directly; the cgroup sweep below then only looks for strays.
        if let pause = record.sandbox.pausePID, isLiveChild(pause) {
            kill(pause, SIGKILL)
            reap(pause)
        }
        var driver: (any CgroupDriver)?
        log.attempt("cgroups") { driver = try cgroups() }
        if let driver {
            // Everything left in the pod (pause, stray processes) dies; zombies are reaped by the
            // supervisor's loop (or by init after a forced removal).
            log.attempt("kill cgroup \(podCgroup.pod)") { _ = try driver.killAll(podCgroup) }
        } else if let pause = record.sandbox.pausePID {
            kill(pause, SIGKILL)
        }
        if let pause = record.sandbox.pausePID { reap(pause) }
        log.append(tearDownNetwork(key: record.key))
        let veth = record.sandbox.hostVeth ?? HostVethName.forPod(hostName(record.key))
        if !waitForLinkRemoval(veth) { log.record("veth \(veth) still exists 3 s after its netns was unpinned") }
        if FileSystem.exists(dir.network) {
            log.attempt("remove network attachment") { try checkedSyscall("unlink(\(dir.network))") { unlink(dir.network) } }
        }
        if MountTable.isMountPoint(dir.shm) {
            log.attempt("unmount shm") { try checkedSyscall("umount2(\(dir.shm), MNT_DETACH)") { umount2(dir.shm, Int32(MNT_DETACH)) } }
        }
        if let driver { log.attempt("remove cgroup \(podCgroup.pod)") { try driver.remove(podCgroup) } }
        return log
    }

    /// Kills every process of the pod (used by forced removal, when the supervisor is gone).
    public func killPod(_ record: PodRecord) {
        if let driver = try? cgroups() { try? driver.killAll(PodCgroup(pod: podCgroup(record))) }
    }

    /// Removes whatever a pod directory without a readable record left (crash before the first save).
    public func forceRemoveUnknown(key: String) -> [String] {
        var log = TeardownLog()
        let dir = store.directory(for: key)
        log.attempt("cgroup \(key)") {
            let driver = try cgroups()
            // Without the record the QoS class is unknown: every QoS parent may hold it.
            for qos in QoSClass.allCases {
                let cgroup = PodCgroup(pod: KubepodsTree.podPath(hostName(key), qos: qos))
                try driver.killAll(cgroup)
                try driver.remove(cgroup)
            }
        }
        log.append(tearDownNetwork(key: key))
        log.append(unmountAll(under: dir))
        return log.failures
    }

    /// Detaches every mount at or below `directory`, deepest (last mounted) first.
    func unmountAll(under directory: String) -> TeardownLog {
        var log = TeardownLog()
        for mount in MountTable.mountPoints(under: directory).reversed() {
            log.attempt("unmount") { try checkedSyscall("umount2(\(mount), MNT_DETACH)") { umount2(mount, Int32(MNT_DETACH)) } }
        }
        return log
    }

    /// Unpins the pod's netns (the kernel then destroys it and the veth pair) and releases its
    /// lease. Without `network.json` (the supervisor was killed between `setUp` and writing it)
    /// the pin is found by its name, `podlab-<host name>`.
    func tearDownNetwork(key: String) -> TeardownLog {
        var log = TeardownLog()
        let network: PodNetwork
        do { network = try self.network() } catch {
            log.record("network: \(error)")
            return log
        }
        if let attachment = try? readJSON(PodNetworkAttachment.self, from: podDirectory(key).network) {
            log.attempt("network of \(key)") { try network.tearDown(attachment) }
        } else {
            let pin = NetnsPin(path: network.netnsPath(for: key))
            if pin.isMounted { log.attempt("netns \(pin.path)") { try pin.remove() } }
        }
        log.attempt("IP lease of \(key)") { _ = try network.ipam.release(pod: hostName(key)) }
        return log
    }

    /// The kernel destroys an unpinned netns (and with it the veth pair) asynchronously, in its
    /// netns cleanup work. Wait (up to 3 s) for the host end to go, so that `delete` returning
    /// means the veth is gone and re-creating a pod of the same name (same veth name) cannot hit
    /// EEXIST; CNI's bridge plugin gets the same effect by deleting the veth itself on DEL.
    func waitForLinkRemoval(_ name: String) -> Bool {
        let path = "/sys/class/net/\(name)"
        return pollUntil(timeout: 3) { !FileSystem.exists(path) }
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

    /// CRI `CreateContainer`: the attempt's directories, mounts, termination-log file, cgroup and
    /// process settings; the process is spawned by `startContainer`.
    public func createContainer(_ spec: ContainerSpec, status: ContainerStatus, record: PodRecord) throws {
        guard let pause = record.sandbox.pausePID else { throw PodlabError(.invalidState, "the sandbox of \(record.spec.name) has no pause process") }
        guard let image = record.imageRoots[spec.name] else { throw PodlabError(.invalidState, "no image resolved for container \(spec.name)") }
        let dir = directory(record)
        let pod = podDirectory(record.key)
        let attempt = pod.container(status.id)
        for sub in [attempt.upper, attempt.work, attempt.rootfs] { try FileSystem.makeDirectories(sub) }
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
        let messageFile = Self.terminationMessageFile(attempt: attempt.path)
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
        // Environment, $(VAR) expansion and securityContext (docs/FIDELITY.md #63–#79).
        let process: ContainerProcess
        let plan: ContainerMountPlan
        let filesystem: ContainerFilesystem
        do {
            process = try ContainerProcess.make(for: spec, record: record)
            // readOnlyRootFilesystem decides the /etc binds and the root's final remount (#210).
            filesystem = ContainerFilesystem(
                imageDir: image, upperDir: attempt.upper, workDir: attempt.work, rootfs: attempt.rootfs,
                podShmDir: pod.shm, hostsFile: pod.hostsFile, hostnameFile: pod.hostnameFile,
                resolvConfFile: pod.resolvConfFile, volumes: mounts + [messageMount],
                readOnlyRootfs: process.security.readOnlyRootFilesystem,
                cgroupView: ContainerCgroupView.view(of: cgroup, driver: driver),
                linkDevCore: FileManager.default.fileExists(atPath: "/proc/kcore"))
            plan = try ContainerMountPlan.make(for: filesystem)
        } catch {
            try? driver.remove(cgroup)
            throw error
        }
        let capacity = (try? MemoryCapacity.host()) ?? 0
        let oomScore = capacity > 0 ? try? KubernetesResources.oomScoreAdj(for: containerResources, in: podResources, memoryCapacityBytes: capacity) : nil
        var request = SpawnRequest(arguments: process.arguments)
        request.join = .pod(sandboxPid: pause, sharePID: record.spec.shareProcessNamespace)
        request.newNamespaces = record.spec.shareProcessNamespace ? [.mount] : .container
        // containerd on cgroup v2: a cgroup namespace per container, so its /sys/fs/cgroup
        // shows its own cgroup as the root (docs/FIDELITY.md #83; what it shows there: #82).
        if driver.version == .v2 { request.newNamespaces.insert(.cgroup) }
        request.rootfs = filesystem.rootfs
        request.mounts = plan.mounts
        request.devices = plan.devices
        request.readOnlyRootfs = plan.remountRootReadOnly
        request.mountProc = true
        request.maskedPaths = ContainerDefaults.maskedPaths
        request.readonlyPaths = ContainerDefaults.readonlyPaths
        request.cgroupProcsFiles = driver.procsFiles(for: cgroup)
        request.oomScoreAdj = oomScore.flatMap { Self.allowedOOMScoreAdj(Int32($0)) }
        process.security.apply(to: &request)
        request.workingDirectory = process.workingDirectory
        request.environment = ImagePasswd.addingHome(to: process.environment, uid: process.security.uid, imageRoot: image)
        created[status.id] = CreatedAttempt(request: request, cgroup: cgroup, cgroupPath: driver.directories(of: cgroup).first)
    }

    /// CRI `StartContainer`: spawns the attempt `createContainer` prepared, its output to its log.
    public func startContainer(_ status: ContainerStatus, record: PodRecord) throws -> StartedContainer {
        guard var attempt = created.removeValue(forKey: status.id) else {
            throw PodlabError(.invalidState, "container \(status.name) (\(status.id.prefix(13))) was not created")
        }
        let driver = try cgroups()
        let outputs: ContainerLogCopier.Outputs
        do {
            // A pipe per stream into the CRI-format log copier, as containerd's shim (#200).
            outputs = try ContainerLogCopier.start(path: status.logPath)
        } catch {
            try? driver.remove(attempt.cgroup)
            throw error
        }
        defer {
            try? outputs.stdout.close()
            try? outputs.stderr.close()
        }
        attempt.request.stdout = outputs.stdout
        attempt.request.stderr = outputs.stderr
        do {
            let started = try spawner.spawn(attempt.request)
            return StartedContainer(pid: started.pid, cgroupPath: attempt.cgroupPath)
        } catch {
            try? driver.remove(attempt.cgroup)
            let request = attempt.request
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

    /// CRI `RemoveContainer`: the attempt's directory and cgroup.
    public func removeContainer(_ status: ContainerStatus, record: PodRecord) {
        created[status.id] = nil
        let attempt = podDirectory(record.key).container(status.id)
        var log = TeardownLog()
        // The overlay lived in the container's own mount namespace, gone with its last process;
        // a mount left in ours (a failed start) is detached first.
        log.append(unmountAll(under: attempt.rootfs))
        log.attempt("remove") { try FileSystem.removeTree(attempt.path) }
        log.attempt("cgroup") {
            let driver = try cgroups()
            let cgroup = ContainerCgroup(pod: podCgroup(record), name: status.id)
            try driver.killAll(cgroup)
            try driver.remove(cgroup)
        }
        for failure in log.failures {
            StandardStreams.error("podlab: clean up container \(status.name) (\(status.id.prefix(13))) of \(record.key): \(failure)\n")
        }
    }

    /// CRI `ContainerStatus` of a finished attempt: OOMKilled from its cgroup's OOM kill
    /// count, and its termination-log file.
    public func containerStatus(_ status: ContainerStatus, record: PodRecord) -> RuntimeContainerStatus {
        let oom = (try? cgroups()).map { $0.oomKilled(ContainerCgroup(pod: podCgroup(record), name: status.id)) } ?? false
        return RuntimeContainerStatus(oomKilled: oom, terminationMessageFile: Self.terminationMessageFile(attempt: podDirectory(record.key).container(status.id).path))
    }

    static func terminationMessageFile(attempt: String) -> String { "\(attempt)/termination-log" }

    /// An exec handler as a child process of the supervisor (`podlab exec`'s request); the
    /// timeout is the supervisor's (it calls `cancelExec`).
    public func execStart(_ command: [String], container: ContainerStatus, record: PodRecord, timeout: TimeInterval) throws -> HandlerProcess {
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

    /// Signals the attempt's process (this supervisor's child, so its pid cannot be reused
    /// before the supervisor reaps it).
    public func stopContainer(_ status: ContainerStatus, signal: Int32, record: PodRecord) {
        if let pid = status.pid { kill(pid, signal) }
    }

    public func cancelExec(_ handle: Int32) { kill(handle, SIGKILL) }

    /// One reaped child: containers, pause and exec handlers are all this supervisor's children.
    public func nextEvent() -> RuntimeEvent {
        switch reapExitedChild() {
        case .exited(let pid, let waitStatus): return .processExited(pid: pid, waitStatus: waitStatus)
        case .noneExited: return .nothing
        case .noChildren: return .nothingToWatch
        }
    }

    /// SIGCHLD wakes the supervisor: no relisting.
    public var relistInterval: TimeInterval? { nil }

    // MARK: helpers

    func openLog(_ path: String) throws -> FileDescriptor {
        try FileSystem.makeDirectories((path as NSString).deletingLastPathComponent)
        do {
            return try FileDescriptor.open(path, .writeOnly, options: [.create, .append, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch let error as Errno {
            throw PodlabError.syscall("open(\(path))", error)
        }
    }

    func isMountPoint(_ path: String) -> Bool { MountTable.isMountPoint(path) }
}

func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    try StateFile.replace(path, with: try JSONEncoder().encode(value))
}

func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(try FileSystem.readFile(path)))
}
