import Foundation
import PodlabCore
import RootfsKit
import Testing
@testable import PodKit

/// `PodStore.RecordView.listing` (issue 16): what `podlab pods` and `podlab ps` decode.
@Suite("pod store: the listing view")
struct PodListingTests {
    private func temporaryStore() -> (root: String, paths: PodlabPaths) {
        let root = (NSTemporaryDirectory() as NSString).appendingPathComponent("podlab-listing-\(UUID().uuidString.prefix(8))")
        return (root, PodlabPaths(stateDir: root, dataDir: root + "/data", rootfsDir: root, labsDir: root, reportsDir: root))
    }

    /// A record with every field the listing keeps set to something other than its default.
    private func busyRecord() throws -> PodRecord {
        var record = try makeRecord(podYAML())
        record.spec.shareProcessNamespace = true
        record.spec.labels = ["app": "web", "tier": "front"]
        record.spec.annotations["note"] = "kept"
        record.phase = .running
        record.supervisorPID = 4242
        record.failure = "an old failure"
        record.started = true
        record.imageRoots = ["app": "/cache/busybox"]
        record.sandbox = SandboxStatus(ready: true, attempt: 0, pausePID: 99, netnsPath: "/run/netns/podlab-web", ip: "10.233.0.7",
                                       gateway: "10.233.0.1", hostVeth: "vethweb", createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        let next = record.retireSandbox()
        record.sandbox = next
        record.sandbox.ready = true
        record.containers[0].state = .running
        record.containers[0].id = generateID()
        record.containers[0].restartCount = 2
        record.containers[0].pid = 1234
        let terminated = TerminatedState(containerID: generateID(), exitCode: 137, signal: 9, reason: "Error",
                                         startedAt: Date(timeIntervalSince1970: 1_700_000_100), finishedAt: Date(timeIntervalSince1970: 1_700_000_200),
                                         logPath: "/logs/app/1.log")
        record.containers[0].lastTerminated = terminated
        record.deadContainers = [DeadContainer(name: record.containers[0].name, attempt: 1, sandboxID: record.id,
                                               createdAt: terminated.startedAt, terminated: terminated)]
        record.imageConfigs = ["app": ImageConfig()]
        return record
    }

    /// The JSON of `record` without what the listing view leaves out.
    private func listedPart(_ record: PodRecord) throws -> NSDictionary {
        var object = try #require(try JSONSerialization.jsonObject(with: PodStore.encoder.encode(record)) as? [String: Any])
        object.removeValue(forKey: "imageConfigs")
        var spec = try #require(object["spec"] as? [String: Any])
        for key in ["initContainers", "containers", "volumes", "configMaps", "securityContext"] { spec.removeValue(forKey: key) }
        object["spec"] = spec
        return object as NSDictionary
    }

    @Test("a listing record is the full record less the container, volume and ConfigMap specs and image configs")
    func listingKeepsWhatIsListed() throws {
        let (root, paths) = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let record = try busyRecord()
        #expect(!record.spec.containers.isEmpty && record.previousSandboxes?.count == 1)
        try PodStore(paths: paths).create(record)
        let full = try PodStore(paths: paths).load(key: record.key)
        let listed = try PodStore(paths: paths, view: .listing).load(key: record.key)
        // Every field of the full record that the listing keeps, compared as stored JSON: a field
        // added to PodRecord (or PodSpec) and set here but not carried by PodListingRecord fails.
        #expect(try listedPart(listed) == listedPart(full))
        #expect(listed.spec.containers.isEmpty && listed.spec.initContainers.isEmpty && listed.spec.volumes.isEmpty)
        #expect(listed.imageConfigs == nil)
        // What `pods` and `ps -a` print comes out the same.
        #expect(listed.sandboxViews.map(\.sandboxID) == full.sandboxViews.map(\.sandboxID))
        #expect(listed.containers.map(\.id) == full.containers.map(\.id) && listed.containers[0].restartCount == 2)
        #expect(listed.deadAttempts(of: listed.containers[0]).map(\.terminated.containerID) == full.deadAttempts(of: full.containers[0]).map(\.terminated.containerID))
        #expect(PodInspection.status(listed).labels == ["app": "web", "tier": "front"])
        #expect(try PodStore(paths: paths, view: .listing).list().map(\.key) == [record.key])
    }

    @Test("a listing store never writes: its records have no container specs to write back")
    func listingStoreRefusesToWrite() throws {
        let (root, paths) = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let record = try busyRecord()
        let listing = PodStore(paths: paths, view: .listing)
        #expect(throws: PodlabError.self) { try listing.create(record) }
        #expect(!FileManager.default.fileExists(atPath: listing.directory(for: record.key)))
        try PodStore(paths: paths).create(record)
        let listed = try listing.load(key: record.key)
        let refused = #expect(throws: PodlabError.self) { try listing.save(listed) }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("PodStore.save(\(record.key))"))
        #expect(try PodStore(paths: paths).load(key: record.key).spec.containers.count == record.spec.containers.count, "the stored record is whole")
    }
}
