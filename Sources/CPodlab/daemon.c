// Process-lifetime helpers for podlab's per-pod supervisor (the containerd-shim/conmon role):
// become a child subreaper, and detach into the background so the supervisor outlives the CLI
// call that started it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podlab_shim.h"

static int daemon_error(struct pl_error *err, int e, const char *stage) {
    if (err != NULL) {
        err->err = e;
        size_t i = 0;
        for (; stage[i] != '\0' && i + 1 < sizeof(err->stage); i++) err->stage[i] = stage[i];
        err->stage[i] = '\0';
    }
    errno = e;
    return -1;
}

int pl_set_child_subreaper(struct pl_error *err) {
    // containerd-shim does this so orphaned container processes (the pid pl_spawn returns after
    // its intermediate exits) are re-parented to it and it can collect their exit status.
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return daemon_error(err, errno, "prctl(PR_SET_CHILD_SUBREAPER, 1)");
    return 0;
}

/// What the daemon tells the original process once it is set up: its pid, or what failed.
struct daemon_report {
    pid_t pid;
    int err;
    char stage[sizeof(((struct pl_error *)0)->stage)];
};

static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/// In the daemon: stdin from /dev/null, stdout and stderr appended to `log_path`.
static int redirect_stdio(const char *log_path, struct daemon_report *r) {
    const char *stage = "open(/dev/null)";
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0) goto fail;
    stage = "open(log)";
    int out = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (out < 0) goto fail;
    stage = "dup2(stdio)";
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) goto fail;
    close(in);
    close(out);
    return 0;
fail:
    r->err = errno;
    size_t i = 0;
    for (; stage[i] != '\0' && i + 1 < sizeof(r->stage); i++) r->stage[i] = stage[i];
    r->stage[i] = '\0';
    if (strcmp(stage, "open(log)") == 0) {
        // Name the file: "open(/run/podlab/pods/web/supervisor.log)".
        size_t len = 0;
        const char *parts[3] = {"open(", log_path, ")"};
        for (int k = 0; k < 3; k++)
            for (const char *s = parts[k]; *s != '\0' && len + 1 < sizeof(r->stage); s++) r->stage[len++] = *s;
        r->stage[len] = '\0';
    }
    return -1;
}

int pl_daemonize(const char *log_path, int *is_daemon, pid_t *pid_out, struct pl_error *err) {
    if (log_path == NULL || is_daemon == NULL || pid_out == NULL) return daemon_error(err, EINVAL, "pl_daemonize(NULL)");
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return daemon_error(err, errno, "pipe2(daemon report)");

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t first = fork();
    if (first < 0) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(p[0]);
        close(p[1]);
        return daemon_error(err, e, "fork(daemon)");
    }
    if (first == 0) {
        // First child: a new session (no controlling terminal), then fork again so the daemon
        // is not a session leader and can never reacquire a terminal (classic double fork).
        close(p[0]);
        struct daemon_report r = {0};
        if (setsid() < 0) {
            r.err = errno;
            memcpy(r.stage, "setsid()", sizeof("setsid()"));
            (void)write_all(p[1], &r, sizeof(r));
            _exit(1);
        }
        pid_t second = fork();
        if (second < 0) {
            r.err = errno;
            memcpy(r.stage, "fork(daemon)", sizeof("fork(daemon)"));
            (void)write_all(p[1], &r, sizeof(r));
            _exit(1);
        }
        if (second > 0) _exit(0);

        // The daemon. It keeps the caller's working directory on purpose: podlab resolves
        // ./rootfs, ./Labs and ./reports against it.
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (redirect_stdio(log_path, &r) < 0) {
            (void)write_all(p[1], &r, sizeof(r));
            _exit(1);
        }
        r.pid = getpid();
        (void)write_all(p[1], &r, sizeof(r));
        close(p[1]);
        *is_daemon = 1;
        *pid_out = r.pid;
        return 0;
    }

    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(p[1]);
    int status;
    while (waitpid(first, &status, 0) < 0 && errno == EINTR) {
    }
    struct daemon_report r;
    memset(&r, 0, sizeof(r));
    size_t got = 0;
    while (got < sizeof(r)) {
        ssize_t n = read(p[0], (char *)&r + got, sizeof(r) - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(p[0]);
    if (got != sizeof(r)) return daemon_error(err, EPIPE, "read(daemon report)");
    if (r.pid <= 0) {
        r.stage[sizeof(r.stage) - 1] = '\0';
        return daemon_error(err, r.err, r.stage);
    }
    *is_daemon = 0;
    *pid_out = r.pid;
    return 0;
}
