// The cgroup v2 device filter: bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program and
// bpf(BPF_PROG_ATTACH) to a cgroup directory, replacing the device programs attached there
// before. Follows runc's libcontainer/cgroups/devices/ebpf_linux.go (loadAttachCgroupDeviceFilter,
// findAttachedCgroupDeviceFilters) and crun's src/libcrun/ebpf.c.
//
// No bpffs pin: a cgroup's attachment holds a reference to the program, so it stays in force
// after podlab closes its fd and exits, and the kernel frees it with the cgroup (rmdir, once the
// last reference to the cgroup is gone). runc does not pin either.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "podlab_devices.h"

#ifndef SYS_bpf
#define SYS_bpf 321
#endif

/// At most 64 programs can be attached to one cgroup per attach type (BPF_CGROUP_MAX_PROGS).
#define PL_MAX_ATTACHED 64

static long sys_bpf(int cmd, union bpf_attr *attr) {
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int fail(struct pl_error *err, int e, const char *stage) {
    if (err != NULL) {
        err->err = e;
        snprintf(err->stage, sizeof(err->stage), "%s", stage);
    }
    errno = e;
    return -1;
}

static int prog_load(const struct bpf_insn *insns, size_t count, const char *license, char *log, size_t log_size) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)count;
    attr.license = (uint64_t)(uintptr_t)license;
    if (log != NULL && log_size > 1) {
        log[0] = '\0';
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = (uint32_t)(log_size > UINT32_MAX ? UINT32_MAX : log_size);
        attr.log_level = 1;
    }
    return (int)sys_bpf(BPF_PROG_LOAD, &attr);
}

/// BPF_PROG_LOAD; on failure once more with the verifier's log (a first try without it avoids
/// ENOSPC from a log that outgrows the buffer on success). Before Linux 5.11 BPF memory is
/// charged to RLIMIT_MEMLOCK: on EPERM the limit is lifted for the load and put back at once,
/// so processes spawned later by this one do not inherit it (runc raises it in its own short-
/// lived process instead).
static int load_program(const struct pl_bpf_insn *insns, size_t count, const char *license, char *log, size_t log_size,
                        struct pl_error *err) {
    if (count == 0 || count > 4096) return fail(err, EINVAL, "bpf(BPF_PROG_LOAD, CGROUP_DEVICE): instruction count");
    struct bpf_insn *code = calloc(count, sizeof(*code));
    if (code == NULL) return fail(err, ENOMEM, "bpf(BPF_PROG_LOAD, CGROUP_DEVICE): calloc");
    for (size_t i = 0; i < count; i++) {
        code[i].code = insns[i].code;
        code[i].dst_reg = insns[i].dst_reg & 0x0f;
        code[i].src_reg = insns[i].src_reg & 0x0f;
        code[i].off = insns[i].off;
        code[i].imm = insns[i].imm;
    }
    int fd = prog_load(code, count, license, NULL, 0);
    if (fd < 0 && errno == EPERM) {
        struct rlimit old;
        if (getrlimit(RLIMIT_MEMLOCK, &old) == 0) {
            struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
            if (setrlimit(RLIMIT_MEMLOCK, &unlimited) == 0) {
                fd = prog_load(code, count, license, NULL, 0);
                int e = errno;
                setrlimit(RLIMIT_MEMLOCK, &old);
                errno = e;
            }
        }
    }
    if (fd < 0 && (errno == EINVAL || errno == EACCES) && log != NULL && log_size > 1) {
        int e = errno;
        (void)prog_load(code, count, license, log, log_size);
        log[log_size - 1] = '\0';
        errno = e;
    }
    int e = errno;
    free(code);
    if (fd < 0) return fail(err, e, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE)");
    return fd;
}

int pl_device_filter_attach(int cgroup_fd, const struct pl_bpf_insn *insns, size_t insn_count, const char *license,
                            char *log, size_t log_size, struct pl_error *err) {
    // The programs attached before ours, to detach once ours is in place (never a moment with
    // no filter). One cgroup can hold at most PL_MAX_ATTACHED, so one query sees them all.
    uint32_t old_ids[PL_MAX_ATTACHED];
    union bpf_attr query;
    memset(&query, 0, sizeof(query));
    query.query.target_fd = (uint32_t)cgroup_fd;
    query.query.attach_type = BPF_CGROUP_DEVICE;
    query.query.prog_ids = (uint64_t)(uintptr_t)old_ids;
    query.query.prog_cnt = PL_MAX_ATTACHED;
    if (sys_bpf(BPF_PROG_QUERY, &query) < 0) return fail(err, errno, "bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE)");
    uint32_t old_count = query.query.prog_cnt;
    if (old_count > PL_MAX_ATTACHED) old_count = PL_MAX_ATTACHED;

    int prog_fd = load_program(insns, insn_count, license, log, log_size, err);
    if (prog_fd < 0) return -1;

    union bpf_attr attach;
    memset(&attach, 0, sizeof(attach));
    attach.target_fd = (uint32_t)cgroup_fd;
    attach.attach_bpf_fd = (uint32_t)prog_fd;
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attach) < 0) {
        int e = errno;
        close(prog_fd);
        return fail(err, e, "bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)");
    }
    close(prog_fd);  // the attachment keeps the program

    for (uint32_t i = 0; i < old_count; i++) {
        union bpf_attr by_id;
        memset(&by_id, 0, sizeof(by_id));
        by_id.prog_id = old_ids[i];
        int old_fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &by_id);
        if (old_fd < 0) {
            // Gone meanwhile, or hidden from us by an LSM (runc skips those too: another
            // device program can only deny more).
            if (errno == ENOENT || errno == EPERM || errno == EACCES) continue;
            return fail(err, errno, "bpf(BPF_PROG_GET_FD_BY_ID) of an old device program");
        }
        union bpf_attr detach;
        memset(&detach, 0, sizeof(detach));
        detach.target_fd = (uint32_t)cgroup_fd;
        detach.attach_bpf_fd = (uint32_t)old_fd;
        detach.attach_type = BPF_CGROUP_DEVICE;
        long rc = sys_bpf(BPF_PROG_DETACH, &detach);
        int e = errno;
        close(old_fd);
        if (rc < 0 && e != ENOENT) return fail(err, e, "bpf(BPF_PROG_DETACH, BPF_CGROUP_DEVICE) of an old device program");
    }
    return 0;
}

int pl_device_filter_probe(struct pl_error *err) {
    const struct pl_bpf_insn allow_all[] = {
        {.code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1},
        {.code = BPF_JMP | BPF_EXIT},
    };
    int fd = load_program(allow_all, 2, "Apache", NULL, 0, err);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}
