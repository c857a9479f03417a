// openat2(2) for paths inside directories podlab does not control (a volume a container can
// write to, an image's rootfs). glibc has no wrapper and syscall(2) is variadic (not callable
// from Swift), hence C.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "podlab_shim.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int pl_openat2(int dirfd, const char *path, int flags, unsigned int mode, uint64_t resolve) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(unsigned int)flags;
    // open_how rejects a mode without O_CREAT/O_TMPFILE (EINVAL).
    if (flags & (O_CREAT | O_TMPFILE)) how.mode = mode;
    how.resolve = resolve;
    long fd = -1;
    // Bounded, like runc's retries: EAGAIN means a concurrent rename or mount moved the tree.
    for (int tries = 0; tries < 32; tries++) {
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        if (fd >= 0 || (errno != EINTR && errno != EAGAIN)) break;
    }
    return (int)fd;
}
