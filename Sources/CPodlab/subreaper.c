// PR_SET_CHILD_SUBREAPER for the pod supervisor, as containerd-shim sets it: processes whose
// parent exits (the spawner's intermediate, orphans) are re-parented to the supervisor.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>

#include "podlab_shim.h"

int pl_set_child_subreaper(struct pl_error *err) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0) return 0;
    if (err != NULL) {
        err->err = errno;
        snprintf(err->stage, sizeof(err->stage), "prctl(PR_SET_CHILD_SUBREAPER)");
    }
    return -1;
}
