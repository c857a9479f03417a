import Foundation
import PodNetwork
import PodlabCore
import Testing
@testable import PodKit

/// docs/FIDELITY.md #89 (a recreated sandbox is a new sandbox) and #94 (the pod key).
@Suite("sandbox history and pod keys")
struct SandboxHistoryTests {
    @Test("pause death through the supervisor: new sandbox id, attempt 1, the old sandbox kept NotReady")
    func supervisorRetiresTheOldSandbox() throws {
        let runtime = FakeRuntime()
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: runtime, store: nil)
        try supervisor.start()
        let firstID = supervisor.record.sandboxID
        #expect(firstID == supervisor.record.id, "the first sandbox's id is the record's")
        supervisor.handleExit(pid: try #require(supervisor.record.sandbox.pausePID), waitStatus: 0)
        let record = supervisor.record
        #expect(record.sandboxID != firstID && record.sandboxID.count == 64)
        #expect(record.id == firstID, "the record's own id stays")
        let old = try #require(record.previousSandboxes)
        #expect(old.map(\.id) == [firstID])
        #expect(old.map(\.attempt) == [0] && old.allSatisfy { !$0.ready && $0.pausePID == nil })
        #expect(record.sandboxViews.map(\.sandboxID) == [firstID, record.sandboxID])
        #expect(record.previousSandbox(matching: String(firstID.prefix(13)))?.sandbox.attempt == 0)
        #expect(record.previousSandbox(matching: String(record.sandboxID.prefix(13))) == nil, "the current one is not old")
    }

    @Test("the history is bounded")
    func historyIsBounded() throws {
        var record = try makeRecord(podYAML())
        for _ in 0..<(PodRecord.maxPreviousSandboxes + 5) {
            let next = record.retireSandbox()
            record.sandbox = next
        }
        #expect(record.previousSandboxes?.count == PodRecord.maxPreviousSandboxes)
        #expect(record.sandbox.attempt == PodRecord.maxPreviousSandboxes + 5)
        #expect(record.previousSandboxes?.last?.attempt == PodRecord.maxPreviousSandboxes + 4)
    }

    @Test("a record written before sandbox ids decodes, its sandbox id is the record's id")
    func olderRecordsDecode() throws {
        let record = try makeRecord(podYAML())
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(record)) as? [String: Any])
        #expect(object["previousSandboxes"] == nil)
        var sandbox = try #require(object["sandbox"] as? [String: Any])
        #expect(sandbox["id"] == nil)
        sandbox.removeValue(forKey: "id")
        object["sandbox"] = sandbox
        let decoded = try JSONDecoder().decode(PodRecord.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(decoded.sandboxID == record.id)
        #expect(decoded.sandboxViews.count == 1)
    }

    @Test("pod keys: one key per namespace/name pair, label-shaped and at most 127 characters")
    func podKeys() {
        #expect(PodRecord.key(name: "web", namespace: "default") == "web")
        #expect(PodRecord.key(name: "web", namespace: "team") == "team--web")
        // The collision of the old `<namespace>-<name>` scheme (docs/FIDELITY.md #173).
        #expect(PodRecord.key(name: "c", namespace: "a-b") == "a-b--c")
        #expect(PodRecord.key(name: "b-c", namespace: "a") == "a--b-c")
        #expect(PodRecord.key(name: "a-b", namespace: "default") == "a-b")
        // `--` inside a part would make the split ambiguous: hashed, with `---`.
        let doubled = PodRecord.key(name: "b--c", namespace: "a")
        let doubledNamespace = PodRecord.key(name: "c", namespace: "a--b")
        #expect(doubled != doubledNamespace && doubled.contains("---") && doubledNamespace.contains("---"), "\(doubled) \(doubledNamespace)")
        #expect(PodRecord.key(name: "a--b", namespace: "default").contains("---"))
        #expect(PodRecord.key(name: "a--b", namespace: "default") != PodRecord.key(name: "b", namespace: "a"))
        // Two 63-character labels and `--` are 128 characters: hashed.
        let longest = PodRecord.key(name: String(repeating: "p", count: 63), namespace: String(repeating: "n", count: 63))
        #expect(longest.utf8.count <= 127 && longest.hasPrefix(String(repeating: "n", count: 63) + "-ppp"), "\(longest)")
        let shorter = PodRecord.key(name: String(repeating: "p", count: 62), namespace: String(repeating: "n", count: 63))
        #expect(shorter == String(repeating: "n", count: 63) + "--" + String(repeating: "p", count: 62))
        let dotted = PodRecord.key(name: "web.v1", namespace: "lab")
        let other = PodRecord.key(name: "web-v1", namespace: "lab")
        #expect(other == "lab--web-v1")
        #expect(dotted != other && dotted.hasPrefix("lab-web-v1---") && dotted.count == "lab-web-v1---".count + 16, "\(dotted)")
        let long = String(repeating: "a.", count: 126) + "b"
        let key = PodRecord.key(name: long, namespace: "ns")
        #expect(key.utf8.count <= 127 && !key.contains(".") && key.first?.isLetter == true && key.last?.isHexDigit == true, "\(key)")
        #expect(PodRecord.key(name: long, namespace: "ns") == key, "stable")
        #expect(PodRecord.key(name: long + "x", namespace: "ns") != key)
        for key in [doubled, doubledNamespace, longest, dotted, key] {
            #expect((try? PodName.validateKey(key)) != nil, "\(key) is accepted by the network and IPAM")
        }
    }

    @Test("a pod made under the old `<namespace>-<name>` key keeps it; the same pair is refused, the holder of a taken key named")
    func oldKeysKeepTheirPods() throws {
        let root = (NSTemporaryDirectory() as NSString).appendingPathComponent("podlab-keys-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = PodStore(paths: PodlabPaths(stateDir: root, dataDir: root + "/data", rootfsDir: root, labsDir: root, reportsDir: root))
        var old = try makeRecord(podYAML())
        old.spec.namespace = "team"
        old.key = "team-web"  // the key podlab gave this pod before docs/FIDELITY.md #173
        try store.create(old)
        #expect(try store.find("web").map { $0.key } == ["team-web"], "found by name as before")
        var again = try makeRecord(podYAML())
        again.spec.namespace = "team"
        again.key = PodRecord.key(name: "web", namespace: "team")
        #expect(again.key == "team--web")
        let refused = #expect(throws: PodlabError.self) { try store.create(again) }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("already exists in namespace \"team\" (key team-web"), "\(String(describing: refused))")
        // A different pair whose (old-style) key is taken: refused, naming the holder.
        var squatter = try makeRecord(podYAML())
        squatter.spec.namespace = "default"
        squatter.spec.name = "team-web"
        squatter.key = "team-web"
        let taken = #expect(throws: PodlabError.self) { try store.create(squatter) }
        #expect("\(taken.map { "\($0)" } ?? "")".contains("is already used by pod team/web"), "\(String(describing: taken))")
    }
}
