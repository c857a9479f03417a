import PodKit
import PodNetwork
import PodlabCore

extension DoctorCommand {
    /// ip_forward and podlab's forward filter (`inet podlab-<bridge>`): what pods can reach.
    static func isolationCheck(paths: PodlabPaths) -> Check {
        let name = "isolation"
        do {
            let network = try LinuxPodRuntime(paths: paths).network()
            let status = try network.forwardFilterStatus()
            let forwarding = status.ipForwarding.map { $0 ? "ip_forward=1" : "ip_forward=0" } ?? "ip_forward unreadable"
            let table = "nft table inet \(network.forwardFilterTable)"
            let detail = status.rules == status.expectedRules
                ? "\(forwarding); \(table) drops forwarding from/to \(network.config.bridgeName): pods reach each other and this host only"
                : !status.bridgeExists ? "\(forwarding); \(table) comes with the bridge on the first pod"
                : "\(forwarding); \(table) has \(status.rules) of \(status.expectedRules) rules"
                    + (status.ipForwarding == false ? " (nothing is routed while ip_forward=0)" : ": pods can be routed to other networks")
            return Check(name: name, ok: status.isolated, detail: detail,
                         fix: "start any pod (podlab restores the filter), or podlab clean to remove the bridge")
        } catch {
            return Check(name: name, ok: false, detail: "cannot read the forward filter: \(error)", fix: "run podlab doctor as root")
        }
    }
}
