/*
 * Faults and tampering of the job ledger (src/shim/vgpu_ledger.c): a file
 * system without room for a ledger is a refusal at open naming the file,
 * never a SIGBUS later (a 12 KiB tmpfs in a private mount namespace: root
 * only); deleting, renaming a forged copy over, symlinking or rewriting the
 * header of the ledger while a process holds memory, and closing the
 * holder's lock descriptor, all make the holder's next reservation fail
 * (closed, with the reason), the job's other views fail too, and a later
 * opener refuses the file: no route gives the job more memory. Each case
 * fails on the layout-3 ledger (commit cdd0550), where the reservation
 * succeeds (or the process dies of SIGBUS).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgpu_ledger.h"
#include "vgpu_test.h"

#define UUID "GPU-8c3e2a51-0f4b-4c1e-9a7d-2b6f1e0c9d11"
#define MIB (UINT64_C(1) << 20)

static char dir[256], path[512];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/vgpu-lguard-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s%s", dir, UUID, VGPU_LEDGER_SUFFIX);
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# cannot remove %s\n", dir);
}

static const char *fault(const struct vgpu_ledger *l)
{
#ifdef VGPU_LEDGER_HAS_FAULT
	const char *f = vgpu_ledger_fault(l);

	return f ? f : "";
#else
	(void)l;
	return "";
#endif
}

static struct vgpu_ledger *open_in(const char *d, uint64_t limit)
{
	struct vgpu_ledger_step st = { "7.0", limit, limit, 0 };
	struct vgpu_ledger *l = NULL;
	char err[512];

	if (vgpu_ledger_open(d, UUID, &st, &l, err, sizeof(err)) != 0)
		ck_abort_msg("open: %s", err);
	return l;
}

/* A view of the job's ledger with slot s holding 60 MiB of 100. */
static struct vgpu_ledger *holding(int *s)
{
	struct vgpu_ledger *l = open_in(dir, 100 * MIB);

	*s = vgpu_ledger_claim(l, 0);
	ck_assert_int_ge(*s, 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l, *s, 60 * MIB), 0);
	return l;
}

/* What a later opener gets: 0 and its reservation's result, or -1. */
static int later_opener(uint64_t bytes, char *err, size_t len)
{
	struct vgpu_ledger_step st = { "7.1", 100 * MIB, 100 * MIB, 0 };
	struct vgpu_ledger *l = NULL;
	int s, r;

	if (vgpu_ledger_open(dir, UUID, &st, &l, err, len) != 0)
		return -1;
	s = vgpu_ledger_claim(l, 0);
	r = s < 0 ? 3 : vgpu_ledger_reserve(l, s, bytes);
	snprintf(err, len, "%s", fault(l));
	vgpu_ledger_close(l);
	return r;
}

/* The refusal after tampering: holder and other view refuse, with why. */
static void refused_after(struct vgpu_ledger *l, int s, struct vgpu_ledger *other, const char *why)
{
	int so;

	ck_assert_int_ne(vgpu_ledger_reserve(l, s, 20 * MIB), 0);
	ck_assert_msg(strstr(fault(l), why) != NULL, "fault '%s' lacks '%s'", fault(l), why);
	ck_assert_ptr_nonnull(strstr(fault(l), path));
	if (other) {
		so = vgpu_ledger_claim(other, 0);
		ck_assert(so < 0 || vgpu_ledger_reserve(other, so, 10 * MIB) != 0);
	}
}

