/*
 * Unit tests for vgpu_seccomp: the user-namespace filter is inherited
 * through fork and exec (a grandchild's unshare(CLONE_NEWUSER), clone with
 * CLONE_NEWUSER, setns into a user namespace and `unshare -U true` all get
 * EPERM), covers the x32 and i386 entry points on x86_64, answers clone3
 * with ENOSYS, and leaves threads, fork, posix_spawn and system() working
 * (glibc falls back from clone3 to clone). Each case works in children, so
 * the test process itself stays unfiltered; a control run shows the same
 * operation succeeding without the filter where the machine allows user
 * namespaces (as root it does, unless user.max_user_namespaces is 0).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgpu_seccomp.h"
#include "vgpu_test.h"

extern char **environ;

/* Run fn in a child (optionally as nobody, optionally filtered first);
 * returns fn's exit status, 100 + signal on a signal, 99 when the filter
 * could not be installed. */
static int in_child(int (*fn)(void), int filtered, int as_nobody)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		vgpu_err_t err;

		if (as_nobody && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(98);
		if (filtered && vgpu_seccomp_deny_userns(NULL, &err) != 0) {
			fprintf(stderr, "# %s\n", err.msg);
			_exit(99);
		}
		_exit(fn());
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* 0: unshare(CLONE_NEWUSER) worked; 1: EPERM; 2: another error. */
static int try_unshare(void)
{
	if (unshare(CLONE_NEWUSER) == 0)
		return 0;
	return errno == EPERM ? 1 : 2;
}

/* The same in a child of a child of the caller. */
static int grandchild_unshare(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 3;
	if (pid == 0)
		_exit(try_unshare());
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 4;
	return WEXITSTATUS(st);
}

/* May this machine make user namespaces at all (the controls)? */
static int userns_allowed(void)
{
	return in_child(try_unshare, 0, 0) == 0;
}

START_TEST(grandchild_unshare_is_denied)
{
	if (userns_allowed())
		ck_assert_int_eq(in_child(grandchild_unshare, 0, 0), 0); /* control */
	ck_assert_int_eq(in_child(grandchild_unshare, 1, 0), 1);
}
END_TEST

/* `unshare -U true` after an exec of a shell: the filter crosses exec. */
static int exec_unshare(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 3;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 2);
		execlp("sh", "sh", "-c", "unshare -U true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 4;
	return WEXITSTATUS(st) == 0 ? 0 : 1;
}

START_TEST(exec_of_unshare_is_denied)
{
	if (system("command -v unshare >/dev/null 2>&1") != 0)
		return; /* no util-linux unshare: the syscall cases still run */
	if (userns_allowed())
		ck_assert_int_eq(in_child(exec_unshare, 0, 0), 0); /* control */
	ck_assert_int_eq(in_child(exec_unshare, 1, 0), 1);
}
END_TEST

/* An unprivileged caller: no_new_privs is set, and the filter holds. */
static int nobody_case(void)
{
	vgpu_seccomp_mode_t mode = VGPU_SECCOMP_PRIVILEGED;
	vgpu_err_t err;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return 10; /* must start without it */
	if (vgpu_seccomp_deny_userns(&mode, &err) != 0)
		return 11;
	if (mode != VGPU_SECCOMP_NO_NEW_PRIVS || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 12;
	return grandchild_unshare();
}

static int root_case(void)
{
	vgpu_seccomp_mode_t mode = VGPU_SECCOMP_NO_NEW_PRIVS;
	vgpu_err_t err;

	if (vgpu_seccomp_deny_userns(&mode, &err) != 0)
		return 11;
	if (mode != VGPU_SECCOMP_PRIVILEGED || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return 12;
	return grandchild_unshare();
}

START_TEST(no_new_privs_only_when_unprivileged)
{
	if (getuid() == 0) {
		ck_assert_int_eq(in_child(root_case, 0, 0), 1);
		ck_assert_int_eq(in_child(nobody_case, 0, 1), 1);
	} else {
		ck_assert_int_eq(in_child(nobody_case, 0, 0), 1);
	}
}
END_TEST

/* Raw clone with CLONE_NEWUSER (what unshare(1) -f and containers use). */
static int raw_clone_newuser(void)
{
	long r = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0UL, 0UL, 0UL, 0UL);

	if (r == 0)
		_exit(0);
	if (r > 0) {
		waitpid((pid_t)r, NULL, 0);
		return 0;
	}
	return errno == EPERM ? 1 : 2;
}

/* setns into a user namespace (our own: EINVAL without the filter), with
 * CLONE_NEWUSER and with 0. */
static int setns_user(void)
{
	int fd = open("/proc/self/ns/user", O_RDONLY);
	int a, b;

	if (fd < 0)
		return 5;
	a = setns(fd, CLONE_NEWUSER) == 0 ? 0 : errno;
	b = setns(fd, 0) == 0 ? 0 : errno;
	close(fd);
	if (a == EPERM && b == EPERM)
		return 1;
	return a == EINVAL && b == EINVAL ? 0 : 2;
}

/* clone3 (any arguments): ENOSYS under the filter, never run. */
static int raw_clone3(void)
{
	long r = syscall(435, NULL, (size_t)0);

	if (r == 0)
		_exit(0);
	return r < 0 && errno == ENOSYS ? 1 : 0;
}

START_TEST(clone_setns_clone3)
{
	if (userns_allowed())
		ck_assert_int_eq(in_child(raw_clone_newuser, 0, 0), 0);
	ck_assert_int_eq(in_child(raw_clone_newuser, 1, 0), 1);
	ck_assert_int_eq(in_child(setns_user, 0, 0), 0);
	ck_assert_int_eq(in_child(setns_user, 1, 0), 1);
	ck_assert_int_eq(in_child(raw_clone3, 0, 0), 0); /* EINVAL/EFAULT for NULL: not ENOSYS */
	ck_assert_int_eq(in_child(raw_clone3, 1, 0), 1);
}
END_TEST

static void *thread_fn(void *arg)
{
	return arg;
}

/* Threads, fork, posix_spawn, system(), unshare of other namespaces. */
static int normal_things(void)
{
	pthread_t t[4];
	void *ret;
	pid_t pid;
	int st;
	char *argv[] = { "true", NULL };

	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, thread_fn, (void *)(intptr_t)(i + 1)) != 0)
			return 20;
	for (int i = 0; i < 4; i++)
		if (pthread_join(t[i], &ret) != 0 || ret != (void *)(intptr_t)(i + 1))
			return 21;
	pid = fork();
	if (pid == 0)
		_exit(7);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return 22;
	if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) != pid ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 23;
	if (system("exit 3") == -1)
		return 24;
	if (getuid() == 0 && unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0)
		return 25; /* root may still make other namespaces */
	return 1;
}

