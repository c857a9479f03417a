import Cgroups
import Foundation
import PodKit
import PodNetwork
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the whole pod test run shares: the built `podlab`, one data dir (IPAM leases and the
/// image cache: sharing it keeps pod IPs unique across parallel tests), one rootfs dir (the
/// busybox image is built on first use), the `plit0` bridge, and a run tag that prefixes every
/// test namespace so the final check finds exactly this run's leftovers.
final class PodlabTestEnvironment: @unchecked Sendable {
    static let shared = PodlabTestEnvironment()
    /// This run's bridge and subnet: a /20 of 10.214.0.0/16 picked per run, so two test runs
    /// on one machine (two CI jobs) never share a bridge, a route or an address.
    static let block = Int.random(in: 0...15) * 16
    static let bridge = "plit\(String(format: "%03x", block * 16 + Int.random(in: 0...15)))"
    static let subnet = "10.214.\(block).0/20"

    let root: String
    let dataDir: String
    let rootfsDir: String
    /// Four hex digits, e.g. `it3f2a`; every namespace of this run starts with it.
    let runTag: String
    private let lock = NSLock()
    private var counter = 0

    private init() {
        runTag = "it" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        root = "/tmp/podlab-it-\(getpid())-\(runTag)"
        dataDir = "\(root)/data"
        rootfsDir = "\(root)/rootfs"
        for dir in [dataDir, rootfsDir] { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    }

    /// The `podlab` executable built next to the test bundle (`swift build` puts every product in
    /// the same directory; scripts/test builds podlab and pause first).
    var podlab: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("podlab").path
    }

    /// The pod tests need root (CI runs as root). A missing binary is a failure, not a skip:
    /// `PodlabCLI.init` says how to build it.
    static var canRun: Bool { getuid() == 0 }

    /// A namespace no other test (or user) has: `<runTag>-<n>`.
    func nextNamespace() -> String {
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        return "\(runTag)-\(counter)"
    }

    // MARK: leak checks

    /// Everything podlab made for `keys` that still exists: supervisors of the state dir below
    /// `directory`, netns pins, host veths, cgroups, IP leases, and any mount under `directory`.
    /// Host-wide names are the keys qualified by the state dir (`<directory>/state`, as
    /// `PodlabCLI` lays it out): `PodlabPaths.hostName(forPod:)`.
    static func leftovers(keys: Set<String>, under directory: String, dataDir: String) -> [String] {
        var found: [String] = []
        let paths = PodlabPaths(stateDir: "\(directory)/state", dataDir: dataDir, rootfsDir: "", labsDir: "", reportsDir: "")
        let names = Set(keys.map(paths.hostName(forPod:)))
        for name in names.sorted() {
            let pin = "/run/netns/\(PodNetwork.pinPrefix)\(name)"
            if FileManager.default.fileExists(atPath: pin) { found.append("netns pin \(pin)") }
            let veth = HostVethName.forPod(name)
            if FileManager.default.fileExists(atPath: "/sys/class/net/\(veth)") { found.append("veth \(veth)") }
            for cgroup in cgroupDirectories(named: name) { found.append("cgroup \(cgroup)") }
        }
        for lease in leases(in: dataDir) where names.contains(lease.owner) { found.append("lease \(lease.address) of \(lease.owner)") }
        for mount in mounts(under: directory) { found.append("mount \(mount)") }
        for pid in processes(mentioning: directory) { found.append("process \(pid): \(commandLine(pid))") }
        return found
    }

    /// The pod cgroup parents: `/sys/fs/cgroup/<controller>/podlab/<kubepods QoS dir>` (v1) or
    /// `/sys/fs/cgroup/podlab/<kubepods QoS dir>` (v2), docs/FIDELITY.md #90.
    static var podCgroupParents: [String] {
        let controllers = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
        let roots = controllers.map { "/sys/fs/cgroup/\($0)/podlab" } + ["/sys/fs/cgroup/podlab"]
        return roots.flatMap { root in KubepodsTree.qosDirectories.map { "\(root)/\($0)" } }
    }

    /// The pod cgroup of the host name `key` (`.../kubepods/<qos>/pod<key>`), wherever it exists.
    static func cgroupDirectories(named key: String) -> [String] {
        podCgroupParents.map { "\($0)/\(KubepodsTree.podPrefix)\(key)" }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// IPAM lease files (`<dataDir>/ipam/<bridge>/<ip>`, content = the pod key).
    static func leases(in dataDir: String) -> [(address: String, owner: String)] {
        let dir = "\(dataDir)/ipam/\(bridge)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.split(separator: ".").count == 4 && $0.allSatisfy { $0.isNumber || $0 == "." } }.map { name in
            let owner = (try? String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8))?
                .split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            return (name, owner)
        }
    }

    /// Mount points at or below `path` in this process' mount namespace.
    static func mounts(under path: String) -> [String] { MountTable.mountPoints(under: path) }

    /// Processes whose environment or command line names `path` (the supervisors of a test's
    /// state dir carry `PODLAB_STATE_DIR=<path>/state`).
    static func processes(mentioning path: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let needle = Data(path.utf8)
        return entries.compactMap(Int32.init).filter { pid in
            guard pid != getpid() else { return false }
            let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            return environ.range(of: needle) != nil || cmdline.range(of: needle) != nil
        }
    }

    static func commandLine(_ pid: Int32) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// Detaches anything still mounted below `path` (deepest first), then deletes it.
    static func removeTree(_ path: String) {
        for mountPoint in mounts(under: path).sorted(by: { $0.count > $1.count }) {
            _ = umount2(mountPoint, Int32(MNT_DETACH))
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    // MARK: end of run

    /// After every pod test: nothing of this run is left anywhere (pins, veths on the bridge,
    /// cgroups, leases, mounts, processes), then the bridge and the shared directories go.
    func finalCheck() {
        var found: [String] = []
        let pins = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        found += pins.filter { $0.hasPrefix("\(PodNetwork.pinPrefix)\(runTag)-") }.map { "netns pin /run/netns/\($0)" }
        let bridgePorts = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net/\(Self.bridge)/brif")) ?? []
        found += bridgePorts.map { "veth \($0) on \(Self.bridge)" }
        for parent in Self.podCgroupParents {
            let pods = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            found += pods.filter { $0.hasPrefix("\(KubepodsTree.podPrefix)\(runTag)-") }.map { "cgroup \(parent)/\($0)" }
        }
        found += Self.leases(in: dataDir).map { "lease \($0.address) of \($0.owner)" }
        found += Self.mounts(under: root).filter { !$0.hasPrefix(dataDir + "/images") }.map { "mount \($0)" }
        found += Self.processes(mentioning: root).map { "process \($0): \(Self.commandLine($0))" }
        #expect(found.isEmpty, "the pod tests left these behind: \(found)")
        deleteBridge()
        Self.removeTree(root)
    }

    /// Deletes the test bridge and its forward filter table (`inet podlab-<bridge>`) the way
    /// `podlab clean` does (`ip link del` alone left the nftables table behind).
    func deleteBridge() {
        do {
            let config = try PodNetworkConfig(bridgeName: Self.bridge, subnet: Self.subnet)
            let paths = PodlabPaths(stateDir: root + "/state", dataDir: dataDir, rootfsDir: rootfsDir, labsDir: "", reportsDir: "")
            _ = try PodNetwork(config: config, paths: paths).removeBridge()
        } catch {
            Issue.record("could not delete bridge \(Self.bridge) and its forward filter: \(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(Self.bridge)"), "could not delete bridge \(Self.bridge)")
    }
}

/// Wraps the whole pod suite once: runs every test, then `finalCheck()`.
struct PodlabEnvironmentTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        defer { PodlabTestEnvironment.shared.finalCheck() }
        try await function()
    }
}

extension Trait where Self == PodlabEnvironmentTrait {
    /// The pod suite's shared environment and its end-of-run leak check.
    static var podlabEnvironment: Self { Self() }
}

/// Every test that runs real pods through the `podlab` binary. Nested suites live in the files
/// next to this one; they run in parallel (each test has its own state dir and namespace).
@Suite("podlab pods (real namespaces, cgroups, veths)", .enabled(if: PodlabTestEnvironment.canRun), .podlabEnvironment)
enum PodTests {}
