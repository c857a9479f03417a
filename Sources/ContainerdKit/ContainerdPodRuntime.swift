import Cgroups
import Foundation
import PodKit
import PodlabCore
import RootfsKit
#if canImport(Glibc)
import Glibc
#endif

/// `PodRuntime` through containerd's CRI plugin: the supervisor keeps kubelet's role
/// (restarts, back-off, probes, phases) and containerd + runc + CNI build the sandbox and the
/// containers, as under a real kubelet (issue 13 item 2, docs/FIDELITY.md #157–#166).
///
/// What kubelet does on the host itself, podlab does here too: the volumes (emptyDir dirs,
/// configMap atomic-writer dirs), the pod's `/etc/hosts` and each attempt's termination-log file
/// are host paths handed to CRI as mounts (`pkg/kubelet/kubelet_pods.go` makeMounts). The CRI ids
/// of the pod's sandbox and containers are kept in `<pod dir>/cri.json`, so every podlab process
/// finds them.
public final class ContainerdPodRuntime: PodRuntime {
    /// What `<pod dir>/cri.json` holds.
    public struct State: Codable, Equatable, Sendable {
        /// The CRI endpoint (`/path/to.sock`).
        public var endpoint: String
        /// The current sandbox's CRI id.
        public var sandboxID: String?
        /// The pod cgroup given to RunPodSandbox as cgroup parent (cgroupfs path).
        public var cgroupParent: String?
        /// podlab container id (one attempt) → CRI container id.
        public var containers: [String: String] = [:]
    }

    public let paths: PodlabPaths
    public let endpoint: String
    let key: String
    private var state: State
    private var clientStorage: CRIClient?
    /// Attempts started and not yet reported exited, by podlab id.
    private var running: Set<String> = []
    private var sandboxReported = false
    private var pending: [RuntimeEvent] = []
    private var nextRelist = Date.distantPast
    private let execs: CRIExecRunner
    private var nextHandle: Int32 = 1 << 30

    /// kubelet's PLEG relists every 1 s (`pkg/kubelet/pleg/generic.go` relistPeriod); podlab's
    /// labs time restarts in tens of milliseconds, so this runtime relists every 100 ms
    /// (docs/FIDELITY.md #156).
    public static let relistPeriod: TimeInterval = 0.1

    /// The file name of the CRI state in a pod directory.
    public static let stateFileName = "cri.json"

    /// The default endpoint: the containerd `podlab runtime up` starts for `paths`.
    public static func defaultEndpoint(paths: PodlabPaths) -> String {
        "unix://" + ContainerdSetup.forPaths(paths).socket
    }

    /// The CRI state of pod `key`, nil when the pod does not run on a CRI runtime.
    public static func state(paths: PodlabPaths, key: String) -> State? {
        let file = PodDirectory(paths: paths, key: key).path + "/" + stateFileName
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try? JSONDecoder().decode(State.self, from: data)
    }

    /// - Parameter endpoint: `unix:///path.sock` or `/path.sock`; nil: the pod's saved one, else
    ///   `defaultEndpoint`. Nothing is contacted before the first verb.
    public init(paths: PodlabPaths, key: String, endpoint: String?) {
        self.paths = paths
        self.key = key
        let saved = Self.state(paths: paths, key: key)
        let raw = endpoint ?? saved?.endpoint ?? Self.defaultEndpoint(paths: paths)
        self.endpoint = raw.hasPrefix("unix://") ? String(raw.dropFirst("unix://".count)) : raw
        self.state = saved ?? State(endpoint: self.endpoint)
        self.state.endpoint = self.endpoint
        self.execs = CRIExecRunner(endpoint: self.endpoint)
    }

    deinit {
        clientStorage?.close()
        execs.close()
    }

    var podDirectory: PodDirectory { PodDirectory(paths: paths, key: key) }

