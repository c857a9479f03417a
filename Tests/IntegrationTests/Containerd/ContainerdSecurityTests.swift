import ContainerdKit
import Foundation
import PodKit
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// What kubelet sends containerd for a non-privileged container and podlab's containerd path
    /// did not (docs/FIDELITY.md #212): the default masked and read-only /proc paths and the
    /// seccomp profile of the pod and container `seccompProfile`. Checked from the host on the
    /// real processes containerd + runc started, on a containerd the test starts itself.
    @Suite("containerd: masked paths and seccomp", .serialized)
    struct ContainerdSecurityTests {
        /// `Seccomp:` of /proc/PID/status (0 none, 2 filter), nil when unreadable.
        static func seccompMode(_ pid: Int32) -> Int? {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix("Seccomp:") {
                return Int(line.dropFirst("Seccomp:".count).trimmingCharacters(in: .whitespaces))
            }
            return nil
        }

        /// The per-mount options of the mount at `mountPoint` in PID's mount namespace (the
        /// last one, the one on top), nil when nothing is mounted there.
        static func mountOptions(_ pid: Int32, at mountPoint: String) -> [String]? {
            // Read to the end: Foundation's String(contentsOfFile:) stops after the first 4 KiB
            // of a procfs file, where the masks of a container's mountinfo come last.
            let text = String(decoding: (try? FileSystem.readFile("/proc/\(pid)/mountinfo")) ?? [], as: UTF8.self)
            var found: [String]?
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count > 5, fields[4] == mountPoint { found = fields[5].split(separator: ",").map(String.init) }
            }
            return found
        }

        /// The process's memory cgroup directory (v1) or its cgroup (v2).
        static func memoryCgroup(_ pid: Int32) -> String? {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                if fields.count == 3, fields[1].split(separator: ",").contains("memory") { return "/sys/fs/cgroup/memory" + fields[2] }
            }
            return text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { "/sys/fs/cgroup" + $0.dropFirst(3) }
        }

        static func read(_ path: String) -> String {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing \(path)>").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test("RuntimeDefault seccomp, masked /proc paths, read-only /proc/sys and the pod cgroup through CRI",
              .enabled(if: PodlabTestEnvironment.canRun))
        func maskedPathsAndSeccomp() throws {
            let cli = try PodlabCLI("containerd security")
            defer { cli.tearDown() }
            let containerd = try TestContainerd(cli, bridgePrefix: "plse", subnetBlock: "10.246")
            defer { containerd.stop() }
            let paths = containerd.paths, setup = containerd.setup, instance = containerd.instance
            let endpoint = ["--runtime", "containerd", "--cri-endpoint", "unix://" + setup.socket]

            // Pod-level RuntimeDefault (the sandbox gets it, and `inherits`), one container that
            // says Unconfined (which must be sent explicitly: RuntimeDefault is the proto3 zero).
            let applied = try cli.run(["apply", "-f", "-", "-n", cli.namespace] + endpoint, environment: ContainerdLabTests.shimEnvironment, input: """
                apiVersion: v1
                kind: Pod
                metadata: {name: confined}
                spec:
                  terminationGracePeriodSeconds: 1
                  securityContext:
                    seccompProfile: {type: RuntimeDefault}
                  containers:
                  - name: inherits
                    image: busybox
                    command: [sleep, "3600"]
                    resources: {limits: {memory: 64Mi, cpu: 200m}}
                  - name: open
                    image: busybox
                    command: [sleep, "3600"]
                    resources: {limits: {memory: 32Mi, cpu: 100m}}
                    securityContext:
                      seccompProfile: {type: Unconfined}
                """)
            cli.adopt(applied)
            try #require(applied.status == 0, "\(applied.description)")
            let record = try PodStore(paths: paths).load(key: cli.key("confined"))
            let pause = try #require(record.sandbox.pausePID)
            let inherits = try #require(record.containers.first { $0.name == "inherits" }?.pid)
            let open = try #require(record.containers.first { $0.name == "open" }?.pid)

            // kubelet's getSeccompProfile: container, then pod; the sandbox takes the pod's.
            #expect(Self.seccompMode(inherits) == 2, "inherits: Seccomp \(String(describing: Self.seccompMode(inherits)))")
            #expect(Self.seccompMode(open) == 0, "open: Seccomp \(String(describing: Self.seccompMode(open)))")
            #expect(Self.seccompMode(pause) == 2, "pause: Seccomp \(String(describing: Self.seccompMode(pause)))")

            // kubelet's default masked and read-only paths, in every container.
            for (name, pid) in [("inherits", inherits), ("open", open)] {
                // Paths the kernel lacks are skipped by runc (this VM has no /proc/kcore).
                if FileManager.default.fileExists(atPath: "/proc/kcore") {
                    #expect(Self.mountOptions(pid, at: "/proc/kcore") != nil, "\(name): /proc/kcore is not masked")
                }
                #expect(Self.mountOptions(pid, at: "/proc/timer_list") != nil, "\(name): /proc/timer_list is not masked")
                #expect(Self.mountOptions(pid, at: "/proc/keys") != nil, "\(name): /proc/keys is not masked")
                let sys = Self.mountOptions(pid, at: "/proc/sys")
                #expect(sys?.contains("ro") == true, "\(name): /proc/sys mount options \(String(describing: sys))")
            }
            // And as a process inside sees it: /proc/keys reads as empty (/dev/null), /proc/sys refuses a write.
            let keys = try cli.run(["exec", "confined", "-c", "inherits", "--", "wc", "-c", "/proc/keys"])
            #expect(keys.stdout.hasPrefix("0 "), "\(keys.description)")
            let write = try cli.run(["exec", "confined", "-c", "open", "--", "sh", "-c", "echo podlab > /proc/sys/kernel/hostname"])
            #expect(write.status != 0, "\(write.description)")
            #expect((write.stdout + write.stderr).lowercased().contains("read-only"), "\(write.description)")

            // #211: the pod cgroup (the containers' parent) has the pod's values, written by
            // podlab before RunPodSandbox as kubelet's pod container manager does: Guaranteed,
            // 64Mi + 32Mi, 300m → 100663296 bytes, 307 shares.
            let podCgroup = try #require(Self.memoryCgroup(inherits).map { ($0 as NSString).deletingLastPathComponent })
            #expect(podCgroup.contains("/kubepods/pod"), "\(podCgroup)")
            if podCgroup.hasPrefix("/sys/fs/cgroup/memory/") {
                #expect(Self.read(podCgroup + "/memory.limit_in_bytes") == "100663296")
                let cpu = podCgroup.replacingOccurrences(of: "/sys/fs/cgroup/memory/", with: "/sys/fs/cgroup/cpu/")
                #expect(Self.read(cpu + "/cpu.shares") == "307")
                #expect(Self.read(cpu + "/cpu.cfs_quota_us") == "30000")
            } else {
                #expect(Self.read(podCgroup + "/memory.max") == "100663296")
            }

            #expect(try cli.run(["delete", "--all", "--grace-period", "0"], timeout: 120).status == 0)
            let removal = try instance.down()
            #expect(removal.containerdStopped)
        }
    }
}
