// The equivalent of containerd's default seccomp profile (contrib/seccomp/seccomp_default.go,
// `DefaultProfile`), for `seccompProfile: RuntimeDefault` (docs/FIDELITY.md #76), built as a
// classic BPF program without libseccomp.
//
// Like the profile: the default action is ERRNO(EPERM); the syscalls in `allowed` are allowed;
// the ones in `gated` only when the container's bounding set holds the capability; without
// CAP_SYS_ADMIN, clone is allowed only without CLONE_NEW* flags and clone3 fails with ENOSYS
// (so libc falls back to clone); personality only with the five personas the profile lists.
// Differences: the program is a linear list, not libseccomp's tree; syscalls of a foreign
// architecture (i386 and x32 on x86_64, arm on arm64), which the profile allows by their own
// numbers, get EPERM here.
//
// Everything here runs in the child between fork and exec: no allocation, only the stack.

#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "podlab_shim.h"

#if defined(__x86_64__)
#define PL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "pl_seccomp_default_filter: unsupported architecture"
#endif

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/// Allowed for every container (the profile's first rule, ptrace for kernels >= 4.8, and the
/// amd64/arm64 extras).
static const int allowed[] = {
#ifdef SYS_accept
    SYS_accept,
#endif
#ifdef SYS_accept4
    SYS_accept4,
#endif
#ifdef SYS_access
    SYS_access,
#endif
#ifdef SYS_adjtimex
    SYS_adjtimex,
#endif
#ifdef SYS_alarm
    SYS_alarm,
#endif
#ifdef SYS_bind
    SYS_bind,
#endif
#ifdef SYS_brk
    SYS_brk,
#endif
#ifdef SYS_capget
    SYS_capget,
#endif
#ifdef SYS_capset
    SYS_capset,
#endif
#ifdef SYS_chdir
    SYS_chdir,
#endif
#ifdef SYS_chmod
    SYS_chmod,
#endif
#ifdef SYS_chown
    SYS_chown,
#endif
#ifdef SYS_chown32
    SYS_chown32,
#endif
#ifdef SYS_clock_adjtime
    SYS_clock_adjtime,
#endif
#ifdef SYS_clock_adjtime64
    SYS_clock_adjtime64,
#endif
#ifdef SYS_clock_getres
    SYS_clock_getres,
#endif
#ifdef SYS_clock_getres_time64
    SYS_clock_getres_time64,
#endif
#ifdef SYS_clock_gettime
    SYS_clock_gettime,
#endif
#ifdef SYS_clock_gettime64
    SYS_clock_gettime64,
#endif
#ifdef SYS_clock_nanosleep
    SYS_clock_nanosleep,
#endif
#ifdef SYS_clock_nanosleep_time64
    SYS_clock_nanosleep_time64,
#endif
#ifdef SYS_close
    SYS_close,
#endif
#ifdef SYS_close_range
    SYS_close_range,
#endif
#ifdef SYS_connect
    SYS_connect,
#endif
#ifdef SYS_copy_file_range
    SYS_copy_file_range,
#endif
#ifdef SYS_creat
    SYS_creat,
#endif
#ifdef SYS_dup
    SYS_dup,
#endif
#ifdef SYS_dup2
    SYS_dup2,
#endif
#ifdef SYS_dup3
    SYS_dup3,
#endif
#ifdef SYS_epoll_create
    SYS_epoll_create,
#endif
#ifdef SYS_epoll_create1
    SYS_epoll_create1,
#endif
#ifdef SYS_epoll_ctl
    SYS_epoll_ctl,
#endif
#ifdef SYS_epoll_ctl_old
    SYS_epoll_ctl_old,
#endif
#ifdef SYS_epoll_pwait
    SYS_epoll_pwait,
#endif
#ifdef SYS_epoll_pwait2
    SYS_epoll_pwait2,
#endif
#ifdef SYS_epoll_wait
    SYS_epoll_wait,
#endif
#ifdef SYS_epoll_wait_old
    SYS_epoll_wait_old,
#endif
#ifdef SYS_eventfd
    SYS_eventfd,
#endif
#ifdef SYS_eventfd2
    SYS_eventfd2,
#endif
#ifdef SYS_execve
    SYS_execve,
#endif
#ifdef SYS_execveat
    SYS_execveat,
#endif
#ifdef SYS_exit
    SYS_exit,
#endif
#ifdef SYS_exit_group
    SYS_exit_group,
#endif
#ifdef SYS_faccessat
    SYS_faccessat,
#endif
#ifdef SYS_faccessat2
    SYS_faccessat2,
#endif
#ifdef SYS_fadvise64
    SYS_fadvise64,
#endif
#ifdef SYS_fadvise64_64
    SYS_fadvise64_64,
#endif
#ifdef SYS_fallocate
    SYS_fallocate,
#endif
#ifdef SYS_fanotify_mark
    SYS_fanotify_mark,
#endif
#ifdef SYS_fchdir
    SYS_fchdir,
#endif
#ifdef SYS_fchmod
    SYS_fchmod,
#endif
#ifdef SYS_fchmodat
    SYS_fchmodat,
#endif
#ifdef SYS_fchown
    SYS_fchown,
#endif
#ifdef SYS_fchown32
    SYS_fchown32,
#endif
#ifdef SYS_fchownat
    SYS_fchownat,
#endif
#ifdef SYS_fcntl
    SYS_fcntl,
#endif
#ifdef SYS_fcntl64
    SYS_fcntl64,
#endif
#ifdef SYS_fdatasync
    SYS_fdatasync,
#endif
#ifdef SYS_fgetxattr
    SYS_fgetxattr,
#endif
#ifdef SYS_flistxattr
    SYS_flistxattr,
#endif
#ifdef SYS_flock
    SYS_flock,
#endif
#ifdef SYS_fork
    SYS_fork,
#endif
#ifdef SYS_fremovexattr
    SYS_fremovexattr,
#endif
#ifdef SYS_fsetxattr
    SYS_fsetxattr,
#endif
#ifdef SYS_fstat
    SYS_fstat,
#endif
#ifdef SYS_fstat64
    SYS_fstat64,
#endif
#ifdef SYS_fstatat64
    SYS_fstatat64,
#endif
#ifdef SYS_fstatfs
    SYS_fstatfs,
#endif
#ifdef SYS_fstatfs64
    SYS_fstatfs64,
#endif
#ifdef SYS_fsync
    SYS_fsync,
#endif
#ifdef SYS_ftruncate
    SYS_ftruncate,
#endif
#ifdef SYS_ftruncate64
    SYS_ftruncate64,
#endif
#ifdef SYS_futex
    SYS_futex,
#endif
#ifdef SYS_futex_time64
    SYS_futex_time64,
#endif
#ifdef SYS_futex_waitv
    SYS_futex_waitv,
#endif
#ifdef SYS_futimesat
    SYS_futimesat,
#endif
#ifdef SYS_getcpu
    SYS_getcpu,
#endif
#ifdef SYS_getcwd
    SYS_getcwd,
#endif
#ifdef SYS_getdents
    SYS_getdents,
#endif
#ifdef SYS_getdents64
    SYS_getdents64,
#endif
#ifdef SYS_getegid
    SYS_getegid,
#endif
#ifdef SYS_getegid32
    SYS_getegid32,
#endif
#ifdef SYS_geteuid
    SYS_geteuid,
#endif
#ifdef SYS_geteuid32
    SYS_geteuid32,
#endif
#ifdef SYS_getgid
    SYS_getgid,
#endif
#ifdef SYS_getgid32
    SYS_getgid32,
#endif
#ifdef SYS_getgroups
    SYS_getgroups,
#endif
#ifdef SYS_getgroups32
    SYS_getgroups32,
#endif
#ifdef SYS_getitimer
    SYS_getitimer,
#endif
#ifdef SYS_getpeername
    SYS_getpeername,
#endif
#ifdef SYS_getpgid
    SYS_getpgid,
#endif
#ifdef SYS_getpgrp
    SYS_getpgrp,
#endif
#ifdef SYS_getpid
    SYS_getpid,
#endif
#ifdef SYS_getppid
    SYS_getppid,
#endif
#ifdef SYS_getpriority
    SYS_getpriority,
#endif
#ifdef SYS_getrandom
    SYS_getrandom,
#endif
#ifdef SYS_getresgid
    SYS_getresgid,
#endif
#ifdef SYS_getresgid32
    SYS_getresgid32,
#endif
#ifdef SYS_getresuid
    SYS_getresuid,
#endif
#ifdef SYS_getresuid32
    SYS_getresuid32,
#endif
#ifdef SYS_getrlimit
    SYS_getrlimit,
#endif
#ifdef SYS_get_robust_list
    SYS_get_robust_list,
#endif
#ifdef SYS_getrusage
    SYS_getrusage,
#endif
#ifdef SYS_getsid
    SYS_getsid,
#endif
#ifdef SYS_getsockname
    SYS_getsockname,
#endif
#ifdef SYS_getsockopt
    SYS_getsockopt,
#endif
#ifdef SYS_get_thread_area
    SYS_get_thread_area,
#endif
#ifdef SYS_gettid
    SYS_gettid,
#endif
#ifdef SYS_gettimeofday
    SYS_gettimeofday,
#endif
#ifdef SYS_getuid
    SYS_getuid,
#endif
#ifdef SYS_getuid32
    SYS_getuid32,
#endif
#ifdef SYS_getxattr
    SYS_getxattr,
#endif
#ifdef SYS_inotify_add_watch
    SYS_inotify_add_watch,
#endif
#ifdef SYS_inotify_init
    SYS_inotify_init,
#endif
#ifdef SYS_inotify_init1
    SYS_inotify_init1,
#endif
#ifdef SYS_inotify_rm_watch
    SYS_inotify_rm_watch,
#endif
#ifdef SYS_io_cancel
    SYS_io_cancel,
#endif
#ifdef SYS_ioctl
    SYS_ioctl,
#endif
#ifdef SYS_io_destroy
    SYS_io_destroy,
#endif
#ifdef SYS_io_getevents
    SYS_io_getevents,
#endif
#ifdef SYS_io_pgetevents
    SYS_io_pgetevents,
#endif
#ifdef SYS_io_pgetevents_time64
    SYS_io_pgetevents_time64,
#endif
#ifdef SYS_ioprio_get
    SYS_ioprio_get,
#endif
#ifdef SYS_ioprio_set
    SYS_ioprio_set,
#endif
#ifdef SYS_io_setup
    SYS_io_setup,
#endif
#ifdef SYS_io_submit
    SYS_io_submit,
#endif
#ifdef SYS_io_uring_enter
    SYS_io_uring_enter,
#endif
#ifdef SYS_io_uring_register
    SYS_io_uring_register,
#endif
#ifdef SYS_io_uring_setup
    SYS_io_uring_setup,
#endif
#ifdef SYS_ipc
    SYS_ipc,
#endif
#ifdef SYS_kill
    SYS_kill,
#endif
#ifdef SYS_landlock_add_rule
    SYS_landlock_add_rule,
#endif
#ifdef SYS_landlock_create_ruleset
    SYS_landlock_create_ruleset,
#endif
#ifdef SYS_landlock_restrict_self
    SYS_landlock_restrict_self,
#endif
#ifdef SYS_lchown
    SYS_lchown,
#endif
#ifdef SYS_lchown32
    SYS_lchown32,
#endif
#ifdef SYS_lgetxattr
    SYS_lgetxattr,
#endif
#ifdef SYS_link
    SYS_link,
#endif
#ifdef SYS_linkat
    SYS_linkat,
#endif
#ifdef SYS_listen
    SYS_listen,
#endif
#ifdef SYS_listxattr
    SYS_listxattr,
#endif
#ifdef SYS_llistxattr
    SYS_llistxattr,
#endif
#ifdef SYS__llseek
    SYS__llseek,
#endif
#ifdef SYS_lremovexattr
    SYS_lremovexattr,
#endif
#ifdef SYS_lseek
    SYS_lseek,
#endif
#ifdef SYS_lsetxattr
    SYS_lsetxattr,
#endif
#ifdef SYS_lstat
    SYS_lstat,
#endif
#ifdef SYS_lstat64
    SYS_lstat64,
#endif
#ifdef SYS_madvise
    SYS_madvise,
#endif
#ifdef SYS_membarrier
    SYS_membarrier,
#endif
#ifdef SYS_memfd_create
    SYS_memfd_create,
#endif
#ifdef SYS_memfd_secret
    SYS_memfd_secret,
#endif
#ifdef SYS_mincore
    SYS_mincore,
#endif
#ifdef SYS_mkdir
    SYS_mkdir,
#endif
#ifdef SYS_mkdirat
    SYS_mkdirat,
#endif
#ifdef SYS_mknod
    SYS_mknod,
#endif
#ifdef SYS_mknodat
    SYS_mknodat,
#endif
#ifdef SYS_mlock
    SYS_mlock,
#endif
#ifdef SYS_mlock2
    SYS_mlock2,
#endif
#ifdef SYS_mlockall
    SYS_mlockall,
#endif
#ifdef SYS_mmap
    SYS_mmap,
#endif
#ifdef SYS_mmap2
    SYS_mmap2,
#endif
#ifdef SYS_mprotect
    SYS_mprotect,
#endif
#ifdef SYS_mq_getsetattr
    SYS_mq_getsetattr,
#endif
#ifdef SYS_mq_notify
    SYS_mq_notify,
#endif
#ifdef SYS_mq_open
    SYS_mq_open,
#endif
#ifdef SYS_mq_timedreceive
    SYS_mq_timedreceive,
#endif
#ifdef SYS_mq_timedreceive_time64
    SYS_mq_timedreceive_time64,
#endif
#ifdef SYS_mq_timedsend
    SYS_mq_timedsend,
#endif
#ifdef SYS_mq_timedsend_time64
    SYS_mq_timedsend_time64,
#endif
#ifdef SYS_mq_unlink
    SYS_mq_unlink,
#endif
#ifdef SYS_mremap
    SYS_mremap,
#endif
#ifdef SYS_msgctl
    SYS_msgctl,
#endif
#ifdef SYS_msgget
    SYS_msgget,
#endif
#ifdef SYS_msgrcv
    SYS_msgrcv,
#endif
#ifdef SYS_msgsnd
    SYS_msgsnd,
#endif
#ifdef SYS_msync
    SYS_msync,
#endif
#ifdef SYS_munlock
    SYS_munlock,
#endif
#ifdef SYS_munlockall
    SYS_munlockall,
#endif
#ifdef SYS_munmap
    SYS_munmap,
#endif
#ifdef SYS_nanosleep
    SYS_nanosleep,
#endif
#ifdef SYS_newfstatat
    SYS_newfstatat,
#endif
#ifdef SYS__newselect
    SYS__newselect,
#endif
#ifdef SYS_open
    SYS_open,
#endif
#ifdef SYS_openat
    SYS_openat,
#endif
#ifdef SYS_openat2
    SYS_openat2,
#endif
#ifdef SYS_pause
    SYS_pause,
#endif
#ifdef SYS_pidfd_open
    SYS_pidfd_open,
#endif
#ifdef SYS_pidfd_send_signal
    SYS_pidfd_send_signal,
#endif
#ifdef SYS_pipe
    SYS_pipe,
#endif
#ifdef SYS_pipe2
    SYS_pipe2,
#endif
#ifdef SYS_poll
    SYS_poll,
#endif
#ifdef SYS_ppoll
    SYS_ppoll,
#endif
#ifdef SYS_ppoll_time64
    SYS_ppoll_time64,
#endif
#ifdef SYS_prctl
    SYS_prctl,
#endif
#ifdef SYS_pread64
    SYS_pread64,
#endif
#ifdef SYS_preadv
    SYS_preadv,
#endif
#ifdef SYS_preadv2
    SYS_preadv2,
#endif
#ifdef SYS_prlimit64
    SYS_prlimit64,
#endif
#ifdef SYS_process_mrelease
    SYS_process_mrelease,
#endif
#ifdef SYS_pselect6
    SYS_pselect6,
#endif
#ifdef SYS_pselect6_time64
    SYS_pselect6_time64,
#endif
#ifdef SYS_pwrite64
    SYS_pwrite64,
#endif
#ifdef SYS_pwritev
    SYS_pwritev,
#endif
#ifdef SYS_pwritev2
    SYS_pwritev2,
#endif
#ifdef SYS_read
    SYS_read,
#endif
#ifdef SYS_readahead
    SYS_readahead,
#endif
#ifdef SYS_readlink
    SYS_readlink,
#endif
#ifdef SYS_readlinkat
    SYS_readlinkat,
#endif
#ifdef SYS_readv
    SYS_readv,
#endif
#ifdef SYS_recv
    SYS_recv,
#endif
#ifdef SYS_recvfrom
    SYS_recvfrom,
#endif
#ifdef SYS_recvmmsg
    SYS_recvmmsg,
#endif
#ifdef SYS_recvmmsg_time64
    SYS_recvmmsg_time64,
#endif
#ifdef SYS_recvmsg
    SYS_recvmsg,
#endif
#ifdef SYS_remap_file_pages
    SYS_remap_file_pages,
#endif
#ifdef SYS_removexattr
    SYS_removexattr,
#endif
#ifdef SYS_rename
    SYS_rename,
#endif
#ifdef SYS_renameat
    SYS_renameat,
#endif
#ifdef SYS_renameat2
    SYS_renameat2,
#endif
#ifdef SYS_restart_syscall
    SYS_restart_syscall,
#endif
#ifdef SYS_rmdir
    SYS_rmdir,
#endif
#ifdef SYS_rseq
    SYS_rseq,
#endif
#ifdef SYS_rt_sigaction
    SYS_rt_sigaction,
#endif
#ifdef SYS_rt_sigpending
    SYS_rt_sigpending,
#endif
#ifdef SYS_rt_sigprocmask
    SYS_rt_sigprocmask,
#endif
#ifdef SYS_rt_sigqueueinfo
    SYS_rt_sigqueueinfo,
#endif
#ifdef SYS_rt_sigreturn
    SYS_rt_sigreturn,
#endif
#ifdef SYS_rt_sigsuspend
    SYS_rt_sigsuspend,
#endif
#ifdef SYS_rt_sigtimedwait
    SYS_rt_sigtimedwait,
#endif
#ifdef SYS_rt_sigtimedwait_time64
    SYS_rt_sigtimedwait_time64,
#endif
#ifdef SYS_rt_tgsigqueueinfo
    SYS_rt_tgsigqueueinfo,
#endif
#ifdef SYS_sched_getaffinity
    SYS_sched_getaffinity,
#endif
#ifdef SYS_sched_getattr
    SYS_sched_getattr,
#endif
#ifdef SYS_sched_getparam
    SYS_sched_getparam,
#endif
#ifdef SYS_sched_get_priority_max
    SYS_sched_get_priority_max,
#endif
#ifdef SYS_sched_get_priority_min
    SYS_sched_get_priority_min,
#endif
#ifdef SYS_sched_getscheduler
    SYS_sched_getscheduler,
#endif
#ifdef SYS_sched_rr_get_interval
    SYS_sched_rr_get_interval,
#endif
#ifdef SYS_sched_rr_get_interval_time64
    SYS_sched_rr_get_interval_time64,
#endif
#ifdef SYS_sched_setaffinity
    SYS_sched_setaffinity,
#endif
#ifdef SYS_sched_setattr
    SYS_sched_setattr,
#endif
#ifdef SYS_sched_setparam
    SYS_sched_setparam,
#endif
#ifdef SYS_sched_setscheduler
    SYS_sched_setscheduler,
#endif
#ifdef SYS_sched_yield
    SYS_sched_yield,
#endif
#ifdef SYS_seccomp
    SYS_seccomp,
#endif
#ifdef SYS_select
    SYS_select,
#endif
#ifdef SYS_semctl
    SYS_semctl,
#endif
#ifdef SYS_semget
    SYS_semget,
#endif
#ifdef SYS_semop
    SYS_semop,
#endif
#ifdef SYS_semtimedop
    SYS_semtimedop,
#endif
#ifdef SYS_semtimedop_time64
    SYS_semtimedop_time64,
#endif
#ifdef SYS_send
    SYS_send,
#endif
#ifdef SYS_sendfile
    SYS_sendfile,
#endif
#ifdef SYS_sendfile64
    SYS_sendfile64,
#endif
#ifdef SYS_sendmmsg
    SYS_sendmmsg,
#endif
#ifdef SYS_sendmsg
    SYS_sendmsg,
#endif
#ifdef SYS_sendto
    SYS_sendto,
#endif
#ifdef SYS_setfsgid
    SYS_setfsgid,
#endif
#ifdef SYS_setfsgid32
    SYS_setfsgid32,
#endif
#ifdef SYS_setfsuid
    SYS_setfsuid,
#endif
#ifdef SYS_setfsuid32
    SYS_setfsuid32,
#endif
#ifdef SYS_setgid
    SYS_setgid,
#endif
#ifdef SYS_setgid32
    SYS_setgid32,
#endif
#ifdef SYS_setgroups
    SYS_setgroups,
#endif
#ifdef SYS_setgroups32
    SYS_setgroups32,
#endif
#ifdef SYS_setitimer
    SYS_setitimer,
#endif
#ifdef SYS_setpgid
    SYS_setpgid,
#endif
#ifdef SYS_setpriority
    SYS_setpriority,
#endif
#ifdef SYS_setregid
    SYS_setregid,
#endif
#ifdef SYS_setregid32
    SYS_setregid32,
#endif
#ifdef SYS_setresgid
    SYS_setresgid,
#endif
#ifdef SYS_setresgid32
    SYS_setresgid32,
#endif
#ifdef SYS_setresuid
    SYS_setresuid,
#endif
#ifdef SYS_setresuid32
    SYS_setresuid32,
#endif
#ifdef SYS_setreuid
    SYS_setreuid,
#endif
#ifdef SYS_setreuid32
    SYS_setreuid32,
#endif
#ifdef SYS_setrlimit
    SYS_setrlimit,
#endif
#ifdef SYS_set_robust_list
    SYS_set_robust_list,
#endif
#ifdef SYS_setsid
    SYS_setsid,
#endif
#ifdef SYS_setsockopt
    SYS_setsockopt,
#endif
#ifdef SYS_set_thread_area
    SYS_set_thread_area,
#endif
#ifdef SYS_set_tid_address
    SYS_set_tid_address,
#endif
#ifdef SYS_setuid
    SYS_setuid,
#endif
#ifdef SYS_setuid32
    SYS_setuid32,
#endif
#ifdef SYS_setxattr
    SYS_setxattr,
#endif
#ifdef SYS_shmat
    SYS_shmat,
#endif
#ifdef SYS_shmctl
    SYS_shmctl,
#endif
#ifdef SYS_shmdt
    SYS_shmdt,
#endif
#ifdef SYS_shmget
    SYS_shmget,
#endif
#ifdef SYS_shutdown
    SYS_shutdown,
#endif
#ifdef SYS_sigaltstack
    SYS_sigaltstack,
#endif
#ifdef SYS_signalfd
    SYS_signalfd,
#endif
#ifdef SYS_signalfd4
    SYS_signalfd4,
#endif
#ifdef SYS_sigprocmask
    SYS_sigprocmask,
#endif
#ifdef SYS_sigreturn
    SYS_sigreturn,
#endif
#ifdef SYS_socket
    SYS_socket,
#endif
#ifdef SYS_socketcall
    SYS_socketcall,
#endif
#ifdef SYS_socketpair
    SYS_socketpair,
#endif
#ifdef SYS_splice
    SYS_splice,
#endif
#ifdef SYS_stat
    SYS_stat,
#endif
#ifdef SYS_stat64
    SYS_stat64,
#endif
#ifdef SYS_statfs
    SYS_statfs,
#endif
#ifdef SYS_statfs64
    SYS_statfs64,
#endif
#ifdef SYS_statx
    SYS_statx,
#endif
#ifdef SYS_symlink
    SYS_symlink,
#endif
#ifdef SYS_symlinkat
    SYS_symlinkat,
#endif
#ifdef SYS_sync
    SYS_sync,
#endif
#ifdef SYS_sync_file_range
    SYS_sync_file_range,
#endif
#ifdef SYS_syncfs
    SYS_syncfs,
#endif
#ifdef SYS_sysinfo
    SYS_sysinfo,
#endif
#ifdef SYS_tee
    SYS_tee,
#endif
#ifdef SYS_tgkill
    SYS_tgkill,
#endif
#ifdef SYS_time
    SYS_time,
#endif
#ifdef SYS_timer_create
    SYS_timer_create,
#endif
#ifdef SYS_timer_delete
    SYS_timer_delete,
#endif
#ifdef SYS_timer_getoverrun
    SYS_timer_getoverrun,
#endif
#ifdef SYS_timer_gettime
    SYS_timer_gettime,
#endif
#ifdef SYS_timer_gettime64
    SYS_timer_gettime64,
#endif
#ifdef SYS_timer_settime
    SYS_timer_settime,
#endif
#ifdef SYS_timer_settime64
    SYS_timer_settime64,
#endif
#ifdef SYS_timerfd_create
    SYS_timerfd_create,
#endif
#ifdef SYS_timerfd_gettime
    SYS_timerfd_gettime,
#endif
#ifdef SYS_timerfd_gettime64
    SYS_timerfd_gettime64,
#endif
#ifdef SYS_timerfd_settime
    SYS_timerfd_settime,
#endif
#ifdef SYS_timerfd_settime64
    SYS_timerfd_settime64,
#endif
#ifdef SYS_times
    SYS_times,
#endif
#ifdef SYS_tkill
    SYS_tkill,
#endif
#ifdef SYS_truncate
    SYS_truncate,
#endif
#ifdef SYS_truncate64
    SYS_truncate64,
#endif
#ifdef SYS_ugetrlimit
    SYS_ugetrlimit,
#endif
#ifdef SYS_umask
    SYS_umask,
#endif
#ifdef SYS_uname
    SYS_uname,
#endif
#ifdef SYS_unlink
    SYS_unlink,
#endif
#ifdef SYS_unlinkat
    SYS_unlinkat,
#endif
#ifdef SYS_utime
    SYS_utime,
#endif
#ifdef SYS_utimensat
    SYS_utimensat,
#endif
#ifdef SYS_utimensat_time64
    SYS_utimensat_time64,
#endif
#ifdef SYS_utimes
    SYS_utimes,
#endif
#ifdef SYS_vfork
    SYS_vfork,
#endif
#ifdef SYS_vmsplice
    SYS_vmsplice,
#endif
#ifdef SYS_wait4
    SYS_wait4,
#endif
#ifdef SYS_waitid
    SYS_waitid,
#endif
#ifdef SYS_waitpid
    SYS_waitpid,
#endif
#ifdef SYS_write
    SYS_write,
#endif
#ifdef SYS_writev
    SYS_writev,
#endif
#ifdef SYS_ptrace
    SYS_ptrace,
#endif
#ifdef SYS_arch_prctl
    SYS_arch_prctl,
#endif
#ifdef SYS_modify_ldt
    SYS_modify_ldt,
#endif
#ifdef SYS_sync_file_range2
    SYS_sync_file_range2,
#endif
};

