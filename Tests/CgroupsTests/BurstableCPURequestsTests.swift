import Foundation
import Testing

@testable import Cgroups

/// docs/FIDELITY.md #172: the Burstable QoS shares from the recorded requests of the pod
/// cgroups present, on real files (the lock is a flock on a real directory).
@Suite("Burstable QoS shares: requests summed over the pods present")
struct BurstableCPURequestsTests {
    @Test("sum of present pods' requests as MilliCPUToShares; stale files dropped; directory removed when empty")
    func sumsPresentPods() throws {
        let root = NSTemporaryDirectory() + "/burstable-\(UInt32.random(in: 0...UInt32.max))"
        let lock = root + "/kubepods-burstable"
        try FileManager.default.createDirectory(atPath: lock, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let requests = BurstableCPURequests(directory: root + "/requests")
        var present = ["poda"]
        var written: [UInt64] = []
        try requests.update(lockDirectory: lock, adding: ("poda", 100), pods: { present }) { written.append($0) }
        present.append("podb")
        try requests.update(lockDirectory: lock, adding: ("podb", 250), pods: { present }) { written.append($0) }
        present.append("podc")
        try requests.update(lockDirectory: lock, adding: ("podc", 0), pods: { present }) { written.append($0) }
        // 350m is 358 shares: the sum is converted once (kubelet), not 102 + 256 + 2.
        #expect(written == [102, 358, 358])
        present.removeAll { $0 == "podb" }
        try requests.update(lockDirectory: lock, pods: { present }) { written.append($0) }
        #expect(written.last == 102)
        #expect(!FileManager.default.fileExists(atPath: root + "/requests/podb"), "the gone pod's file is dropped")
        present = []
        try requests.update(lockDirectory: lock, pods: { present }) { written.append($0) }
        #expect(written.last == 2, "MinShares with no Burstable pod")
        #expect(!FileManager.default.fileExists(atPath: root + "/requests"))
        #expect(throws: (any Error).self) {
            try requests.update(lockDirectory: lock, adding: ("../x", 1), pods: { [] }) { _ in }
        }
    }
}
