// libarchive, loaded on first use instead of at process start.
//
// Why: linking libarchive.so.13 makes the dynamic loader map it and its 14 dependencies (libxml2,
// ICU's 30 MB data library, nettle, lzma, zstd, …) in every podlab process, 1.8 ms per start
// measured with hyperfine (an empty C program: 0.7 ms plain, 2.5 ms linked with -larchive).
// Most podlab processes (the supervisor, ps, wait, delete) never read an archive.
// archive_loader.c defines the archive_* functions podlab calls as forwarders to the real ones,
// which it dlopen()s the first time; Swift code calls libarchive through <archive.h> unchanged.
#ifndef PODLAB_ARCHIVE_LOADER_H
#define PODLAB_ARCHIVE_LOADER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads libarchive (once; thread-safe). Returns 0, or -1 with a message naming the library and
/// dlerror() in `message` (NUL-terminated, at most `capacity` bytes).
int pl_archive_load(char *message, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
