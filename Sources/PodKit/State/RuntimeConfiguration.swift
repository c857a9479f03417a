import Cgroups
import Foundation
import PodlabCore

/// The host-wide settings one podlab instance (state directory) runs its pods with: bridge,
/// subnet, netns pin directory, cgroup parent, pause binary, data directory.
///
/// Read once from the environment (`PODLAB_BRIDGE`, `PODLAB_SUBNET`, `PODLAB_NETNS_DIR`,
/// `PODLAB_CGROUP_PARENT`, `PODLAB_PAUSE`, `PODLAB_DATA_DIR`) by `apply`, and saved as
/// `<stateDir>/runtime.json` before the first pod exists (docs/FIDELITY.md #145). From then on
/// every podlab process of that state directory (the supervisors, `delete`, `clean`, `doctor`)
/// uses the saved settings: a `clean` from another shell, or of another run's state directory,
/// removes that run's bridge and cgroup parent, not the ones its own environment names.
/// (kubelet likewise keeps its cgroup root and CNI config in files it reads at start, not in
/// each caller's environment.)
public struct RuntimeConfiguration: Codable, Sendable, Equatable {
    public var stateDir: String
    public var dataDir: String
    /// The host bridge pods attach to (`podlab0`).
    public var bridge: String
    /// The pod subnet in CIDR (`10.88.0.0/16`).
    public var subnet: String
    /// Where netns pins live (`/run/netns`).
    public var netnsDir: String
    /// The parent cgroup of every pod cgroup (`podlab`).
    public var cgroupParent: String
    /// The pause executable.
    public var pauseBinary: String
    /// What qualifies this instance's host-wide names (`PodlabPaths.instanceTag`); nil for the
    /// default state directory. Saved for people and `doctor`; podlab recomputes it from `stateDir`.
    public var instanceTag: String?

    /// The file name below the state directory.
    public static let fileName = "runtime.json"

    public init(stateDir: String, dataDir: String, bridge: String, subnet: String, netnsDir: String, cgroupParent: String,
                pauseBinary: String, instanceTag: String?) {
        self.stateDir = stateDir
        self.dataDir = dataDir
        self.bridge = bridge
        self.subnet = subnet
        self.netnsDir = netnsDir
        self.cgroupParent = cgroupParent
        self.pauseBinary = pauseBinary
        self.instanceTag = instanceTag
    }

    /// The settings the environment asks for, for `paths`' state and data directories.
    public static func fromEnvironment(paths: PodlabPaths, _ environment: [String: String] = ProcessInfo.processInfo.environment) -> RuntimeConfiguration {
        RuntimeConfiguration(
            stateDir: paths.stateDir, dataDir: paths.dataDir,
            bridge: environment["PODLAB_BRIDGE"] ?? "podlab0",
            subnet: environment["PODLAB_SUBNET"] ?? "10.88.0.0/16",
            netnsDir: environment["PODLAB_NETNS_DIR"] ?? "/run/netns",
            cgroupParent: environment["PODLAB_CGROUP_PARENT"] ?? CgroupDefaults.parentName,
            pauseBinary: PodRuntimeFiles.pauseBinary(environment: environment),
            instanceTag: paths.instanceTag)
    }

    /// `<stateDir>/runtime.json`.
    public static func path(stateDir: String) -> String { stateDir + "/" + fileName }

    /// The saved settings of `stateDir`; nil if none were saved (no pod was ever applied there,
    /// or `clean` removed them).
    /// - Throws: `.invalidState` naming the file if it exists but cannot be read or decoded.
    public static func load(stateDir: String) throws -> RuntimeConfiguration? {
        let file = path(stateDir: stateDir)
        guard FileSystem.exists(file) else { return nil }
        let data = try FileSystem.readFile(file)
        do {
            return try JSONDecoder().decode(RuntimeConfiguration.self, from: Data(data))
        } catch {
            throw PodlabError(.invalidState, "\(file): not podlab runtime settings (\(error)); remove it, or run podlab clean")
        }
    }

    /// The settings podlab processes of `paths`' state directory use: the saved ones, else
    /// (nothing saved, or unreadable) the environment's.
    public static func current(paths: PodlabPaths, _ environment: [String: String] = ProcessInfo.processInfo.environment) -> RuntimeConfiguration {
        ((try? load(stateDir: paths.stateDir)) ?? nil) ?? fromEnvironment(paths: paths, environment)
    }

    /// Where these settings came from, for `doctor`: the saved file, or the environment.
    public static func source(paths: PodlabPaths) -> String {
        ((try? load(stateDir: paths.stateDir)) ?? nil) != nil ? "saved in \(path(stateDir: paths.stateDir))" : "from the environment (nothing saved yet)"
    }

    /// The settings that name things on the host (what `clean` must find again), as
    /// `name=value` pairs; two configurations that differ here cannot share pods.
    var hostSettings: [(String, String)] {
        [("PODLAB_DATA_DIR", dataDir), ("PODLAB_BRIDGE", bridge), ("PODLAB_SUBNET", subnet),
         ("PODLAB_NETNS_DIR", netnsDir), ("PODLAB_CGROUP_PARENT", cgroupParent)]
    }

    /// Saves these settings as the state directory's, under `<stateDir>/runtime.lock`: what
    /// `apply` does before it creates a pod. While pods of the state directory exist (`hasPods`),
    /// their host settings must stay: a different bridge, subnet, netns dir, cgroup parent or
    /// data dir is refused (`.conflict`, naming each setting), since `clean` could then find
    /// only one of the two sets of pieces. The pause binary may change at any time.
    public func adopt(hasPods: () -> Bool) throws {
        try FileSystem.makeDirectories(stateDir, mode: 0o755)
        try FileLock.withExclusiveLock(stateDir + "/runtime.lock") {
            if let saved = try Self.load(stateDir: stateDir), saved != self {
                let changed = zip(saved.hostSettings, hostSettings).filter { $0.0.1 != $0.1.1 }
                if !changed.isEmpty && hasPods() {
                    let list = changed.map { "\($0.0.0)=\($0.1.1) (the pods there use \($0.0.1))" }.joined(separator: ", ")
                    throw PodlabError(.conflict, "state dir \(stateDir) has pods made with other settings: \(list); delete them first, or use another PODLAB_STATE_DIR")
                }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try StateFile.replace(Self.path(stateDir: stateDir), with: try encoder.encode(self))
        }
    }

    /// Removes the saved settings and their lock (after `clean` removed every pod and piece).
    public static func remove(stateDir: String) throws {
        for file in [path(stateDir: stateDir), stateDir + "/runtime.lock"] where FileSystem.exists(file) {
            try checkedSyscall("unlink(\(file))") { unlink(file) }
        }
    }
}
