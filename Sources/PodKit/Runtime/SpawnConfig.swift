import CPodlab
import PodlabCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Owns the C copies of a request's strings and arrays while one `pl_spawn` call runs.
///
/// Everything is allocated before the call and freed after it, so the C child only ever reads
/// memory that stays valid (and that was laid out before fork: no allocation happens after).
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for pointer in allocations { free(pointer) }
    }

    /// A NUL-terminated copy; nil stays nil. A string with an embedded NUL is refused, since C
    /// would silently cut it there (a path "a\0b" must not become "a").
    func string(_ value: String?, field: String) throws -> UnsafeMutablePointer<CChar>? {
        guard let value else { return nil }
        guard !value.utf8.contains(0) else {
            throw PodlabError(.invalidArgument, "\(field): contains a NUL byte: \(value.debugDescription)")
        }
        guard let copy = strdup(value) else { throw PodlabError.syscall("strdup(\(field))", .noMemory) }
        allocations.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    /// A C array copy of `values`; nil when empty (the C side reads it with a count).
    func array<T>(_ values: [T]) throws -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        guard let raw = malloc(MemoryLayout<T>.stride * values.count) else {
            throw PodlabError.syscall("malloc(\(values.count) entries)", .noMemory)
        }
        allocations.append(raw)
        let typed = raw.bindMemory(to: T.self, capacity: values.count)
        typed.initialize(from: values, count: values.count)
        return typed
    }

    /// A NULL-terminated `char *[]`, for argv and envp.
    func stringVector(_ values: [String], field: String) throws -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        var pointers: [UnsafeMutablePointer<CChar>?] = []
        for (index, value) in values.enumerated() {
            pointers.append(try string(value, field: "\(field)[\(index)]"))
        }
        pointers.append(nil)
        return try array(pointers)
    }

    /// A `const char *const *` list with a separate count (masked paths, cgroup files).
    func stringList(_ values: [String], field: String) throws -> UnsafeMutablePointer<UnsafePointer<CChar>?>? {
        var pointers: [UnsafePointer<CChar>?] = []
        for (index, value) in values.enumerated() {
            pointers.append(UnsafePointer(try string(value, field: "\(field)[\(index)]")))
        }
        return try array(pointers)
    }
}

extension SpawnRequest {
    /// Builds the `pl_spawn_config` for this request, valid only inside `body`.
    func withCConfig<R>(_ body: (UnsafePointer<pl_spawn_config>) throws -> R) throws -> R {
        let arena = CArena()
        var cfg = pl_spawn_config()
        cfg.join_net = UnsafePointer(try arena.string(join.network, field: "join.network"))
        cfg.join_ipc = UnsafePointer(try arena.string(join.ipc, field: "join.ipc"))
        cfg.join_uts = UnsafePointer(try arena.string(join.uts, field: "join.uts"))
        cfg.join_pid = UnsafePointer(try arena.string(join.pid, field: "join.pid"))
        cfg.join_mnt = UnsafePointer(try arena.string(join.mount, field: "join.mount"))
        cfg.join_cgroup = UnsafePointer(try arena.string(join.cgroup, field: "join.cgroup"))
        cfg.new_namespaces = newNamespaces.rawValue
        cfg.hostname = UnsafePointer(try arena.string(hostname, field: "hostname"))

        cfg.rootfs = UnsafePointer(try arena.string(rootfs, field: "rootfs"))
        var cMounts: [pl_mount] = []
        for (index, entry) in mounts.enumerated() {
            let field = "mounts[\(index)]"
            var m = pl_mount()
            m.source = UnsafePointer(try arena.string(entry.source, field: field + ".source"))
            m.target = UnsafePointer(try arena.string(entry.target, field: field + ".target"))
            m.fstype = UnsafePointer(try arena.string(entry.fstype, field: field + ".fstype"))
            m.data = UnsafePointer(try arena.string(entry.data, field: field + ".data"))
            m.flags = entry.flags.rawValue
            m.create = entry.create.rawValue
            m.source_beneath = UnsafePointer(try arena.string(entry.sourceBeneath, field: field + ".sourceBeneath"))
            cMounts.append(m)
        }
        cfg.mounts = UnsafePointer(try arena.array(cMounts))
        cfg.n_mounts = cMounts.count
        var cDevices: [pl_device] = []
        for (index, device) in devices.enumerated() {
            var d = pl_device()
            d.host_path = UnsafePointer(try arena.string(device.hostPath, field: "devices[\(index)].hostPath"))
            d.target = UnsafePointer(try arena.string(device.target, field: "devices[\(index)].target"))
            d.major = device.node.major
            d.minor = device.node.minor
            d.mode = device.node.mode
            d.uid = device.node.uid
            d.gid = device.node.gid
            cDevices.append(d)
        }
        cfg.devices = UnsafePointer(try arena.array(cDevices))
        cfg.n_devices = cDevices.count
        cfg.masked_paths = UnsafePointer(try arena.stringList(maskedPaths, field: "maskedPaths"))
        cfg.n_masked_paths = maskedPaths.count
        cfg.readonly_paths = UnsafePointer(try arena.stringList(readonlyPaths, field: "readonlyPaths"))
        cfg.n_readonly_paths = readonlyPaths.count
        cfg.mount_proc = mountProc ? 1 : 0

        cfg.cgroup_procs = UnsafePointer(try arena.stringList(cgroupProcsFiles, field: "cgroupProcsFiles"))
        cfg.n_cgroup_procs = cgroupProcsFiles.count
        cfg.oom_score_adj = oomScoreAdj ?? PL_OOM_SCORE_ADJ_UNSET
        cfg.capabilities = capabilities?.rawValue ?? 0
        cfg.drop_capabilities = capabilities == nil ? 0 : 1
        cfg.no_new_privs = noNewPrivileges ? 1 : 0
        if let user {
            guard user.groups.count <= 65536 else {
                throw PodlabError(.invalidArgument, "user.groups: \(user.groups.count) groups, more than the kernel's 65536 (NGROUPS_MAX)")
            }
            cfg.set_user = 1
            cfg.uid = user.uid
            cfg.gid = user.gid
            cfg.groups = UnsafePointer(try arena.array(user.groups.map { gid_t($0) }))
            cfg.n_groups = user.groups.count
        }
        cfg.seccomp_default = seccompRuntimeDefault ? 1 : 0
        cfg.readonly_rootfs = readOnlyRootfs ? 1 : 0

        cfg.stdin_fd = stdin?.rawValue ?? -1
        cfg.stdout_fd = stdout?.rawValue ?? -1
        cfg.stderr_fd = stderr?.rawValue ?? -1
        cfg.set_controlling_tty = controllingTerminal ? 1 : 0

        cfg.cwd = UnsafePointer(try arena.string(workingDirectory, field: "workingDirectory"))
        cfg.path = UnsafePointer(try arena.string(executable, field: "executable"))
        cfg.argv = UnsafePointer(try arena.stringVector(arguments, field: "arguments"))
        cfg.envp = UnsafePointer(try arena.stringVector(environment, field: "environment"))
        cfg.wait_for_exit = waitForExit ? 1 : 0

        return try withExtendedLifetime(arena) {
            try withUnsafePointer(to: &cfg) { try body($0) }
        }
    }
}

