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
    /// This run's bridge and subnet: `PODLAB_BRIDGE`/`PODLAB_SUBNET` when set (a shared CI
    /// runner hands each job its own), otherwise a random bridge name that does not exist and a
    /// /20 of 10.214.0.0/16 that no host route overlaps (a leftover bridge of a killed run keeps
    /// its route, and a second bridge on the same subnet breaks both), so two test runs on one
    /// machine never share a bridge, a route or an address.
    static let bridge: String = {
        if let name = ProcessInfo.processInfo.environment["PODLAB_BRIDGE"], !name.isEmpty { return name }
        for _ in 0..<64 {
            let name = "plit\(String(format: "%03x", Int.random(in: 0...0xfff)))"
            if !FileManager.default.fileExists(atPath: "/sys/class/net/\(name)") { return name }
        }
        return "plit\(String(format: "%03x", Int.random(in: 0...0xfff)))"
    }()
    static let subnet: String = {
        if let subnet = ProcessInfo.processInfo.environment["PODLAB_SUBNET"], !subnet.isEmpty { return subnet }
        let routes = HostRoutes.ipv4()
        let free = (0...15).map { $0 * 16 }.filter { block in
            !routes.contains { $0.overlaps(network: HostRoutes.address(10, 214, UInt8(block), 0), prefix: 20) }
        }
        return "10.214.\(free.randomElement() ?? Int.random(in: 0...15) * 16).0/20"
    }()
    /// Whether the bridge was there before the run (a `PODLAB_BRIDGE` of someone's): then the
    /// run must not delete it at the end.
    static let bridgeExisted = FileManager.default.fileExists(atPath: "/sys/class/net/\(bridge)")

    let root: String
    let dataDir: String
    let rootfsDir: String
    /// Four hex digits, e.g. `it3f2a`; every namespace of this run starts with it.
    let runTag: String
    /// This run's own cgroup parent, `podlab-<runTag>` (`PODLAB_CGROUP_PARENT` of every podlab
    /// it starts): the run's pods, QoS cgroups and Burstable CPU shares never mix with a user's
    /// default `podlab` instance or another run's, and `finalCheck` removes the parent.
    let cgroupParent: String
    private let lock = NSLock()
    private var counter = 0

    private init() {
        _ = Self.bridgeExisted  // evaluated before any test creates the bridge
        runTag = "it" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        root = "/tmp/podlab-it-\(getpid())-\(runTag)"
        cgroupParent = "podlab-\(runTag)"
        dataDir = "\(root)/data"
        rootfsDir = "\(root)/rootfs"
        for dir in [dataDir, rootfsDir, "\(root)/tmp"] { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        // Temporary files of this process and of every podlab it starts (lab scripts' working
        // directories `podlab-<namespace>`, NSTemporaryDirectory users) go below `root`, which
        // `finalCheck` removes, instead of piling up in /tmp when a run is killed.
        originalTMPDIR = ProcessInfo.processInfo.environment["TMPDIR"]
        setenv("TMPDIR", "\(root)/tmp", 1)
    }

    /// TMPDIR before this run set it: restored by `finalCheck`, so suites still running after
    /// the pod suite do not recreate `root/tmp` once it is removed.
    private var originalTMPDIR: String?

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

    /// This run's pod cgroup parents: `/sys/fs/cgroup/<controller>/<parent>/<kubepods QoS dir>`
    /// (v1) or `/sys/fs/cgroup/<parent>/<kubepods QoS dir>` (v2), docs/FIDELITY.md #90, or on a
    /// systemd v2 host the delegated scope `/sys/fs/cgroup/system.slice/<parent>.scope/...` (#186).
    static var podCgroupParents: [String] {
        let parent = shared.cgroupParent
        let controllers = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
        let roots = controllers.map { "/sys/fs/cgroup/\($0)/\(parent)" }
            + ["/sys/fs/cgroup/\(parent)", "/sys/fs/cgroup/\(SystemdScope.slice)/\(parent).scope"]
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

    /// Processes whose `PODLAB_*` settings or command line name `path` (the supervisors of a
    /// test's state dir carry `PODLAB_STATE_DIR=<path>/state`). Other variables do not count:
    /// every child of the test process inherits `TMPDIR=<root>/tmp`, including the servers that
    /// other test suites (the registries) run at the same time.
    ///
    /// `path` counts only as a whole path: `<root>/it4a5d-2` must not match the processes of
    /// `<root>/it4a5d-20` (a sibling test's directory that shares the prefix; CI saw exactly that).
    static func processes(mentioning path: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard pid != getpid() else { return false }
            let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            let settings = environ.split(separator: 0).contains { entry in
                entry.starts(with: Data("PODLAB_".utf8)) && mentions(entry, path: path)
            }
            return settings || cmdline.split(separator: 0).contains { mentions($0, path: path) }
        }
    }

    /// Whether `text` contains `path` followed by `/` or by the end of the text.
    static func mentions(_ text: Data, path: String) -> Bool {
        let bytes = Array(path.utf8)
        let haystack = Array(text)
        guard haystack.count >= bytes.count else { return false }
        for start in 0...(haystack.count - bytes.count) where haystack[start..<start + bytes.count].elementsEqual(bytes) {
            let end = start + bytes.count
            if end == haystack.count || haystack[end] == UInt8(ascii: "/") { return true }
        }
        return false
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
        if !Self.bridgeExisted { deleteBridge() }
        removeCgroupParent()
        if let originalTMPDIR { setenv("TMPDIR", originalTMPDIR, 1) } else { unsetenv("TMPDIR") }
        Self.removeTree(root)
    }

    /// Removes this run's cgroup parent as `podlab clean` does, and fails if any of it stays
    /// (something of the run still lives below it).
    func removeCgroupParent() {
        do {
            let driver = try CgroupLayout.detect().makeDriver(parent: cgroupParent)
            for failure in PodCleaner.removeUnusedParentCgroups(driver) where failure.hasPrefix("failed") { Issue.record("\(failure)") }
        } catch {
            Issue.record("could not remove cgroup parent \(cgroupParent): \(error)")
        }
        let controllers = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
        let left = (controllers.map { "/sys/fs/cgroup/\($0)/\(cgroupParent)" } + ["/sys/fs/cgroup/\(cgroupParent)"])
            .filter { FileManager.default.fileExists(atPath: $0) }
        #expect(left.isEmpty, "the pod tests' cgroup parent is still there: \(left)")
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

/// The host's IPv4 routes from `/proc/net/route` (the kernel's `fib_route_seq_show` format:
/// the `__be32` destination and mask printed as a native u32, so `UInt32(bigEndian:)` gives
/// host order on any machine). The default route (mask 0) overlaps nothing on purpose.
enum HostRoutes {
    struct Route {
        var destination: UInt32
        var mask: UInt32

        /// Whether this route and `network/prefix` share any address.
        func overlaps(network: UInt32, prefix: Int) -> Bool {
            let other: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
            let common = mask & other
            return destination & common == network & common && mask != 0
        }
    }

    /// `a.b.c.d` as a host-order integer.
    static func address(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> UInt32 {
        UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    static func ipv4() -> [Route] {
        guard let text = try? String(contentsOfFile: "/proc/net/route", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count > 7, let destination = UInt32(fields[1], radix: 16), let mask = UInt32(fields[7], radix: 16) else { return nil }
            return Route(destination: UInt32(bigEndian: destination), mask: UInt32(bigEndian: mask))
        }
    }
}