/// Allowed when the bounding set holds the capability.
struct gated_syscall {
    int capability;
    int nr;
};
static const struct gated_syscall gated[] = {
#ifdef SYS_open_by_handle_at
    {CAP_DAC_READ_SEARCH, SYS_open_by_handle_at},
#endif
#ifdef SYS_bpf
    {CAP_SYS_ADMIN, SYS_bpf},
#endif
#ifdef SYS_clone
    {CAP_SYS_ADMIN, SYS_clone},
#endif
#ifdef SYS_clone3
    {CAP_SYS_ADMIN, SYS_clone3},
#endif
#ifdef SYS_fanotify_init
    {CAP_SYS_ADMIN, SYS_fanotify_init},
#endif
#ifdef SYS_fsconfig
    {CAP_SYS_ADMIN, SYS_fsconfig},
#endif
#ifdef SYS_fsmount
    {CAP_SYS_ADMIN, SYS_fsmount},
#endif
#ifdef SYS_fsopen
    {CAP_SYS_ADMIN, SYS_fsopen},
#endif
#ifdef SYS_fspick
    {CAP_SYS_ADMIN, SYS_fspick},
#endif
#ifdef SYS_lookup_dcookie
    {CAP_SYS_ADMIN, SYS_lookup_dcookie},
#endif
#ifdef SYS_mount
    {CAP_SYS_ADMIN, SYS_mount},
#endif
#ifdef SYS_mount_setattr
    {CAP_SYS_ADMIN, SYS_mount_setattr},
#endif
#ifdef SYS_move_mount
    {CAP_SYS_ADMIN, SYS_move_mount},
#endif
#ifdef SYS_name_to_handle_at
    {CAP_SYS_ADMIN, SYS_name_to_handle_at},
#endif
#ifdef SYS_open_tree
    {CAP_SYS_ADMIN, SYS_open_tree},
#endif
#ifdef SYS_perf_event_open
    {CAP_SYS_ADMIN, SYS_perf_event_open},
#endif
#ifdef SYS_quotactl
    {CAP_SYS_ADMIN, SYS_quotactl},
#endif
#ifdef SYS_quotactl_fd
    {CAP_SYS_ADMIN, SYS_quotactl_fd},
#endif
#ifdef SYS_setdomainname
    {CAP_SYS_ADMIN, SYS_setdomainname},
#endif
#ifdef SYS_sethostname
    {CAP_SYS_ADMIN, SYS_sethostname},
#endif
#ifdef SYS_setns
    {CAP_SYS_ADMIN, SYS_setns},
#endif
#ifdef SYS_syslog
    {CAP_SYS_ADMIN, SYS_syslog},
#endif
#ifdef SYS_umount
    {CAP_SYS_ADMIN, SYS_umount},
#endif
#ifdef SYS_umount2
    {CAP_SYS_ADMIN, SYS_umount2},
#endif
#ifdef SYS_unshare
    {CAP_SYS_ADMIN, SYS_unshare},
#endif
#ifdef SYS_reboot
    {CAP_SYS_BOOT, SYS_reboot},
#endif
#ifdef SYS_chroot
    {CAP_SYS_CHROOT, SYS_chroot},
#endif
#ifdef SYS_delete_module
    {CAP_SYS_MODULE, SYS_delete_module},
#endif
#ifdef SYS_init_module
    {CAP_SYS_MODULE, SYS_init_module},
#endif
#ifdef SYS_finit_module
    {CAP_SYS_MODULE, SYS_finit_module},
#endif
#ifdef SYS_acct
    {CAP_SYS_PACCT, SYS_acct},
#endif
#ifdef SYS_kcmp
    {CAP_SYS_PTRACE, SYS_kcmp},
#endif
#ifdef SYS_pidfd_getfd
    {CAP_SYS_PTRACE, SYS_pidfd_getfd},
#endif
#ifdef SYS_process_madvise
    {CAP_SYS_PTRACE, SYS_process_madvise},
#endif
#ifdef SYS_process_vm_readv
    {CAP_SYS_PTRACE, SYS_process_vm_readv},
#endif
#ifdef SYS_process_vm_writev
    {CAP_SYS_PTRACE, SYS_process_vm_writev},
#endif
#ifdef SYS_ptrace
    {CAP_SYS_PTRACE, SYS_ptrace},
#endif
#ifdef SYS_iopl
    {CAP_SYS_RAWIO, SYS_iopl},
#endif
#ifdef SYS_ioperm
    {CAP_SYS_RAWIO, SYS_ioperm},
#endif
#ifdef SYS_settimeofday
    {CAP_SYS_TIME, SYS_settimeofday},
#endif
#ifdef SYS_stime
    {CAP_SYS_TIME, SYS_stime},
#endif
#ifdef SYS_clock_settime
    {CAP_SYS_TIME, SYS_clock_settime},
#endif
#ifdef SYS_clock_settime64
    {CAP_SYS_TIME, SYS_clock_settime64},
#endif
#ifdef SYS_vhangup
    {CAP_SYS_TTY_CONFIG, SYS_vhangup},
#endif
#ifdef SYS_syslog
    {CAP_SYSLOG, SYS_syslog},
#endif
#ifdef SYS_bpf
    {CAP_BPF, SYS_bpf},
#endif
#ifdef SYS_perf_event_open
    {CAP_PERFMON, SYS_perf_event_open},
#endif
};

