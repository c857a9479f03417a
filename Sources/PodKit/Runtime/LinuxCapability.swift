import Foundation
import PodlabCore

/// A Linux capability, by its kernel number (`linux/capability.h`).
public enum LinuxCapability: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case chown = 0
    case dacOverride = 1
    case dacReadSearch = 2
    case fowner = 3
    case fsetid = 4
    case kill = 5
    case setgid = 6
    case setuid = 7
    case setpcap = 8
    case linuxImmutable = 9
    case netBindService = 10
    case netBroadcast = 11
    case netAdmin = 12
    case netRaw = 13
    case ipcLock = 14
    case ipcOwner = 15
    case sysModule = 16
    case sysRawio = 17
    case sysChroot = 18
    case sysPtrace = 19
    case sysPacct = 20
    case sysAdmin = 21
    case sysBoot = 22
    case sysNice = 23
    case sysResource = 24
    case sysTime = 25
    case sysTtyConfig = 26
    case mknod = 27
    case lease = 28
    case auditWrite = 29
    case auditControl = 30
    case setfcap = 31
    case macOverride = 32
    case macAdmin = 33
    case syslog = 34
    case wakeAlarm = 35
    case blockSuspend = 36
    case auditRead = 37
    case perfmon = 38
    case bpf = 39
    case checkpointRestore = 40

    /// The name as Kubernetes manifests and OCI specs write it, e.g. `CAP_NET_RAW`.
    public var description: String { "CAP_" + LinuxCapability.names[Int(rawValue)] }

    /// Kernel names without the `CAP_` prefix, indexed by capability number.
    private static let names = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ]

    /// Parses `NET_RAW`, `CAP_NET_RAW` or `net_raw`.
    public init?(name: String) {
        let upper = name.uppercased()
        let wanted = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        guard let match = LinuxCapability.allCases.first(where: { $0.description == wanted }) else { return nil }
        self = match
    }
}

/// A set of capabilities as the kernel's 64-bit mask (the form of `CapEff:` in /proc/<pid>/status).
public struct LinuxCapabilitySet: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init<S: Sequence>(_ capabilities: S) where S.Element == LinuxCapability {
        self.init(rawValue: capabilities.reduce(UInt64(0)) { $0 | (1 << UInt64($1.rawValue)) })
    }

    public func contains(_ capability: LinuxCapability) -> Bool {
        rawValue & (1 << UInt64(capability.rawValue)) != 0
    }

    /// The members, in kernel order.
    public var capabilities: [LinuxCapability] { LinuxCapability.allCases.filter { contains($0) } }

    /// The mask as /proc/<pid>/status prints it: 16 lower-case hex digits.
    public var hexMask: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    public var description: String { capabilities.map(\.description).joined(separator: ",") }

    /// Parses a `CapEff:`-style hex mask.
    public init?(hexMask: String) {
        guard let value = UInt64(hexMask.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
        self.init(rawValue: value)
    }

    /// The effective set of this process (`CapEff` in /proc/self/status). podlab uses it to tell
    /// whether the host lets it do something before trying, e.g. lowering oom_score_adj needs
    /// CAP_SYS_RESOURCE, which some CI VMs drop.
    public static func currentEffective() throws -> LinuxCapabilitySet {
        let path = "/proc/self/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PodlabError(.notFound, "read(\(path))")
        }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            if let set = LinuxCapabilitySet(hexMask: String(line.dropFirst("CapEff:".count))) { return set }
        }
        throw PodlabError(.badInput, "\(path): no CapEff line")
    }
}
