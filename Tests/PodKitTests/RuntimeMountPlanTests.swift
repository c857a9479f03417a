import PodlabCore
import Testing

@testable import PodKit

@Suite("Container mount plan")
struct RuntimeMountPlanTests {
    let fs = ContainerFilesystem(
        imageDir: "/var/lib/podlab/images/abc/rootfs", upperDir: "/run/podlab/pods/web/nginx/0/upper",
        workDir: "/run/podlab/pods/web/nginx/0/work", rootfs: "/run/podlab/pods/web/nginx/0/rootfs",
        podShmDir: "/run/podlab/pods/web/shm", hostsFile: "/run/podlab/pods/web/etc-hosts",
        hostnameFile: "/run/podlab/pods/web/hostname", resolvConfFile: "/run/podlab/pods/web/resolv.conf",
        volumes: [
            .init(hostPath: "/run/podlab/pods/web/volumes/html", containerPath: "/usr/share/nginx/html", readOnly: true),
            .init(hostPath: "/run/podlab/pods/web/volumes/cache", containerPath: "/cache"),
        ])
    let root = "/run/podlab/pods/web/nginx/0/rootfs"

    @Test func mountsComeInRuncOrderWithVolumesLast() throws {
        let plan = try ContainerMountPlan.make(for: fs)
        let targets = plan.mounts.map { $0.target == root ? "/" : String($0.target.dropFirst(root.count)) }
        #expect(
            targets == [
                "/", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                "/dev/ptmx", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/etc/hosts", "/etc/hostname",
                "/etc/resolv.conf", "/usr/share/nginx/html", "/cache",
            ])
    }

    @Test func devSymlinksAreRuncs() throws {
        var withCore = fs
        withCore.linkDevCore = true
        let links = try ContainerMountPlan.make(for: withCore).mounts.filter { $0.create == .symlink }
        #expect(links.map { String($0.target.dropFirst(root.count)) } == ["/dev/ptmx", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/core"])
        // runc setupPtmx: a relative link into the container's own devpts, never a node.
        #expect(links.map(\.source) == ["pts/ptmx", "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2", "/proc/kcore"])
    }

    @Test func cgroupV1ViewIsReadOnlyBindsInARuncTmpfsLeftReadWrite() throws {
        var v1 = fs
        v1.cgroupView = .perHierarchy([
            .init(name: "memory", hostDirectory: "/sys/fs/cgroup/memory/podlab/kubepods/podx/c1"),
            .init(name: "cpu,cpuacct", hostDirectory: "/sys/fs/cgroup/cpu,cpuacct/podlab/kubepods/podx/c1"),
        ])
        let cgroup = root + "/sys/fs/cgroup"
        let mounts = try ContainerMountPlan.make(for: v1).mounts.filter { $0.target.hasPrefix(cgroup) }
        #expect(mounts.map(\.target) == [cgroup, cgroup + "/memory", cgroup + "/cpu,cpuacct", cgroup + "/cpu", cgroup + "/cpuacct"])
        #expect(mounts[3].create == .symlink && mounts[3].source == "cpu,cpuacct")
        // runc 1.x mountCgroupV1: the tmpfs has defaultMountFlags and is never remounted
        // read-only (containerd shows `rw`, docs/FIDELITY.md #227).
        #expect(mounts[0].fstype == "tmpfs" && !mounts[0].isReadOnly && mounts[0].data == "mode=755")
        #expect(mounts[0].flags == [.noSuid, .noExec, .noDev])
        #expect(!mounts.contains { $0.flags.contains(.remount) })
        #expect(mounts[1].source == "/sys/fs/cgroup/memory/podlab/kubepods/podx/c1" && mounts[1].flags.contains(.bind) && mounts[1].isReadOnly)
        // runc's binds carry the cgroup mount's nosuid, noexec, nodev (what containerd shows).
        #expect(mounts[1].flags.isSuperset(of: [.noSuid, .noExec, .noDev]) && mounts[2].flags.isSuperset(of: [.noSuid, .noExec, .noDev]))
        v1.cgroupView = .perHierarchy([.init(name: "..", hostDirectory: "/x")])
        #expect(throws: PodlabError.self) { try ContainerMountPlan.make(for: v1) }
    }

    @Test func cgroupV2ViewIsAReadOnlyCgroup2Mount() throws {
        var v2 = fs
        v2.cgroupView = .unified
        let mounts = try ContainerMountPlan.make(for: v2).mounts.filter { $0.target.hasPrefix(root + "/sys/fs/cgroup") }
        #expect(mounts.count == 1)
        #expect(mounts.first?.fstype == "cgroup2" && mounts.first?.isReadOnly == true)
    }

    @Test func rootIsAnOverlayOfTheImageWithAPerAttemptUpperLayer() throws {
        let overlay = try #require(ContainerMountPlan.make(for: fs).mounts.first)
        #expect(overlay.fstype == "overlay")
        #expect(overlay.target == root)
        #expect(
            overlay.data
                == "lowerdir=/var/lib/podlab/images/abc/rootfs,upperdir=/run/podlab/pods/web/nginx/0/upper,workdir=/run/podlab/pods/web/nginx/0/work"
        )
        #expect(!overlay.isReadOnly)
    }

    @Test func devAndSysHaveRuncsFlags() throws {
        let byTarget = Dictionary(uniqueKeysWithValues: try ContainerMountPlan.make(for: fs).mounts.map { ($0.target, $0) })
        let dev = try #require(byTarget[root + "/dev"])
        #expect(dev.fstype == "tmpfs" && dev.data == "mode=755,size=65536k" && dev.flags.contains(.noSuid))
        let pts = try #require(byTarget[root + "/dev/pts"])
        #expect(pts.fstype == "devpts" && pts.data?.contains("newinstance,ptmxmode=0666,mode=0620") == true)
        let ptmx = try #require(byTarget[root + "/dev/ptmx"])
        #expect(ptmx.source == "pts/ptmx" && ptmx.create == .symlink)
        let sys = try #require(byTarget[root + "/sys"])
        #expect(sys.fstype == "sysfs" && sys.flags.isSuperset(of: [.readOnly, .noSuid, .noExec, .noDev]))
        let mqueue = try #require(byTarget[root + "/dev/mqueue"])
        #expect(mqueue.fstype == "mqueue")
    }

    @Test func podShmIsSharedByBindAndEtcFilesAreWritableFileBinds() throws {
        let byTarget = Dictionary(uniqueKeysWithValues: try ContainerMountPlan.make(for: fs).mounts.map { ($0.target, $0) })
        let shm = try #require(byTarget[root + "/dev/shm"])
        #expect(shm.source == "/run/podlab/pods/web/shm" && shm.flags.contains(.bind) && !shm.isReadOnly)
        for (file, source) in [("/etc/hosts", fs.hostsFile), ("/etc/hostname", fs.hostnameFile), ("/etc/resolv.conf", fs.resolvConfFile)] {
            let entry = try #require(byTarget[root + file])
            #expect(entry.source == source)
            #expect(entry.create == .file)
            #expect(entry.flags.contains(.bind) && !entry.isReadOnly, "kubelet mounts \(file) read-write")
        }
    }

    @Test func readOnlyVolumeIsReadOnlyOnlyWhereAsked() throws {
        let byTarget = Dictionary(uniqueKeysWithValues: try ContainerMountPlan.make(for: fs).mounts.map { ($0.target, $0) })
        #expect(try #require(byTarget[root + "/usr/share/nginx/html"]).isReadOnly)
        #expect(try #require(byTarget[root + "/cache"]).isReadOnly == false)
    }

    @Test func readOnlyRootFilesystemRemountsTheRootAndBindsHostnameAndResolvConfReadOnly() throws {
        #expect(try ContainerMountPlan.make(for: fs).remountRootReadOnly == false)
        var readOnly = fs
        readOnly.readOnlyRootfs = true
        let plan = try ContainerMountPlan.make(for: readOnly)
        // runc mounts the root read-write and remounts it read-only last (setReadonly): the
        // plan creates targets in it (/etc/hostname, volume directories) first.
        #expect(plan.remountRootReadOnly)
        #expect(!plan.mounts[0].isReadOnly)
        let byTarget = Dictionary(uniqueKeysWithValues: plan.mounts.map { ($0.target, $0) })
        // containerd containerMounts: `Readonly: securityContext.GetReadonlyRootfs()`.
        #expect(try #require(byTarget[root + "/etc/hostname"]).isReadOnly)
        #expect(try #require(byTarget[root + "/etc/resolv.conf"]).isReadOnly)
        // kubelet makeHostsMount: `ReadOnly: false`, whatever the root.
        #expect(try #require(byTarget[root + "/etc/hosts"]).isReadOnly == false)
        #expect(try #require(byTarget[root + "/dev/shm"]).isReadOnly == false)
        #expect(try #require(byTarget[root + "/cache"]).isReadOnly == false, "a volume keeps its own readOnly")
    }

    @Test func devicesAreRuncsNodesMadeWithMknod() throws {
        let devices = try ContainerMountPlan.make(for: fs).devices
        #expect(devices.map(\.hostPath) == ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"])
        #expect(devices.allSatisfy { $0.target == root + $0.hostPath })
        // runc AllowedDevices: c 1:3, 1:5, 1:7, 1:8, 1:9, 5:0, mode 0666, 0:0.
        #expect(devices.map { "\($0.node.major):\($0.node.minor)" } == ["1:3", "1:5", "1:7", "1:8", "1:9", "5:0"])
        #expect(devices.allSatisfy { $0.node.mode == 0o666 && $0.node.uid == 0 && $0.node.gid == 0 })
        #expect(!devices.contains { $0.hostPath == "/dev/ptmx" }, "/dev/ptmx is runc's link, not a node")
    }

    @Test func refusesPathsOverlayOrTheRootCannotHold() {
        var comma = fs
        comma.upperDir = "/tmp/a,b"
        #expect(throws: PodlabError.self) { try ContainerMountPlan.make(for: comma) }
        var relative = fs
        relative.imageDir = "images/abc"
        #expect(throws: PodlabError.self) { try ContainerMountPlan.make(for: relative) }
        var escape = fs
        escape.volumes = [.init(hostPath: "/tmp/v", containerPath: "/data/../../etc")]
        #expect(throws: PodlabError.self) { try ContainerMountPlan.make(for: escape) }
    }
}
