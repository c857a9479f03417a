import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PodlabCore
import RootfsKit

/// The uncompressed layer tars podlab imports into containerd.
public enum ImageLayers {
    /// The pause image's layer: podlab's `pause` at `/pause` and, because SwiftPM links C
    /// executables with the Swift runtime (NOTES.md), every shared library `ldd` lists for it at
    /// the path the dynamic loader will look for it. Upstream's pause image is one static binary
    /// (build/pause/Dockerfile); this is the same program with its libraries beside it.
    ///
    /// - Throws: `.notFound` when `pause` is missing; `.invalidState` naming ldd's output when a
    ///   library cannot be found.
    public static func writePauseLayer(pause: String, to output: String) throws {
        guard FileManager.default.isExecutableFile(atPath: pause) else {
            throw PodlabError(.notFound, "pause image: \(pause) is not an executable; build it with `swift build --product pause`")
        }
        let libraries = try sharedLibraries(of: pause)
        let writer = try ArchiveWriter(path: output, compression: .none)
        var directories: Set<String> = []
        func addParents(_ path: String) throws {
            var parents: [String] = []
            var current = (path as NSString).deletingLastPathComponent
            while current != "/" && !current.isEmpty {
                parents.append(current)
                current = (current as NSString).deletingLastPathComponent
            }
            for directory in parents.reversed() where !directories.contains(directory) {
                directories.insert(directory)
                try writer.write(TarEntryHeader(path: String(directory.dropFirst()), kind: .directory, permissions: 0o755))
            }
        }
        func addFile(from source: String, at target: String, mode: UInt32) throws {
            // stat(2) follows symlinks (ld-linux is one); the data copied is the same file's.
            var info = stat()
            try checkedSyscall("stat(\(source))") { stat(source, &info) }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw PodlabError(.invalidState, "pause image: \(source) is not a regular file")
            }
            try addParents(target)
            var header = TarEntryHeader(path: String(target.dropFirst()), kind: .regular, permissions: mode)
            header.size = Int64(info.st_size)
            try writer.writeHeader(header)
            try OCIImageArchive.copyFile(source, into: writer)
        }
        try addFile(from: pause, at: "/pause", mode: 0o755)
        for library in libraries {
            try addFile(from: library, at: library, mode: 0o755)
        }
        try writer.finish()
    }

    /// The shared objects `ldd` lists for `binary` (the loader path included); empty for a
    /// static binary ("not a dynamic executable").
    public static func sharedLibraries(of binary: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        process.arguments = [binary]
        let pipe = Pipe()
        process.standardOutput = pipe
        // glibc's ldd says "not a dynamic executable" on stderr, with exit 1.
        process.standardError = pipe
        do { try process.run() } catch {
            throw PodlabError(.notFound, "exec(/usr/bin/ldd \(binary)): \(error); install libc-bin")
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if output.contains("not a dynamic executable") || output.contains("statically linked") { return [] }
        guard process.terminationStatus == 0 else {
            throw PodlabError(.invalidState, "ldd \(binary): exit \(process.terminationStatus)")
        }
        return try parseLdd(output, binary: binary)
    }

    /// Parses glibc's ldd output: `name => /path (0x…)`, `/lib64/ld-linux-x86-64.so.2 (0x…)`,
    /// and `linux-vdso.so.1 (0x…)` (the vDSO has no file and is skipped).
    static func parseLdd(_ output: String, binary: String) throws -> [String] {
        var result: [String] = []
        for rawLine in output.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.contains("=> not found") {
                throw PodlabError(.invalidState, "ldd \(binary): \(line); the pause image needs every library")
            }
            let path: Substring
            if let arrow = line.range(of: "=> ") {
                path = line[arrow.upperBound...].split(separator: " ").first ?? ""
            } else {
                path = line.split(separator: " ").first ?? ""
            }
            if path.hasPrefix("/") && !result.contains(String(path)) { result.append(String(path)) }
        }
        return result
    }

    /// Rewrites a catalog image's rootfs tarball (gzip or not) as an uncompressed tar, entry
    /// by entry through libarchive, so its sha256 is both the layer digest and the diff_id.
    /// Device nodes are left out (a layer from `podlab rootfs` carries none; runc creates /dev).
    public static func writeUncompressedLayer(from tarball: String, to output: String) throws {
        let reader = try ArchiveReader(path: tarball)
        defer { reader.close() }
        let writer = try ArchiveWriter(path: output, compression: .none)
        while let entry = try reader.nextEntry() {
            let kind = entry.kind
            guard [.regular, .directory, .symlink, .hardlink, .fifo].contains(kind) else {
                try reader.skipData()
                continue
            }
            var header = TarEntryHeader(path: entry.pathname, kind: kind, permissions: entry.permissions)
            header.uid = entry.uid
            header.gid = entry.gid
            header.mtime = entry.mtime.seconds
            header.mtimeNanoseconds = entry.mtime.nanoseconds
            header.linkTarget = entry.symlinkTarget ?? entry.hardlinkTarget
            header.xattrs = entry.xattrs
            header.size = kind == .regular ? entry.size : 0
            try writer.writeHeader(header)
            if kind == .regular && entry.size > 0 {
                try reader.forEachDataBlock { block, _ in try writer.writeData(block) }
            } else {
                try reader.skipData()
            }
        }
        try writer.finish()
    }
}