START_TEST(full_file_system_is_a_refusal)
{
	pid_t pid;
	int st;

	if (getuid() != 0)
		return; /* a tmpfs needs root (a private mount namespace keeps it ours) */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct vgpu_ledger_step ls = { "7.0", 100 * MIB, 0, 0 };
		struct vgpu_ledger *l = NULL;
		char err[512], small[300];
		int s;
		DIR *d;
		struct dirent *e;

		snprintf(small, sizeof(small), "%s/small", dir);
		if (mkdir(small, 0700) != 0 || unshare(CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("tmpfs", small, "tmpfs", 0, "size=12k") != 0)
			_exit(77);
		if (vgpu_ledger_open(small, UUID, &ls, &l, err, sizeof(err)) == 0) {
			s = vgpu_ledger_claim(l, 0);
			/* the layout-3 ledger gets here, and dies of SIGBUS */
			_exit(s >= 0 && vgpu_ledger_reserve(l, s, MIB) == 0 ? 10 : 11);
		}
		if (!strstr(err, small) || !strstr(err, "No space left on device"))
			_exit(12);
		d = opendir(small);
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
				_exit(13); /* a temporary file left behind */
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return; /* no tmpfs here */
	ck_assert_msg(WIFEXITED(st), "the opener died of signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(deleted_while_held)
{
	int s;
	struct vgpu_ledger *l = holding(&s), *other = open_in(dir, 100 * MIB);
	char err[512];

	ck_assert_int_eq(unlink(path), 0);
	refused_after(l, s, other, "deleted");
	/* the holder marked the file a newcomer re-created: refused */
	ck_assert_int_eq(later_opener(MIB, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "tampered with"));
	vgpu_ledger_close(other);
	vgpu_ledger_close(l);
}
END_TEST

/* Copy the ledger as it is now, zero its slots, rename it over the path. */
START_TEST(forged_copy_renamed_over)
{
	int s;
	struct vgpu_ledger *l = holding(&s);
	char tmp[600], buf[65536], err[512];
	int in = open(path, O_RDONLY), out;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s/forged", dir);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(in >= 0 && out >= 0);
	n = read(in, buf, sizeof(buf));
	ck_assert_int_gt(n, 4096);
	memset(buf + 4096 + 128, 0, (size_t)n - 4096 - 128); /* slots and charges gone */
	ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	ck_assert_int_eq(rename(tmp, path), 0);
	refused_after(l, s, NULL, "replaced");
	ck_assert_int_eq(later_opener(60 * MIB, err, sizeof(err)), -1);
	vgpu_ledger_close(l);
}
END_TEST

START_TEST(symlink_over_it)
{
	int s;
	struct vgpu_ledger *l = holding(&s);
	char other_dir[300], target[600], err[512];

	snprintf(other_dir, sizeof(other_dir), "%s/elsewhere", dir);
	ck_assert_int_eq(mkdir(other_dir, 0700), 0);
	vgpu_ledger_close(open_in(other_dir, 100 * MIB)); /* an empty ledger */
	snprintf(target, sizeof(target), "%s/%s%s", other_dir, UUID, VGPU_LEDGER_SUFFIX);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	refused_after(l, s, NULL, "replaced");
	ck_assert_int_eq(later_opener(60 * MIB, err, sizeof(err)), -1);
	vgpu_ledger_close(l);
}
END_TEST

START_TEST(header_rewritten)
{
	int s;
	struct vgpu_ledger *l = holding(&s), *other = open_in(dir, 100 * MIB);
	char junk[8] = "FORGED!", err[512];
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), 24 + 8), (ssize_t)sizeof(junk)); /* into the uuid */
	close(fd);
	refused_after(l, s, other, "header");
	ck_assert_int_eq(later_opener(MIB, err, sizeof(err)), -1);
	vgpu_ledger_close(other);
	vgpu_ledger_close(l);
}
END_TEST

/* The holder closes every descriptor on the ledger (closefrom); another
 * process then reclaims its slot as dead: the holder notices at its next
 * reservation, and the other's next reservation is refused too. */
