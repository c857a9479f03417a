import PodlabCore

/// One eBPF instruction, field by field (`struct bpf_insn`, include/uapi/linux/bpf.h). The C
/// side packs the two register numbers into the kernel's bitfield.
public struct BPFInstruction: Sendable, Equatable, CustomStringConvertible {
    public var code: UInt8
    public var destination: UInt8
    public var source: UInt8
    public var offset: Int16
    public var immediate: Int32

    public init(code: UInt8, destination: UInt8 = 0, source: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) {
        self.code = code
        self.destination = destination
        self.source = source
        self.offset = offset
        self.immediate = immediate
    }

    public var description: String {
        "{code 0x\(String(code, radix: 16)) dst r\(destination) src r\(source) off \(offset) imm \(immediate)}"
    }

    // Opcodes (include/uapi/linux/bpf_common.h, bpf.h): class | operation | source.
    /// `dst = *(u32 *)(src + off)` (BPF_LDX | BPF_MEM | BPF_W).
    public static let loadWord: UInt8 = 0x61
    /// `dst = (u32)dst & imm` (BPF_ALU | BPF_AND | BPF_K).
    public static let and32Immediate: UInt8 = 0x54
    /// `dst = (u32)dst >> imm` (BPF_ALU | BPF_RSH | BPF_K).
    public static let shiftRight32Immediate: UInt8 = 0x74
    /// `dst = (u32)src` (BPF_ALU | BPF_MOV | BPF_X).
    public static let move32Register: UInt8 = 0xbc
    /// `dst = (u32)imm` (BPF_ALU | BPF_MOV | BPF_K).
    public static let move32Immediate: UInt8 = 0xb4
    /// `if dst != imm goto pc + 1 + off` (BPF_JMP | BPF_JNE | BPF_K).
    public static let jumpIfNotEqualImmediate: UInt8 = 0x55
    /// `if dst != src goto pc + 1 + off` (BPF_JMP | BPF_JNE | BPF_X).
    public static let jumpIfNotEqualRegister: UInt8 = 0x5d
    /// `return r0` (BPF_JMP | BPF_EXIT).
    public static let exit: UInt8 = 0x95
}

/// A `BPF_PROG_TYPE_CGROUP_DEVICE` program that allows exactly what a list of ``DeviceRule``s
/// allows and denies everything else: cgroup v2's replacement for `devices.allow`.
///
/// The kernel runs it on every open and mknod of a device node by a process in the cgroup, with
/// `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }` in r1, where
/// `access_type` is the node type (`BPF_DEVCG_DEV_BLOCK` 1, `BPF_DEVCG_DEV_CHAR` 2) in the low
/// 16 bits and the `BPF_DEVCG_ACC_*` bits in the high 16; it returns 1 to allow, 0 to deny.
///
/// The shape follows runc's libcontainer/cgroups/devices/devicefilter.go (itself from crun's
/// src/libcrun/ebpf.c): load type, access, major and minor into r2–r5 once, then one block per
/// rule that jumps to the next block on the first mismatch and otherwise returns 1; the
/// program ends with `return 0`.
public struct DeviceFilterProgram: Sendable, Equatable {
    /// The rules the program allows.
    public let rules: [DeviceRule]
    /// The instructions handed to `bpf(BPF_PROG_LOAD)`.
    public let instructions: [BPFInstruction]

    /// The `license` passed to BPF_PROG_LOAD. Only programs that call GPL-only helpers need a
    /// GPL-compatible one; this program calls no helper at all (runc passes "Apache" too).
    public static let license = "Apache"

    /// `BPF_DEVCG_DEV_BLOCK` / `BPF_DEVCG_DEV_CHAR`.
    static let blockType: Int32 = 1
    static let charType: Int32 = 2

    /// - Throws: `PodlabError.invalidArgument` for a major or minor number the program cannot
    ///   compare (above 2^31-1: the jump's immediate is a signed 32-bit value; real ones are at
    ///   most 12 and 20 bits).
    public init(allowing rules: [DeviceRule]) throws {
        // r1 = ctx. r2 = type, r3 = access, r4 = major, r5 = minor.
        var code: [BPFInstruction] = [
            BPFInstruction(code: BPFInstruction.loadWord, destination: 2, source: 1, offset: 0),
            BPFInstruction(code: BPFInstruction.and32Immediate, destination: 2, immediate: 0xFFFF),
            BPFInstruction(code: BPFInstruction.loadWord, destination: 3, source: 1, offset: 0),
            BPFInstruction(code: BPFInstruction.shiftRight32Immediate, destination: 3, immediate: 16),
            BPFInstruction(code: BPFInstruction.loadWord, destination: 4, source: 1, offset: 4),
            BPFInstruction(code: BPFInstruction.loadWord, destination: 5, source: 1, offset: 8),
        ]
        for rule in rules {
            code += try Self.block(for: rule)
        }
        code += [
            BPFInstruction(code: BPFInstruction.move32Immediate, destination: 0, immediate: 0),
            BPFInstruction(code: BPFInstruction.exit),
        ]
        self.rules = rules
        self.instructions = code
    }

    /// The checks of one rule, each jumping past the block's end on mismatch, then `return 1`.
    private static func block(for rule: DeviceRule) throws -> [BPFInstruction] {
        func immediate(_ value: UInt32, _ field: String) throws -> Int32 {
            guard let value = Int32(exactly: value) else {
                throw PodlabError(.invalidArgument, "device rule \"\(rule)\": \(field) \(value) does not fit the device filter (max \(Int32.max))")
            }
            return value
        }
        // Jumps are emitted with offset 0 and patched once the block's length is known.
        var block: [BPFInstruction] = []
        switch rule.kind {
        case .char: block.append(BPFInstruction(code: BPFInstruction.jumpIfNotEqualImmediate, destination: 2, immediate: charType))
        case .block: block.append(BPFInstruction(code: BPFInstruction.jumpIfNotEqualImmediate, destination: 2, immediate: blockType))
        case .all: break
        }
        if rule.access != .all {
            // Every requested bit must be in the rule: if (r3 & access) != r3, next block.
            // r1 (the context) is free to use as a temporary: everything was loaded already.
            block += [
                BPFInstruction(code: BPFInstruction.move32Register, destination: 1, source: 3),
                BPFInstruction(code: BPFInstruction.and32Immediate, destination: 1, immediate: Int32(rule.access.rawValue)),
                BPFInstruction(code: BPFInstruction.jumpIfNotEqualRegister, destination: 1, source: 3),
            ]
        }
        if let major = rule.major {
            block.append(BPFInstruction(code: BPFInstruction.jumpIfNotEqualImmediate, destination: 4, immediate: try immediate(major, "major")))
        }
        if let minor = rule.minor {
            block.append(BPFInstruction(code: BPFInstruction.jumpIfNotEqualImmediate, destination: 5, immediate: try immediate(minor, "minor")))
        }
        block += [
            BPFInstruction(code: BPFInstruction.move32Immediate, destination: 0, immediate: 1),
            BPFInstruction(code: BPFInstruction.exit),
        ]
        // A block has at most 8 instructions, so every offset fits Int16.
        for index in block.indices where block[index].code == BPFInstruction.jumpIfNotEqualImmediate
            || block[index].code == BPFInstruction.jumpIfNotEqualRegister {
            block[index].offset = Int16(block.count - 1 - index)
        }
        return block
    }
}
