// podlab's C shim: the code that must not be Swift.
//
// Why C: after fork/clone in a multi-threaded Swift process only async-signal-safe code may run
// until execve (the Swift runtime may hold locks in other threads). Also, a few calls are not
// exposed by Swift's Glibc module (pivot_root, setns helpers with flags, capset, close_range).
//
// Conventions (after crun): every function returns 0 on success and -1 on failure, filling
// `struct pl_error` with errno and the stage, a string naming the syscall and its argument,
// e.g. "setns(/proc/4242/ns/net)". Every fd is opened O_CLOEXEC.
#ifndef PODLAB_SHIM_H
#define PODLAB_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A failure: errno and the stage (syscall + argument) where it happened.
struct pl_error {
    int err;
    char stage[256];
};

/// One mount operation, performed in order by the child before pivot_root.
/// `target` is an absolute host path (normally under the container's rootfs).
/// `create`: 0 = target must exist, 1 = mkdir -p the target, 2 = create an empty file
/// (for bind-mounting files such as /etc/hosts), 3 = no mount: make `target` a symlink whose
/// text is `source` (runc's /dev/fd, /dev/stdin… links), its parent created inside the rootfs.
/// A bind mount with MS_RDONLY in `flags` is done as bind + remount(MS_BIND|MS_REMOUNT|MS_RDONLY).
struct pl_mount {
    const char *source;
    const char *target;
    const char *fstype;
    const char *data;
    unsigned long flags;
    int create;
    /// For a bind whose source is untrusted below `source` (a volume's subPath): when set,
    /// `source` is a directory podlab owns and the bind source is this relative path resolved
    /// beneath it with openat2(RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS) by the child, in its own
    /// mount namespace (a bind from an fd opened in another mount namespace fails with EINVAL),
    /// and mounted through /proc/self/fd/N. Escaping the directory fails with EXDEV.
    const char *source_beneath;
};

/// Character device node to create under <rootfs>/dev, as runc's createDeviceNode does: mknod
/// with `major`/`minor`, then chmod to `mode` and chown to `uid`:`gid`. Where mknod is refused
/// with EPERM (a user namespace), `host_path` is bind-mounted onto an empty file instead.
struct pl_device {
    const char *host_path;   ///< e.g. "/dev/null", bound only in the fallback
    const char *target;      ///< absolute host path, e.g. "<rootfs>/dev/null"
    unsigned int major;
    unsigned int minor;
    unsigned int mode;       ///< permission bits, e.g. 0666
    unsigned int uid;
    unsigned int gid;
};

/// What to start and how. Plain data: no callbacks run in the child.
struct pl_spawn_config {
    /// Namespaces to join, by path (e.g. "/proc/4242/ns/net" or "/run/netns/podlab-web").
    /// Joined in this order: pid, uts, ipc, net, mnt (mount last, as youki/runc do); cgroup once
    /// the process is in its cgroups.
    const char *join_net;
    const char *join_ipc;
    const char *join_uts;
    const char *join_pid;   ///< pid: the *process started* ends up in it (setns + fork).
    const char *join_mnt;   ///< used by exec into a running container; implies no rootfs setup.
    /// The container's cgroup namespace, for exec on cgroup v2 (runc exec enters every namespace
    /// the container has). Opened with the others, entered only once the process is in its
    /// cgroups: before Linux 5.16 a migration from outside a cgroup namespace's root fails from inside it.
    const char *join_cgroup;
    /// CLONE_NEW* flags for namespaces to create (CLONE_NEWPID, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS…).
    int new_namespaces;

    /// If set (and CLONE_NEWUTS), sethostname() to this.
    const char *hostname;

    /// Root filesystem: if non-NULL the child makes "/" rslave, runs `mounts`, then
    /// pivot_root(rootfs) and detaches the old root. If NULL, the host root is kept (pause, exec).
    const char *rootfs;
    const struct pl_mount *mounts;
    size_t n_mounts;
    const struct pl_device *devices;
    size_t n_devices;
    /// After pivot_root: paths (inside the container) over which /dev/null (files) or an empty
    /// read-only tmpfs (directories) is mounted. Missing paths are skipped. containerd's defaults.
    const char *const *masked_paths;
    size_t n_masked_paths;
    /// After pivot_root: paths remounted read-only (e.g. /proc/sys). Missing paths are skipped.
    const char *const *readonly_paths;
    size_t n_readonly_paths;
    /// Mount a fresh procfs at <rootfs>/proc after the mount plan (needs the new pid namespace).
    int mount_proc;

    /// cgroup.procs files (v1: one per controller hierarchy; v2: one; at most 16), opened by the
    /// caller before fork; the process moves itself into them (writing "0") before it does
    /// anything else.
    const char *const *cgroup_procs;
    size_t n_cgroup_procs;
    /// Written to /proc/self/oom_score_adj unless == PL_OOM_SCORE_ADJ_UNSET.
    int oom_score_adj;

    /// Capabilities kept (bitmask of CAP_* numbers) in the bounding, permitted and effective
    /// sets; inheritable and ambient are cleared. Ignored unless `drop_capabilities` is set.
    uint64_t capabilities;
    int drop_capabilities;
    int no_new_privs;
    /// If set: setgroups(groups), setresgid(gid), setresuid(uid) with the capabilities kept
    /// across the uid change (runc's setupUser between PR_SET_KEEPCAPS 1 and 0).
    int set_user;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t n_groups;
    /// Install pl_seccomp_default_filter (containerd's default profile) before exec.
    int seccomp_default;
    /// Remount "/" read-only after pivot_root (runc setReadonly).
    int readonly_rootfs;

