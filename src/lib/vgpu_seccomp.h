/*
 * vgpu_seccomp.h - a seccomp-BPF filter that keeps a process and every
 * process it starts from creating or joining user namespaces.
 *
 * Why: inside a slice step an unprivileged user namespace gives the job
 * root over a mount namespace of its own, where it can bind anything over
 * the step's private /etc/ld.so.preload or step description and run without
 * the shim (doc/shim.md "Threat model"). The filter is installed in each
 * task before exec and is inherited through fork, clone and exec by every
 * descendant; it cannot be removed.
 *
 * What it denies, on every system-call ABI of the machine (x86_64 with x32,
 * i386 on x86_64; aarch64 and 32-bit arm on aarch64):
 *  - unshare(flags) and clone(flags, ...) with CLONE_NEWUSER: EPERM (what a
 *    kernel with unprivileged user namespaces switched off says);
 *  - setns(fd, nstype) with CLONE_NEWUSER in nstype, or nstype 0 (which
 *    joins whatever namespace fd is, a user namespace included): EPERM;
 *  - clone3: ENOSYS. Its flags are in a struct the filter cannot read; glibc
 *    (2.34 and later) falls back to clone on ENOSYS, so threads, fork and
 *    posix_spawn keep working (tests/unit/test_seccomp.c checks it);
 *  - any system call of an ABI the filter does not know: EPERM.
 * Everything else is allowed.
 *
 * An unprivileged process may only install a filter after
 * PR_SET_NO_NEW_PRIVS, which is inherited and permanent: setuid and setgid
 * programs (sudo, su, ping where it is setuid, fusermount) then run with the
 * caller's privileges, and file capabilities are ignored. A process with
 * CAP_SYS_ADMIN (root in slurmstepd, before it drops to the user) installs
 * the filter without it, so setuid programs inside the job keep working.
 *
 * Slurm-free; Linux only (tests/unit/test_seccomp.c).
 */
#ifndef VGPU_SECCOMP_H
#define VGPU_SECCOMP_H

#include "vgpu_error.h"

/* How vgpu_seccomp_deny_userns installed the filter. */
typedef enum vgpu_seccomp_mode {
	VGPU_SECCOMP_PRIVILEGED = 0, /* with CAP_SYS_ADMIN: no_new_privs left as it was */
	VGPU_SECCOMP_NO_NEW_PRIVS = 1, /* unprivileged: no_new_privs set first */
} vgpu_seccomp_mode_t;

/* Install the filter above in the calling thread (before it starts other
 * threads: the filter is per thread and inherited by what it creates).
 * With CAP_SYS_ADMIN in its user namespace the caller keeps
 * no_new_privs as it was; without, no_new_privs is set first. Returns 0
 * with *mode (may be NULL) saying which, or -1 with err saying which step
 * failed and why (an architecture without a filter, a kernel without
 * seccomp filters). */
int vgpu_seccomp_deny_userns(vgpu_seccomp_mode_t *mode, vgpu_err_t *err);

#endif
