import PodlabCore

/// Kubelet's cgroup tree for pods, with the cgroupfs driver's names, below podlab's parent
/// (docs/FIDELITY.md #90): Guaranteed pods directly under `kubepods`, Burstable under
/// `kubepods/burstable`, BestEffort under `kubepods/besteffort`, each pod as `pod<uid>`
/// (kubernetes `pkg/kubelet/cm/qos_container_manager_linux.go` Start,
/// `pod_container_manager_linux.go` GetPodContainerName). The systemd driver's spelling of the
/// same tree is `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice`
/// (``systemdName(ofPodPath:)``); podlab writes cgroupfs directly, so it uses the cgroupfs names.
///
/// podlab's pod "uid" in the name is the pod's machine-wide host name
/// (`PodlabPaths.hostName(forPod:)`), so two podlab instances never share a pod cgroup.
public enum KubepodsTree {
    /// The node-level pods cgroup (kubelet `--cgroup-root` + `kubepods`).
    public static let root = "kubepods"
    /// Prefix of a pod's cgroup name (`pod<uid>`).
    public static let podPrefix = "pod"

    /// The QoS parent of a class: `kubepods` (Guaranteed), `kubepods/burstable`,
    /// `kubepods/besteffort`.
    public static func qosDirectory(_ qos: QoSClass) -> String {
        switch qos {
        case .guaranteed: return root
        case .burstable: return root + "/burstable"
        case .bestEffort: return root + "/besteffort"
        }
    }

    /// Every QoS parent, deepest first (the order to remove them in).
    public static let qosDirectories = [qosDirectory(.burstable), qosDirectory(.bestEffort), root]

    /// The pod cgroup's path below podlab's parent: `kubepods/burstable/pod<name>`.
    public static func podPath(_ name: String, qos: QoSClass) -> String {
        qosDirectory(qos) + "/" + podPrefix + name
    }

    /// The pod name in a pod path (`kubepods/burstable/podX` → `X`), nil for anything else.
    public static func name(ofPodPath path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        let parent = String(path[..<slash])
        let last = path[path.index(after: slash)...]
        guard qosDirectories.contains(parent), last.hasPrefix(podPrefix), last.count > podPrefix.count else { return nil }
        return String(last.dropFirst(podPrefix.count))
    }

    /// The systemd driver's name for a pod path (`kubepods/burstable/podX` →
    /// `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podX.slice`), as kubelet's
    /// `ToSystemd` spells it; shown for teaching, never used to create cgroups.
    public static func systemdName(ofPodPath path: String) -> String {
        var slices: [String] = []
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "-" + component
            slices.append(prefix + ".slice")
        }
        return slices.joined(separator: "/")
    }

    /// The QoS parent whose CPU weight kubelet pins when `podPath` is created: BestEffort's,
    /// with `MinShares` (2) (`qos_container_manager_linux.go` setCPUCgroupConfig:
    /// `bestEffortCPUShares`). nil for the other classes. Burstable's shares are the sum of
    /// its pods' requests, recomputed as pods come and go (``BurstableCPURequests``,
    /// docs/FIDELITY.md #91, #172).
    static func pinnedQoSParent(of podPath: String) -> (path: String, cpuShares: UInt64)? {
        let parent = qosDirectory(.bestEffort)
        guard podPath.hasPrefix(parent + "/") else { return nil }
        return (parent, KubernetesResources.minShares)
    }

    /// The pod cgroup name (`pod<uid>`) of a Burstable pod path, nil for other paths.
    static func burstablePodName(of podPath: String) -> String? {
        let parent = qosDirectory(.burstable) + "/"
        guard podPath.hasPrefix(parent) else { return nil }
        let name = String(podPath.dropFirst(parent.count))
        return name.hasPrefix(podPrefix) && !name.contains("/") ? name : nil
    }

    /// The pod cgroup names (`pod<uid>`) in the Burstable QoS parent `directory`.
    static func burstablePods(in directory: String, fileSystem: any CgroupFileSystem) throws -> [String] {
        guard fileSystem.exists(directory) else { return [] }
        return try fileSystem.subdirectories(of: directory).filter { $0.hasPrefix(podPrefix) && $0.count > podPrefix.count }
    }

    /// Lists the pod paths found below `parentDirectory` (podlab's parent in one hierarchy).
    static func listPods(under parentDirectory: String, fileSystem: any CgroupFileSystem) throws -> [String] {
        var pods: [String] = []
        for qos in [qosDirectory(.guaranteed), qosDirectory(.burstable), qosDirectory(.bestEffort)] {
            let dir = parentDirectory + "/" + qos
            guard fileSystem.exists(dir) else { continue }
            for child in try fileSystem.subdirectories(of: dir) where child.hasPrefix(podPrefix) && child.count > podPrefix.count {
                pods.append(qos + "/" + child)
            }
        }
        return pods
    }
}

/// Checks a pod cgroup path (`kubepods/burstable/pod<name>`, or a plain name): every component
/// one harmless path component.
func validatePodPath(_ path: String) throws {
    guard !path.isEmpty else { throw PodlabError(.invalidArgument, "invalid cgroup pod path \"\": empty") }
    for component in path.split(separator: "/", omittingEmptySubsequences: false) {
        try validateCgroupName(String(component), role: "pod path component")
    }
}
