import Foundation
import Testing

@testable import PodKit

@Suite("Pod files: /etc/hosts, /etc/hostname, /etc/resolv.conf")
struct RuntimePodFilesTests {
    @Test func hostsFileIsKubeletsExactBytes() {
        let hosts = PodFiles.hosts(podIPs: ["10.88.0.5"], hostname: "web")
        let expected = [
            "# Kubernetes-managed hosts file.",
            "127.0.0.1\tlocalhost",
            "::1\tlocalhost ip6-localhost ip6-loopback",
            "fe00::0\tip6-localnet",
            "fe00::0\tip6-mcastprefix",
            "fe00::1\tip6-allnodes",
            "fe00::2\tip6-allrouters",
            "10.88.0.5\tweb",
        ].joined(separator: "\n") + "\n"
        #expect(hosts == expected)
    }

    @Test func subdomainAndDualStackGiveOneFqdnLinePerIP() {
        let hosts = PodFiles.hosts(podIPs: ["10.88.0.5", "fd00::5"], hostname: "web", domain: "sub.default.svc.cluster.local")
        let lines = hosts.split(separator: "\n").suffix(2)
        #expect(Array(lines) == ["10.88.0.5\tweb.sub.default.svc.cluster.local\tweb", "fd00::5\tweb.sub.default.svc.cluster.local\tweb"])
    }

    @Test func hostAliasesFollowAnEmptyLineAndHeader() {
        let hosts = PodFiles.hosts(
            podIPs: ["10.88.0.5"], hostname: "web", hostAliases: [.init(ip: "127.0.0.1", hostnames: ["foo.local", "bar.local"])])
        #expect(hosts.hasSuffix("10.88.0.5\tweb\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n"))
    }

    @Test func hostnameFileEndsWithNewline() {
        #expect(PodFiles.hostname("web") == "web\n")
    }

    @Test func podHostnameIsCutTo63AndTrimmed() {
        #expect(PodFiles.podHostname(podName: "nginx") == "nginx")
        #expect(PodFiles.podHostname(podName: "nginx", specHostname: "front") == "front")
        let long = String(repeating: "a", count: 62) + "-b"
        #expect(PodFiles.podHostname(podName: long) == String(repeating: "a", count: 62))
    }

    @Test func resolvConfIsTheHostsCopyAndWrittenWithMode0644() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("podlab-podfiles-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = dir + "/host-resolv.conf"
        try "nameserver 192.0.2.53\nsearch example.org\n".write(toFile: host, atomically: true, encoding: .utf8)

        let copy = try PodFiles.resolvConf(hostPath: host)
        #expect(copy == "nameserver 192.0.2.53\nsearch example.org\n")
        #expect(try PodFiles.resolvConf(hostPath: dir + "/missing") == "")

        let written = dir + "/resolv.conf"
        try PodFiles.write(copy, to: written)
        let attributes = try FileManager.default.attributesOfItem(atPath: written)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
        #expect(try String(contentsOfFile: written, encoding: .utf8) == copy)
    }
}
