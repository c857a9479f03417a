// pl_spawn: start a process inside namespaces, with a container's mounts, the way runc/crun do.
//
// Process shape (runc's nsexec.c and youki's main → intermediate → init, kept in C because the
// caller is a multi-threaded Swift process, see podlab_shim.h):
//
//   caller ── fork ──▶ intermediate: setns(pid, uts, ipc, net, mnt by path), unshare(new ones)
//                         └─ fork ──▶ process: joins its cgroups, sets itself up, execs
//
// The second fork is what makes a joined or new PID namespace apply: setns/unshare of a PID
// namespace only affects children. The intermediate reports the process' host pid. The process
// moves itself into its cgroups (writes "0" to each cgroup.procs) *before* it does anything else
// (youki/vmexec: cgroup before anything runs), so every byte the container allocates is
// accounted. It does so itself rather than waiting for the caller to write its pid, because on
// cgroup v1 the first migration after a quiet period waits for an RCU grace period (5–15 ms,
// percpu_down_write on cgroup_threadgroup_rwsem): the caller can build the pod network meanwhile
// (pl_spawn_start … pl_spawn_finish). Errors travel back as {errno, stage}.
//
// Channels: `sync` is a SOCK_SEQPACKET socketpair between caller and children (message
// boundaries, and send(MSG_NOSIGNAL) cannot SIGPIPE a child whose handlers were reset).
// `report` is a second socketpair from the process to the intermediate; it is close-on-exec, so
// EOF on it means execve succeeded (the classic CLOEXEC-pipe trick) and a message means it failed.
// The intermediate relays a failure to the caller and reaps the process, so a failed spawn never
// leaves a zombie behind, whether or not the caller is a subreaper.
//
// Everything after fork is async-signal-safe: raw syscalls and string copies into stack buffers,
// no malloc and no stdio.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podlab_shim.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// The PATH used when the environment has none: containerd's default for Linux containers
/// (`oci.DefaultPathEnv`), so a PATH-less spec resolves programs the way containerd would.
#define PL_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// MARK: - async-signal-safe helpers

/// Appends `src` to `dst` (holding `*len` bytes, capacity `cap`), always NUL-terminating.
static void append(char *dst, size_t cap, size_t *len, const char *src) {
    while (*src != '\0' && *len + 1 < cap) dst[(*len)++] = *src++;
    dst[*len] = '\0';
}

/// Formats "call(arg1, arg2)" into `dst`, truncating safely; NULL arguments are left out.
static void format_stage(char *dst, size_t cap, const char *call, const char *arg1, const char *arg2) {
    size_t len = 0;
    dst[0] = '\0';
    append(dst, cap, &len, call);
    append(dst, cap, &len, "(");
    if (arg1 != NULL) append(dst, cap, &len, arg1);
    if (arg1 != NULL && arg2 != NULL) append(dst, cap, &len, ", ");
    if (arg2 != NULL) append(dst, cap, &len, arg2);
    append(dst, cap, &len, ")");
}

/// Decimal form of `value` in `buf` (>= 24 bytes).
static const char *itoa_buf(long long value, char *buf) {
    char tmp[24];
    size_t n = 0, i = 0;
    unsigned long long v = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        tmp[n++] = (char)('0' + (v % 10));
        v /= 10;
    } while (v != 0);
    if (value < 0) buf[i++] = '-';
    while (n > 0) buf[i++] = tmp[--n];
    buf[i] = '\0';
    return buf;
}

/// `dir` + "/" + `name` into `out` (PATH_MAX); 0, or -1 if it does not fit.
static int join_path(char *out, const char *dir, const char *name) {
    size_t len = 0;
    out[0] = '\0';
    append(out, PATH_MAX, &len, dir);
    if (len == 0 || out[len - 1] != '/') append(out, PATH_MAX, &len, "/");
    append(out, PATH_MAX, &len, name[0] == '/' ? name + 1 : name);
    return len + 1 < PATH_MAX ? 0 : -1;
}

static int set_error(struct pl_error *err, int e, const char *call, const char *arg1, const char *arg2) {
    if (err != NULL) {
        err->err = e;
        format_stage(err->stage, sizeof(err->stage), call, arg1, arg2);
    }
    errno = e;
    return -1;
}

static pid_t waitpid_retry(pid_t pid, int *status) {
    pid_t r;
    do {
        r = waitpid(pid, status, 0);
    } while (r < 0 && errno == EINTR);
    return r;
}

// MARK: - messages

enum msg_kind {
    MSG_PID = 1,    ///< intermediate → caller: the process' pid in the caller's PID namespace
    MSG_ERROR = 2,  ///< any child → caller: `err` + `stage`
};

/// One message per send on a SEQPACKET socket, so it is never split or merged.
struct msg {
    int kind;
    int err;
    pid_t pid;
    char stage[sizeof(((struct pl_error *)0)->stage)];
};

