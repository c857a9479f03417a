import PodlabCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The file operations the drivers perform on cgroupfs, behind a protocol so the drivers run
/// unchanged against a fake tree in a temporary directory (youki's `Syscalls` seam, applied to
/// cgroupfs). Every path is absolute.
///
/// Implementations throw `PodlabError` whose message names the operation, the file and, for
/// writes, the value (`write(/sys/fs/cgroup/memory/podlab/web/app/memory.limit_in_bytes,
/// "104857600")`), with the `Errno` as cause.
public protocol CgroupFileSystem: Sendable {
    /// Creates a directory (a cgroup). Succeeds if it already exists.
    func makeDirectory(_ path: String) throws
    /// Removes an empty directory (a cgroup without children). Throws with the errno, e.g.
    /// EBUSY while processes are still inside.
    func removeDirectory(_ path: String) throws
    /// Writes `value` to an existing file (cgroupfs interface files cannot be created).
    func write(_ path: String, _ value: String) throws
    /// Reads a whole file.
    func read(_ path: String) throws -> String
    /// Whether a file or directory exists (used for optional files such as `memory.swap.max`).
    func exists(_ path: String) -> Bool
    /// Names of the subdirectories (child cgroups) of a directory, sorted.
    func subdirectories(of path: String) throws -> [String]
    /// cgroup v2: puts `program` in force on the cgroup directory `path` as its device filter,
    /// replacing the one attached before (the host's loads it with bpf(2), see DeviceControl.swift;
    /// a fake records it). v2 has no interface file for devices, hence a call of its own.
    func attachDeviceFilter(_ program: DeviceFilterProgram, to path: String) throws
}

/// The real thing: POSIX calls on the host's cgroupfs.
public struct HostCgroupFileSystem: CgroupFileSystem {
    public init() {}

    public func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) == 0 { return }
        let err = Errno(rawValue: errno)
        if err == .fileExists { return }
        throw PodlabError.syscall("mkdir(\(path))", err)
    }

    public func removeDirectory(_ path: String) throws {
        try checkedSyscall("rmdir(\(path))") { rmdir(path) }
    }

    public func write(_ path: String, _ value: String) throws {
        let operation = "write(\(path), \"\(value)\")"
        // No O_CREAT: a missing interface file means a missing controller, which must be an error.
        let fd = try checkedSyscall(operation) { open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) }
        defer { close(fd) }
        var bytes = Array(value.utf8)
        if bytes.isEmpty { bytes = [UInt8(ascii: "\n")] }
        // cgroupfs applies a value in one write(2); a short write would be a kernel bug, but report it.
        let written = try bytes.withUnsafeBytes { buffer in
            try checkedSyscall(operation) { Glibc.write(fd, buffer.baseAddress, buffer.count) }
        }
        if written != bytes.count {
            throw PodlabError(.syscall, "\(operation): short write (\(written) of \(bytes.count) bytes)")
        }
    }

    public func read(_ path: String) throws -> String {
        let fd = try checkedSyscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        // cgroupfs and procfs report st_size 0, so read until EOF.
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = try chunk.withUnsafeMutableBytes { buffer in
                try checkedSyscall("read(\(path))") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            if count == 0 { break }
            data.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: data, as: UTF8.self)
    }

    public func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public func subdirectories(of path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw PodlabError.syscall("opendir(\(path))", Errno(rawValue: errno))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var info = stat()
                isDirectory = lstat(path + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            }
            if isDirectory { names.append(name) }
        }
        return names.sorted()
    }
}