    /// stdio for the process. -1 means /dev/null.
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// Make the child a session leader with stdin as its controlling terminal (exec -t).
    int set_controlling_tty;

    /// Working directory inside the (new) root; NULL = "/".
    const char *cwd;
    /// Program: resolved by the child with execvpe-style PATH search taken from `envp`'s PATH
    /// (so a container's own PATH decides) when it contains no '/'.
    const char *path;
    char *const *argv;
    char *const *envp;

    /// 0: return once the process has exec'd (the caller must be a child subreaper, the process
    ///    is re-parented to it); used by the supervisor.
    /// 1: wait for the process and return its wait status in *wait_status (used by `podlab exec`).
    int wait_for_exit;
};

#define PL_OOM_SCORE_ADJ_UNSET (-10000)

/// Installs (seccomp(SECCOMP_SET_MODE_FILTER)) the equivalent of containerd's default seccomp
/// profile for a process whose bounding set is `capabilities`; async-signal-safe (stack only),
/// for the child between fork and exec. Returns 0 or -1 with errno.
int pl_seccomp_default_filter(uint64_t capabilities);

/// Starts a process as described. On success *pid_out is its pid in the caller's pid namespace.
/// Failures in the child are reported back (errno + stage) and the child is reaped.
/// Equivalent to pl_spawn_start followed by pl_spawn_finish.
int pl_spawn(const struct pl_spawn_config *cfg, pid_t *pid_out, int *wait_status, struct pl_error *err);

/// A spawn between pl_spawn_start and pl_spawn_finish (or pl_spawn_cancel).
struct pl_spawn_handle {
    int sync;            ///< channel to the intermediate; -1 once finished or cancelled
    pid_t intermediate;  ///< reaped by finish/cancel
    pid_t pid;           ///< the process, in the caller's pid namespace
    int wait_for_exit;
};

/// Forks the intermediate and returns once the process exists (`handle->pid`), while it joins
/// its cgroups and sets itself up; `cfg` may be freed on return. Every successful start must be
/// followed by exactly one pl_spawn_finish or pl_spawn_cancel.
int pl_spawn_start(const struct pl_spawn_config *cfg, struct pl_spawn_handle *handle, struct pl_error *err);

/// Waits until the process has exec'd (or, with wait_for_exit, ended) and reaps the
/// intermediate; a failure inside the child is returned as its errno + stage.
int pl_spawn_finish(struct pl_spawn_handle *handle, int *wait_status, struct pl_error *err);

/// Abandons a started spawn: SIGKILLs the process and reaps the intermediate.
void pl_spawn_cancel(struct pl_spawn_handle *handle);

/// Creates a new network namespace and pins it by bind-mounting it at `pin_path` (the file is
/// created; its directory must exist and should be a shared mount like /run/netns). The calling
/// thread's namespace is unchanged on return.
int pl_netns_create(const char *pin_path, struct pl_error *err);

/// Unmounts and removes a pinned namespace file. Missing is not an error.
int pl_netns_remove(const char *pin_path, struct pl_error *err);

/// Opens a socket inside the network namespace pinned at `netns_path` (the socket stays bound to
/// that namespace). The calling thread's namespace is unchanged on return.
int pl_socket_in_netns(const char *netns_path, int domain, int type, int protocol, int *fd_out, struct pl_error *err);

/// Writes `value` to a sysctl file inside the network namespace at `netns_path`
/// (e.g. "/proc/sys/net/ipv4/ping_group_range").
int pl_sysctl_in_netns(const char *netns_path, const char *proc_path, const char *value, struct pl_error *err);

/// pidfd_open(pid, 0): a close-on-exec fd for the process, readable once it has exited (Linux 5.3+).
int pl_pidfd_open(pid_t pid, int *fd_out, struct pl_error *err);

/// pidfd_send_signal(pidfd, sig): signals exactly the process the pidfd refers to (no pid reuse race).
int pl_pidfd_send_signal(int pidfd, int sig, struct pl_error *err);

/// openat2(2): `resolve` is a mask of RESOLVE_* (linux/openat2.h: NO_XDEV 0x01, NO_MAGICLINKS
/// 0x02, NO_SYMLINKS 0x04, BENEATH 0x08, IN_ROOT 0x10). Retries EINTR and the EAGAIN the kernel
/// returns when a rename raced the lookup. Returns the fd, or -1 with errno (ENOSYS before 5.6).
/// O_PATH (an fd naming a place in the tree, for *at calls and /proc/self/fd), hidden by Swift's
/// Glibc module because glibc defines it only under _GNU_SOURCE.
#define PL_O_PATH 0x200000

int pl_openat2(int dirfd, const char *path, int flags, unsigned int mode, uint64_t resolve);

/// statx(2)'s STATX_ATTR_MOUNT_ROOT for `path` (not following a final symlink): 1 if it is the
/// root of a mount, 0 if not, -1 with errno if the call failed or the kernel does not report
/// the attribute (EOPNOTSUPP: before Linux 5.8).
int pl_is_mount_root(const char *path);

/// pipe2(fds, O_CLOEXEC); returns -1 with errno on failure.
int pl_pipe_cloexec(int fds[2]);

/// Makes the caller a child subreaper (PR_SET_CHILD_SUBREAPER), like containerd-shim.
int pl_set_child_subreaper(struct pl_error *err);

/// Opens a pseudo-terminal pair for `podlab exec -t` (both ends O_CLOEXEC, primary O_NOCTTY),
/// sized like the terminal on `size_from_fd` if it is one. The pty functions are hidden by
/// Swift's Glibc module and ioctl(2) is variadic, hence C.
int pl_open_pty(int size_from_fd, int *primary_out, int *replica_out, struct pl_error *err);

#ifdef __cplusplus
}
#endif
#endif