static int send_msg(int fd, const struct msg *m) {
    ssize_t n;
    do {
        n = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

/// Receives one message: its size, 0 at EOF, -1 on error.
static ssize_t recv_msg(int fd, struct msg *m) {
    ssize_t n;
    memset(m, 0, sizeof(*m));
    do {
        n = recv(fd, m, sizeof(*m), 0);
    } while (n < 0 && errno == EINTR);
    return n;
}

/// Reports a failure to `fd` and ends this child. 127 mirrors a shell's "could not run it".
__attribute__((noreturn)) static void die(int fd, int e, const char *call, const char *arg1, const char *arg2) {
    struct msg m;
    memset(&m, 0, sizeof(m));
    m.kind = MSG_ERROR;
    m.err = e;
    format_stage(m.stage, sizeof(m.stage), call, arg1, arg2);
    (void)send_msg(fd, &m);
    _exit(127);
}

// MARK: - child: signals, namespaces

/// A forked child inherits the caller's handlers (Swift/Foundation ignore SIGPIPE, for example)
/// and, here, an all-blocked mask. Both would leak into the container through execve, so reset
/// them, as crun's and containerization's exec helpers do.
static void reset_signals(void) {
    struct sigaction sa;
    sigset_t none;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++) (void)sigaction(sig, &sa, NULL);  // fails only for KILL/STOP/reserved
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/// "CLONE_NEWPID|CLONE_NEWNS…" for error stages.
static void format_clone_flags(int flags, char *out, size_t cap) {
    static const struct { int flag; const char *name; } names[] = {
        {CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWPID, "CLONE_NEWPID"}, {CLONE_NEWUTS, "CLONE_NEWUTS"},
        {CLONE_NEWIPC, "CLONE_NEWIPC"},   {CLONE_NEWNET, "CLONE_NEWNET"}, {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
        {CLONE_NEWNS, "CLONE_NEWNS"},
    };
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((flags & names[i].flag) == 0) continue;
        if (len > 0) append(out, cap, &len, "|");
        append(out, cap, &len, names[i].name);
    }
    if (len == 0) append(out, cap, &len, "0");
}

/// `join_cgroup`, opened by `join_namespaces` (the path means nothing once mnt is joined) and
/// entered by `run_process` after it joined its cgroups. The child is single-threaded.
static int g_join_cgroup_fd = -1;

/// Joins the namespaces named by path. All files are opened first (joining mnt changes what a
/// path means), then joined in runc/youki order with mount last: pid, uts, ipc, net, mnt.
/// The cgroup namespace is only opened here (see `g_join_cgroup_fd`).
static void join_namespaces(const struct pl_spawn_config *cfg, int report) {
    if (cfg->join_cgroup != NULL) {
        g_join_cgroup_fd = open(cfg->join_cgroup, O_RDONLY | O_CLOEXEC);
        if (g_join_cgroup_fd < 0) die(report, errno, "open", cfg->join_cgroup, NULL);
    }
    struct {
        const char *path;
        int type;
        int fd;
    } joins[] = {
        {cfg->join_pid, CLONE_NEWPID, -1}, {cfg->join_uts, CLONE_NEWUTS, -1}, {cfg->join_ipc, CLONE_NEWIPC, -1},
        {cfg->join_net, CLONE_NEWNET, -1}, {cfg->join_mnt, CLONE_NEWNS, -1},
    };
    const size_t n = sizeof(joins) / sizeof(joins[0]);
    for (size_t i = 0; i < n; i++) {
        if (joins[i].path == NULL) continue;
        joins[i].fd = open(joins[i].path, O_RDONLY | O_CLOEXEC);
        if (joins[i].fd < 0) die(report, errno, "open", joins[i].path, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (joins[i].fd < 0) continue;
        if (setns(joins[i].fd, joins[i].type) < 0) die(report, errno, "setns", joins[i].path, NULL);
        close(joins[i].fd);
    }
}


// MARK: - child: resolving mount targets inside the image

/// The container's root while its mount plan runs (the child is single-threaded).
static const char *g_rootfs = NULL;

/// openat2(2) with RESOLVE_IN_ROOT: every symlink (absolute ones and `..` included) resolves
/// inside `rootfd`, as runc's securejoin does, so a hostile image cannot point a mount target
/// (or a file podlab creates for one) at the host.
static int open_in_root(int rootfd, const char *rel, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
}

/// Resolves (creating what is missing: `kind` 1 a directory, 2 an empty file) a target under
/// the container's rootfs, and returns an O_PATH fd for it with `/proc/self/fd/N` in `out`.
/// Every component is resolved inside the rootfs; a dangling symlink in the image has its
/// target created inside the rootfs too (runc's MkdirAllInRoot), never on the host.
/// Returns -2 when the target is not under the rootfs (use the path as is) and -1 with errno.
static int secure_target(const char *target, int kind, char *out, size_t cap) {
    if (g_rootfs == NULL) return -2;
    size_t n = strlen(g_rootfs);
    if (strncmp(target, g_rootfs, n) != 0 || target[n] != '/') return -2;
    int rootfd = open(g_rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return -1;
    char rel[PATH_MAX];
    size_t len = 0;
    append(rel, sizeof(rel), &len, target + n + 1);
    int result = -1;
    errno = 0;
    for (int restarts = 0; restarts < 40; restarts++) {
        // Walk the parents (and the target itself for a directory), creating what is missing.
        char prefix[PATH_MAX] = "";
        size_t plen = 0;
        int dirfd = dup(rootfd);
        const char *cursor = rel;
        int restarted = 0;
        while (dirfd >= 0 && *cursor != '\0') {
            const char *slash = strchr(cursor, '/');
            size_t clen = slash ? (size_t)(slash - cursor) : strlen(cursor);
            const char *rest = slash ? slash + 1 : cursor + clen;
            int last = *rest == '\0';
            char component[NAME_MAX + 1];
            if (clen > NAME_MAX) { errno = ENAMETOOLONG; close(dirfd); dirfd = -1; break; }
            memcpy(component, cursor, clen);
            component[clen] = '\0';
            cursor = rest;
            if (clen == 0 || strcmp(component, ".") == 0) continue;
            if (last && kind != 1) {
                if (kind == 2) {
                    int fd = openat(dirfd, component, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
                    if (fd >= 0) close(fd);
                }
                break;
            }
            if (mkdirat(dirfd, component, 0755) < 0 && errno != EEXIST) { close(dirfd); dirfd = -1; break; }
            char next_prefix[PATH_MAX];
            int w = snprintf(next_prefix, sizeof(next_prefix), "%s%s%s", prefix, plen ? "/" : "", component);
            if (w < 0 || (size_t)w >= sizeof(next_prefix)) { errno = ENAMETOOLONG; close(dirfd); dirfd = -1; break; }
            int next = open_in_root(rootfd, next_prefix, O_PATH | O_DIRECTORY);
            if (next < 0 && errno == ENOENT) {
                // A dangling symlink: continue from its target, inside the root.
                char link[PATH_MAX];
                ssize_t l = readlinkat(dirfd, component, link, sizeof(link) - 1);
                if (l < 0) { close(dirfd); dirfd = -1; break; }
                link[l] = '\0';
                char rewritten[PATH_MAX];
                if (link[0] == '/')
                    w = snprintf(rewritten, sizeof(rewritten), "%s%s%s", link + 1, *rest ? "/" : "", rest);
                else
                    w = snprintf(rewritten, sizeof(rewritten), "%s%s%s%s%s", prefix, plen ? "/" : "", link, *rest ? "/" : "", rest);
                close(dirfd);
                dirfd = -1;
                if (w < 0 || (size_t)w >= sizeof(rewritten)) { errno = ENAMETOOLONG; break; }
                len = 0;
                append(rel, sizeof(rel), &len, rewritten);
                restarted = 1;
                break;
            }
            close(dirfd);
            dirfd = next;
            memcpy(prefix, next_prefix, (size_t)w + 1);
            plen = (size_t)w;
        }
        if (restarted) continue;
        if (dirfd < 0) break;
        close(dirfd);
        int fd = open_in_root(rootfd, rel, O_PATH);
        if (fd >= 0) {
            snprintf(out, cap, "/proc/self/fd/%d", fd);
            result = fd;
        }
        break;
    }
    int saved = result < 0 && errno == 0 ? ELOOP : errno;
    close(rootfd);
    errno = saved;
    return result;
}

// MARK: - child: files and mounts

/// mkdir -p, mode 0755 for every created component.
static int mkdir_all(const char *path) {
    char buf[PATH_MAX];
    size_t len = 0;
    append(buf, sizeof(buf), &len, path);
    if (len + 1 >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
    return 0;
}

/// Creates an empty file (and its parent directories) to bind-mount a file or device onto.
/// O_NOFOLLOW: never create through a symlink planted at the final component by an image.
static int create_file(const char *path) {
    char dir[PATH_MAX];
    size_t len = 0;
    append(dir, sizeof(dir), &len, path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (mkdir_all(dir) < 0) return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

/// The nosuid/nodev/noexec flags a mount already has; a bind remount must repeat them or the
/// kernel refuses it when they are locked (runc `getMountFlags` in rootfs_linux.go).
static unsigned long locked_flags(const char *path) {
    struct statfs st;
    unsigned long flags = 0;
    if (statfs(path, &st) < 0) return 0;
    if (st.f_flags & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flags & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
    return flags;
}

/// The directory that holds `target` (an absolute path, normally under the rootfs), resolved
/// and created inside the rootfs (secure_target), as an O_PATH fd for the *at calls; `*name`
/// is set to the last component of `target`. `call` names the step in errors.
static int open_parent(const char *target, const char **name, const char *call, int report) {
    char parent[PATH_MAX];
    size_t len = 0;
    append(parent, sizeof(parent), &len, target);
    char *slash = strrchr(parent, '/');
    if (slash == NULL || slash[1] == '\0' || len + 1 >= sizeof(parent)) die(report, EINVAL, call, target, NULL);
    *name = target + (slash - parent) + 1;
    if (slash == parent) slash[1] = '\0'; else *slash = '\0';
    char fdpath[64];
    int dirfd = secure_target(parent, 1, fdpath, sizeof(fdpath));
    if (dirfd == -1) die(report, errno, "mkdir", parent, NULL);
    if (dirfd == -2) {
        if (mkdir_all(parent) < 0) die(report, errno, "mkdir", parent, NULL);
        dirfd = open(parent, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dirfd < 0) die(report, errno, "open", parent, NULL);
    }
    return dirfd;
}

/// A symlink step of the mount plan (`create` == 3): `target` (a path under the rootfs) becomes
/// a symlink to `source`. Its parent is resolved and created inside the rootfs (secure_target),
/// and an existing entry is left alone, as runc's setupDevSymlinks does (rootfs_linux.go:
/// `os.Symlink(src, dst)`, EEXIST ignored).
static void make_symlink(const struct pl_mount *m, int report) {
    if (m->source == NULL) die(report, EINVAL, "symlink", "(no link text)", m->target);
    const char *name = NULL;
    int dirfd = open_parent(m->target, &name, "symlink", report);
    if (symlinkat(m->source, dirfd, name) < 0 && errno != EEXIST) die(report, errno, "symlink", m->source, m->target);
    close(dirfd);
}

static void do_mount(const struct pl_mount *m, int report) {
    if (m->create == 3) {
        make_symlink(m, report);
        return;
    }
    const unsigned long propagation = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;
    const unsigned long per_mount = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    unsigned long flags = m->flags;

    // Targets inside the image are resolved inside it (secure_target); others (the rootfs
    // itself) are podlab's own paths.
    char fdpath[64];
    int fd = secure_target(m->target, m->create, fdpath, sizeof(fdpath));
    if (fd == -1) die(report, errno, m->create == 1 ? "mkdir" : "open", m->target, NULL);
    if (fd == -2) {
        if (m->create == 1 && mkdir_all(m->target) < 0) die(report, errno, "mkdir", m->target, NULL);
        if (m->create == 2 && create_file(m->target) < 0) die(report, errno, "open", m->target, NULL);
    }
    const char *target = fd >= 0 ? fdpath : m->target;

    const char *what = (flags & MS_BIND) ? m->source : (m->fstype != NULL ? m->fstype : m->source);
    if (what == NULL) what = "none";

    if (flags & MS_BIND) {
        // A source inside the image (/dev/pts/ptmx onto /dev/ptmx) is resolved inside it too: an
        // image whose `dev` is a symlink climbing out of the rootfs must not make the host's
        // devpts the container's (runc binds through a securejoin'd path for the same reason).
        char srcpath[64];
        int srcfd = m->source != NULL ? secure_target(m->source, 0, srcpath, sizeof(srcpath)) : -2;
        if (srcfd == -1) die(report, errno, "open", m->source, NULL);
        if (m->source_beneath != NULL && m->source != NULL) {
            // kubelet subpath_linux.go doBindSubPath: resolve inside the volume, bind the fd.
            int base = open(m->source, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (base < 0) die(report, errno, "open", m->source, NULL);
            struct open_how how;
            memset(&how, 0, sizeof(how));
            how.flags = O_PATH | O_CLOEXEC;
            how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
            srcfd = (int)syscall(SYS_openat2, base, m->source_beneath, &how, sizeof(how));
            if (srcfd < 0) die(report, errno, "openat2", m->source, m->source_beneath);
            close(base);
            snprintf(srcpath, sizeof(srcpath), "/proc/self/fd/%d", srcfd);
        }
        const char *source = srcfd >= 0 ? srcpath : m->source;
        // The kernel ignores per-mount flags on the first bind; apply them with a remount.
        if (mount(source, target, NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
            die(report, errno, "mount", what, m->target);
        if (srcfd >= 0) close(srcfd);
        if (flags & per_mount) {
            // Re-resolve: the old fd names the directory under the new mount, not the mount.
            char again[64];
            int fd2 = secure_target(m->target, 0, again, sizeof(again));
            const char *top = fd2 >= 0 ? again : m->target;
            unsigned long remount = MS_BIND | MS_REMOUNT | (flags & per_mount) | locked_flags(top);
            if (mount(NULL, top, NULL, remount, NULL) < 0) die(report, errno, "mount", "remount", m->target);
            if (fd2 >= 0) close(fd2);
        }
    } else if ((flags & propagation) && m->fstype == NULL && m->source == NULL) {
        // A pure propagation change: handled below.
    } else {
        if (mount(m->source, target, m->fstype, flags & ~(propagation | MS_REC), m->data) < 0)
            die(report, errno, "mount", what, m->target);
    }
    if (fd >= 0) close(fd);
    if (flags & propagation) {
        char again[64];
        int fd3 = secure_target(m->target, 0, again, sizeof(again));
        if (mount(NULL, fd3 >= 0 ? again : m->target, NULL, flags & (propagation | MS_REC), NULL) < 0)
            die(report, errno, "mount", "propagation", m->target);
        if (fd3 >= 0) close(fd3);
    }
}

/// runc's bindMountDeviceNode: the host's node bound onto an empty file at the target.
static void bind_device(const struct pl_device *d, int report) {
    char fdpath[64];
    int fd = secure_target(d->target, 2, fdpath, sizeof(fdpath));
    if (fd == -1 || (fd == -2 && create_file(d->target) < 0)) die(report, errno, "open", d->target, NULL);
    if (mount(d->host_path, fd >= 0 ? fdpath : d->target, NULL, MS_BIND, NULL) < 0) die(report, errno, "mount", d->host_path, d->target);
    if (fd >= 0) close(fd);
}

/// runc's createDevices (libcontainer/rootfs_linux.go createDeviceNode, mknodDevice): each
/// node made with mknod in the container's /dev tmpfs, its mode set with chmod (mknod's is
/// cut by the umask) and its owner with chown, after all mounts. An existing entry is kept
/// (EEXIST, as runc). mknod refused with EPERM or EACCES (a user namespace, where runc binds
/// from the start) falls back to binding the host's node, as runc's createDeviceNode does.
/// The process is already in its cgroups: the device cgroup's `c *:* m` rule (runc's
/// AllowedDevices) is what lets it mknod.
static void make_devices(const struct pl_spawn_config *cfg, int report) {
    for (size_t i = 0; i < cfg->n_devices; i++) {
        const struct pl_device *d = &cfg->devices[i];
        const char *name = NULL;
        int dirfd = open_parent(d->target, &name, "mknod", report);
        if (mknodat(dirfd, name, S_IFCHR | (mode_t)(d->mode & 07777), makedev(d->major, d->minor)) < 0) {
            int e = errno;
            close(dirfd);
            if (e == EEXIST) continue;
            if (e == EPERM || e == EACCES) {
                bind_device(d, report);
                continue;
            }
            die(report, e, "mknod", d->target, NULL);
        }
        // The node was just made in the container's fresh /dev, before any of its processes
        // runs: nothing in the container can have swapped the name for a symlink.
        if (fchmodat(dirfd, name, (mode_t)(d->mode & 07777), 0) < 0) die(report, errno, "chmod", d->target, NULL);
        if (fchownat(dirfd, name, (uid_t)d->uid, (gid_t)d->gid, AT_SYMLINK_NOFOLLOW) < 0) die(report, errno, "chown", d->target, NULL);
        close(dirfd);
    }
}

/// runc's pivotRoot (libcontainer/rootfs_linux.go): pivot_root(".", ".") stacks the old root
/// on top of the new one at "/", so no put_old directory is needed inside the image; the old root
/// is made rslave (so the detach does not propagate to the host) and lazily unmounted.
static void pivot_into(const char *rootfs, int report) {
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0) die(report, errno, "open", "/", NULL);
    int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (newroot < 0) die(report, errno, "open", rootfs, NULL);
    if (fchdir(newroot) < 0) die(report, errno, "fchdir", rootfs, NULL);
    if (syscall(SYS_pivot_root, ".", ".") < 0) die(report, errno, "pivot_root", rootfs, NULL);
    if (fchdir(oldroot) < 0) die(report, errno, "fchdir", "old root", NULL);
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) die(report, errno, "mount", "old root", "MS_SLAVE|MS_REC");
    if (umount2(".", MNT_DETACH) < 0) die(report, errno, "umount2", "old root", "MNT_DETACH");
    if (chdir("/") < 0) die(report, errno, "chdir", "/", NULL);
    close(oldroot);
    close(newroot);
}

/// runc maskPath: /dev/null over files, an empty read-only tmpfs over directories.
static void mask_paths(const struct pl_spawn_config *cfg, int report) {
    for (size_t i = 0; i < cfg->n_masked_paths; i++) {
        const char *p = cfg->masked_paths[i];
        struct stat st;
        if (stat(p, &st) < 0) {
            if (errno == ENOENT) continue;
            die(report, errno, "stat", p, NULL);
        }
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0") < 0) die(report, errno, "mount", "tmpfs", p);
        } else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
            die(report, errno, "mount", "/dev/null", p);
        }
    }
}

/// runc readonlyPath: bind the path onto itself, then remount that bind read-only.
static void readonly_paths(const struct pl_spawn_config *cfg, int report) {
    for (size_t i = 0; i < cfg->n_readonly_paths; i++) {
        const char *p = cfg->readonly_paths[i];
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT) continue;
            die(report, errno, "mount", p, p);
        }
        unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_flags(p);
        if (mount(NULL, p, NULL, flags, NULL) < 0) die(report, errno, "mount", "remount-ro", p);
    }
}

static int wants_mounts(const struct pl_spawn_config *cfg) {
    return cfg->rootfs != NULL || cfg->n_mounts > 0 || cfg->n_devices > 0 || cfg->n_masked_paths > 0 ||
           cfg->n_readonly_paths > 0 || cfg->mount_proc;
}

static void setup_filesystem(const struct pl_spawn_config *cfg, int report) {
    if (cfg->join_mnt != NULL || !wants_mounts(cfg)) return;
    // Never touch the caller's mount table: every mount below needs a namespace of its own.
    if ((cfg->new_namespaces & CLONE_NEWNS) == 0) die(report, EINVAL, "mount", "no CLONE_NEWNS in new_namespaces", NULL);

    // runc's default rootfsPropagation is rslave: host mounts still reach us, ours never leak out.
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) die(report, errno, "mount", "/", "MS_REC|MS_SLAVE");
    if (cfg->rootfs != NULL) {
        // runc prepareRoot: pivot_root needs the new root to be a mount point.
        if (mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
            die(report, errno, "mount", cfg->rootfs, cfg->rootfs);
    }
    g_rootfs = cfg->rootfs;
    for (size_t i = 0; i < cfg->n_mounts; i++) do_mount(&cfg->mounts[i], report);
    make_devices(cfg, report);
    if (cfg->mount_proc) {
        char proc[PATH_MAX];
        if (join_path(proc, cfg->rootfs != NULL ? cfg->rootfs : "/", "proc") < 0)
            die(report, ENAMETOOLONG, "mount", "proc", cfg->rootfs);
        char fdpath[64];
        int fd = secure_target(proc, 1, fdpath, sizeof(fdpath));
        if (fd == -1 || (fd == -2 && mkdir_all(proc) < 0)) die(report, errno, "mkdir", proc, NULL);
        if (mount("proc", fd >= 0 ? fdpath : proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die(report, errno, "mount", "proc", proc);
        if (fd >= 0) close(fd);
    }
    if (cfg->rootfs != NULL && cfg->cwd != NULL) {
        // runc: a missing working directory is created (MkdirAll(cwd, 0755), rootfs_linux.go
        // createCwd). Resolved and created inside the rootfs, after the volumes are mounted,
        // so a cwd inside a volume is made in the volume, never through a symlink to the host.
        char cwd[PATH_MAX];
        if (join_path(cwd, cfg->rootfs, cfg->cwd) < 0) die(report, ENAMETOOLONG, "mkdir", cfg->cwd, NULL);
        char fdpath[64];
        int fd = secure_target(cwd, 1, fdpath, sizeof(fdpath));
        if (fd < 0) die(report, fd == -1 ? errno : EINVAL, "mkdir", cfg->cwd, "working directory");
        close(fd);
    }
    if (cfg->rootfs != NULL) pivot_into(cfg->rootfs, report);
    if (cfg->readonly_rootfs) {
        // runc setReadonly: the root bind read-only; mounts on top keep their own flags.
        if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
            die(report, errno, "mount", "/", "remount-ro");
    }
    mask_paths(cfg, report);
    readonly_paths(cfg, report);
}

// MARK: - child: process attributes

static void write_oom_score_adj(int value, int report) {
    char num[24];
    itoa_buf(value, num);
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0) die(report, errno, "open", "/proc/self/oom_score_adj", NULL);
    size_t len = strlen(num);
    if (write(fd, num, len) != (ssize_t)len) die(report, errno, "write", "/proc/self/oom_score_adj", num);
    close(fd);
}

/// stdio: each fd is first duplicated above 2 (so, e.g., stdout_fd == 0 is not clobbered by the
/// stdin dup2), then dup2'd into place, which also clears close-on-exec on 0..2.
static void setup_stdio(const struct pl_spawn_config *cfg, int devnull, int report) {
    static const char *names[3] = {"stdin", "stdout", "stderr"};
    int src[3] = {cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd};
    int tmp[3];
    for (int i = 0; i < 3; i++) {
        tmp[i] = fcntl(src[i] < 0 ? devnull : src[i], F_DUPFD_CLOEXEC, 3);
        if (tmp[i] < 0) die(report, errno, "fcntl", names[i], "F_DUPFD_CLOEXEC");
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(tmp[i], i) < 0) die(report, errno, "dup2", names[i], NULL);
    }
}

/// Keeps exactly `keep` (bits = CAP_* numbers) in the bounding set, clears the ambient set,
/// switches to the requested user (keeping the permitted set across the uid change, runc's
/// setupUser between PR_SET_KEEPCAPS 1 and 0), then capsets effective = permitted = `keep` and
/// inheritable = 0, as containerd's spec asks (docs/FIDELITY.md #77). Raw syscalls, no libcap.
/// At execve a root process gets permitted = effective = the bounding set; any other uid gets
/// nothing (no inheritable, no ambient), as in Kubernetes.
static void switch_user(const struct pl_spawn_config *cfg, int report);
static void apply_capabilities(const struct pl_spawn_config *cfg, int report) {
    uint64_t keep = cfg->capabilities;
    uint64_t known = 0;
    char num[24];
    for (unsigned long cap = 0; cap < 64; cap++) {
        int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (r < 0) {
            if (errno == EINVAL) break;  // past the kernel's last capability
            die(report, errno, "prctl", "PR_CAPBSET_READ", itoa_buf((long long)cap, num));
        }
        known |= 1ULL << cap;
        if (r == 1 && (keep & (1ULL << cap)) == 0 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            die(report, errno, "prctl", "PR_CAPBSET_DROP", itoa_buf((long long)cap, num));
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        die(report, errno, "prctl", "PR_CAP_AMBIENT_CLEAR_ALL", NULL);

    if (cfg->set_user) {
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) die(report, errno, "prctl", "PR_SET_KEEPCAPS", "1");
        switch_user(cfg, report);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) die(report, errno, "prctl", "PR_SET_KEEPCAPS", "0");
    }

    keep &= known;  // capset refuses bits the kernel does not have
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    for (int i = 0; i < 2; i++) {
        uint32_t half = (uint32_t)(keep >> (32 * i));
        data[i].effective = half;
        data[i].permitted = half;
        data[i].inheritable = 0;
    }
    if (syscall(SYS_capset, &header, data) < 0) die(report, errno, "capset", "_LINUX_CAPABILITY_VERSION_3", NULL);
}

/// runc setupUser: setgroups, setresgid, setresuid (raw syscalls: glibc's wrappers signal every
/// thread, and this child has one).
static void switch_user(const struct pl_spawn_config *cfg, int report) {
    char num[24];
    if (syscall(SYS_setgroups, cfg->n_groups, cfg->groups) < 0) die(report, errno, "setgroups", itoa_buf((long long)cfg->n_groups, num), "groups");
    if (syscall(SYS_setresgid, cfg->gid, cfg->gid, cfg->gid) < 0) die(report, errno, "setresgid", itoa_buf((long long)cfg->gid, num), NULL);
    if (syscall(SYS_setresuid, cfg->uid, cfg->uid, cfg->uid) < 0) die(report, errno, "setresuid", itoa_buf((long long)cfg->uid, num), NULL);
}

/// Marks every fd above stdio close-on-exec, so nothing the caller opened (other threads do not
/// always use O_CLOEXEC) reaches the container. Falls back to a loop on kernels before 5.11.
static void close_fds_on_exec(void) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
    struct rlimit rl;
    rlim_t max = (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) ? rl.rlim_cur : 65536;
    for (rlim_t fd = 3; fd < max; fd++) (void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/// close(2) on fds lo..hi inclusive.
static void close_span(unsigned int lo, unsigned int hi) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, lo, hi, 0U) == 0) return;
#endif
    struct rlimit rl;
    unsigned int max = (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) ? (unsigned int)rl.rlim_cur : 65536;
    for (unsigned int fd = lo; fd <= hi && fd < max; fd++) (void)close((int)fd);
}

/// Closes every fd except the two kept ones (the intermediate's channels).
static void close_all_but(int keep1, int keep2) {
    int lo = keep1 < keep2 ? keep1 : keep2;
    int hi = keep1 < keep2 ? keep2 : keep1;
    if (lo > 0) close_span(0, (unsigned int)lo - 1);
    if (hi - lo > 1) close_span((unsigned int)lo + 1, (unsigned int)hi - 1);
    close_span((unsigned int)hi + 1, ~0U);
}

static const char *env_lookup(char *const *envp, const char *name) {
    size_t n = strlen(name);
    for (; envp != NULL && *envp != NULL; envp++) {
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=') return *envp + n + 1;
    }
    return NULL;
}

/// execve, with execvpe-style search of the *container's* PATH (from envp, not the caller's).
/// Like glibc: EACCES from any candidate wins over ENOENT; other errors stop the search.
__attribute__((noreturn)) static void exec_program(const struct pl_spawn_config *cfg, int report) {
    static char *const empty_env[] = {NULL};
    char *const *envp = cfg->envp != NULL ? cfg->envp : empty_env;
    const char *file = cfg->path != NULL ? cfg->path : (cfg->argv != NULL ? cfg->argv[0] : NULL);
    if (file == NULL || file[0] == '\0') die(report, EINVAL, "execve", "(no program)", NULL);
    char *const fallback_argv[] = {(char *)file, NULL};
    char *const *argv = cfg->argv != NULL ? cfg->argv : fallback_argv;

    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        die(report, errno, "execve", file, NULL);
    }
    const char *search = env_lookup(envp, "PATH");
    if (search == NULL) search = PL_DEFAULT_PATH;
    int saw_eacces = 0;
    char candidate[PATH_MAX];
    while (1) {
        const char *end = strchr(search, ':');
        size_t seglen = end != NULL ? (size_t)(end - search) : strlen(search);
        char dir[PATH_MAX];
        if (seglen == 0) {
            dir[0] = '.';  // an empty PATH entry means the current directory (POSIX)
            dir[1] = '\0';
        } else if (seglen < sizeof(dir)) {
            memcpy(dir, search, seglen);
            dir[seglen] = '\0';
        } else {
            dir[0] = '\0';
        }
        if (dir[0] != '\0' && join_path(candidate, dir, file) == 0) {
            execve(candidate, argv, envp);
            switch (errno) {
            case EACCES:
                saw_eacces = 1;
                break;
            case ENOENT:
            case ENOTDIR:
            case ESTALE:
            case ENODEV:
            case ETIMEDOUT:
                break;
            default:
                die(report, errno, "execve", candidate, NULL);
            }
        }
        if (end == NULL) break;
        search = end + 1;
    }
    die(report, saw_eacces ? EACCES : ENOENT, "execve", file, NULL);
}

// MARK: - the two children

/// The cgroup.procs files of one spawn, opened by the caller before fork: the process writes to
/// them after it may have joined another mount namespace (exec into a container), where the
/// host's cgroupfs paths do not resolve.
#define PL_MAX_CGROUP_PROCS 16
struct cgroup_fds {
    int fd[PL_MAX_CGROUP_PROCS];
    size_t count;
};

static void close_cgroup_fds(struct cgroup_fds *fds) {
    for (size_t i = 0; i < fds->count; i++) close(fds->fd[i]);
    fds->count = 0;
}

/// Opens every cgroup.procs file for writing (close-on-exec); on failure none stays open.
static int open_cgroup_fds(const struct pl_spawn_config *cfg, struct cgroup_fds *fds, struct pl_error *err) {
    fds->count = 0;
    if (cfg->n_cgroup_procs > PL_MAX_CGROUP_PROCS) return set_error(err, E2BIG, "open", "cgroup.procs", "more than 16 hierarchies");
    for (size_t i = 0; i < cfg->n_cgroup_procs; i++) {
        int fd = open(cfg->cgroup_procs[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            close_cgroup_fds(fds);
            return set_error(err, e, "open", cfg->cgroup_procs[i], NULL);
        }
        fds->fd[fds->count++] = fd;
    }
    return 0;
}

/// The process moves itself into its cgroups: "0" written to cgroup.procs means the writer.
static void join_cgroups(const struct pl_spawn_config *cfg, const struct cgroup_fds *fds, int report) {
    for (size_t i = 0; i < fds->count; i++) {
        ssize_t n;
        do {
            n = write(fds->fd[i], "0", 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1) die(report, n < 0 ? errno : EIO, "write", cfg->cgroup_procs[i], "0 (this process)");
        close(fds->fd[i]);
    }
}

/// The process itself: joins its cgroups, then sets itself up in the order runc/crun do and
/// execs. Any failure goes to `report`.
__attribute__((noreturn)) static void run_process(const struct pl_spawn_config *cfg, const struct cgroup_fds *cgroups, int sync, int report) {
    close(sync);
    join_cgroups(cfg, cgroups, report);

    // A cgroup namespace is rooted at the cgroup current at unshare time: only now, inside its cgroups.
    if ((cfg->new_namespaces & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
        die(report, errno, "unshare", "CLONE_NEWCGROUP", NULL);
    // exec into a container with its own cgroup namespace enters it, also once in its cgroups
    // (kernels before 5.16 check a migration against the writer's current cgroup namespace, and
    // the exec's starting cgroup is outside this one's root; later ones use the opener's).
    if (g_join_cgroup_fd >= 0) {
        if (setns(g_join_cgroup_fd, CLONE_NEWCGROUP) < 0) die(report, errno, "setns", cfg->join_cgroup, NULL);
        close(g_join_cgroup_fd);
        g_join_cgroup_fd = -1;
    }
    // Opened before the mounts, so a rootfs without /dev/null still gets one for its stdio.
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) die(report, errno, "open", "/dev/null", NULL);

    if (cfg->oom_score_adj != PL_OOM_SCORE_ADJ_UNSET) write_oom_score_adj(cfg->oom_score_adj, report);
    if (cfg->hostname != NULL) {
        // Without a UTS namespace of its own this would rename the host.
        if ((cfg->new_namespaces & CLONE_NEWUTS) == 0 && cfg->join_uts == NULL)
            die(report, EINVAL, "sethostname", cfg->hostname, "no UTS namespace");
        if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) die(report, errno, "sethostname", cfg->hostname, NULL);
    }
    setup_filesystem(cfg, report);
    const char *cwd = cfg->cwd != NULL ? cfg->cwd : "/";
    if (chdir(cwd) < 0) die(report, errno, "chdir", cwd, NULL);
    if (setsid() < 0) die(report, errno, "setsid", NULL, NULL);
    setup_stdio(cfg, devnull, report);
    if (cfg->set_controlling_tty && ioctl(0, TIOCSCTTY, 0) < 0) die(report, errno, "ioctl", "stdin", "TIOCSCTTY");
    // runc's order: without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes in before
    // the capabilities are dropped; with it, last before exec (fewer syscalls to allow).
    uint64_t bounding = cfg->drop_capabilities ? cfg->capabilities : ~0ULL;
    if (cfg->seccomp_default && !cfg->no_new_privs && pl_seccomp_default_filter(bounding) < 0)
        die(report, errno, "seccomp", "SECCOMP_SET_MODE_FILTER", "RuntimeDefault");
    if (cfg->drop_capabilities) {
        apply_capabilities(cfg, report);
    } else if (cfg->set_user) {
        switch_user(cfg, report);
    }
    if (cfg->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die(report, errno, "prctl", "PR_SET_NO_NEW_PRIVS", NULL);
    if (cfg->seccomp_default && cfg->no_new_privs && pl_seccomp_default_filter(bounding) < 0)
        die(report, errno, "seccomp", "SECCOMP_SET_MODE_FILTER", "RuntimeDefault");
    close_fds_on_exec();
    exec_program(cfg, report);
}

/// The intermediate: enters the namespaces, forks the process, reports its pid, relays its
/// failure or (wait_for_exit) its exit status, like nsenter(1) does for the program it runs.
__attribute__((noreturn)) static void run_intermediate(const struct pl_spawn_config *cfg, const struct cgroup_fds *cgroups, int sync) {
    reset_signals();
    join_namespaces(cfg, sync);
    int unshare_flags = cfg->new_namespaces & ~CLONE_NEWCGROUP;
    if (unshare_flags != 0 && unshare(unshare_flags) < 0) {
        char names[160];
        format_clone_flags(unshare_flags, names, sizeof(names));
        die(sync, errno, "unshare", names, NULL);
    }
    int report[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, report) < 0) die(sync, errno, "socketpair", "report", NULL);
    pid_t pid = fork();
    if (pid < 0) die(sync, errno, "fork", "process", NULL);
    if (pid == 0) {
        close(report[0]);
        run_process(cfg, cgroups, sync, report[1]);
    }
    close(report[1]);
    // The process has its copies of the caller's fds (stdio among them); the intermediate must
    // not keep them: with wait_for_exit it lives as long as the process, and a pipe write end or
    // a file open for writing held here would hide EOFs and make execve fail with ETXTBSY.
    close_all_but(sync, report[0]);

    struct msg m;
    memset(&m, 0, sizeof(m));
    m.kind = MSG_PID;
    m.pid = pid;
    if (send_msg(sync, &m) < 0) {
        kill(pid, SIGKILL);  // the caller is gone: nobody would release or reap it
        waitpid_retry(pid, NULL);
        _exit(127);
    }
    // EOF: the process exec'd (its end of `report` was close-on-exec). A message: it failed.
    if (recv_msg(report[0], &m) == (ssize_t)sizeof(m)) {
        (void)send_msg(sync, &m);
        waitpid_retry(pid, NULL);
        _exit(127);
    }
    close(sync);  // the caller reads EOF: started
    if (!cfg->wait_for_exit) _exit(0);

    int status = 0;
    if (waitpid_retry(pid, &status) < 0) _exit(127);
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        // nsenter: die of the same signal, so the caller's wait status says "signaled".
        int sig = WTERMSIG(status);
        struct rlimit nocore = {0, 0};
        (void)setrlimit(RLIMIT_CORE, &nocore);  // the process may have dumped core; we need not
        (void)signal(sig, SIG_DFL);
        (void)kill(getpid(), sig);
        _exit(128 + sig);
    }
    _exit(127);
}

// MARK: - the caller's side

/// Fails the spawn after the intermediate started: kills the process if it is known (it may be
/// setting itself up already), closes the channel and reaps the intermediate, which reaps the
/// process.
static int abort_spawn(int sync, pid_t intermediate, pid_t process) {
    int e = errno;
    if (process > 0) kill(process, SIGKILL);
    close(sync);
    waitpid_retry(intermediate, NULL);
    // A process killed after the intermediate saw its report channel close is re-parented when
    // the intermediate exits: to us if we are a child subreaper (reap it here), else to init.
    if (process > 0) (void)waitpid_retry(process, NULL);
    errno = e;
    return -1;
}

int pl_spawn_start(const struct pl_spawn_config *cfg, struct pl_spawn_handle *handle, struct pl_error *err) {
    if (cfg == NULL || handle == NULL) return set_error(err, EINVAL, "pl_spawn_start", "NULL config", NULL);
    memset(handle, 0, sizeof(*handle));
    handle->sync = -1;
    struct cgroup_fds cgroups;
    if (open_cgroup_fds(cfg, &cgroups, err) < 0) return -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = errno;
        close_cgroup_fds(&cgroups);
        return set_error(err, e, "socketpair", "sync", NULL);
    }

    // Block every signal across fork so no handler of the caller runs in the child before it
    // resets them (crun, swift-subprocess); the caller's own mask is restored right after.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t intermediate = fork();
    int fork_errno = errno;
    if (intermediate == 0) {
        close(sv[0]);
        run_intermediate(cfg, &cgroups, sv[1]);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sv[1]);
    close_cgroup_fds(&cgroups);
    if (intermediate < 0) {
        close(sv[0]);
        return set_error(err, fork_errno, "fork", "intermediate", NULL);
    }

    struct msg m;
    ssize_t n = recv_msg(sv[0], &m);
    if (n != (ssize_t)sizeof(m)) {
        set_error(err, n < 0 ? errno : EPIPE, "recv", "pid from the intermediate", NULL);
        return abort_spawn(sv[0], intermediate, 0);
    }
    if (m.kind == MSG_ERROR) {
        set_error(err, m.err, "", NULL, NULL);
        if (err != NULL) memcpy(err->stage, m.stage, sizeof(err->stage));
        return abort_spawn(sv[0], intermediate, 0);
    }
    handle->sync = sv[0];
    handle->intermediate = intermediate;
    handle->pid = m.pid;
    handle->wait_for_exit = cfg->wait_for_exit;
    return 0;
}

int pl_spawn_finish(struct pl_spawn_handle *handle, int *wait_status, struct pl_error *err) {
    if (handle == NULL || handle->sync < 0) return set_error(err, EINVAL, "pl_spawn_finish", "no spawn in progress", NULL);
    struct msg m;
    ssize_t n = recv_msg(handle->sync, &m);  // EOF once the process has exec'd; a message if it failed
    int recv_errno = errno;
    close(handle->sync);
    handle->sync = -1;
    int status = 0;
    pid_t reaped = waitpid_retry(handle->intermediate, &status);
    int wait_errno = errno;
    if (n == (ssize_t)sizeof(m) && m.kind == MSG_ERROR) {
        set_error(err, m.err, "", NULL, NULL);
        if (err != NULL) memcpy(err->stage, m.stage, sizeof(err->stage));
        return -1;
    }
    if (n < 0) return set_error(err, recv_errno, "recv", "exec result", NULL);
    // A concurrent waitpid(-1) reaper may have taken the intermediate; only wait_for_exit needs it.
    if (reaped < 0 && handle->wait_for_exit) return set_error(err, wait_errno, "waitpid", "intermediate", NULL);
    if (wait_status != NULL) *wait_status = handle->wait_for_exit ? status : 0;
    return 0;
}

void pl_spawn_cancel(struct pl_spawn_handle *handle) {
    if (handle == NULL || handle->sync < 0) return;
    abort_spawn(handle->sync, handle->intermediate, handle->pid);
    handle->sync = -1;
}

int pl_spawn(const struct pl_spawn_config *cfg, pid_t *pid_out, int *wait_status, struct pl_error *err) {
    if (pid_out == NULL) return set_error(err, EINVAL, "pl_spawn", "NULL pid_out", NULL);
    struct pl_spawn_handle handle;
    if (pl_spawn_start(cfg, &handle, err) < 0) return -1;
    if (pl_spawn_finish(&handle, wait_status, err) < 0) return -1;
    *pid_out = handle.pid;
    return 0;
}
