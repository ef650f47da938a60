/* Unit tests for vgpu_proc: /proc liveness with real processes (a zombie, a
 * process whose main thread called pthread_exit while another thread runs,
 * a reused pid, a command name holding ") "). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_proc.h"
#include "vgpu_test.h"

/* The state letter of pid from /proc (parsed here independently), or 0. */
static char state_of(pid_t pid)
{
	char path[64], buf[2048], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Wait (bounded: 10 s) until pid shows state st. */
static int wait_state(pid_t pid, char st)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 10000; i++) {
		if (state_of(pid) == st)
			return 0;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* Wait until child pid has exited, without reaping it (it stays a zombie). */
static void wait_exited_not_reaped(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	ck_assert_int_eq(si.si_pid, pid);
}

START_TEST(parse_stat_lines)
{
	static const char plain[] = "4242 (bash) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
				    "987654 1000 10\n";
	static const char tricky[] = "77 (a) Z 1 2) b) R 5 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
				     "31337 1 1\n";
	char st = 0;
	uint64_t t = 0;

	ck_assert_int_eq(vgpu_proc_parse_stat(plain, strlen(plain), &st, &t), 0);
	ck_assert_int_eq(st, 'S');
	ck_assert_uint_eq(t, 987654);
	/* comm "a) Z 1 2) b": the state is after the LAST ')' */
	ck_assert_int_eq(vgpu_proc_parse_stat(tricky, strlen(tricky), &st, &t), 0);
	ck_assert_int_eq(st, 'R');
	ck_assert_uint_eq(t, 31337);
	/* not NUL-terminated: only len bytes are read */
	ck_assert_int_eq(vgpu_proc_parse_stat(plain, strlen(plain) - 9, &st, &t), 0);
	ck_assert_uint_eq(t, 987654);
	ck_assert_int_eq(vgpu_proc_parse_stat(plain, strlen(plain) - 12, &st, &t), 0);
	ck_assert_uint_eq(t, 987);
	/* malformed */
	ck_assert_int_eq(vgpu_proc_parse_stat("4242 bash S 1", 13, &st, &t), -1);
	ck_assert_int_eq(vgpu_proc_parse_stat("4242 (bash)S 1", 14, &st, &t), -1);
	ck_assert_int_eq(vgpu_proc_parse_stat("4242 (bash) S 1 2 3", 19, &st, &t), -1);
	ck_assert_int_eq(vgpu_proc_parse_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 abc", 56, &st, &t),
			 -1);
	ck_assert_int_eq(vgpu_proc_parse_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 12x", 56, &st, &t),
			 -1);
	ck_assert_int_eq(
		vgpu_proc_parse_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99999999999999999999", 73,
				     &st, &t),
		-1);
	ck_assert_int_eq(vgpu_proc_parse_stat("", 0, &st, &t), -1);
}
END_TEST

