// glibc's malloc tuning for the pod supervisor, which Swift's Glibc module does not export
// (<malloc.h> is not in its module map): the supervisor lives as long as its pod, so memory
// its allocator keeps is paid once per pod (issue 16, 110 pods).
#define _GNU_SOURCE
#include <malloc.h>

#include "podlab_malloc.h"

int pl_malloc_single_arena(void) {
    // One arena for every thread: the log copier threads would otherwise each get their own
    // (glibc creates an arena per thread up to 8 x cores), whose free memory no other thread
    // reuses. The supervisor's threads allocate little and seldom, so contention is no issue.
    return mallopt(M_ARENA_MAX, 1);
}

int pl_malloc_trim(void) {
    // Returns free memory at the top of the heap and, since glibc 2.8, unmaps the free pages
    // inside it (madvise MADV_DONTNEED), e.g. what decoding records and building the sandbox
    // left behind.
    return malloc_trim(0);
}
