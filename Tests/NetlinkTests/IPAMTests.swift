import Dispatch
import Foundation
import Netlink
import PodNetwork
import PodlabCore
import Testing

@Suite struct IPAMTests {
    func makeIPAM(_ dir: TemporaryDirectory, subnet: String = "10.213.0.0/24") throws -> IPAM {
        let config = try PodNetworkConfig(bridgeName: "pltestnet0", subnet: subnet)
        let paths = PodlabPaths(stateDir: dir.path + "/run", dataDir: dir.path + "/data", rootfsDir: dir.path, labsDir: dir.path, reportsDir: dir.path)
        return IPAM(config: config, paths: paths)
    }

    @Test func firstAddressSkipsNetworkAndGatewayAndLeaseFileNamesThePod() throws {
        let dir = try TemporaryDirectory("ipam")
        defer { dir.remove() }
        let ipam = try makeIPAM(dir)
        let address = try ipam.allocate(for: "web")
        #expect(address.description == "10.213.0.2")
        #expect(ipam.directory == dir.path + "/data/ipam/pltestnet0")
        #expect(try String(contentsOfFile: ipam.directory + "/10.213.0.2", encoding: .utf8) == "web")
        #expect(try ipam.leases() == [IPAMLease(address: address, podName: "web")])
    }

    @Test func allocationIsIdempotentPerPod() throws {
        let dir = try TemporaryDirectory("ipam")
        defer { dir.remove() }
        let ipam = try makeIPAM(dir)
        let first = try ipam.allocate(for: "web")
        let other = try ipam.allocate(for: "db")
        #expect(try ipam.allocate(for: "web") == first)
        #expect(other != first)
        #expect(try ipam.leases().count == 2)
    }

    @Test func releaseFreesOnlyThatPodsAddress() throws {
        let dir = try TemporaryDirectory("ipam")
        defer { dir.remove() }
        let ipam = try makeIPAM(dir)
        let web = try ipam.allocate(for: "web")
        let db = try ipam.allocate(for: "db")
        #expect(try ipam.release(pod: "web") == [web])
        #expect(try ipam.leases() == [IPAMLease(address: db, podName: "db")])
        #expect(try ipam.release(pod: "web").isEmpty)  // releasing twice is fine
        #expect(!FileManager.default.fileExists(atPath: ipam.directory + "/" + web.description))
    }

    @Test func releasedAddressIsNotHandedOutAgainImmediately() throws {
        // Round robin like CNI host-local: a restarted pod sandbox normally gets a new IP, so a
        // stale client of the old pod does not reach a different pod by accident.
        let dir = try TemporaryDirectory("ipam")
        defer { dir.remove() }
        let ipam = try makeIPAM(dir)
        let first = try ipam.allocate(for: "web")
        try ipam.release(pod: "web")
        let second = try ipam.allocate(for: "web")
        #expect(second != first)
    }

    @Test func exhaustedRangeGivesAClearErrorAndWrapsAroundAfterRelease() throws {
        let dir = try TemporaryDirectory("ipam")
        defer { dir.remove() }
        // /29: .0 network, .1 gateway, .2–.6 pods, .7 broadcast.
        let ipam = try makeIPAM(dir, subnet: "10.213.0.0/29")
        let addresses = try (0..<5).map { try ipam.allocate(for: "pod-\($0)") }
        #expect(addresses.map(\.description) == (2...6).map { "10.213.0.\($0)" })
        let error = #expect(throws: PodlabError.self) { try ipam.allocate(for: "one-too-many") }
        #expect(error?.code == .conflict)
        #expect(error?.message.contains("no free address in 10.213.0.0/29") == true)
        try ipam.release(pod: "pod-2")
        #expect(try ipam.allocate(for: "one-too-many").description == "10.213.0.4")
    }

    @Test func concurrentAllocationsFromManyThreadsNeverShareAnAddress() throws {
        let dir = try TemporaryDirectory("ipam")
        defer { dir.remove() }
        let ipam = try makeIPAM(dir)
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for n in 0..<10 {
                do {
                    results.append(.success(try ipam.allocate(for: "w\(worker)-p\(n)")))
                } catch {
                    results.append(.failure(error))
                }
            }
        }
        let addresses = results.values.compactMap { try? $0.get() }
        #expect(addresses.count == 80)
        #expect(Set(addresses).count == 80)
        #expect(try ipam.leases().count == 80)
        // Release concurrently too: nothing must be left.
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for n in 0..<10 { _ = try? ipam.release(pod: "w\(worker)-p\(n)") }
        }
        #expect(try ipam.leases().isEmpty)
    }

    @Test func allocationWaitsForAnotherProcessHoldingTheLock() throws {
        // Exclusion between processes: another process (flock(1), the same flock(2) lock) holds
        // the network's lock file; allocation must wait until it lets go.
        let dir = try TemporaryDirectory("ipam")
        defer { dir.remove() }
        let ipam = try makeIPAM(dir)
        _ = try ipam.leases()  // creates the directory and lock file
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [ipam.directory + "/lock", "sleep", "0.3"]
        try holder.run()
        defer { holder.waitUntilExit() }
        usleep(100_000)  // let flock(1) take the lock
        let start = Date()
        _ = try ipam.allocate(for: "web")
        #expect(Date().timeIntervalSince(start) > 0.1, "allocation must wait for the other process' lock")
    }

    @Test func invalidPodNameIsRefusedBeforeTouchingLeases() throws {
        let dir = try TemporaryDirectory("ipam")
        defer { dir.remove() }
        let ipam = try makeIPAM(dir)
        #expect(throws: PodlabError.self) { try ipam.allocate(for: "../x") }
        #expect(try ipam.leases().isEmpty)
    }
}

/// Thread-safe collector for concurrentPerform results.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<IPv4Address, any Error>] = []
    func append(_ result: Result<IPv4Address, any Error>) { lock.withLock { storage.append(result) } }
    var values: [Result<IPv4Address, any Error>] { lock.withLock { storage } }
}
