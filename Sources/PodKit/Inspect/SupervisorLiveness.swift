import Foundation

extension PodRecord {
    /// Whether this pod's supervisor still runs: the pid is alive *and* is `podlab supervise <key>`
    /// (pids are reused). A pod whose supervisor died (crash, `kill -9`) is shown NotReady and
    /// left for `podlab delete` or `podlab clean`.
    public var supervisorAlive: Bool {
        guard let pid = supervisorPID else { return false }
        return PodRecord.isSupervisor(pid, key: key)
    }

    /// Whether `pid` is `podlab supervise <key>`.
    public static func isSupervisor(_ pid: Int32, key: String) -> Bool {
        SupervisorCommandLine.key(ofProcess: pid) == key
    }

    /// The CRI sandbox state as crictl means it (`SANDBOX_READY`): pause runs and someone is
    /// looking after the pod. Not the pod's `Ready` condition, which is `PodReadiness.ready`.
    public var isSandboxReady: Bool { sandbox.ready && supervisorAlive }
}
