// pipe2(2) with O_CLOEXEC: Swift's Glibc module hides it (it is a _GNU_SOURCE declaration), and
// pipe() + fcntl() would leave a window in which a concurrent fork inherits both ends.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "podlab_shim.h"

int pl_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
