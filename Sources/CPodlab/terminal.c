// Pseudo-terminals for `podlab exec -t`: posix_openpt/grantpt/unlockpt/ptsname_r are hidden by
// Swift's Glibc module, and ioctl(2) (for the window size) is variadic, which Swift cannot call.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "podlab_shim.h"

static int pty_error(struct pl_error *err, const char *stage) {
    if (err != NULL) {
        err->err = errno;
        snprintf(err->stage, sizeof(err->stage), "%s", stage);
    }
    return -1;
}

int pl_open_pty(int size_from_fd, int *primary_out, int *replica_out, struct pl_error *err) {
    int primary = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (primary < 0) return pty_error(err, "posix_openpt(/dev/ptmx)");
    char name[128];
    if (grantpt(primary) < 0 || unlockpt(primary) < 0 || ptsname_r(primary, name, sizeof(name)) != 0) {
        int saved = errno;
        close(primary);
        errno = saved;
        return pty_error(err, "unlockpt(/dev/ptmx)");
    }
    int replica = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (replica < 0) {
        int saved = errno;
        close(primary);
        errno = saved;
        char stage[160];
        snprintf(stage, sizeof(stage), "open(%s)", name);
        return pty_error(err, stage);
    }
    struct winsize size;
    if (size_from_fd >= 0 && ioctl(size_from_fd, TIOCGWINSZ, &size) == 0) ioctl(replica, TIOCSWINSZ, &size);
    *primary_out = primary;
    *replica_out = replica;
    return 0;
}
