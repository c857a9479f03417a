import Foundation
import PodlabCore

/// Starts early, on a side thread, the wait that the pod's first cgroup migration would
/// otherwise do on the critical path.
///
/// Why: moving a process with `cgroup.procs` takes the kernel's global
/// `cgroup_threadgroup_rwsem` for writing, and the first writer after a quiet spell waits for an
/// RCU grace period (`rcu_sync_enter`; 10–15 ms on this VM, measured with `perf trace`, unless
/// cgroupfs is mounted with `favordynmods`); writers within about one grace period after it do
/// not wait. `crun run` pays it too: back to back it takes 10.9 ms, 24.3 ms with 100 ms of
/// idle before each run (BENCHMARKS.md). `podlab apply` moves itself into the cgroup it is
/// already in (a migration that changes nothing) as its first act, so the grace period runs
/// while the manifest is parsed and the supervisor starts; pause's migration ~15 ms later then
/// finds the lock fast (perf trace: pause exec'd 12 ms earlier). Failures are ignored: this
/// only moves a wait earlier. `PODLAB_CGROUP_WARMUP=0` turns it off (to measure it).
public enum CgroupMigrationWarmUp {
    /// Starts the warm-up migration on a detached thread and returns at once.
    public static func begin(layout: CgroupLayout, selfCgroupPath: String = "/proc/self/cgroup") {
        guard let text = try? HostCgroupFileSystem().read(selfCgroupPath),
              let procs = ownProcsFile(layout: layout, selfCgroup: text) else { return }
        Thread.detachNewThread {
            guard let file = FileHandle(forWritingAtPath: procs) else { return }
            try? file.write(contentsOf: Data("0".utf8))
            try? file.close()
        }
    }

    /// The `cgroup.procs` file of this process's own cgroup in one hierarchy of `layout`:
    /// v1's memory hierarchy (always present on v1), else the unified one.
    /// - Parameter selfCgroup: the text of `/proc/self/cgroup` (`ID:CONTROLLERS:PATH` lines).
    public static func ownProcsFile(layout: CgroupLayout, selfCgroup: String) -> String? {
        for line in selfCgroup.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2].hasPrefix("/") else { continue }
            let path = fields[2] == "/" ? "" : String(fields[2])
            if layout.version == .v1, fields[1].split(separator: ",").contains("memory"), let mount = layout.v1MountPoints["memory"] {
                return "\(mount)\(path)/cgroup.procs"
            }
            if layout.version == .v2, fields[0] == "0", fields[1].isEmpty, let mount = layout.unifiedMountPoint {
                return "\(mount)\(path)/cgroup.procs"
            }
        }
        return nil
    }
}
