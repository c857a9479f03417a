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

/// A streaming check of a gzip file's members: each one inflated (output discarded) with its
/// CRC-32 and ISIZE trailer verified, which libarchive's gzip reader skips.
typedef struct pl_gzip_check pl_gzip_check;

/// Starts a check (loads libarchive and its zlib); NULL with a message on failure.
pl_gzip_check *pl_gzip_check_new(char *message, size_t capacity);

/// Feeds the next `size` bytes of the file. Returns 0 (more wanted), 1 (the gzip stream ended;
/// later bytes are ignored, as libarchive ignores them) or -1 with a message (damaged member).
int pl_gzip_check_update(pl_gzip_check *check, const void *bytes, size_t size, char *message, size_t capacity);

/// At end of file: 0, or -1 with a message when the last member is incomplete.
int pl_gzip_check_finish(pl_gzip_check *check, char *message, size_t capacity);

/// Decompressed bytes so far, over all members.
unsigned long long pl_gzip_check_produced(const pl_gzip_check *check);

void pl_gzip_check_free(pl_gzip_check *check);

#ifdef __cplusplus
}
#endif

#endif