START_TEST(lock_descriptor_closed)
{
	int s, so, p[2], q[2], r = -1;
	char c = 0, link[PATH_MAX], fdp[64];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(q), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct vgpu_ledger *l = holding(&s);

		for (int fd = 3; fd < 1024; fd++) {
			ssize_t n;

			snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
			n = readlink(fdp, link, sizeof(link) - 1);
			if (n > 0 && (link[n] = '\0', strcmp(link, path) == 0))
				close(fd);
		}
		c = 1;
		if (write(p[1], &c, 1) != 1 || read(q[0], &c, 1) != 1)
			_exit(5);
		c = (char)vgpu_ledger_reserve(l, s, 20 * MIB);
		if (c != 0 && !strstr(fault(l), "descriptor"))
			c = 9;
		if (write(p[1], &c, 1) != 1)
			_exit(6);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	{
		struct vgpu_ledger *other = open_in(dir, 100 * MIB);

		so = vgpu_ledger_claim(other, 0);
		ck_assert_int_ge(so, 0);
		/* the holder's slot looks dead: reclaimed (as before) */
		ck_assert_int_eq(vgpu_ledger_reserve(other, so, 60 * MIB), 0);
		ck_assert_int_eq(write(q[1], &c, 1), 1);
		ck_assert_int_eq(read(p[0], &c, 1), 1);
		r = c;
		ck_assert_int_ne(vgpu_ledger_reserve(other, so, 10 * MIB), 0);
		vgpu_ledger_close(other);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(r, 2); /* refused, for its closed descriptor */
}
END_TEST

#ifdef VGPU_LEDGER_HAS_FAULT
/* The launcher's ledger directory (root, 0755) with the ledger prepared
 * for the job's user: the user's process uses the ledger but can remove,
 * rename, symlink or create nothing there. Root only. */
START_TEST(prepared_directory_holds)
{
	char acct[300], lp[600], err[512];
	struct stat st;
	pid_t pid;
	int wst;

	if (getuid() != 0)
		return;
	snprintf(acct, sizeof(acct), "%s/acct", dir);
	snprintf(lp, sizeof(lp), "%s/%s%s", acct, UUID, VGPU_LEDGER_SUFFIX);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(mkdir(acct, 0700), 0);
	ck_assert_int_eq(chmod(acct, 0777), 0);
	ck_assert_int_eq(vgpu_ledger_prepare(acct, UUID, 65534, 65534, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "that only its owner may write"));
	ck_assert_int_eq(chmod(acct, 0755), 0);
	ck_assert_int_eq(vgpu_ledger_prepare(acct, UUID, 65534, 65534, err, sizeof(err)), 0);
	ck_assert_int_eq(vgpu_ledger_prepare(acct, UUID, 65534, 65534, err, sizeof(err)), 0); /* kept */
	ck_assert_int_eq(lstat(lp, &st), 0);
	ck_assert_int_eq(st.st_uid, 65534);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_ge((long long)st.st_blocks * 512, (long long)st.st_size); /* preallocated */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct vgpu_ledger *l;
		char other[700];
		int s;

		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(20);
		l = open_in(acct, 100 * MIB);
		s = vgpu_ledger_claim(l, 0);
		if (s < 0 || vgpu_ledger_reserve(l, s, 60 * MIB) != 0)
			_exit(21);
		snprintf(other, sizeof(other), "%s/forged", acct);
		if (unlink(lp) == 0 || errno != EACCES)
			_exit(22);
		if (open(other, O_WRONLY | O_CREAT, 0600) >= 0 || errno != EACCES)
			_exit(23);
		if (symlink("/tmp", other) == 0 || errno != EACCES)
			_exit(24);
		if (rename(lp, other) == 0 || errno != EACCES)
			_exit(25);
		_exit(vgpu_ledger_reserve(l, s, 20 * MIB) == 0 ? 0 : 26);
	}
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert_msg(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "the job's process: status %d", wst);
}
END_TEST
#endif

/* An intact ledger still works: no false alarm after fork + reopen. */
START_TEST(intact_ledger_keeps_working)
{
	int s;
	struct vgpu_ledger *l = holding(&s);

	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 40 * MIB), 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, MIB), 1); /* the limit, not a fault */
	ck_assert_str_eq(fault(l), "");
	vgpu_ledger_release(l, s, 50 * MIB);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 10 * MIB), 0);
	vgpu_ledger_close(l);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ledger_guard");
	TCase *tc = tcase_create("guard");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, full_file_system_is_a_refusal);
	tcase_add_test(tc, deleted_while_held);
	tcase_add_test(tc, forged_copy_renamed_over);
	tcase_add_test(tc, symlink_over_it);
	tcase_add_test(tc, header_rewritten);
	tcase_add_test(tc, lock_descriptor_closed);
	tcase_add_test(tc, intact_ledger_keeps_working);
#ifdef VGPU_LEDGER_HAS_FAULT
	tcase_add_test(tc, prepared_directory_holds);
#endif
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