    /// The CRI client, started on first use; a runtime that does not answer `Version` is an
    /// error naming the endpoint and the fix.
    func client() throws -> CRIClient {
        if let clientStorage { return clientStorage }
        let client = try CRIClient(endpoint: endpoint, timeout: 30)
        do {
            _ = try client.version()
        } catch {
            client.close()
            throw PodlabError(.invalidState, "containerd's CRI at unix://\(endpoint) does not answer: run `podlab runtime up` "
                + "(or pass --cri-endpoint unix:///run/containerd/containerd.sock)", cause: error as? PodlabError)
        }
        clientStorage = client
        return client
    }

    func saveState() {
        let file = podDirectory.path + "/" + Self.stateFileName
        do {
            try FileSystem.makeDirectories(podDirectory.path)
            try StateFile.replace(file, with: try JSONEncoder().encode(state))
        } catch {
            StandardStreams.error("podlab: save \(file): \(error)\n")
        }
    }

    // MARK: sandbox

    /// The sandbox config kubelet's `generatePodSandboxConfig` would send
    /// (`pkg/kubelet/kuberuntime/kuberuntime_sandbox.go`).
    func sandboxConfig(_ record: PodRecord) -> CRIPodSandboxConfig {
        let pid = record.spec.shareProcessNamespace ? "POD" : "CONTAINER"
        var security = CRILinuxSandboxSecurityContext(namespaceOptions: CRINamespaceOption(network: "POD", pid: pid, ipc: "POD"))
        // kubelet's generatePodSandboxLinuxConfig: getSeccompProfile with no container, so the
        // pod's seccompProfile, else Unconfined (docs/FIDELITY.md #212).
        security.seccomp = Self.seccompProfile(LinuxPodRuntime.sandboxSeccomp(for: record.spec.securityContext))
        // The pod-level user and groups go to the sandbox too (docs/FIDELITY.md #176).
        if let context = record.spec.securityContext {
            security.runAsUser = context.shared.runAsUser.map(CRIInt64Value.init)
            security.runAsGroup = context.shared.runAsGroup.map(CRIInt64Value.init)
            security.supplementalGroups = Self.podGroups(record)
        }
        return CRIPodSandboxConfig(
            metadata: CRIPodSandboxMetadata(name: record.spec.name, uid: record.uid, namespace: record.spec.namespace,
                                            attempt: UInt32(clamping: record.sandbox.attempt)),
            hostname: record.spec.effectiveHostname,
            logDirectory: podDirectory.logs,
            labels: ["io.kubernetes.pod.name": record.spec.name, "io.kubernetes.pod.namespace": record.spec.namespace,
                     "io.kubernetes.pod.uid": record.uid, "podlab.dev/pod": paths.hostName(forPod: record.key)],
            linux: CRILinuxPodSandboxConfig(
                cgroupParent: podCgroupParent(record),
                securityContext: security))
    }

    /// The CRI `SecurityProfile` for a manifest's `seccompProfile.type` (kubelet's
    /// `fieldSeccompProfile`, pkg/kubelet/kuberuntime/helpers.go). Unconfined is sent
    /// explicitly: RuntimeDefault is the proto3 zero value, so an empty profile would mean it.
    static func seccompProfile(_ type: SeccompProfileType) -> CRISecurityProfile {
        switch type {
        case .runtimeDefault: return .runtimeDefault
        case .unconfined: return .unconfined
        }
    }

    /// fsGroup and the pod's supplementalGroups, which kubelet gives the sandbox and every
    /// container (`pkg/kubelet/kuberuntime/security_context.go` determineEffectiveSecurityContext);
    /// nil when there are none.
    static func podGroups(_ record: PodRecord) -> [CRIInt64]? {
        guard let context = record.spec.securityContext else { return nil }
        let groups = (context.fsGroup.map { [$0] } ?? []) + context.supplementalGroups
        return groups.isEmpty ? nil : groups.map { CRIInt64($0) }
    }

    /// kubelet's pod cgroup (`kubepods/<qos>/pod<uid>`, docs/FIDELITY.md #90) below the cgroup
    /// parent of podlab's containerd (`ContainerdSetup.cgroupParent`), whose `down` sweeps it.
    func podCgroupParent(_ record: PodRecord) -> String {
        ContainerdSetup.forPaths(paths).cgroupParent + "/" + podCgroupPath(record)
    }

