// Forwarders for the libarchive functions podlab uses; see archive_loader.h for why.
// Each definition must match its declaration in <archive.h>/<archive_entry.h>: the compiler
// checks that, so a libarchive API change is a build error, not a crash.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive_loader.h"

/// Sonames tried in order: Debian/Ubuntu/Fedora ship libarchive.so.13; the unversioned name is
/// the -dev symlink.
static const char *const library_names[] = {"libarchive.so.13", "libarchive.so"};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static void *library;
static char load_error[512];

static void load_library(void) {
    for (size_t i = 0; i < sizeof(library_names) / sizeof(library_names[0]); i++) {
        library = dlopen(library_names[i], RTLD_NOW | RTLD_LOCAL);
        if (library != NULL) return;
        const char *reason = dlerror();
        snprintf(load_error, sizeof(load_error), "dlopen(%s): %s (install libarchive: apt-get install libarchive13)",
                 library_names[0], reason != NULL ? reason : "unknown error");
    }
}

int pl_archive_load(char *message, size_t capacity) {
    pthread_once(&load_once, load_library);
    if (library != NULL) return 0;
    if (message != NULL && capacity > 0) snprintf(message, capacity, "%s", load_error);
    return -1;
}

/// The real function `name`. Swift code calls pl_archive_load() (and reports its error) before
/// any archive_* call, so failing here means a caller skipped it: say so and stop.
static void *real_symbol(const char *name) {
    char message[512];
    if (pl_archive_load(message, sizeof(message)) != 0) {
        fprintf(stderr, "podlab: %s\n", message);
        abort();
    }
    void *symbol = dlsym(library, name);
    if (symbol == NULL) {
        fprintf(stderr, "podlab: dlsym(%s) in libarchive: %s\n", name, dlerror());
        abort();
    }
    return symbol;
}

/// Declares `fn`, the real `name`, resolved on the first call. The cache is an atomic pointer:
/// two threads racing to resolve it store the same value.
#define RESOLVE(name)                                                                     \
    static __typeof__(&name) real;                                                        \
    __typeof__(&name) fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);                      \
    if (fn == NULL) {                                                                     \
        fn = (__typeof__(&name))real_symbol(#name);                                       \
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);                                    \
    }

/// Defines `ret name params` (or a void one) forwarding `args` to the real libarchive function.
#define FORWARD(ret, name, params, args) \
    ret name params {                    \
        RESOLVE(name)                    \
        return fn args;                  \
    }
#define FORWARD_VOID(name, params, args) \
    void name params {                   \
        RESOLVE(name)                    \
        fn args;                         \
    }

// Reading.
FORWARD(struct archive *, archive_read_new, (void), ())
FORWARD(int, archive_read_free, (struct archive *a), (a))
FORWARD(int, archive_read_support_filter_all, (struct archive *a), (a))
FORWARD(int, archive_read_support_format_all, (struct archive *a), (a))
FORWARD(int, archive_read_open_filename, (struct archive *a, const char *file, size_t block), (a, file, block))
FORWARD(int, archive_read_next_header, (struct archive *a, struct archive_entry **entry), (a, entry))
FORWARD(int, archive_read_data_block, (struct archive *a, const void **buffer, size_t *size, la_int64_t *offset), (a, buffer, size, offset))
FORWARD(int, archive_read_data_skip, (struct archive *a), (a))
FORWARD(const char *, archive_filter_name, (struct archive *a, int n), (a, n))
FORWARD(const char *, archive_error_string, (struct archive *a), (a))

// Writing.
FORWARD(struct archive *, archive_write_new, (void), ())
FORWARD(int, archive_write_free, (struct archive *a), (a))
FORWARD(int, archive_write_close, (struct archive *a), (a))
FORWARD(int, archive_write_set_format_pax_restricted, (struct archive *a), (a))
FORWARD(int, archive_write_add_filter_gzip, (struct archive *a), (a))
FORWARD(int, archive_write_add_filter_xz, (struct archive *a), (a))
FORWARD(int, archive_write_add_filter_zstd, (struct archive *a), (a))
FORWARD(int, archive_write_set_options, (struct archive *a, const char *options), (a, options))
FORWARD(int, archive_write_set_bytes_in_last_block, (struct archive *a, int bytes), (a, bytes))
FORWARD(int, archive_write_open_filename, (struct archive *a, const char *file), (a, file))
FORWARD(int, archive_write_header, (struct archive *a, struct archive_entry *entry), (a, entry))
FORWARD(la_ssize_t, archive_write_data, (struct archive *a, const void *buffer, size_t size), (a, buffer, size))

// Entries.
FORWARD(struct archive_entry *, archive_entry_new, (void), ())
FORWARD_VOID(archive_entry_free, (struct archive_entry *e), (e))
FORWARD(const char *, archive_entry_pathname, (struct archive_entry *e), (e))
FORWARD(const char *, archive_entry_hardlink, (struct archive_entry *e), (e))
FORWARD(const char *, archive_entry_symlink, (struct archive_entry *e), (e))
FORWARD(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e))
FORWARD(__LA_MODE_T, archive_entry_perm, (struct archive_entry *e), (e))
FORWARD(la_int64_t, archive_entry_uid, (struct archive_entry *e), (e))
FORWARD(la_int64_t, archive_entry_gid, (struct archive_entry *e), (e))
FORWARD(la_int64_t, archive_entry_size, (struct archive_entry *e), (e))
FORWARD(dev_t, archive_entry_rdev, (struct archive_entry *e), (e))
FORWARD(time_t, archive_entry_mtime, (struct archive_entry *e), (e))
FORWARD(long, archive_entry_mtime_nsec, (struct archive_entry *e), (e))
FORWARD(time_t, archive_entry_atime, (struct archive_entry *e), (e))
FORWARD(long, archive_entry_atime_nsec, (struct archive_entry *e), (e))
FORWARD(int, archive_entry_atime_is_set, (struct archive_entry *e), (e))
FORWARD_VOID(archive_entry_set_pathname, (struct archive_entry *e, const char *path), (e, path))
FORWARD_VOID(archive_entry_set_hardlink, (struct archive_entry *e, const char *target), (e, target))
FORWARD_VOID(archive_entry_set_symlink, (struct archive_entry *e, const char *target), (e, target))
FORWARD_VOID(archive_entry_set_filetype, (struct archive_entry *e, unsigned int type), (e, type))
FORWARD_VOID(archive_entry_set_perm, (struct archive_entry *e, __LA_MODE_T mode), (e, mode))
FORWARD_VOID(archive_entry_set_uid, (struct archive_entry *e, la_int64_t uid), (e, uid))
FORWARD_VOID(archive_entry_set_gid, (struct archive_entry *e, la_int64_t gid), (e, gid))
FORWARD_VOID(archive_entry_set_size, (struct archive_entry *e, la_int64_t size), (e, size))
FORWARD_VOID(archive_entry_set_mtime, (struct archive_entry *e, time_t seconds, long nanoseconds), (e, seconds, nanoseconds))
FORWARD_VOID(archive_entry_set_rdevmajor, (struct archive_entry *e, dev_t major), (e, major))
FORWARD_VOID(archive_entry_set_rdevminor, (struct archive_entry *e, dev_t minor), (e, minor))
FORWARD_VOID(archive_entry_xattr_add_entry, (struct archive_entry *e, const char *name, const void *value, size_t size), (e, name, value, size))
FORWARD(int, archive_entry_xattr_reset, (struct archive_entry *e), (e))
FORWARD(int, archive_entry_xattr_next, (struct archive_entry *e, const char **name, const void **value, size_t *size), (e, name, value, size))