START_TEST(threads_fork_spawn_still_work)
{
	ck_assert_int_eq(in_child(normal_things, 0, 0), 1);
	ck_assert_int_eq(in_child(normal_things, 1, 0), 1);
}
END_TEST

#if defined(__x86_64__)
/* unshare(CLONE_NEWUSER) through the x32 numbers (bit 30): the filter says
 * EPERM before the kernel looks (without it: ENOSYS where x32 is off). */
static int x32_unshare(void)
{
	long r = syscall(0x40000000L | 272, (long)CLONE_NEWUSER);

	if (r == 0)
		return 0;
	return errno == EPERM ? 1 : 2;
}

/* unshare(CLONE_NEWUSER) through int $0x80, the i386 entry point
 * (AUDIT_ARCH_I386, number 310). 3: no i386 emulation. */
static int i386_unshare(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(310L), "b"((long)CLONE_NEWUSER) : "memory");
	if (r == 0)
		return 0;
	if (r == -ENOSYS)
		return 3;
	return r == -EPERM ? 1 : 2;
}

START_TEST(x32_and_i386_entry_points)
{
	int plain = in_child(i386_unshare, 0, 0);

	ck_assert_int_eq(in_child(x32_unshare, 1, 0), 1);
	ck_assert_int_ne(in_child(x32_unshare, 0, 0), 1);
	if (plain == 3)
		return; /* the kernel has no IA32 emulation: nothing to filter */
	if (userns_allowed())
		ck_assert_int_eq(plain, 0);
	ck_assert_int_eq(in_child(i386_unshare, 1, 0), 1);
}
END_TEST
#endif

static Suite *make_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, grandchild_unshare_is_denied);
	tcase_add_test(tc, exec_of_unshare_is_denied);
	tcase_add_test(tc, no_new_privs_only_when_unprivileged);
	tcase_add_test(tc, clone_setns_clone3);
	tcase_add_test(tc, threads_fork_spawn_still_work);
#if defined(__x86_64__)
	tcase_add_test(tc, x32_and_i386_entry_points);
#endif
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
