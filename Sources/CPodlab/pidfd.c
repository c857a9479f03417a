// pidfd_open(2): a file descriptor that refers to one process and becomes readable when it
// exits, so `podlab delete` can sleep until the supervisor is gone instead of polling /proc.
// glibc's wrapper is newer than some build hosts and syscall(2) is variadic (not callable
// from Swift), hence C.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "podlab_shim.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int pl_pidfd_open(pid_t pid, int *fd_out, struct pl_error *err) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) {
        *fd_out = (int)fd;
        return 0;
    }
    if (err != NULL) {
        err->err = errno;
        snprintf(err->stage, sizeof(err->stage), "pidfd_open(%d)", (int)pid);
    }
    return -1;
}

int pl_pidfd_send_signal(int pidfd, int sig, struct pl_error *err) {
    if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0) return 0;
    if (err != NULL) {
        err->err = errno;
        snprintf(err->stage, sizeof(err->stage), "pidfd_send_signal(%d, %d)", pidfd, sig);
    }
    return -1;
}
