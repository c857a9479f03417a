import PodlabCore

/// A cgroup podlab created, named relative to the podlab parent. Handles are plain values, so a
/// supervisor in another process can rebuild one from the pod and container names it stored.
public protocol CgroupNode: Sendable {
    /// The pod this cgroup belongs to.
    var pod: String { get }
    /// The path below the podlab parent: `<pod>` or `<pod>/<child>`, where `<pod>` is
    /// `kubepods/<qos>/pod<name>` for the runtime's pods.
    var relativePath: String { get }
}

/// The pod-level cgroup (`podlab/<pod>`), the parent of pause's and every container's cgroup.
/// `pod` is a path below podlab's parent: kubelet's `kubepods/<qos>/pod<uid>`
/// (``KubepodsTree/podPath(_:qos:)``, docs/FIDELITY.md #15, #90).
public struct PodCgroup: CgroupNode, Hashable {
    public let pod: String
    public var relativePath: String { pod }

    public init(pod: String) {
        self.pod = pod
    }
}

/// One child of a pod cgroup (`podlab/<pod>/<name>`): pause, or one container attempt
/// (containerd's `cgroupParent/<id>`).
public struct ContainerCgroup: CgroupNode, Hashable {
    public let pod: String
    /// The child's name, chosen by the caller (e.g. `pause`, `app-0`, `app-1`).
    public let name: String
    public var relativePath: String { pod + "/" + name }

    public init(pod: String, name: String) {
        self.pod = pod
        self.name = name
    }
}

/// Checks that a pod or child name is a single, harmless path component.
func validateCgroupName(_ name: String, role: String) throws {
    let invalid = name.isEmpty || name == "." || name == ".." || name.contains("/")
        || name.contains("\0") || name.contains("\n") || name.utf8.count > 255
    if invalid {
        throw PodlabError(
            .invalidArgument,
            "invalid cgroup \(role) name \"\(name)\": must be one path component without '/', newline or NUL")
    }
}

/// A parent of one or more path components: `podlab`, or a parent below another cgroup such as
/// containerd's `podlab/cri-containerd`, where podlab writes kubelet's pod cgroups before
/// RunPodSandbox (docs/FIDELITY.md #211). Each component is checked as ``validateCgroupName``.
func validateCgroupParent(_ parent: String) throws {
    for component in parent.split(separator: "/", omittingEmptySubsequences: false) {
        try validateCgroupName(String(component), role: "parent path component")
    }
}