START_TEST(self_and_start_mismatch)
{
	uint64_t t = 0, t2 = 0;

	ck_assert_int_eq(vgpu_proc_start_time(getpid(), &t), VGPU_PROC_ALIVE);
	ck_assert_uint_gt(t, 0);
	ck_assert_int_eq(vgpu_proc_start_time(getpid(), &t2), VGPU_PROC_ALIVE);
	ck_assert_uint_eq(t, t2);
	ck_assert_int_eq(vgpu_proc_alive(getpid(), t, VGPU_PROC_START_ALL), VGPU_PROC_ALIVE);
	/* the same pid with another start time: a reused pid, dead */
	ck_assert_int_eq(vgpu_proc_alive(getpid(), t + 1, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
	/* bits outside the mask are not compared */
	ck_assert_int_eq(vgpu_proc_alive(getpid(), t + (UINT64_C(1) << 31), UINT64_C(0x7fffffff)), VGPU_PROC_ALIVE);
	ck_assert_int_eq(vgpu_proc_alive(getpid(), t + 1, UINT64_C(0x7fffffff)), VGPU_PROC_DEAD);
	/* no such process */
	ck_assert_int_eq(vgpu_proc_alive(0, t, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
	ck_assert_int_eq(vgpu_proc_alive(-5, t, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
	ck_assert_int_eq(vgpu_proc_alive(INT_MAX, t, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
	ck_assert_int_eq(vgpu_proc_start_time(INT_MAX, &t2), VGPU_PROC_DEAD);
}
END_TEST

START_TEST(zombie_is_dead_reaped_is_dead)
{
	int go[2];
	pid_t pid;
	uint64_t t = 0, t2 = 0;
	char c = 0;

	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(go[1]);
		_exit(read(go[0], &c, 1) < 0 ? 1 : 0);
	}
	close(go[0]);
	ck_assert_int_eq(vgpu_proc_start_time(pid, &t), VGPU_PROC_ALIVE);
	ck_assert_int_eq(vgpu_proc_alive(pid, t, VGPU_PROC_START_ALL), VGPU_PROC_ALIVE);
	close(go[1]); /* the child exits */
	wait_exited_not_reaped(pid);
	ck_assert_int_eq(state_of(pid), 'Z');
	ck_assert_int_eq(vgpu_proc_alive(pid, t, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
	ck_assert_int_eq(vgpu_proc_start_time(pid, &t2), VGPU_PROC_DEAD);
	ck_assert_uint_eq(t2, 0); /* not set unless alive */
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(vgpu_proc_alive(pid, t, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
	ck_assert_int_eq(vgpu_proc_start_time(pid, &t2), VGPU_PROC_DEAD);
}
END_TEST

static int hold_fd = -1;

static void *holder(void *arg)
{
	char c;

	(void)arg;
	while (read(hold_fd, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

START_TEST(pthread_exit_main_is_alive)
{
	int go[2];
	pid_t pid;
	uint64_t t = 0, t2 = 0;

	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pthread_t th;

		close(go[1]);
		hold_fd = go[0];
		if (pthread_create(&th, NULL, holder, NULL) != 0)
			_exit(1);
		pthread_exit(NULL); /* the process lives on in its other thread */
	}
	close(go[0]);
	ck_assert_int_eq(vgpu_proc_start_time(pid, &t), VGPU_PROC_ALIVE);
	ck_assert_int_eq(wait_state(pid, 'Z'), 0); /* the main thread has exited */
	ck_assert_int_eq(vgpu_proc_alive(pid, t, VGPU_PROC_START_ALL), VGPU_PROC_ALIVE);
	ck_assert_int_eq(vgpu_proc_start_time(pid, &t2), VGPU_PROC_ALIVE);
	ck_assert_uint_eq(t2, t);
	ck_assert_int_eq(vgpu_proc_alive(pid, t + 1, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
	close(go[1]); /* the last thread returns: the process exits */
	wait_exited_not_reaped(pid);
	ck_assert_int_eq(vgpu_proc_alive(pid, t, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}
END_TEST

START_TEST(comm_with_parenthesis)
{
	int go[2], ready[2];
	pid_t pid;
	uint64_t t = 0;
	char c = 0, path[64], buf[2048], st = 0;
	FILE *f;
	size_t n;
	uint64_t t2 = 0;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		prctl(PR_SET_NAME, "a) Z 1 2) (b", 0, 0, 0);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		_exit(read(go[0], &c, 1) < 0 ? 1 : 0);
	}
	close(go[0]);
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "(a) Z 1 2) (b)")); /* the name really is that */
	ck_assert_int_eq(vgpu_proc_parse_stat(buf, n, &st, &t2), 0);
	ck_assert_int_ne(st, 'Z');
	ck_assert_int_eq(vgpu_proc_start_time(pid, &t), VGPU_PROC_ALIVE);
	ck_assert_uint_eq(t, t2);
	ck_assert_int_eq(vgpu_proc_alive(pid, t, VGPU_PROC_START_ALL), VGPU_PROC_ALIVE);
	close(go[1]);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(vgpu_proc_alive(pid, t, VGPU_PROC_START_ALL), VGPU_PROC_DEAD);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("proc");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, parse_stat_lines);
	tcase_add_test(tc, self_and_start_mismatch);
	tcase_add_test(tc, zombie_is_dead_reaped_is_dead);
	tcase_add_test(tc, pthread_exit_main_is_alive);
	tcase_add_test(tc, comm_with_parenthesis);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
