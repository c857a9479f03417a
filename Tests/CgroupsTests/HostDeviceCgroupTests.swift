import Cgroups
import Foundation
import PodlabCore
import Testing

/// The device allowlist enforced by this host's kernel, as root: a process moved into a child
/// cgroup creates device nodes in a temporary directory (allowed, as runc allows `m` for all)
/// and opens them. `/dev/null`-like nodes open; `/dev/kmsg` (1:11), `/dev/net/tun` (10:200)
/// and a block device (loop0, 7:0) answer EPERM. The same probe outside the cgroup opens them
/// all, so the test proves the cgroup, not the filesystem, denies them.
///
/// v2: a `BPF_CGROUP_DEVICE` program on the cgroup2 mount (on a hybrid host such as this one,
/// `/sys/fs/cgroup/unified`, where device programs work without any controller). v1: the
/// `devices` hierarchy, which pods use on hybrid hosts.
@Suite(.enabled(if: getuid() == 0, "needs root to create cgroups and device nodes"))
struct HostDeviceCgroupTests {
    @Test(.enabled(if: hostUnifiedMountPoint() != nil, "needs a cgroup2 mount"))
    func v2DeviceFilterDeniesEverythingButTheAllowlist() throws {
        let mount = try #require(hostUnifiedMountPoint())
        let parent = "podlab-devtest-\(UInt32.random(in: 0...UInt32.max))"
        let driver = try CgroupV2Driver(mountPoint: mount, parent: parent)
        defer {
            try? driver.removeAll()
            removeCgroupTree(mount + "/" + parent)
        }
        try checkAllowlist(driver)
        // Applied twice, attached once: the second attach detached the first program.
        #expect(try attachedDevicePrograms(mount + "/" + parent + "/p/app-0") == 1)
    }

