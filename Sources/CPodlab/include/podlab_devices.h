// The cgroup v2 device filter: loading and attaching a BPF_PROG_TYPE_CGROUP_DEVICE program.
//
// Why C: bpf(2) has no glibc wrapper and syscall(2) is variadic, which Swift cannot call; and
// `union bpf_attr` is easier to fill in C. The program itself is generated in Swift
// (Sources/Cgroups/DeviceFilterProgram.swift); this file only hands it to the kernel.
#ifndef PODLAB_DEVICES_H
#define PODLAB_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "podlab_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/// One eBPF instruction with the register numbers as separate bytes; the C side packs them into
/// `struct bpf_insn`'s bitfield (whose layout depends on the byte order).
struct pl_bpf_insn {
    uint8_t code;
    uint8_t dst_reg;
    uint8_t src_reg;
    int16_t off;
    int32_t imm;
};

/// Loads `insns` as a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to the cgroup v2
/// directory `cgroup_fd` (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), then detaches the device
/// programs that were attached to that directory before (so applying the same policy twice
/// leaves one program, as runc's loadAttachCgroupDeviceFilter does). The program's only
/// reference afterwards is the attachment: the kernel frees it when the cgroup is released.
/// On a verifier rejection, the verifier's log is copied into `log` (NUL-terminated, may be
/// cut) when `log_size` > 0.
int pl_device_filter_attach(int cgroup_fd, const struct pl_bpf_insn *insns, size_t insn_count, const char *license,
                            char *log, size_t log_size, struct pl_error *err);

/// Whether this kernel can load a BPF_PROG_TYPE_CGROUP_DEVICE program (loads `return 1` and
/// closes it), for `podlab doctor`.
int pl_device_filter_probe(struct pl_error *err);

#ifdef __cplusplus
}
#endif

#endif
