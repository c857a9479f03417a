import Foundation
import PodlabCore
import Testing
@testable import RootfsKit

/// References, challenges, platforms and credential files, as registries and users write them.
@Suite("Registry parsing")
struct RegistryParsingTests {
    @Test("references: Docker Hub normalisation, registry hosts with ports, tags and digests")
    func references() throws {
        let hub = try RegistryReference(parsing: "busybox")
        #expect(hub.apiHost == "registry-1.docker.io" && hub.repository == "library/busybox" && hub.tag == "latest" && hub.catalogName == "busybox:latest")
        let local = try RegistryReference(parsing: "127.0.0.1:5000/team/app:1.2")
        #expect(local.host == "127.0.0.1:5000" && local.repository == "team/app" && local.tag == "1.2" && local.isLoopback)
        #expect(local.catalogName == "127.0.0.1:5000/team/app:1.2")
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let pinned = try RegistryReference(parsing: "ghcr.io/x/y@\(digest)")
        #expect(pinned.digest == digest && pinned.manifestReference == digest && !pinned.isLoopback)
        #expect(try RegistryReference(parsing: "localhost/app").isLoopback)
        #expect(try RegistryReference(parsing: "[::1]:5000/app").isLoopback)
        for bad in ["", "UPPER/case", "a//b", "app:", "app@sha256:abc", "ghcr.io/../x", "app:-bad"] {
            #expect(throws: PodlabError.self, "\(bad)") { try RegistryReference(parsing: bad) }
        }
    }

    @Test("WWW-Authenticate challenges: bearer with quoted parameters, basic")
    func challenges() {
        let bearer = AuthChallenge(header: #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#)
        #expect(bearer?.scheme == "bearer")
        #expect(bearer?.parameters == ["realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull"])
        #expect(AuthChallenge(header: #"Basic realm="a \"quoted\" realm""#)?.parameters["realm"] == #"a "quoted" realm"#)
        #expect(AuthChallenge(header: "") == nil)
    }

    @Test("platforms: os/arch[/variant], arm64 matches arm64/v8")
    func platforms() throws {
        let arm = try PlatformSelector(parsing: "linux/arm64/v8")
        #expect(arm.matches(.init(architecture: "arm64", os: "linux", variant: "v8")))
        #expect(arm.matches(.init(architecture: "arm64", os: "linux")))
        #expect(!arm.matches(.init(architecture: "amd64", os: "linux")))
        #expect(try PlatformSelector(parsing: "linux/amd64").matches(.init(architecture: "amd64", os: "linux")))
        for bad in ["linux", "linux/", "/amd64", "linux/amd64/v8/x", "Linux/AMD64"] {
            #expect(throws: PodlabError.self, "\(bad)") { try PlatformSelector(parsing: bad) }
        }
    }

    @Test("credentials: auth.json `auth` and username/password forms; a broken file is an error naming it")
    func credentials() throws {
        let dir = "/tmp/podlab-creds-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/auth.json"
        let auth = Data("u:p:with:colons".utf8).base64EncodedString()
        try #"{"auths":{"reg.example:5000":{"auth":"\#(auth)"},"https://index.docker.io/v1/":{"username":"hub","password":"pw"}}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let env = ["REGISTRY_AUTH_FILE": file]
        #expect(try RegistryCredential.lookup(host: "reg.example:5000", environment: env) == RegistryCredential(username: "u", password: "p:with:colons"))
        #expect(try RegistryCredential.lookup(host: "docker.io", environment: env) == RegistryCredential(username: "hub", password: "pw"))
        #expect(try RegistryCredential.lookup(host: "other.example", environment: env) == nil)
        try "{not json".write(toFile: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: PodlabError.self) { try RegistryCredential.lookup(host: "x", environment: env) }
        #expect(error?.message.contains(file) == true)
    }
}
