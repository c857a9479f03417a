import Foundation
import PodlabCore
import Testing

/// PodlabPaths: instance tags and the names on the host that keep two state directories apart.
@Suite struct PathsTests {
    static func paths(_ stateDir: String) -> PodlabPaths {
        PodlabPaths(stateDir: stateDir, dataDir: "/tmp/data", rootfsDir: "", labsDir: "", reportsDir: "")
    }

    @Test("the default state dir has no tag; any other qualifies every host name with 8 hex digits of its path")
    func hostNames() {
        let standard = Self.paths(PodlabPaths.defaultStateDir)
        #expect(standard.instanceTag == nil)
        #expect(standard.hostName(forPod: "web") == "web")
        let other = Self.paths("/tmp/podlab-paths-test-state")
        let tag = other.instanceTag ?? ""
        #expect(tag.count == 8 && tag.allSatisfy(\.isHexDigit), "\(String(describing: other.instanceTag))")
        #expect(other.hostName(forPod: "web") == "web.\(tag)")
        #expect(other.ownsHostName("web.\(tag)") && !other.ownsHostName("web") && !standard.ownsHostName("web.\(tag)"))
        #expect(other.podKey(fromHostName: "ns-web.\(tag)") == "ns-web")
        #expect(Self.paths("/tmp/podlab-paths-test-state/").instanceTag == tag, "a trailing slash made another instance")
    }

    @Test("system directories are refused as state or data dirs, naming the variable", arguments: ["/run", "/var/lib", "/", "relative"])
    func refusesSystemDirectories(dir: String) {
        let error = #expect(throws: PodlabError.self) { try Self.paths(dir).requireSafeDirectories() }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("PODLAB_STATE_DIR=\(dir)") == true, "\(String(describing: error))")
    }

    @Test("FNV-1a matches the published test vectors")
    func stableHash() {
        #expect(StableHash.fnv1a32Hex("") == "811c9dc5")
        #expect(StableHash.fnv1a32Hex("a") == "e40c292c")
        #expect(StableHash.fnv1a32Hex("foobar") == "bf9cf968")
    }
}
