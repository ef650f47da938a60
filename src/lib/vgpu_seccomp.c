/* vgpu_seccomp.c - see vgpu_seccomp.h */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "vgpu_seccomp.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __linux__
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))

#define NEWUSER 0x10000000u /* CLONE_NEWUSER (not in <sched.h> without _GNU_SOURCE) */
#define CLONE3 435u /* the same number on every ABI below */
#define X32_BIT 0x40000000u /* __X32_SYSCALL_BIT */

/* One system-call ABI the kernel may be entered through. */
struct abi {
	uint32_t arch;     /* AUDIT_ARCH_* */
	uint32_t nr_mask;  /* nr is ANDed with it first (x32 shares x86_64's numbers) */
	uint32_t clone, unshare, setns;
};

static const struct abi abis[] = {
#if defined(__x86_64__)
	{ AUDIT_ARCH_X86_64, ~X32_BIT, 56, 272, 308 },
	{ AUDIT_ARCH_I386, ~0u, 120, 310, 346 },
#else
	{ AUDIT_ARCH_AARCH64, ~0u, 220, 97, 268 },
	{ AUDIT_ARCH_ARM, ~0u, 120, 337, 375 },
#endif
};

#define NABI (sizeof(abis) / sizeof(abis[0]))

/* Labels of the shared returns and the ABI blocks. */
enum { L_ALLOW, L_EPERM, L_ENOSYS, L_ARG0, L_SETNS, L_ABI0 };
#define NLABELS (L_ABI0 + NABI)
#define MAXPROG 64

struct prog {
	struct sock_filter insn[MAXPROG];
	int jt[MAXPROG], jf[MAXPROG]; /* labels, -1: the next instruction */
	int at[NLABELS];
	unsigned n;
};

static void emit(struct prog *p, uint16_t code, uint32_t k, int jt, int jf)
{
	p->insn[p->n] = (struct sock_filter)BPF_STMT(code, k);
	p->jt[p->n] = jt;
	p->jf[p->n] = jf;
	p->n++;
}

static void label(struct prog *p, int l)
{
	p->at[l] = (int)p->n;
}

/* Low 32 bits of argument i (flags and nstype are ints). */
static uint32_t arg_lo(int i)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint32_t)(offsetof(struct seccomp_data, args) + 8u * (unsigned)i);
#else
	return (uint32_t)(offsetof(struct seccomp_data, args) + 8u * (unsigned)i + 4u);
#endif
}

/* Build the filter; 0, or -1 when a jump would not fit in 8 bits. */
static int build(struct prog *p)
{
	memset(p, 0, sizeof(*p));
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), -1, -1);
	for (unsigned a = 0; a < NABI; a++)
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, abis[a].arch, L_ABI0 + (int)a, -1);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, -1, -1); /* an unknown ABI */
	for (unsigned a = 0; a < NABI; a++) {
		label(p, L_ABI0 + (int)a);
		emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), -1, -1);
		if (abis[a].nr_mask != ~0u)
			emit(p, BPF_ALU | BPF_AND | BPF_K, abis[a].nr_mask, -1, -1);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, abis[a].clone, L_ARG0, -1);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, abis[a].unshare, L_ARG0, -1);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, abis[a].setns, L_SETNS, -1);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, CLONE3, L_ENOSYS, L_ALLOW);
	}
	label(p, L_ARG0); /* clone, unshare: flags are argument 0 on every ABI here */
	emit(p, BPF_LD | BPF_W | BPF_ABS, arg_lo(0), -1, -1);
	emit(p, BPF_JMP | BPF_JSET | BPF_K, NEWUSER, L_EPERM, L_ALLOW);
	label(p, L_SETNS); /* setns(fd, nstype): 0 joins whatever fd is */
	emit(p, BPF_LD | BPF_W | BPF_ABS, arg_lo(1), -1, -1);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, L_EPERM, -1);
	emit(p, BPF_JMP | BPF_JSET | BPF_K, NEWUSER, L_EPERM, L_ALLOW);
	label(p, L_ALLOW);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, -1, -1);
	label(p, L_EPERM);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, -1, -1);
	label(p, L_ENOSYS);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, -1, -1);
	for (unsigned i = 0; i < p->n; i++) {
		int t = p->jt[i] < 0 ? (int)i + 1 : p->at[p->jt[i]];
		int f = p->jf[i] < 0 ? (int)i + 1 : p->at[p->jf[i]];

		if (BPF_CLASS(p->insn[i].code) != BPF_JMP)
			continue;
		if (t <= (int)i || f <= (int)i || t - (int)i - 1 > 255 || f - (int)i - 1 > 255)
			return -1;
		p->insn[i].jt = (uint8_t)(t - (int)i - 1);
		p->insn[i].jf = (uint8_t)(f - (int)i - 1);
	}
	return 0;
}

int vgpu_seccomp_deny_userns(vgpu_seccomp_mode_t *mode, vgpu_err_t *err)
{
	struct prog p;
	struct sock_fprog fprog;
	int nnp = 0;

	if (build(&p) != 0)
		return vgpu_err_set(err, "seccomp: the user-namespace filter does not assemble (a jump too far)");
	fprog.len = (unsigned short)p.n;
	fprog.filter = p.insn;
	/* Without CAP_SYS_ADMIN the kernel refuses a filter (EACCES) unless
	 * no_new_privs is set: try as we are first. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0) {
		if (errno != EACCES)
			return vgpu_err_set(err, "seccomp: cannot install the user-namespace filter: %s",
					    strerror(errno));
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
			return vgpu_err_set(err, "seccomp: cannot set no_new_privs: %s", strerror(errno));
		nnp = 1;
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0)
			return vgpu_err_set(err, "seccomp: cannot install the user-namespace filter "
					    "(no_new_privs set): %s", strerror(errno));
	}
	if (mode)
		*mode = nnp ? VGPU_SECCOMP_NO_NEW_PRIVS : VGPU_SECCOMP_PRIVILEGED;
	return 0;
}

#else

int vgpu_seccomp_deny_userns(vgpu_seccomp_mode_t *mode, vgpu_err_t *err)
{
	(void)mode;
	return vgpu_err_set(err, "seccomp: no user-namespace filter for this architecture or system "
			    "(x86_64 and aarch64 Linux only)");
}

#endif
