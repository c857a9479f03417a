import Foundation
import PodlabCore

/// The Burstable QoS cgroup's CPU shares, as kubelet's QoS manager sets them
/// (docs/FIDELITY.md #172): kubernetes `pkg/kubelet/cm/qos_container_manager_linux.go`
/// `setCPUCgroupConfig` sums `resource.PodRequests(pod)[cpu].MilliValue()` over the active
/// Burstable pods and writes `MilliCPUToShares(sum)` (at least `MinShares`, 2) to
/// `kubepods/burstable`; `UpdateCgroups` runs it whenever a pod is added or removed
/// (pod sync, pod cleanup). BestEffort stays at `MinShares` (``KubepodsTree/pinnedQoSParent(of:)``).
///
/// kubelet keeps the pods in memory; podlab has one supervisor per pod and several state
/// directories may share one cgroup parent, so the request of every Burstable pod cgroup is
/// written to a small file, `<directory>/<pod cgroup name>` (decimal milli-CPU), and the sum is
/// taken over the pod cgroups that exist in `kubepods/burstable` at that moment. The shares
/// cannot be read back from the pod cgroups instead: `MilliCPUToShares` gives 2 for 0, 1 and 2
/// milli-CPU, and v2's `cpu.weight` loses more. A pod cgroup without a file (made by a podlab
/// before this one) counts as 0; a file without a pod cgroup is removed.
public struct BurstableCPURequests: Sendable {
    /// Where the files live: machine-wide, like the cgroup tree they describe (one directory per
    /// cgroup parent). nil: nothing is recorded (tests on a fake cgroup tree), so the sum is 0.
    public let directory: String?

    /// The default root; the driver adds its parent name (`/run/podlab-kubepods/podlab`).
    public static let defaultRoot = "/run/podlab-kubepods"

    public init(directory: String?) {
        self.directory = directory
    }

    /// Recomputes the Burstable shares under the directory's lock, so the last of two
    /// concurrent updates sees both pods: sums the recorded requests of `pods()` (the pod
    /// cgroup names now in `kubepods/burstable`), drops files of pods that are gone, and
    /// calls `write` with `MilliCPUToShares(sum)`.
    ///
    /// The lock is a `flock` on the QoS cgroup directory `lockDirectory` itself (kernfs has no
    /// `flock` of its own, so the VFS's applies): it exists exactly as long as the pods it
    /// counts, and the request directory can go once it is empty (`podlab clean` leaves nothing
    /// in /run).
    ///
    /// - Parameter adding: a pod cgroup just made (`pod<uid>`) and its request, recorded first
    ///   under the same lock.
    func update(
        lockDirectory: String, adding: (podName: String, milliCPU: Int64)? = nil,
        pods: () throws -> [String], write: (UInt64) throws -> Void
    ) throws {
        guard let directory else {
            try write(KubernetesResources.milliCPUToShares(0))
            return
        }
        let fd = try checkedSyscall("open(\(lockDirectory), O_DIRECTORY)") { open(lockDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try checkedSyscall("flock(\(lockDirectory), LOCK_EX)") { flock(fd, LOCK_EX) }
        do {
            if let adding {
                try validateCgroupName(adding.podName, role: "pod cgroup name")
                try FileSystem.makeDirectories(directory, mode: 0o755)
                try StateFile.replace(directory + "/" + adding.podName, with: Data(String(max(adding.milliCPU, 0)).utf8))
            }
            let present = Set(try pods())
            var total: Int64 = 0
            for name in (try? FileSystem.list(directory)) ?? [] {
                let path = directory + "/" + name
                guard present.contains(name) else {
                    unlink(path)
                    continue
                }
                let text = String(decoding: (try? FileSystem.readFile(path)) ?? [], as: UTF8.self)
                // A damaged file counts as 0 rather than stopping every pod start.
                if let milli = Int64(text.trimmingWhitespace()), milli > 0 {
                    total = total.addingReportingOverflow(milli).overflow ? Int64.max : total + milli
                }
            }
            try write(KubernetesResources.milliCPUToShares(total))
            if present.isEmpty {
                // Both fail harmlessly while anything is left in them (another parent's files).
                rmdir(directory)
                rmdir((directory as NSString).deletingLastPathComponent)
            }
        }
    }
}
