import Cgroups
import PodlabCore
import Testing

/// Quantity strings as they appear in manifests, converted the way kubelet reads them.
@Suite struct KubernetesQuantityTests {
    static let memoryCases: [(String, Int64)] = [
        ("100Mi", 104_857_600), ("50Mi", 52_428_800), ("1Gi", 1_073_741_824),
        ("1.5Ki", 1536), ("1G", 1_000_000_000), ("128974848", 128_974_848), ("129e6", 129_000_000),
        ("129M", 129_000_000), ("0", 0), ("1E", 1_000_000_000_000_000_000), ("1Ei", 1 << 60),
        // Fractions of a byte round up, as Quantity.Value() does.
        ("100m", 1), ("0.5", 1),
    ]
    static let cpuCases: [(String, Int64)] = [
        ("500m", 500), ("250m", 250), ("1", 1000), ("0.25", 250), ("2.5", 2500), ("100m", 100), ("+1", 1000),
        // MilliValue() rounds up: 1.0001 CPU is 1001m, 0.1m is 1m.
        ("1.0001", 1001), ("0.1m", 1),
    ]

    @Test(arguments: memoryCases)
    func memory(_ text: String, _ bytes: Int64) throws {
        #expect(try KubernetesQuantity.memoryBytes(text) == bytes)
    }

    @Test(arguments: cpuCases)
    func cpu(_ text: String, _ milli: Int64) throws {
        #expect(try KubernetesQuantity.milliCPU(text) == milli)
    }

    @Test(arguments: ["", "abc", "10Mb", "-1", "1.2.3", "Mi", "1 Gi", "9Ei", "99999999999999999999"])
    func rejected(_ text: String) {
        #expect {
            try KubernetesQuantity.memoryBytes(text)
        } throws: { error in
            let error = error as? PodlabError
            return error?.code == .badInput && error?.message.contains("\"\(text)\"") == true
        }
    }

    @Test func memoryCapacityComesFromMemTotal() throws {
        let meminfo = "MemTotal:       24684084 kB\nMemFree:        1000 kB\n"
        #expect(try MemoryCapacity.bytes(fromMeminfo: meminfo) == 24_684_084 * 1024)
        #expect(throws: PodlabError.self) { try MemoryCapacity.bytes(fromMeminfo: "MemFree: 1 kB\n") }
        #expect(try MemoryCapacity.host() > 0)
    }
}
