import Foundation
import PodlabCore
import PodlabSyscalls

/// The user an image runs as when the pod does not say (OCI config `User`).
///
/// The one place the runtime asks for it: h-images' image configs plug in here. Until images
/// carry a config, every image runs as root, as an image without `User` does under containerd.
public enum ImageUser {
    /// `User` of the container's image: `name`, `uid`, `name:group` or `uid:gid`; nil or empty is root.
    /// securityContext's `runAsUser`/`runAsGroup` override it (docs/FIDELITY.md #98).
    public static func configured(for container: ContainerSpec, record: PodRecord) -> String? {
        record.imageConfigs?[container.name]?.user.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A container's process credentials and confinement, from the pod's and the container's
/// `securityContext` merged as kubelet does (`DetermineEffectiveSecurityContext`,
/// pkg/securitycontext/util.go) and turned into a process spec as containerd's CRI does
/// (`container_create_linux.go`, `pkg/cri/opts/spec_linux.go`). docs/FIDELITY.md #67–#79.
public struct ContainerSecurity: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups, the primary gid first (containerd `WithAdditionalGIDs` +
    /// `WithSupplementalGroups`).
    public var groups: [UInt32]
    /// Bounding set; also permitted and effective for root. Inheritable and ambient stay empty.
    public var capabilities: LinuxCapabilitySet
    public var noNewPrivileges: Bool
    public var seccomp: SeccompProfileType
    public var readOnlyRootFilesystem: Bool

    /// Resolves the effective settings of `container`.
    ///
    /// - Parameters:
    ///   - imageUser: `ImageUser.configured`.
    ///   - imageRoot: the image's root directory; its `/etc/passwd` and `/etc/group` give the
    ///     primary gid of a numeric user and the user's extra groups (read with the directory
    ///     as `/`, so a symlinked file cannot point at the host's).
    /// - Throws: `ContainerConfigError` with kubelet's message when `runAsNonRoot` forbids the
    ///   user (`verifyRunAsNonRoot`, pkg/kubelet/kuberuntime/security_context_others.go).
    public static func resolve(container: ContainerSpec, pod: PodSpec, podUID: String, imageUser: String?, imageRoot: String?) throws -> ContainerSecurity {
        let podContext = pod.securityContext ?? PodSecurityContext()
        let containerContext = container.securityContext ?? ContainerSecurityContext()
        let runAsUser = containerContext.shared.runAsUser ?? podContext.shared.runAsUser
        let runAsGroup = containerContext.shared.runAsGroup ?? podContext.shared.runAsGroup
        let runAsNonRoot = containerContext.shared.runAsNonRoot ?? podContext.shared.runAsNonRoot
        let seccomp = containerContext.shared.seccompProfile ?? podContext.shared.seccompProfile ?? .unconfined

        let database = UserDatabase(imageRoot: imageRoot)
        let image = parseImageUser(imageUser ?? "")
        // kubelet passes the image's numeric uid to `verifyRunAsNonRoot`, or its name.
        if runAsNonRoot == true {
            let podName = "\(pod.name)_\(pod.namespace)(\(podUID))"
            if let runAsUser {
                if runAsUser == 0 {
                    throw ContainerConfigError(PodlabError(.invalidArgument, "container's runAsUser breaks non-root policy (pod: \"\(podName)\", container: \(container.name))"))
                }
            } else if let name = image.userName {
                throw ContainerConfigError(PodlabError(.invalidArgument, "container has runAsNonRoot and image has non-numeric user (\(name)), cannot verify user is non-root (pod: \"\(podName)\", container: \(container.name))"))
            } else if (image.uid ?? 0) == 0 {
                throw ContainerConfigError(PodlabError(.invalidArgument, "container has runAsNonRoot and image will run as root (pod: \"\(podName)\", container: \(container.name))"))
            }
        }

        // containerd `WithUser`/`WithUserID`: a name or a uid without a group takes the
        // passwd entry's gid (0 when there is none); runAsGroup replaces the gid.
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        if let runAsUser, let value = UInt32(exactly: runAsUser) {
            uid = value
            gid = database.passwd(uid: value)?.gid ?? 0
        } else if let name = image.userName {
            guard let entry = database.passwd(name: name) else {
                throw ContainerConfigError(PodlabError(.notFound, "no users found for image user \(name.debugDescription) in the image's /etc/passwd"))
            }
            uid = entry.uid
            gid = entry.gid
        } else if let imageUID = image.uid {
            uid = imageUID
            gid = database.passwd(uid: imageUID)?.gid ?? 0
        }
        if runAsUser == nil, let imageGID = image.gid { gid = imageGID }
        if let runAsGroup, let value = UInt32(exactly: runAsGroup) { gid = value }

        // `WithAdditionalGIDs(strconv(runAsUser or 0))`: the groups that list the user's name,
        // then the pod's supplementalGroups and fsGroup (kubelet `determineEffectiveSecurityContext`).
        var groups = [gid]
        func add(_ value: UInt32) { if !groups.contains(value) { groups.append(value) } }
        let lookupUID = runAsUser.flatMap { UInt32(exactly: $0) } ?? 0
        if let name = database.passwd(uid: lookupUID)?.name {
            for group in database.groups(listing: name) { add(group) }
        }
        for group in podContext.supplementalGroups { if let value = UInt32(exactly: group) { add(value) } }
        if let fsGroup = podContext.fsGroup, let value = UInt32(exactly: fsGroup) { add(value) }

        return ContainerSecurity(
            uid: uid, gid: gid, groups: groups,
            capabilities: effectiveCapabilities(add: containerContext.capabilitiesAdd, drop: containerContext.capabilitiesDrop),
            noNewPrivileges: containerContext.allowPrivilegeEscalation == false,
            seccomp: seccomp, readOnlyRootFilesystem: containerContext.readOnlyRootFilesystem)
    }

    /// containerd's `WithCapabilities` (CRI `container_create_linux.go`): add `ALL` → every
    /// capability; drop `ALL` → none; then the named adds, then the named drops (a capability
    /// both added and dropped is dropped). Starts from containerd's 14 defaults (#77).
    public static func effectiveCapabilities(add: [String], drop: [String]) -> LinuxCapabilitySet {
        var set = ContainerDefaults.capabilities
        if add.contains("ALL") { set = LinuxCapabilitySet(LinuxCapability.allCases) }
        if drop.contains("ALL") { set = [] }
        for name in add where name != "ALL" {
            if let capability = LinuxCapability(name: name) { set.insert(LinuxCapabilitySet([capability])) }
        }
        for name in drop where name != "ALL" {
            if let capability = LinuxCapability(name: name) { set.remove(LinuxCapabilitySet([capability])) }
        }
        return set
    }

    /// An OCI `User` string split: `uid[:gid]` numeric parts, or a user name (a named group is
    /// resolved by the caller's database only when it is numeric; names keep gid from passwd).
    static func parseImageUser(_ text: String) -> (uid: UInt32?, gid: UInt32?, userName: String?) {
        guard !text.isEmpty else { return (nil, nil, nil) }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let user = parts.first ?? ""
        let gid = parts.count > 1 ? UInt32(parts[1]) : nil
        if let uid = UInt32(user) { return (uid, gid, nil) }
        return (nil, gid, user)
    }

    /// Applies these settings to a container's (or an exec's) spawn request: the process'
    /// credentials and confinement. `readOnlyRootFilesystem` is a filesystem setting: it goes
    /// to `ContainerFilesystem.readOnlyRootfs`, whose mount plan decides both the /etc binds and
    /// the final read-only remount of the root (`ContainerMountPlan.remountRootReadOnly`).
    public func apply(to request: inout SpawnRequest) {
        request.user = SpawnRequest.User(uid: uid, gid: gid, groups: groups)
        request.capabilities = capabilities
        request.noNewPrivileges = noNewPrivileges
        request.seccompRuntimeDefault = seccomp == .runtimeDefault
    }
}

/// An image's `/etc/passwd` and `/etc/group`, read with the image root as `/`
/// (`ConfinedDirectory` `.inRoot`, like runc's securejoin): symlinks in the image cannot reach
/// the host's files. Missing or unreadable files are empty databases, as in containerd.
struct UserDatabase {
    struct Entry { var name: String; var uid: UInt32; var gid: UInt32 }
    var users: [Entry] = []
    var groupLines: [(name: String, gid: UInt32, members: [String])] = []

    /// At most this much of each file is read (a stranger's image could hold a huge one).
    static let maxBytes = 1 << 20

    init(imageRoot: String?) {
        guard let imageRoot, let root = try? ConfinedDirectory(path: imageRoot, confinement: .inRoot) else { return }
        for line in Self.lines(root, "etc/passwd") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { continue }
            users.append(Entry(name: String(fields[0]), uid: uid, gid: gid))
        }
        for line in Self.lines(root, "etc/group") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, let gid = UInt32(fields[2]) else { continue }
            groupLines.append((String(fields[0]), gid, fields[3].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }))
        }
    }

    func passwd(uid: UInt32) -> Entry? { users.first { $0.uid == uid } }
    func passwd(name: String) -> Entry? { users.first { $0.name == name } }

    /// gids of the groups whose member list names `user` (its own group excluded, as containerd).
    func groups(listing user: String) -> [UInt32] {
        groupLines.filter { $0.name != user && $0.members.contains(user) }.map(\.gid)
    }

    static func lines(_ root: ConfinedDirectory, _ path: String) -> [Substring] {
        guard let fd = try? root.open(path, flags: O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) else { return [] }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return [] }
        // Sized by the file (read once per container start), never past the cap.
        let capacity = min(max(Int(exactly: status.st_size) ?? maxBytes, 0) + 1, maxBytes)
        var bytes = [UInt8](repeating: 0, count: capacity)
        var total = 0
        while total < capacity {
            let n = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return -1 }
                return read(fd, base + total, capacity - total)
            }
            if n <= 0 { break }
            total += n
        }
        let text = String(decoding: bytes.prefix(total), as: UTF8.self)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    }
}
