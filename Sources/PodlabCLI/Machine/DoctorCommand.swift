import ArgumentParser
import Cgroups
import ContainerdKit
import Foundation
import PodKit
import PodlabCore
import RootfsKit

/// `podlab doctor`: can this machine run labs? Each failed check names its fix.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Check that this machine can run labs (root, namespaces, overlayfs, cgroups, images).")

    struct Check {
        var name: String
        var ok: Bool
        var detail: String
        var fix: String?
    }

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        var checks: [Check] = []
        let root = geteuid() == 0
        checks.append(Check(name: "root", ok: root, detail: root ? "running as root" : "running as uid \(geteuid())",
                            fix: "run podlab with sudo (namespaces, mounts, veths and cgroups need CAP_SYS_ADMIN and CAP_NET_ADMIN)"))
        let namespaces = ["net", "ipc", "uts", "pid", "mnt"].filter { !FileManager.default.fileExists(atPath: "/proc/self/ns/\($0)") }
        checks.append(Check(name: "namespaces", ok: namespaces.isEmpty,
                            detail: namespaces.isEmpty ? "net, ipc, uts, pid, mnt available" : "missing: \(namespaces.joined(separator: ", "))",
                            fix: "use a kernel built with CONFIG_NAMESPACES, CONFIG_NET_NS, CONFIG_PID_NS, CONFIG_IPC_NS, CONFIG_UTS_NS"))
        let filesystems = FileSystem.readWholeText("/proc/filesystems") ?? ""
        let overlay = filesystems.contains("\toverlay\n")
        checks.append(Check(name: "overlayfs", ok: overlay, detail: overlay ? "overlay in /proc/filesystems" : "overlay not available",
                            fix: "modprobe overlay"))
        do {
            let layout = try CgroupLayout.detect()
            let detail = layout.version == .v2
                ? "cgroup v2 at \(layout.unifiedMountPoint ?? "?"); \(layout.v2ParentSummary(parent: RuntimeConfiguration.current(paths: paths).cgroupParent))"
                : "cgroup v1\(layout.isHybrid ? " (hybrid: memory on v1, cgroup2 at \(layout.unifiedMountPoint ?? "?"))" : "")"
            checks.append(Check(name: "cgroups", ok: true, detail: detail))
            do {
                checks.append(Check(name: "devices", ok: true, detail: try layout.deviceControl()))
            } catch {
                checks.append(Check(name: "devices", ok: false, detail: "\(error)",
                                    fix: "mount the v1 devices controller, or use a kernel with CONFIG_CGROUP_BPF (containers get runc's device allowlist)"))
            }
        } catch {
            checks.append(Check(name: "cgroups", ok: false, detail: "\(error)", fix: "mount cgroup2 at /sys/fs/cgroup or the v1 memory controller"))
        }
        // The state dir's saved settings (what its pods run with), else the environment's.
        let settings = RuntimeConfiguration.current(paths: paths)
        checks.append(Check(name: "settings", ok: true, detail: "bridge \(settings.bridge), subnet \(settings.subnet), cgroup parent "
                            + "\(settings.cgroupParent), netns dir \(settings.netnsDir), instance \(settings.instanceTag ?? "default") "
                            + "(\(RuntimeConfiguration.source(paths: paths)))"))
        let bridge = FileManager.default.fileExists(atPath: "/sys/class/net/\(settings.bridge)")
        checks.append(Check(name: "bridge", ok: true, detail: bridge ? "bridge \(settings.bridge) present" : "bridge \(settings.bridge) not created yet (podlab creates it on the first pod)"))
        checks.append(Self.isolationCheck(paths: paths))
        let pause = settings.pauseBinary
        let pauseOK = FileManager.default.isExecutableFile(atPath: pause)
        checks.append(Check(name: "pause binary", ok: pauseOK, detail: pause, fix: "swift build --product pause (scripts/podlab does it)"))
        let catalog = ImageCatalog(paths: paths)
        if let image = try? catalog.resolve("busybox") {
            checks.append(Check(name: "busybox image", ok: true, detail: "\(image.tarballPath) (sha256:\(image.digest.prefix(12)))"))
        } else {
            let busybox = FileManager.default.isExecutableFile(atPath: "/bin/busybox")
            checks.append(Check(name: "busybox image", ok: busybox,
                                detail: busybox ? "not built yet; built on first use from /bin/busybox" : "no image and no /bin/busybox to build it",
                                fix: "apt-get install busybox-static, then podlab rootfs build busybox"))
        }
        checks += Self.runtimeChecks(paths: paths)
        var failed = false
        for check in checks {
            print("\(check.ok ? "ok  " : "FAIL")  \(check.name.padding(toLength: 14, withPad: " ", startingAt: 0))\(check.detail)")
            if !check.ok, let fix = check.fix {
                print("      fix: \(fix)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

extension DoctorCommand {
    /// Which runtimes this machine can use: podlab's own always (the checks above), containerd
    /// when its binaries and CNI plugins are here; a running instance must answer CRI v1 and
    /// have the sandbox image. Not failing: containerd is optional (issue 13).
    static func runtimeChecks(paths: PodlabPaths) -> [Check] {
        let setup = ContainerdSetup.forPaths(paths)
        let problems = RuntimeDoctor.containerdProblems(setup)
        if !problems.isEmpty {
            return problems.map { Check(name: "containerd", ok: true, detail: "unavailable: \($0.detail) (fix: \($0.fix))") }
        }
        guard let record = ContainerdInstance(setup: setup).running() else {
            return [Check(name: "containerd", ok: true, detail: "usable, not running (podlab runtime up containerd)")]
        }
        switch RuntimeDoctor.checkEndpoint(record.socket, sandboxImage: setup.sandboxImage) {
        case .success(let description):
            return [Check(name: "containerd", ok: true, detail: "\(description) at unix://\(record.socket)")]
        case .failure(let error):
            return [Check(name: "containerd", ok: false, detail: error.problem.detail, fix: error.problem.fix)]
        }
    }
}
