import Foundation
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// pause is linked like upstream's build/pause/Makefile links pause.c (`-static`): no program
/// interpreter, no Swift or C++ runtime, under 1 MiB (issue 16 goal 2; Package.swift's pause
/// target). The dynamic build SwiftPM made before was 8.7 MB with libswiftCore and libstdc++.
@Suite("pause: a static C binary")
struct PauseBinaryTests {
    /// The ELF program header types of `path` (ELF64 little-endian only, which is all podlab builds).
    static func programHeaderTypes(_ path: String) throws -> [UInt32] {
        let bytes = try FileSystem.readFile(path)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        guard bytes.count >= 64, bytes[0...3] == [0x7f, 0x45, 0x4c, 0x46], bytes[4] == 2, bytes[5] == 1 else {
            throw PodlabError(.invalidArgument, "\(path): not a 64-bit little-endian ELF file")
        }
        let offset = u64(0x20), entrySize = u16(0x36), count = u16(0x38)
        guard entrySize >= 4, offset >= 0, offset + entrySize * count <= bytes.count else {
            throw PodlabError(.invalidArgument, "\(path): program headers out of range")
        }
        return (0..<count).map { u32(offset + $0 * entrySize) }
    }

    @Test func pauseIsStaticAndSmall() throws {
        let pause = try SpawnFixtures.pauseBinary()
        let types = try Self.programHeaderTypes(pause)
        #expect(!types.isEmpty)
        #expect(!types.contains(3), "pause has a PT_INTERP: it is dynamically linked")  // PT_INTERP
        #expect(!types.contains(2), "pause has a PT_DYNAMIC section")  // PT_DYNAMIC
        var info = stat()
        #expect(stat(pause, &info) == 0)
        #expect(info.st_size <= 1 << 20, "pause is \(info.st_size) bytes, goal ≤ 1 MiB")
    }

    @Test func runningPauseMapsNoRuntimeAndKeepsLittlePrivateMemory() throws {
        let pause = try SpawnFixtures.pauseBinary()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pause)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        defer {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        #expect(SpawnFixtures.eventually { SpawnFixtures.caughtSignals(of: pid) & 0x14002 == 0x14002 })
        let maps = SpawnFixtures.read("/proc/\(pid)/maps")
        #expect(!maps.contains(".so"), "pause maps a shared library:\n\(maps)")
        // Private memory only: the binary's file pages are shared by every pause on the host.
        let anon = SpawnFixtures.read("/proc/\(pid)/status").split(separator: "\n")
            .first { $0.hasPrefix("RssAnon:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
        let kilobytes = try #require(anon)
        #expect(kilobytes <= 256, "pause's RssAnon is \(kilobytes) kB")
    }
}