    @Test(.enabled(if: hostLayout()?.v1MountPoints["devices"] != nil && hostLayout()?.version == .v1,
                   "needs the cgroup v1 devices hierarchy"))
    func v1DevicesControllerDeniesEverythingButTheAllowlist() throws {
        let parent = "podlab-devtest-\(UInt32.random(in: 0...UInt32.max))"
        let driver = try #require(hostLayout()).makeDriver(parent: parent)
        defer {
            try? driver.removeAll()
            // Every hierarchy, named ones (`name=systemd`, docs/FIDELITY.md #182) included.
            for hierarchy in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
                removeCgroupTree("/sys/fs/cgroup/\(hierarchy)/\(parent)")
            }
        }
        try checkAllowlist(driver)
        let list = try String(contentsOfFile: driver.interfaceFile("devices.list", of: ContainerCgroup(pod: "p", name: "app-0")), encoding: .utf8)
        #expect(Set(list.split(separator: "\n").map(String.init)) == Set(DeviceRule.containerDefaults.map(\.description)))
    }

    @Test func doctorsCheckNamesTheMechanismOrWhatIsMissing() throws {
        // v2: loads a real one-instruction device program (any kernel with CONFIG_CGROUP_BPF).
        let v2 = CgroupLayout(version: .v2, unifiedMountPoint: "/sys/fs/cgroup", v1MountPoints: [:])
        #expect(try v2.deviceControl() == "cgroup v2 device filter (bpf BPF_PROG_TYPE_CGROUP_DEVICE)")
        let v1 = CgroupLayout(version: .v1, unifiedMountPoint: nil, v1MountPoints: ["memory": "/sys/fs/cgroup/memory"])
        #expect {
            try v1.deviceControl()
        } throws: { error in
            (error as? PodlabError)?.message.contains("devices controller is not mounted") == true
        }
    }

    private func checkAllowlist(_ driver: any CgroupDriver) throws {
        _ = try driver.createPod("p", resources: .unlimited)
        let child = try driver.createChild(pod: "p", name: "app-0", resources: ContainerCgroupResources(oomGroup: false, noSwap: false))
        // Applying again to the same child (a reused cgroup) must leave the policy in force.
        _ = try driver.createChild(pod: "p", name: "app-0", resources: ContainerCgroupResources(oomGroup: false, noSwap: false))

        let outside = try probe(joining: [])
        #expect(outside["open kmsg"] == 0, "control: outside the cgroup the node opens (\(outside))")
        #expect(outside["open loop0"] == 0 || outside["open loop0"] == ENXIO, "control: \(outside)")

        let inside = try probe(joining: driver.procsFiles(for: child))
        #expect(inside["mknod kmsg"] == 0)
        #expect(inside["open kmsg"] == EPERM)
        #expect(inside["write kmsg"] == EPERM)
        #expect(inside["mknod null"] == 0)
        #expect(inside["write null"] == 0)
        #expect(inside["open /dev/null"] == 0)
        #expect(inside["read /dev/urandom"] == 0)
        #expect(inside["mknod tun"] == 0)
        #expect(inside["open tun"] == EPERM)
        #expect(inside["mknod loop0"] == 0)
        #expect(inside["open loop0"] == EPERM)
        #expect(inside.count == 11, "every probe ran: \(inside)")
    }

    /// How many BPF_CGROUP_DEVICE programs are attached to a cgroup directory
    /// (bpf(BPF_PROG_QUERY) from python's ctypes, so the test does not trust podlab's own C).
    private func attachedDevicePrograms(_ directory: String) throws -> Int {
        let script = """
            import ctypes, os, platform, struct, sys
            number = {"x86_64": 321, "aarch64": 280}[platform.machine()]
            fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
            ids = (ctypes.c_uint32 * 64)()
            # union bpf_attr .query: target_fd, attach_type (BPF_CGROUP_DEVICE = 6), query_flags,
            # attach_flags, prog_ids, prog_cnt; padded to the size of the union's first members.
            attr = ctypes.create_string_buffer(struct.pack("=IIIIQI4x", fd, 6, 0, 0, ctypes.addressof(ids), 64), 128)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.syscall(number, 16, attr, 128) != 0:  # BPF_PROG_QUERY
                sys.exit("BPF_PROG_QUERY: " + os.strerror(ctypes.get_errno()))
            print(struct.unpack_from("=I", attr.raw, 24)[0])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec python3 -c \"$1\" \"$2\"", "query", script, directory]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try #require(Int(text), "BPF_PROG_QUERY output: \(text)")
    }

    /// Runs the probe in a new process that first writes its pid into `procsFiles`; returns the
    /// errno of each operation (0: it worked).
    private func probe(joining procsFiles: [String]) throws -> [String: Int32] {
        let template = NSTemporaryDirectory() + "podlab-devtest-XXXXXX"
        var buffer = Array(template.utf8CString)
        guard mkdtemp(&buffer) != nil else { throw PodlabError.syscall("mkdtemp(\(template))", .init(rawValue: errno)) }
        let dir = String(cString: buffer)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let script = """
            import os, stat, sys
            d = sys.argv[1]
            def attempt(name, action):
                try:
                    action()
                    print(name, 0)
                except OSError as e:
                    print(name, e.errno)
            def node(name, kind, major, minor):
                attempt("mknod " + name, lambda: os.mknod(d + "/" + name, 0o600 | kind, os.makedev(major, minor)))
            def use(label, path, flags, data=None):
                def act():
                    fd = os.open(path, flags | os.O_NONBLOCK)
                    try:
                        if data is not None: os.write(fd, data)
                    finally:
                        os.close(fd)
                attempt(label, act)
            node("kmsg", stat.S_IFCHR, 1, 11)
            use("open kmsg", d + "/kmsg", os.O_RDONLY)
            if sys.argv[2] == "confined":
                use("write kmsg", d + "/kmsg", os.O_WRONLY, b"podlab device test: must not reach the kernel log\\n")
            node("null", stat.S_IFCHR, 1, 3)
            use("write null", d + "/null", os.O_WRONLY, b"x")
            use("open /dev/null", "/dev/null", os.O_RDWR)
            attempt("read /dev/urandom", lambda: open("/dev/urandom", "rb").read(1))
            node("tun", stat.S_IFCHR, 10, 200)
            use("open tun", d + "/tun", os.O_RDWR)
            node("loop0", stat.S_IFBLK, 7, 0)
            use("open loop0", d + "/loop0", os.O_RDONLY)
            """
        let join = procsFiles.map { "echo $$ > '\($0)' && " }.joined()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(join)exec python3 -c \"$1\" \"$2\" \"$3\"", "probe", script, dir, procsFiles.isEmpty ? "control" : "confined"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var results: [String: Int32] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let space = line.lastIndex(of: " "), let code = Int32(line[line.index(after: space)...]) else { continue }
            results[String(line[..<space])] = code
        }
        return results
    }
}

/// Removes a test's cgroup tree, deepest first, retrying for up to 2 s: the probe has exited
/// but its cgroup can stay busy for a moment (EBUSY), and a `try?` once left
/// `podlab-devtest-*/p/app-0` in every v1 hierarchy of the host.
private func removeCgroupTree(_ root: String) {
    guard FileManager.default.fileExists(atPath: root) else { return }
    let deadline = Date().addingTimeInterval(2)
    while true {
        let below = (FileManager.default.subpaths(atPath: root) ?? [])
            .map { root + "/" + $0 }
            .filter { path in var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue }
            .sorted { $0.count > $1.count }
        for dir in below { _ = rmdir(dir) }
        if rmdir(root) == 0 || errno == ENOENT { return }
        if Date() > deadline {
            Issue.record("could not remove test cgroup \(root): \(String(cString: strerror(errno)))")
            return
        }
        usleep(20_000)
    }
}

private func hostLayout() -> CgroupLayout? {
    try? CgroupLayout.detect()
}

/// The host's cgroup2 mount point, if any (hybrid: `/sys/fs/cgroup/unified`; v2: `/sys/fs/cgroup`).
private func hostUnifiedMountPoint() -> String? {
    hostLayout()?.unifiedMountPoint
}
