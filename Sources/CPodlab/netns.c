// Network namespace helpers: create+pin, remove, open a socket in, write a sysctl in.
//
// Why a short-lived helper thread: a network namespace is a per-thread attribute, and Swift code
// may run on any thread of a pool. Doing unshare/setns on the *caller's* thread and switching back
// would leave that thread in the wrong namespace if the switch back failed. Instead every
// namespace change happens on a fresh pthread that exits afterwards, so the caller's thread never
// changes namespace at all (the same idea as Go's netns packages with LockOSThread, but without
// the risky restore). Objects created there (the bind-mounted pin, a socket) keep their namespace.
//
// Pinning follows iproute2's `ip netns add` (ip/ipnetns.c: netns_add): create an empty file with
// O_EXCL, then bind-mount the thread's /proc/thread-self/ns/net onto it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "podlab_shim.h"

static int fail(struct pl_error *err, int saved_errno, const char *fmt, const char *arg) {
    if (err != NULL) {
        err->err = saved_errno;
        snprintf(err->stage, sizeof(err->stage), fmt, arg);
    }
    errno = saved_errno;
    return -1;
}

/// What the helper thread should do, and where it reports back.
enum netns_job_kind { JOB_CREATE, JOB_SOCKET, JOB_SYSCTL };

struct netns_job {
    enum netns_job_kind kind;
    const char *netns_path;  ///< JOB_CREATE: the pin file; otherwise the namespace to enter.
    const char *proc_path;   ///< JOB_SYSCTL
    const char *value;       ///< JOB_SYSCTL
    int domain, type, protocol; ///< JOB_SOCKET
    int fd_out;
    struct pl_error error;
    int result;
};

/// Enters the namespace pinned at `path` on the current (helper) thread.
static int enter_netns(struct netns_job *job) {
    int nsfd = open(job->netns_path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        return fail(&job->error, errno, "open(%s)", job->netns_path);
    if (setns(nsfd, CLONE_NEWNET) < 0) {
        int saved = errno;
        close(nsfd);
        return fail(&job->error, saved, "setns(%s, CLONE_NEWNET)", job->netns_path);
    }
    close(nsfd);
    return 0;
}

static int run_create(struct netns_job *job) {
    if (unshare(CLONE_NEWNET) < 0)
        return fail(&job->error, errno, "unshare(CLONE_NEWNET) for %s", job->netns_path);
    if (mount("/proc/thread-self/ns/net", job->netns_path, "none", MS_BIND, NULL) < 0)
        return fail(&job->error, errno, "mount(/proc/thread-self/ns/net, %s, MS_BIND)", job->netns_path);
    return 0;
}

static int run_socket(struct netns_job *job) {
    if (enter_netns(job) < 0)
        return -1;
    int fd = socket(job->domain, job->type | SOCK_CLOEXEC, job->protocol);
    if (fd < 0)
        return fail(&job->error, errno, "socket() in %s", job->netns_path);
    job->fd_out = fd;
    return 0;
}

static int run_sysctl(struct netns_job *job) {
    if (enter_netns(job) < 0)
        return -1;
    // /proc/sys/net/* resolves against the opening thread's network namespace.
    int fd = open(job->proc_path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(&job->error, errno, "open(%s)", job->proc_path);
    size_t len = strlen(job->value);
    ssize_t n;
    do {
        n = write(fd, job->value, len);
    } while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (n < 0)
        return fail(&job->error, saved, "write(%s)", job->proc_path);
    if ((size_t)n != len)
        return fail(&job->error, EIO, "short write(%s)", job->proc_path);
    return 0;
}

static void *job_thread(void *arg) {
    struct netns_job *job = arg;
    switch (job->kind) {
    case JOB_CREATE: job->result = run_create(job); break;
    case JOB_SOCKET: job->result = run_socket(job); break;
    case JOB_SYSCTL: job->result = run_sysctl(job); break;
    }
    return NULL;
}

/// Runs `job` on a fresh thread and copies its error out. The thread exits with the job, taking
/// its namespace with it.
static int run_job(struct netns_job *job, struct pl_error *err) {
    pthread_t thread;
    job->result = -1;
    job->fd_out = -1;
    memset(&job->error, 0, sizeof(job->error));
    int rc = pthread_create(&thread, NULL, job_thread, job);
    if (rc != 0)
        return fail(err, rc, "pthread_create() for %s", job->netns_path);
    rc = pthread_join(thread, NULL);
    if (rc != 0)
        return fail(err, rc, "pthread_join() for %s", job->netns_path);
    if (job->result < 0) {
        if (err != NULL)
            *err = job->error;
        errno = job->error.err;
        return -1;
    }
    return 0;
}

int pl_netns_create(const char *pin_path, struct pl_error *err) {
    int fd = open(pin_path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0)
        return fail(err, errno, "open(%s, O_CREAT|O_EXCL)", pin_path);
    close(fd);
    struct netns_job job = { .kind = JOB_CREATE, .netns_path = pin_path };
    if (run_job(&job, err) < 0) {
        int saved = errno;
        unlink(pin_path);
        errno = saved;
        return -1;
    }
    return 0;
}

int pl_netns_remove(const char *pin_path, struct pl_error *err) {
    // MNT_DETACH like `ip netns delete`: the namespace lives on while something still holds it.
    if (umount2(pin_path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return fail(err, errno, "umount2(%s, MNT_DETACH)", pin_path);
    if (unlink(pin_path) < 0 && errno != ENOENT)
        return fail(err, errno, "unlink(%s)", pin_path);
    return 0;
}

int pl_socket_in_netns(const char *netns_path, int domain, int type, int protocol, int *fd_out, struct pl_error *err) {
    struct netns_job job = {
        .kind = JOB_SOCKET, .netns_path = netns_path, .domain = domain, .type = type, .protocol = protocol,
    };
    if (run_job(&job, err) < 0)
        return -1;
    *fd_out = job.fd_out;
    return 0;
}

int pl_sysctl_in_netns(const char *netns_path, const char *proc_path, const char *value, struct pl_error *err) {
    struct netns_job job = { .kind = JOB_SYSCTL, .netns_path = netns_path, .proc_path = proc_path, .value = value };
    return run_job(&job, err);
}