    /// `kubepods/<qos>/pod<host name>`, below containerd's cgroup parent.
    func podCgroupPath(_ record: PodRecord) -> String {
        KubepodsTree.podPath(paths.hostName(forPod: record.key), qos: KubernetesResources.qosClass(of: record.spec.resourceSpec))
    }

    /// kubelet's pod container manager creates `kubepods/<qos>/pod<uid>` with the pod's values
    /// (`ResourceConfigForPod`, pkg/kubelet/cm/helpers_linux.go; `EnsureExists`,
    /// pod_container_manager_linux.go) before RunPodSandbox; runc then only creates the children.
    /// podlab writes them with its own Cgroups driver, whose parent is containerd's cgroup parent
    /// (cgroupfs driver: the same directories in every hierarchy), so the values are those of
    /// podlab's runtime (docs/FIDELITY.md #36, #211).
    func createPodCgroup(_ record: PodRecord) throws {
        let parent = ContainerdSetup.forPaths(paths).cgroupParent.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let pod = podCgroupPath(record)
        do {
            let driver = try CgroupLayout.detect().makeDriver(parent: parent, placement: .root)
            _ = try driver.createPod(pod, resources: KubernetesResources.podCgroupResources(for: record.spec.resourceSpec))
        } catch {
            throw PodlabError(.syscall, "pod cgroup /\(parent)/\(pod) for \(record.key) before RunPodSandbox", cause: error as? PodlabError)
        }
    }

    public func runPodSandbox(_ record: PodRecord) throws -> SandboxStatus {
        let client = try client()
        let config = sandboxConfig(record)
        try FileSystem.makeDirectories(podDirectory.logs)
        try createPodCgroup(record)
        state.cgroupParent = config.linux?.cgroupParent
        saveState()
        let id: String
        do {
            id = try client.runPodSandbox(config)
        } catch {
            if let parent = state.cgroupParent {
                for failure in Self.removeCgroupEverywhere(parent) { StandardStreams.error("podlab: \(failure)\n") }
            }
            throw error
        }
        state.sandboxID = id
        state.cgroupParent = config.linux?.cgroupParent
        saveState()
        sandboxReported = false
        do {
            let (status, info) = try client.podSandboxStatus(id)
            guard let ip = status.network?.ip, !ip.isEmpty else {
                throw PodlabError(.invalidState, "CRI PodSandboxStatus(\(id)) on \(endpoint): the sandbox has no IP (CNI)")
            }
            // kubelet writes the pod's /etc/hosts itself and mounts it into every container
            // (kubelet_pods.go makeHostsMount); containerd provides hostname and resolv.conf.
            try FileSystem.makeDirectories(podDirectory.etc)
            try PodFiles.write(PodFiles.hosts(podIPs: [ip], hostname: record.spec.effectiveHostname), to: podDirectory.hostsFile)
            return SandboxStatus.reported(ready: status.isReady, attempt: record.sandbox.attempt, pausePID: CRIClient.pid(fromInfo: info),
                                          netnsPath: ContainerdInstance.netnsPath(fromInfo: info), ip: ip, createdAt: Date(),
                                          id: record.sandbox.id)
        } catch {
            try? client.stopPodSandbox(id)
            try? client.removePodSandbox(id)
            state.sandboxID = nil
            saveState()
            throw error
        }
    }

    public func stopPodSandbox(_ record: PodRecord) {
        guard let id = state.sandboxID else { return }
        do { try client().stopPodSandbox(id) } catch {
            StandardStreams.error("podlab: stop sandbox \(id.prefix(13)) of \(record.key): \(error)\n")
        }
    }

