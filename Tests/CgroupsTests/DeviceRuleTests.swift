import Cgroups
import PodlabCore
import Testing

/// The device allowlist and the v2 filter program built from it, without the kernel: the
/// program runs in a small interpreter of the instructions it uses (the kernel runs it for real
/// in ``HostDeviceCgroupTests``).
@Suite struct DeviceRuleTests {
    @Test func runcsAllowlistOpensOnlyTheStandardNodesAndLetsEveryNodeBeCreated() {
        let rules = DeviceRule.containerDefaults
        for (major, minor) in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 2), (136, 0), (136, 7)] as [(UInt32, UInt32)] {
            #expect(rules.allows(.char, major: major, minor: minor, access: [.read, .write]), "c \(major):\(minor)")
        }
        // /dev/kmsg, /dev/mem, /dev/console, /dev/net/tun, loop-control, vcs, hwrng: not opened.
        for (major, minor) in [(1, 11), (1, 1), (5, 1), (10, 200), (10, 237), (7, 0), (10, 183)] as [(UInt32, UInt32)] {
            #expect(!rules.allows(.char, major: major, minor: minor, access: .read), "c \(major):\(minor)")
            #expect(rules.allows(.char, major: major, minor: minor, access: .mknod), "mknod c \(major):\(minor)")
        }
        // Block devices (loop0, a zram disk) can be created but never opened.
        #expect(!rules.allows(.block, major: 7, minor: 0, access: .read))
        #expect(!rules.allows(.block, major: 1, minor: 3, access: .read))
        #expect(rules.allows(.block, major: 252, minor: 0, access: .mknod))
        // Every requested bit must be in one rule.
        #expect(!rules.allows(.char, major: 1, minor: 11, access: [.mknod, .read]))
    }

    @Test func listLinesRoundTripAndNonsenseIsRejected() {
        for rule in DeviceRule.containerDefaults + [DeviceRule(.all, major: nil, minor: nil, access: .all)] {
            #expect(DeviceRule(listLine: Substring(rule.description)) == rule)
        }
        #expect(DeviceRule(listLine: "a *:* rwm") == DeviceRule(.all, major: nil, minor: nil, access: .all))
        for bad in ["", "c 1:3", "x 1:3 rwm", "c 1 rwm", "c 1:3 rwx", "c -1:3 rwm", "c 1:3 ", "cc 1:3 r", "c 1:99999999999 r"] {
            #expect(DeviceRule(listLine: Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test func theProgramDecidesExactlyLikeTheRules() throws {
        let rules = DeviceRule.containerDefaults + [DeviceRule(.block, major: 8, minor: nil, access: .read)]
        let program = try DeviceFilterProgram(allowing: rules)
        let accesses: [DeviceRule.Access] = [.mknod, .read, .write, [.read, .write], .all]
        var checked = 0
        for kind in [DeviceRule.Kind.char, .block] {
            for major in [0, 1, 5, 7, 8, 10, 136, 4095] as [UInt32] {
                for minor in [0, 1, 2, 3, 5, 7, 8, 9, 11, 200, 1_048_575] as [UInt32] {
                    for access in accesses {
                        let expected = rules.allows(kind, major: major, minor: minor, access: access)
                        let verdict = try run(program, kind: kind, major: major, minor: minor, access: access)
                        #expect(verdict == (expected ? 1 : 0), "\(kind) \(major):\(minor) \(access.rawValue)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == 2 * 8 * 11 * 5)
    }

    @Test func anEmptyAllowlistDeniesEverything() throws {
        let program = try DeviceFilterProgram(allowing: [])
        #expect(program.instructions.count == 8)
        #expect(try run(program, kind: .char, major: 1, minor: 3, access: .read) == 0)
    }

    @Test func numbersTheProgramCannotCompareAreRefused() {
        #expect(throws: PodlabError.self) {
            try DeviceFilterProgram(allowing: [DeviceRule(.char, major: UInt32(Int32.max) + 1, minor: 0, access: .read)])
        }
    }

    /// Runs the program on `struct bpf_cgroup_dev_ctx` as the kernel's interpreter would, for
    /// the instructions ``DeviceFilterProgram`` emits; anything else fails the test.
    private func run(
        _ program: DeviceFilterProgram, kind: DeviceRule.Kind, major: UInt32, minor: UInt32, access: DeviceRule.Access
    ) throws -> UInt64 {
        let type: UInt32 = kind == .block ? 1 : 2
        let context: [Int: UInt32] = [0: type | access.rawValue << 16, 4: major, 8: minor]
        var registers = [UInt64](repeating: 0, count: 11)
        var pc = 0
        var steps = 0
        while pc < program.instructions.count {
            steps += 1
            try #require(steps <= program.instructions.count, "no loops: every jump goes forward")
            let insn = program.instructions[pc]
            let dst = Int(insn.destination), src = Int(insn.source)
            let imm = UInt64(bitPattern: Int64(insn.immediate))
            pc += 1
            switch insn.code {
            case BPFInstruction.loadWord:
                try #require(src == 1, "loads only from the context")
                registers[dst] = UInt64(try #require(context[Int(insn.offset)]))
            case BPFInstruction.and32Immediate: registers[dst] = (registers[dst] & imm) & 0xFFFF_FFFF
            case BPFInstruction.shiftRight32Immediate: registers[dst] = (registers[dst] & 0xFFFF_FFFF) >> imm
            case BPFInstruction.move32Register: registers[dst] = registers[src] & 0xFFFF_FFFF
            case BPFInstruction.move32Immediate: registers[dst] = imm & 0xFFFF_FFFF
            case BPFInstruction.jumpIfNotEqualImmediate: if registers[dst] != imm { pc += Int(insn.offset) }
            case BPFInstruction.jumpIfNotEqualRegister: if registers[dst] != registers[src] { pc += Int(insn.offset) }
            case BPFInstruction.exit: return registers[0]
            default: Issue.record("unexpected instruction \(insn)"); return 0
            }
        }
        Issue.record("fell off the end of the program")
        return 0
    }
}
