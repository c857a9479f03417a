// podlab's pause: the process that holds a pod sandbox's namespaces.
//
// It reproduces the observable behaviour of Kubernetes' build/pause/linux/pause.c (see
// docs/FIDELITY.md #1-#6) with its own code:
//   - any argument equal to "-v" (case-insensitive) prints "pause.c <VERSION>" and exits 0;
//   - a warning on stderr when it is not PID 1 (not an error: it keeps running);
//   - SIGINT and SIGTERM: "Shutting down, got signal: <description>" on stderr, exit 0;
//   - SIGCHLD (SA_NOCLDSTOP): reap every exited child, so orphans in a shared PID namespace
//     never linger as zombies;
//   - every other signal keeps its default disposition; the process sleeps in pause().
// As PID 1 the kernel only delivers signals it has a handler for, so SIGKILL from inside the pod
// is ignored while SIGTERM stops it (docs/FIDELITY.md #4).
//
// One deliberate difference: upstream calls psignal() and exit() inside the handler, neither of
// which is async-signal-safe. Here the handler writes the same bytes with write(2) and _exit()s.
//
// Linked statically without the Swift runtime (Package.swift: `-static-executable -nostartfiles`),
// as upstream's build/pause/Makefile links it with `-static`: no loader, no libswiftCore (whose
// crash backtracer used to install handlers for QUIT, ILL, TRAP, ABRT, BUS, FPE and SEGV at load
// time and had to be undone here), so the caught set is exactly INT, TERM and CHLD (SigCgt 0x14002).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VERSION
/// Upstream's Makefile passes -DVERSION=v$(TAG)-$(REV) with TAG 3.10; podlab's build says whose it is.
#define VERSION "v3.10-podlab"
#endif

/// Writes a whole constant string to stderr from a signal handler.
static void say(const char *text) {
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, text, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text += n;
        len -= (size_t)n;
    }
}

/// The descriptions glibc's psignal() prints for the two shutdown signals.
static const char *describe(int signo) {
    switch (signo) {
    case SIGINT:
        return "Interrupt";
    case SIGTERM:
        return "Terminated";
    default:
        return "Unknown signal";
    }
}

static void on_shutdown(int signo) {
    say("Shutting down, got signal: ");
    say(describe(signo));
    say("\n");
    _exit(0);
}

static void on_child(int signo) {
    (void)signo;
    int saved = errno;  // the interrupted code may be about to read errno
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static int install(int signo, void (*handler)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcasecmp(argv[i], "-v") == 0) {
            printf("pause.c %s\n", VERSION);
            return 0;
        }
    }
    if (getpid() != 1) {
        // Not fatal: pause also runs outside a fresh PID namespace (shared host PID, tests).
        fprintf(stderr, "Warning: pause should be the first process\n");
    }
    // Exit codes 1-3 name the handler that could not be installed, as upstream's do.
    if (install(SIGINT, on_shutdown, 0) < 0) return 1;
    if (install(SIGTERM, on_shutdown, 0) < 0) return 2;
    if (install(SIGCHLD, on_child, SA_NOCLDSTOP) < 0) return 3;
    // The signal mask survives execve. A parent that spawns us from a thread with signals blocked
    // (Foundation's Process from a Swift worker thread does) would leave a pause that SIGTERM
    // cannot stop and that never reaps, so unblock the three signals pause is about.
    sigset_t ours;
    sigemptyset(&ours);
    sigaddset(&ours, SIGINT);
    sigaddset(&ours, SIGTERM);
    sigaddset(&ours, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &ours, NULL);

    for (;;) pause();
}
