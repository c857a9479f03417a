import CPodlab
import PodlabCore
import PodlabSyscalls
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension HostCgroupFileSystem {
    /// Loads the program and attaches it to the cgroup v2 directory `path` with
    /// `BPF_F_ALLOW_MULTI`, detaching the device programs attached there before
    /// (`pl_device_filter_attach`, Sources/CPodlab/devices_bpf.c). No bpffs pin is needed: the
    /// attachment keeps the program alive until the kernel releases the cgroup.
    public func attachDeviceFilter(_ program: DeviceFilterProgram, to path: String) throws {
        let fd = try checkedSyscall("open(\(path), O_DIRECTORY)") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        let instructions = program.instructions.map {
            pl_bpf_insn(code: $0.code, dst_reg: $0.destination, src_reg: $0.source, off: $0.offset, imm: $0.immediate)
        }
        var log = [CChar](repeating: 0, count: 4096)
        var error = pl_error()
        let status = instructions.withUnsafeBufferPointer { code in
            DeviceFilterProgram.license.withCString { license in
                pl_device_filter_attach(fd, code.baseAddress, code.count, license, &log, log.count, &error)
            }
        }
        guard status != 0 else { return }
        let verifier = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingWhitespace()
        var message = "\(error.stageDescription) on \(path)"
        if !verifier.isEmpty { message += " (verifier: \(verifier))" }
        throw PodlabError.syscall(message, Errno(rawValue: error.err))
    }
}

extension CgroupLayout {
    /// How containers' device access is confined on this host, for `podlab doctor`: v1 needs the
    /// `devices` hierarchy mounted; v2 needs `BPF_PROG_TYPE_CGROUP_DEVICE` programs (Linux 4.15+,
    /// `CONFIG_CGROUP_BPF`), probed by loading a one-instruction program.
    ///
    /// - Returns: a description of the mechanism in use.
    /// - Throws: `PodlabError` saying what is missing; pods cannot start without it.
    public func deviceControl() throws -> String {
        switch version {
        case .v1:
            guard let mount = v1MountPoints["devices"] else {
                throw PodlabError(.unsupported, "cgroup v1 devices controller is not mounted (expected /sys/fs/cgroup/devices)")
            }
            return "cgroup v1 devices controller at \(mount)"
        case .v2:
            var error = pl_error()
            guard pl_device_filter_probe(&error) == 0 else { throw error.podlabError }
            return "cgroup v2 device filter (bpf BPF_PROG_TYPE_CGROUP_DEVICE)"
        }
    }
}
