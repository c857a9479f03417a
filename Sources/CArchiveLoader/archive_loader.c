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
#include <zlib.h>

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
FORWARD(int, archive_read_open_fd, (struct archive *a, int fd, size_t block), (a, fd, block))
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

// gzip trailer verification. libarchive 3.6 does not check the CRC-32 and ISIZE of a gzip member
// (archive_read_support_filter_gzip.c, consume_trailer: "XXX TODO: Verify the length and CRC"),
// so a damaged tarball imports silently. zlib's inflate with windowBits 16+15 checks both; it is
// reached through libarchive's handle (libz.so.1 is one of its dependencies), so podlab does not
// link zlib either.

struct pl_gzip_check {
    z_stream stream;
    int (*inflate_fn)(z_streamp, int);
    int (*inflate_end_fn)(z_streamp);
    int (*inflate_reset_fn)(z_streamp);
    enum { IN_MEMBER, BETWEEN_MEMBERS, DONE } state;
    unsigned char peek[3];
    size_t peeked;
    int members;
    unsigned long long produced;
    unsigned char out[1 << 16];
};

static void *zlib_symbol(const char *name, char *message, size_t capacity) {
    if (pl_archive_load(message, capacity) != 0) return NULL;
    void *symbol = dlsym(library, name);
    if (symbol == NULL) snprintf(message, capacity, "dlsym(%s) in libarchive's zlib: %s", name, dlerror());
    return symbol;
}

pl_gzip_check *pl_gzip_check_new(char *message, size_t capacity) {
    int (*init_fn)(z_streamp, int, const char *, int) = zlib_symbol("inflateInit2_", message, capacity);
    pl_gzip_check *check = calloc(1, sizeof(*check));
    if (check == NULL) {
        snprintf(message, capacity, "out of memory");
        return NULL;
    }
    check->inflate_fn = zlib_symbol("inflate", message, capacity);
    check->inflate_end_fn = zlib_symbol("inflateEnd", message, capacity);
    check->inflate_reset_fn = zlib_symbol("inflateReset", message, capacity);
    if (init_fn == NULL || check->inflate_fn == NULL || check->inflate_end_fn == NULL || check->inflate_reset_fn == NULL) {
        free(check);
        return NULL;
    }
    // 16 + 15: a gzip wrapper (header, CRC-32 and ISIZE checked) around a 32 KiB-window deflate.
    int result = init_fn(&check->stream, 16 + MAX_WBITS, ZLIB_VERSION, (int)sizeof(z_stream));
    if (result != Z_OK) {
        snprintf(message, capacity, "inflateInit2: zlib error %d", result);
        free(check);
        return NULL;
    }
    check->state = IN_MEMBER;
    check->members = 1;
    return check;
}

static int damaged(pl_gzip_check *check, int result, char *message, size_t capacity) {
    const char *reason = check->stream.msg != NULL ? check->stream.msg : "zlib error";
    const char *meaning = "";
    if (strcmp(reason, "incorrect data check") == 0) meaning = " (the CRC-32 in its trailer does not match the data)";
    if (strcmp(reason, "incorrect length check") == 0) meaning = " (the size in its trailer does not match the data)";
    snprintf(message, capacity, "gzip member %d is damaged: %s%s (zlib %d)", check->members, reason, meaning, result);
    check->state = DONE;
    return -1;
}

/// Inflates `size` bytes of the current member, discarding the output. Sets *used to the bytes
/// consumed; returns 1 at the member's end, 0 when it needs more input, -1 if damaged.
static int inflate_some(pl_gzip_check *check, const unsigned char *data, size_t size, size_t *used, char *message, size_t capacity) {
    z_stream *s = &check->stream;
    s->next_in = (Bytef *)data;
    s->avail_in = (uInt)(size > (1u << 30) ? (1u << 30) : size);
    uInt offered = s->avail_in;
    for (;;) {
        s->next_out = check->out;
        s->avail_out = sizeof(check->out);
        int result = check->inflate_fn(s, Z_NO_FLUSH);
        check->produced += sizeof(check->out) - s->avail_out;
        if (result == Z_STREAM_END) {
            *used = offered - s->avail_in;
            return 1;
        }
        if (result == Z_BUF_ERROR || (result == Z_OK && s->avail_in == 0 && s->avail_out != 0)) {
            *used = offered - s->avail_in;
            return 0;  // everything offered was consumed; more input needed
        }
        if (result != Z_OK) return damaged(check, result, message, capacity);
    }
}

int pl_gzip_check_update(pl_gzip_check *check, const void *bytes, size_t size, char *message, size_t capacity) {
    const unsigned char *data = bytes;
    while (size > 0) {
        switch (check->state) {
        case DONE:
            return 1;
        case IN_MEMBER: {
            size_t used = 0;
            int result = inflate_some(check, data, size, &used, message, capacity);
            if (result < 0) return -1;
            if (result == 0 && used == 0) {  // zlib took nothing it was offered: never loop on it
                snprintf(message, capacity, "gzip member %d: inflate made no progress", check->members);
                return -1;
            }
            data += used;
            size -= used;
            if (result == 1) {
                check->state = BETWEEN_MEMBERS;
                check->peeked = 0;
            }
            break;
        }
        case BETWEEN_MEMBERS:
            // Like libarchive's gzip reader: another member follows only if a gzip header
            // (1f 8b 08) does; anything else (tar's zero padding) ends the stream.
            check->peek[check->peeked++] = *data++;
            size--;
            if (check->peek[check->peeked - 1] != (const unsigned char[]){0x1f, 0x8b, 0x08}[check->peeked - 1]) {
                check->state = DONE;
                return 1;
            }
            if (check->peeked == 3) {
                check->inflate_reset_fn(&check->stream);
                check->state = IN_MEMBER;
                check->members++;
                size_t used = 0;
                if (inflate_some(check, check->peek, 3, &used, message, capacity) < 0) return -1;
            }
            break;
        }
    }
    return check->state == DONE ? 1 : 0;
}

int pl_gzip_check_finish(pl_gzip_check *check, char *message, size_t capacity) {
    if (check->state == IN_MEMBER) {
        snprintf(message, capacity, "gzip member %d is truncated (no end of stream and trailer)", check->members);
        return -1;
    }
    return 0;
}

unsigned long long pl_gzip_check_produced(const pl_gzip_check *check) { return check->produced; }

void pl_gzip_check_free(pl_gzip_check *check) {
    if (check == NULL) return;
    check->inflate_end_fn(&check->stream);
    free(check);
}