#define PL_FILTER_MAX 1024
#define ALLOW SECCOMP_RET_ALLOW
#define FAIL(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

struct program {
    struct sock_filter insns[PL_FILTER_MAX];
    unsigned short len;
    int overflow;
};

static void emit(struct program *p, unsigned short code, unsigned int k, unsigned char jt, unsigned char jf) {
    if (p->len >= PL_FILTER_MAX) {
        p->overflow = 1;
        return;
    }
    p->insns[p->len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

/// `ret ALLOW` when the syscall number (in A) is `nr`.
static void allow_nr(struct program *p, int nr) {
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)nr, 0, 1);
    emit(p, BPF_RET | BPF_K, ALLOW, 0, 0);
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + (i) * sizeof(uint64_t) + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + (i) * sizeof(uint64_t) + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 4 : 0))

int pl_seccomp_default_filter(uint64_t capabilities) {
    struct program p;
    p.len = 0;
    p.overflow = 0;
    int admin = (capabilities >> CAP_SYS_ADMIN) & 1;

    // A foreign architecture's numbers mean other syscalls: refuse them all.
    emit(&p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, PL_AUDIT_ARCH, 1, 0);
    emit(&p, BPF_RET | BPF_K, FAIL(EPERM), 0, 0);
    emit(&p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
#if defined(__x86_64__)
    // x32 numbers (bit 30) on the x86_64 arch.
    emit(&p, BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
    emit(&p, BPF_RET | BPF_K, FAIL(EPERM), 0, 0);
#endif

    // personality(persona) for PER_LINUX, PER_LINUX32, UNAME26|PER_LINUX, UNAME26|PER_LINUX32
    // and the 0xffffffff query. Every exit of the block returns, so A keeps nr after it.
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, SYS_personality, 0, 10);
    emit(&p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(0), 0, 0);
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 7);
    emit(&p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0x0, 4, 0);
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0x8, 3, 0);
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0x20000, 2, 0);
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0x20008, 1, 0);
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 0, 1);
    emit(&p, BPF_RET | BPF_K, ALLOW, 0, 0);
    emit(&p, BPF_RET | BPF_K, FAIL(EPERM), 0, 0);

    if (!admin) {
        // clone without namespace flags (the flags are clone's first argument on x86_64/arm64).
        emit(&p, BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4);
        emit(&p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
        emit(&p, BPF_JMP | BPF_JSET | BPF_K,
             CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP, 1, 0);
        emit(&p, BPF_RET | BPF_K, ALLOW, 0, 0);
        emit(&p, BPF_RET | BPF_K, FAIL(EPERM), 0, 0);
#ifdef SYS_clone3
        // moby#42681: ENOSYS, so glibc falls back to clone.
        emit(&p, BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
        emit(&p, BPF_RET | BPF_K, FAIL(ENOSYS), 0, 0);
#endif
    }
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) allow_nr(&p, allowed[i]);
    for (size_t i = 0; i < sizeof(gated) / sizeof(gated[0]); i++) {
        if (gated[i].capability < 64 && ((capabilities >> gated[i].capability) & 1)) allow_nr(&p, gated[i].nr);
    }
    emit(&p, BPF_RET | BPF_K, FAIL(EPERM), 0, 0);
    if (p.overflow) {
        errno = E2BIG;
        return -1;
    }
    struct sock_fprog prog = {.len = p.len, .filter = p.insns};
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
