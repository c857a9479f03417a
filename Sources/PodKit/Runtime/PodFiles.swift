import Foundation
import PodlabCore

/// The per-pod files Kubernetes writes and bind-mounts into every container: `/etc/hosts`
/// (kubelet), `/etc/hostname` and `/etc/resolv.conf` (containerd). Rendering is pure; `write`
/// puts a file in place with the mode Kubernetes uses (0644).
public enum PodFiles {
    /// A `hostAliases` entry: one line `ip<TAB>name1<TAB>name2`.
    public struct HostAlias: Hashable, Sendable {
        public var ip: String
        public var hostnames: [String]

        public init(ip: String, hostnames: [String]) {
            self.ip = ip
            self.hostnames = hostnames
        }
    }

    /// kubelet's `managedHostsFileContent` (pkg/kubelet/kubelet_pods.go), byte for byte.
    /// - Parameters:
    ///   - podIPs: one line per pod IP (dual-stack pods have two).
    ///   - hostname: the pod's hostname (see `podHostname`).
    ///   - domain: `<subdomain>.<namespace>.svc.<clusterDomain>` when the pod has a subdomain; the
    ///     pod line then reads `ip<TAB>hostname.domain<TAB>hostname`.
    ///   - hostAliases: appended after a `# Entries added by HostAliases.` header.
    public static func hosts(podIPs: [String], hostname: String, domain: String? = nil, hostAliases: [HostAlias] = [])
        -> String
    {
        var out = "# Kubernetes-managed hosts file.\n"
        out += "127.0.0.1\tlocalhost\n"
        out += "::1\tlocalhost ip6-localhost ip6-loopback\n"
        out += "fe00::0\tip6-localnet\n"
        out += "fe00::0\tip6-mcastprefix\n"
        out += "fe00::1\tip6-allnodes\n"
        out += "fe00::2\tip6-allrouters\n"
        for ip in podIPs {
            if let domain, !domain.isEmpty {
                out += "\(ip)\t\(hostname).\(domain)\t\(hostname)\n"
            } else {
                out += "\(ip)\t\(hostname)\n"
            }
        }
        if !hostAliases.isEmpty {
            out += "\n# Entries added by HostAliases.\n"
            for alias in hostAliases {
                out += "\(alias.ip)\t\(alias.hostnames.joined(separator: "\t"))\n"
            }
        }
        return out
    }

    /// containerd's sandbox `hostname` file: the hostname and a newline.
    public static func hostname(_ name: String) -> String { name + "\n" }

    /// kubelet's `GeneratePodHostNameAndDomain`: `spec.hostname` or else the pod name, cut to 63
    /// characters, then trailing `-` and `.` trimmed (a DNS label may not end with them).
    public static func podHostname(podName: String, specHostname: String? = nil) -> String {
        var name = specHostname.flatMap { $0.isEmpty ? nil : $0 } ?? podName
        if name.count > 63 { name = String(name.prefix(63)) }
        while let last = name.last, last == "-" || last == "." { name.removeLast() }
        return name
    }

    /// The standalone fallback for `/etc/resolv.conf`: kubelet without a cluster DNS falls back to
    /// dnsPolicy Default, i.e. the node's own file (docs/FIDELITY.md #12). A host without one gives
    /// an empty file, as kubelet's `--resolv-conf=""` does.
    public static func resolvConf(hostPath: String = "/etc/resolv.conf") throws -> String {
        guard FileManager.default.fileExists(atPath: hostPath) else { return "" }
        do {
            return try String(contentsOfFile: hostPath, encoding: .utf8)
        } catch {
            throw PodlabError(.notFound, "read(\(hostPath)): \(error)")
        }
    }

    /// Writes `contents` to `path` with mode 0644 (kubelet's etc-hosts, containerd's hostname and
    /// resolv.conf), replacing any previous file atomically.
    public static func write(_ contents: String, to path: String) throws {
        try StateFile.replace(path, with: Data(contents.utf8), permissions: 0o644)
    }
}