    public func removePodSandbox(_ record: PodRecord) {
        guard let id = state.sandboxID else { return }
        do { try client().removePodSandbox(id) } catch {
            StandardStreams.error("podlab: remove sandbox \(id.prefix(13)) of \(record.key): \(error)\n")
        }
        // RemovePodSandbox removes the containers too.
        state.containers = [:]
        running = []
        state.sandboxID = nil
        if let parent = state.cgroupParent {
            for failure in Self.removeCgroupEverywhere(parent) { StandardStreams.error("podlab: \(failure)\n") }
        }
        saveState()
    }

    /// kubelet's pod container manager removes the pod cgroup once the sandbox is gone; runc
    /// created it in every mounted hierarchy, so every hierarchy is swept.
    static func removeCgroupEverywhere(_ path: String) -> [String] {
        let root = "/sys/fs/cgroup"
        var candidates = [root + path]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            candidates.append(root + "/" + entry + path)
        }
        var failures: [String] = []
        for directory in candidates where FileManager.default.fileExists(atPath: directory) {
            if rmdir(directory) != 0 && errno != ENOENT {
                failures.append("rmdir(\(directory)): \(String(cString: strerror(errno)))")
            }
        }
        return failures
    }

    // MARK: volumes

    public func prepareVolumes(_ record: PodRecord) throws {
        try PodVolumes(podDirectory: podDirectory.path).prepare(record.spec)
    }

    public func removeVolumes(_ record: PodRecord) {
        _ = PodVolumes(podDirectory: podDirectory.path).removeAll()
    }

    // MARK: containers

    public func createContainer(_ spec: ContainerSpec, status: ContainerStatus, record: PodRecord) throws {
        guard let sandboxID = state.sandboxID else {
            throw PodlabError(.invalidState, "the sandbox of \(record.spec.name) is not running on \(endpoint)")
        }
        let client = try client()
        let image = try ensureImage(status, client: client)
        let mounts = try containerMounts(spec, status: status, record: record)
        let process = try ContainerProcess.make(for: spec, record: record)
        var resources = CRILinuxContainerResources()
        let cgroup = KubernetesResources.containerCgroupResources(for: spec.resourceSpec(isSidecar: spec.restartPolicy == .always))
        resources.memoryLimitInBytes = cgroup.memoryLimitBytes.map { CRIInt64($0) }
        resources.cpuShares = cgroup.cpuShares.flatMap { Int64(exactly: $0) }.map { CRIInt64($0) }
        if let quota = cgroup.cpuQuotaMicros {
            resources.cpuQuota = CRIInt64(quota)
            resources.cpuPeriod = Int64(exactly: cgroup.cpuPeriodMicros).map { CRIInt64($0) }
        }
        if let capacity = try? MemoryCapacity.host(), capacity > 0,
           let score = try? KubernetesResources.oomScoreAdj(for: spec.resourceSpec(isSidecar: spec.restartPolicy == .always),
                                                             in: record.spec.resourceSpec, memoryCapacityBytes: capacity) {
            resources.oomScoreAdj = CRIInt64(Int64(score))
        }
        var security = CRILinuxContainerSecurityContext(namespaceOptions: CRINamespaceOption(
            network: "POD", pid: record.spec.shareProcessNamespace ? "POD" : "CONTAINER", ipc: "POD"))
        security.runAsUser = CRIInt64Value(Int64(process.security.uid))
        security.runAsGroup = CRIInt64Value(Int64(process.security.gid))
        security.readonlyRootfs = process.security.readOnlyRootFilesystem
        // The pod's fsGroup and supplementalGroups reach every container, not only pause:
        // `podlab compare` showed Groups "3000" here against podlab's "2000 3000" (docs/FIDELITY.md #209).
        security.supplementalGroups = Self.podGroups(record)
        // kubelet sets no_new_privs only for allowPrivilegeEscalation: false
        // (pkg/securitycontext/util.go AddNoNewPrivileges), as podlab's own runtime does
        // (ContainerSecurity; checked side by side by `podlab compare`, docs/FIDELITY.md #209).
        security.noNewPrivs = spec.securityContext?.allowPrivilegeEscalation == false
        // kubelet's default masked and read-only paths (pkg/securitycontext/util.go
        // ConvertToRuntimeMaskedPaths/ReadonlyPaths; podlab refuses privileged and procMount
        // Unmasked at parse, so every container gets them), the lists podlab's own runtime
        // applies, and the seccomp profile kubelet's getSeccompProfile picks (container, then
        // pod, else Unconfined: ContainerSecurity.resolve). docs/FIDELITY.md #212.
        security.maskedPaths = ContainerDefaults.maskedPaths
        security.readonlyPaths = ContainerDefaults.readonlyPaths
        security.seccomp = Self.seccompProfile(process.security.seccomp)
        if let context = spec.securityContext {
            security.capabilities = CRICapability(add: context.capabilitiesAdd, drop: context.capabilitiesDrop)
        }
        var config = CRIContainerConfig(
            metadata: CRIContainerMetadata(name: spec.name, attempt: UInt32(clamping: status.restartCount)),
            image: CRIImageSpec(image), command: process.arguments, args: [],
            envs: process.environment.map { entry in
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return CRIKeyValue(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            },
            mounts: mounts,
            logPath: "\(spec.name)/\(status.restartCount).log",
            linux: CRILinuxContainerConfig(resources: resources, securityContext: security))
        config.workingDir = process.workingDirectory
        config.labels = ["io.kubernetes.container.name": spec.name, "io.kubernetes.pod.uid": record.uid, "podlab.dev/container-id": status.id]
        try FileSystem.makeDirectories(podDirectory.logs + "/" + spec.name)
        let id = try client.createContainer(in: sandboxID, config: config, sandboxConfig: sandboxConfig(record))
        state.containers[status.id] = id
        saveState()
    }

    /// The image's reference inside containerd, imported from podlab's catalog when missing
    /// (docs/FIDELITY.md #113).
    func ensureImage(_ status: ContainerStatus, client: CRIClient) throws -> String {
        let image = try ImageCatalog(paths: paths).resolve(status.imageRef)
        let reference = ContainerdImages.reference(for: image)
        if try client.imageStatus(reference) == nil {
            var setup = ContainerdSetup.forPaths(paths)
            setup.addressOverride = endpoint
            try ContainerdImages(setup: setup).importCatalogImage(image)
        }
        return reference
    }

    /// kubelet's makeMounts: volumes, /etc/hosts and the termination-log file, as host paths.
    func containerMounts(_ spec: ContainerSpec, status: ContainerStatus, record: PodRecord) throws -> [CRIMount] {
        let volumes = PodVolumes(podDirectory: podDirectory.path)
        var mounts: [CRIMount] = []
        for mount in spec.volumeMounts {
            guard let volume = record.spec.volumes.first(where: { $0.name == mount.name }) else {
                throw PodlabError(.invalidState, "volume \(mount.name) is not declared")
            }
            var hostPath = try volumes.path(of: volume.name)
            if let subPath = mount.subPath, !subPath.isEmpty {
                do {
                    _ = try volumes.prepareSubPath(volume: volume.name, subPath: subPath)
                } catch {
                    throw ContainerConfigError(PodlabError(
                        .invalidArgument,
                        "failed to prepare subPath \(subPath.debugDescription) for volumeMount \(mount.name.debugDescription) of container \(spec.name.debugDescription)",
                        cause: error as? PodlabError))
                }
                hostPath += "/" + subPath
            }
            var readOnly = mount.readOnly
            if case .configMap = volume.source { readOnly = true }
            mounts.append(CRIMount(containerPath: mount.mountPath, hostPath: hostPath, readonly: readOnly))
        }
        mounts.append(CRIMount(containerPath: "/etc/hosts", hostPath: podDirectory.hostsFile))
        let attempt = podDirectory.container(status.id).path
        try FileSystem.makeDirectories(attempt)
        let messageFile = attempt + "/termination-log"
        guard FileManager.default.createFile(atPath: messageFile, contents: nil), chmod(messageFile, 0o666) == 0 else {
            throw PodlabError(.syscall, "create \(messageFile) (0666): \(String(cString: strerror(errno)))")
        }
        mounts.append(CRIMount(containerPath: spec.effectiveTerminationMessagePath, hostPath: messageFile))
        return mounts
    }

    public func startContainer(_ status: ContainerStatus, record: PodRecord) throws -> StartedContainer {
        guard let id = state.containers[status.id] else {
            throw PodlabError(.invalidState, "container \(status.name) (\(status.id.prefix(13))) was not created")
        }
        let client = try client()
        try client.startContainer(id)
        let info = try client.containerStatus(id).info
        guard let pid = CRIClient.pid(fromInfo: info) else {
            throw PodlabError(.invalidState, "CRI ContainerStatus(\(id)) on \(endpoint): no pid in its info")
        }
        running.insert(status.id)
        return StartedContainer(pid: pid, cgroupPath: Self.cgroupDirectory(pid: pid))
    }

    /// The process's memory cgroup directory (v1) or its v2 cgroup, read from /proc as for
    /// podlab's own containers.
    static func cgroupDirectory(pid: Int32) -> String? {
        guard let text = FileSystem.readWholeText("/proc/\(pid)/cgroup") else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[1].split(separator: ",").contains("memory") { return "/sys/fs/cgroup/memory" + fields[2] }
        }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            return "/sys/fs/cgroup" + line.dropFirst(3)
        }
        return nil
    }

    /// CRI has no signal verb: containerd's StopContainer signals the task through its shim.
    /// podlab's supervisor times SIGTERM and SIGKILL itself, so it signals the container's
    /// process from the host (docs/FIDELITY.md #158).
    public func stopContainer(_ status: ContainerStatus, signal: Int32, record: PodRecord) {
        if let pid = status.pid, running.contains(status.id) { kill(pid, signal) }
    }

    public func removeContainer(_ status: ContainerStatus, record: PodRecord) {
        running.remove(status.id)
        if let id = state.containers.removeValue(forKey: status.id), let client = try? client() {
            try? client.stopContainer(id, timeout: 0)
            do { try client.removeContainer(id) } catch let error as PodlabError where error.code == .notFound {
            } catch {
                StandardStreams.error("podlab: remove container \(status.name) (\(id.prefix(13))) of \(record.key): \(error)\n")
            }
            saveState()
        }
        try? FileManager.default.removeItem(atPath: podDirectory.container(status.id).path)
    }

    public func containerStatus(_ status: ContainerStatus, record: PodRecord) -> RuntimeContainerStatus {
        let file = podDirectory.container(status.id).path + "/termination-log"
        guard let id = state.containers[status.id], let reply = try? client().containerStatus(id) else {
            return RuntimeContainerStatus(oomKilled: false, terminationMessageFile: file)
        }
        return RuntimeContainerStatus(oomKilled: reply.status.reason == "OOMKilled", terminationMessageFile: file)
    }

    // MARK: exec

    /// CRI `ExecSync` on a queue of its own (one more podlab-cri), so the supervisor's loop
    /// never blocks; its end is an `.execExited` event. The output goes to an unlinked file as
    /// with podlab's runtime.
    public func execStart(_ command: [String], container: ContainerStatus, record: PodRecord, timeout: TimeInterval) throws -> HandlerProcess {
        guard let id = state.containers[container.id], running.contains(container.id) else {
            throw PodlabError(.invalidState, "container \(container.name) is not running")
        }
        let outputPath = podDirectory.path + "/handler-output-\(generateID().prefix(16))"
        let output = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw PodlabError(.syscall, "open(\(outputPath)): \(String(cString: strerror(errno)))") }
        unlink(outputPath)
        // The queue writes through its own descriptor: the supervisor may close `output` first.
        let writer = dup(output)
        guard writer >= 0 else {
            close(output)
            throw PodlabError(.syscall, "dup(\(outputPath)): \(String(cString: strerror(errno)))")
        }
        let handle = nextHandle
        nextHandle = nextHandle == Int32.max ? 1 << 30 : nextHandle + 1
        // Whole seconds, at least 1, and never a trapping conversion: a hook's bound can be a
        // huge grace period, and an infinite one means "no deadline" (CRI's 0 would too, but
        // ExecSync's 0 is not that on every containerd).
        let seconds = timeout.isFinite ? min(max(1, timeout.rounded(.up)), Double(Int32.max)) : Double(Int32.max)
        execs.start(container: id, command: command, timeout: Int64(seconds), output: writer, handle: handle)
        return HandlerProcess(pid: handle, output: output)
    }

    /// ExecSync ends itself at its timeout (the supervisor has already failed the run).
    public func cancelExec(_ handle: Int32) {}

    // MARK: events

    public var relistInterval: TimeInterval? { Self.relistPeriod }

    /// Finished execs first, then a relist every `relistPeriod` (kubelet's PLEG: ListContainers,
    /// then ContainerStatus of each attempt that turned EXITED; PodSandboxStatus for the sandbox).
    public func nextEvent() -> RuntimeEvent {
        pending += execs.drain()
        if pending.isEmpty, Date() >= nextRelist {
            nextRelist = Date().addingTimeInterval(Self.relistPeriod)
            relist()
        }
        return pending.isEmpty ? .nothing : pending.removeFirst()
    }

    func relist() {
        guard let sandboxID = state.sandboxID, let client = try? client() else { return }
        if !running.isEmpty, let containers = try? client.listContainers(sandboxID: sandboxID) {
            let byID = Dictionary(state.containers.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
            for container in containers where container.state == "CONTAINER_EXITED" {
                guard let podlabID = byID[container.id], running.contains(podlabID),
                      let status = try? client.containerStatus(container.id).status else { continue }
                running.remove(podlabID)
                let finished = status.finishedAt.map { Date(timeIntervalSince1970: Double($0.value) / 1e9) }
                pending.append(.containerExited(id: podlabID, exitCode: status.exitCode ?? 0, finishedAt: finished))
            }
        }
        if !sandboxReported, let status = try? client.podSandboxStatus(sandboxID).status, !status.isReady {
            sandboxReported = true
            pending.append(.sandboxExited)
        }
    }
}

