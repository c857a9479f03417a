import Foundation
import PodlabCore
import Testing

@testable import PodKit

@Suite("Pod event log")
struct PodEventLogTests {
    @Test("appends survive a reader; the log stays under 2 × maxBytes and keeps the newest events")
    func bounded() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("podlab-events-\(UUID().uuidString)").path
        try FileSystem.makeDirectories(dir)
        defer { try? FileSystem.removeTree(dir) }
        let log = PodEventLog(PodDirectory(dir))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let huge = String(repeating: "x", count: 10_000)
        for n in 0..<400 {
            log.append(PodEvent(type: .warning, reason: "BackOff", message: "attempt \(n) " + huge, time: start.addingTimeInterval(Double(n)), container: "app"))
        }
        let events = log.read()
        let sizes = [PodDirectory(dir).eventLog, PodDirectory(dir).previousEventLog].map { (try? FileSystem.readFile($0).count) ?? 0 }
        #expect(sizes.allSatisfy { $0 <= PodEventLog.maxBytes }, "\(sizes)")
        #expect(events.last?.message.hasPrefix("attempt 399 ") == true)
        #expect(events.allSatisfy { $0.message.utf8.count <= PodEventLog.maxMessageBytes + 3 })
        #expect(events.count < 400 && events.count > 50)
        // Oldest first, and times survive the round trip to the millisecond.
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.time < $1.time })
        #expect(events.last?.time == start.addingTimeInterval(399))
    }

    @Test("a crash loop under the supervisor records kubelet's reasons in order, each with its container")
    func supervisorEvents() throws {
        let supervisor = PodSupervisor(record: try makeRecord(podYAML()), runtime: FakeRuntime(), store: nil)
        var seen: [PodEvent] = []
        supervisor.recordEvent = { seen.append($0) }
        var now = Date()
        try supervisor.start(now: now)
        for _ in 0..<2 {
            let pid = try #require(supervisor.record.containers[0].pid)
            now = now.addingTimeInterval(0.5)
            supervisor.handleExit(pid: pid, waitStatus: 1 << 8, now: now)
            now = try #require(supervisor.record.containers[0].nextStartAt)
            supervisor.tick(now: now)
        }
        let reasons = seen.map(\.reason)
        #expect(Array(reasons.prefix(4)) == ["Scheduled", "Pulled", "Created", "Started"], "\(reasons)")
        #expect(reasons.filter { $0 == "Started" }.count == 3, "\(reasons)")
        #expect(reasons.contains("BackOff"), "\(reasons)")
        #expect(seen.filter { $0.reason != "Scheduled" }.allSatisfy { $0.container == supervisor.record.containers[0].name })
        #expect(supervisor.events.contains { $0.hasPrefix("Warning BackOff: Back-off restarting failed container") })
    }
}
