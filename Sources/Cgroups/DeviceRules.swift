/// Which device nodes a container may create and open: everything not allowed by one of these
/// rules is denied (the devices cgroup's "deny all, then allow" mode).
///
/// Why: a container keeps CAP_MKNOD (containerd's default capabilities), so without a device
/// policy it can `mknod` any node — `/dev/kmsg` (1:11), a disk, `loop-control`, `/dev/mem` —
/// and open it on the host's kernel. The kernel checks the policy on every `open(2)` and
/// `mknod(2)` of a device node, whatever filesystem the node is on: cgroup v1 with
/// `devices.deny`/`devices.allow`, cgroup v2 with a `BPF_CGROUP_DEVICE` program.
public struct DeviceRule: Sendable, Hashable, CustomStringConvertible {
    /// The kind of device node a rule matches (`c`, `b`, or `a` for both).
    public enum Kind: Character, Sendable, Hashable {
        case char = "c"
        case block = "b"
        case all = "a"
    }

    /// Accesses a rule allows. The raw values are the kernel's `BPF_DEVCG_ACC_*` bits
    /// (include/uapi/linux/bpf.h), which the v2 program compares against directly.
    public struct Access: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// `m`: create the node with mknod(2).
        public static let mknod = Access(rawValue: 1)
        /// `r`: open for reading.
        public static let read = Access(rawValue: 2)
        /// `w`: open for writing.
        public static let write = Access(rawValue: 4)
        /// `rwm`.
        public static let all: Access = [.read, .write, .mknod]
    }

    public var kind: Kind
    /// nil: any major number (`*`).
    public var major: UInt32?
    /// nil: any minor number (`*`).
    public var minor: UInt32?
    public var access: Access

    public init(_ kind: Kind, major: UInt32?, minor: UInt32?, access: Access) {
        self.kind = kind
        self.major = major
        self.minor = minor
        self.access = access
    }

    /// The v1 `devices.allow` / `devices.list` spelling: `c 1:3 rwm`, `b *:* m`.
    public var description: String {
        var letters = ""
        if access.contains(.read) { letters += "r" }
        if access.contains(.write) { letters += "w" }
        if access.contains(.mknod) { letters += "m" }
        return "\(kind.rawValue) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(letters)"
    }

    /// Whether this rule allows `access` to a `kind` node `major:minor` (every requested bit).
    public func allows(_ kind: Kind, major: UInt32, minor: UInt32, access: Access) -> Bool {
        (self.kind == .all || self.kind == kind)
            && (self.major == nil || self.major == major)
            && (self.minor == nil || self.minor == minor)
            && self.access.isSuperset(of: access)
    }

    /// Parses one line of v1 `devices.list` (`c 1:3 rwm`). nil for anything else.
    public init?(listLine line: Substring) {
        let fields = line.split(separator: " ")
        guard fields.count == 3, fields[0].count == 1, let kindLetter = fields[0].first,
              let kind = Kind(rawValue: kindLetter) else { return nil }
        let numbers = fields[1].split(separator: ":", omittingEmptySubsequences: false)
        guard numbers.count == 2 else { return nil }
        func number(_ text: Substring) -> UInt32?? {
            text == "*" ? .some(nil) : UInt32(text).map { .some($0) }
        }
        guard let major = number(numbers[0]), let minor = number(numbers[1]) else { return nil }
        var access: Access = []
        for letter in fields[2] {
            switch letter {
            case "r": access.insert(.read)
            case "w": access.insert(.write)
            case "m": access.insert(.mknod)
            default: return nil
            }
        }
        guard !access.isEmpty else { return nil }
        self.init(kind, major: major, minor: minor, access: access)
    }

    /// The devices every container (pause included) may use: runc's `AllowedDevices`
    /// (libcontainer/specconv/spec_linux.go), which runc appends to containerd's CRI default of
    /// "deny all" (`linux.resources.devices: [{allow: false, access: rwm}]`). Creating any
    /// node stays allowed (`m`) as in runc; opening one needs an `r`/`w` rule below.
    /// `/dev/console` (5:1) and `/dev/net/tun` (10:200) are no longer in runc's list.
    public static let containerDefaults: [DeviceRule] = [
        DeviceRule(.char, major: nil, minor: nil, access: .mknod),
        DeviceRule(.block, major: nil, minor: nil, access: .mknod),
        DeviceRule(.char, major: 1, minor: 3, access: .all),  // /dev/null
        DeviceRule(.char, major: 1, minor: 8, access: .all),  // /dev/random
        DeviceRule(.char, major: 1, minor: 7, access: .all),  // /dev/full
        DeviceRule(.char, major: 5, minor: 0, access: .all),  // /dev/tty
        DeviceRule(.char, major: 1, minor: 5, access: .all),  // /dev/zero
        DeviceRule(.char, major: 1, minor: 9, access: .all),  // /dev/urandom
        DeviceRule(.char, major: 136, minor: nil, access: .all),  // /dev/pts/*
        DeviceRule(.char, major: 5, minor: 2, access: .all),  // /dev/ptmx
    ]
}

extension Array where Element == DeviceRule {
    /// Whether any rule allows the access (deny-by-default evaluation, as the kernel does).
    public func allows(_ kind: DeviceRule.Kind, major: UInt32, minor: UInt32, access: DeviceRule.Access) -> Bool {
        contains { $0.allows(kind, major: major, minor: minor, access: access) }
    }
}