/// ExecSync calls off the supervisor's thread: one serial queue with one `podlab-cri` of its
/// own (a CRIClient is not thread-safe), results collected under a lock.
final class CRIExecRunner: @unchecked Sendable {
    let endpoint: String
    private let queue = DispatchQueue(label: "podlab.cri.exec")
    private let lock = NSLock()
    private var finished: [RuntimeEvent] = []
    /// Used only on `queue`.
    private var client: CRIClient?

    init(endpoint: String) { self.endpoint = endpoint }

    /// Runs `command` in CRI container `container`; writes its stdout and stderr to `output`
    /// (closed after) and queues `.execExited(handle, exit code)`. A failed call counts as exit 126.
    func start(container: String, command: [String], timeout: Int64, output: Int32, handle: Int32) {
        queue.async { [self] in
            var code: Int32 = 0
            var text = Data()
            do {
                let client = try self.client ?? CRIClient(endpoint: endpoint, timeout: Double(timeout) + 5)
                self.client = client
                let result = try client.execSync(container, command: command, timeout: timeout)
                text = (result.stdout ?? Data()) + (result.stderr ?? Data())
                code = result.exitCode ?? 0
            } catch {
                text = Data("\(error)".utf8)
                code = 126
            }
            text.withUnsafeBytes { buffer in _ = write(output, buffer.baseAddress, buffer.count) }
            Glibc.close(output)
            lock.lock()
            finished.append(.execExited(handle: handle, exitCode: code))
            lock.unlock()
        }
    }

    /// The execs finished since the last call.
    func drain() -> [RuntimeEvent] {
        lock.lock()
        defer { lock.unlock() }
        let result = finished
        finished = []
        return result
    }

    /// Waits for running execs and ends the queue's podlab-cri.
    func close() {
        queue.sync { client?.close(); client = nil }
    }
}
