import Foundation
import PodlabCore

/// pause's own root filesystem (docs/FIDELITY.md #88): containerd runs the sandbox container
/// from the pause image, whose root holds only `/pause`, read-only
/// (`pkg/cri/server/sandbox_run_linux.go` `sandboxContainerSpec`: `WithRootFSReadonly`), not
/// on the node's root.
///
/// podlab's pause is dynamically linked (SwiftPM links C executables with libswiftCore, see
/// NOTES.md), so its root also holds the files its dynamic loader needs: the ELF interpreter,
/// the libraries the loader resolves for it and `/etc/ld.so.cache`, each bind-mounted
/// read-only at its host path. The root itself is a tmpfs over an empty directory in pause's
/// own mount namespace, remounted read-only once the binds are in; nothing of it is visible on
/// the host.
public enum SandboxRootfs {
    /// Where pause runs inside its root.
    public static let pausePath = "/pause"

    /// The mounts that build pause's root at `root` (an empty directory podlab owns).
    /// - Parameters:
    ///   - pause: the host path of the pause binary.
    ///   - files: the host files the loader needs (``loaderFiles(of:cacheDirectory:)``).
    public static func mounts(root: String, pause: String, files: [String]) -> [MountEntry] {
        var mounts = [MountEntry(source: "tmpfs", target: root, fstype: "tmpfs", data: "mode=755,size=64k", flags: [.noSuid, .noDev])]
        mounts.append(.bind(pause, at: root + pausePath, readOnly: true, create: .file))
        for file in files where file.hasPrefix("/") && !file.split(separator: "/").contains("..") {
            mounts.append(.bind(file, at: root + file, readOnly: true, create: .file))
        }
        mounts.append(MountEntry(source: "tmpfs", target: root, fstype: "tmpfs", data: "mode=755,size=64k",
                                 flags: [.remount, .readOnly, .noSuid, .noDev], create: .none))
        return mounts
    }

    /// The host files pause's dynamic loader opens: its interpreter (ELF `PT_INTERP`), the
    /// libraries `<interpreter> --list <pause>` resolves, and `/etc/ld.so.cache` if present.
    /// The list is cached in `cacheDirectory`, keyed by the binary's device, inode, size and
    /// mtime, so only the first sandbox after a build runs the loader.
    /// A missing binary gives no files: the bind of pause into its root then fails in the child,
    /// naming the path, like any other failure of pause's start.
    public static func loaderFiles(of pause: String, cacheDirectory: String) throws -> [String] {
        var info = stat()
        guard stat(pause, &info) == 0 else { return [] }
        let key = "\(info.st_dev)-\(info.st_ino)-\(info.st_size)-\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        let cacheFile = cacheDirectory + "/pause-files"
        if let cached = try? String(contentsOfFile: cacheFile, encoding: .utf8) {
            let lines = cached.split(separator: "\n").map(String.init)
            if lines.first == key { return Array(lines.dropFirst()) }
        }
        guard let interpreter = try ELFInterpreter.read(pause) else { return [] }  // static: nothing to add
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = ["--list", pause]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw PodlabError(.syscall, "run(\(interpreter) --list \(pause)): \(error)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PodlabError(.invalidState, "\(interpreter) --list \(pause): exit \(process.terminationStatus)")
        }
        var files = [interpreter] + parseLoaderList(String(decoding: output, as: UTF8.self))
        if FileManager.default.fileExists(atPath: "/etc/ld.so.cache") { files.append("/etc/ld.so.cache") }
        var seen: Set<String> = []
        files = files.filter { seen.insert($0).inserted }
        try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        try? StateFile.replace(cacheFile, with: Data(([key] + files).joined(separator: "\n").utf8), permissions: 0o644)
        return files
    }

    /// The absolute paths in `ld.so --list` output (`libc.so.6 => /lib/…/libc.so.6 (0x…)`,
    /// `/lib64/ld-linux-x86-64.so.2 (0x…)`); the vDSO and unresolved names are skipped.
    static func parseLoaderList(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let path = fields.firstIndex(of: "=>").flatMap { $0 + 1 < fields.count ? fields[$0 + 1] : nil } ?? fields.first
            return path.flatMap { $0.hasPrefix("/") ? $0 : nil }
        }
    }
}

/// The `PT_INTERP` of an ELF64 little-endian executable (the dynamic loader's path).
enum ELFInterpreter {
    /// nil for a static executable. Throws for a file that is not a readable ELF64 LE binary.
    static func read(_ path: String) throws -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PodlabError(.notFound, "open(\(path)): cannot read") }
        defer { try? handle.close() }
        let header = try handle.read(upToCount: 64) ?? Data()
        guard header.count == 64, header.starts(with: [0x7F, 0x45, 0x4C, 0x46]), header[4] == 2, header[5] == 1 else {
            throw PodlabError(.invalidArgument, "\(path): not an ELF64 little-endian executable")
        }
        func integer(_ data: Data, _ offset: Int, _ size: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in (0..<size).reversed() { value = value << 8 | UInt64(data[data.startIndex + offset + i]) }
            return value
        }
        let phoff = integer(header, 32, 8)
        let phentsize = integer(header, 54, 2)
        let phnum = integer(header, 56, 2)
        guard phentsize >= 56, phnum <= 512, phoff < 1 << 32 else { throw PodlabError(.invalidArgument, "\(path): bad program headers") }
        try handle.seek(toOffset: phoff)
        let table = try handle.read(upToCount: Int(phentsize * phnum)) ?? Data()
        guard table.count == Int(phentsize * phnum) else { throw PodlabError(.invalidArgument, "\(path): truncated program headers") }
        for index in 0..<Int(phnum) {
            let base = index * Int(phentsize)
            guard integer(table, base, 4) == 3 else { continue }  // PT_INTERP
            let offset = integer(table, base + 8, 8)
            let size = integer(table, base + 32, 8)
            guard size > 1, size <= 4096 else { throw PodlabError(.invalidArgument, "\(path): bad PT_INTERP size \(size)") }
            try handle.seek(toOffset: offset)
            let bytes = try handle.read(upToCount: Int(size)) ?? Data()
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return nil
    }
}
