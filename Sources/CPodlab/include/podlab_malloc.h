#ifndef PODLAB_MALLOC_H
#define PODLAB_MALLOC_H

/// mallopt(M_ARENA_MAX, 1): every thread shares the main arena. Returns mallopt's result (1 ok).
int pl_malloc_single_arena(void);
/// malloc_trim(0): gives free heap pages back to the kernel. Returns 1 if memory was released.
int pl_malloc_trim(void);

#endif
