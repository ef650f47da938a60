/*
 * test_ledger_ns - liveness of ledger slots across a process's life
 * (src/shim/vgpu_ledger.h, "Liveness"), where a (pid, start time) from
 * /proc would be wrong:
 *  - pid namespace: a process in a pid namespace of its own, with its own
 *    /proc, attaches to the ledger a host process charges; its reclaim
 *    over every slot leaves the host's charge intact, the host sees its
 *    charge alive (listed under its inner pid), and once it is SIGKILLed
 *    the host reclaims exactly its charge;
 *  - exec: a process charges and execs itself (same pid, same start
 *    time): the old image's slot is dead at once (reclaimed before the new
 *    image claims anything), the new image's slot holds;
 *  - fork: parent and child (after vgpu_ledger_atfork_child, as the shim's
 *    atfork handler calls it) hold charges in their own slots; killing the
 *    child frees only the child's, killing the parent only the parent's;
 *  - a process whose main thread called pthread_exit (a `Z` in /proc)
 *    keeps its slot while another thread runs.
 *
 * Plain TAP, one case per line, each case in a forked process under an
 * alarm: the namespace case is skipped (TAP SKIP) where unshare(CLONE_NEWPID
 * | CLONE_NEWNS) or mounting /proc is not permitted. Run as
 * `test_ledger_ns exec-image ...` it is the re-exec'ed image of the exec
 * case.
 */
#ifdef HAVE_CONFIG_H
#include "config.h" /* _GNU_SOURCE: unshare, CLONE_NEW* */
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgpu_ledger.h"

#define UUID "GPU-5d0c3b7e-41aa-4e0f-8c2d-7a9e3f1b6c20"
#define MIB (UINT64_C(1) << 20)
#define SKIP_STATUS 77

static char dir[256];
static int msg_fd = -1;     /* in a case: where its failure (or skip reason) goes */
static pid_t kids[8];       /* killed when a case fails */
static int nkids;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(msg_fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
		_exit(3);
}

static void fail_now(void) __attribute__((noreturn));
static void fail_now(void)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	_exit(1);
}

#define EXPECT_EQ(got, want)                                                                         \
	do {                                                                                         \
		long long got_ = (long long)(got), want_ = (long long)(want);                        \
		if (got_ != want_) {                                                                 \
			say("line %d: %s is %lld, want %s = %lld", __LINE__, #got, got_, #want, want_); \
			fail_now();                                                                  \
		}                                                                                    \
	} while (0)

static void skip_now(const char *why, int err) __attribute__((noreturn));
static void skip_now(const char *why, int err)
{
	say("%s: %s", why, strerror(err));
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	_exit(SKIP_STATUS);
}

static struct vgpu_ledger *open_view(void)
{
	struct vgpu_ledger_step st = { "3.0", 100 * MIB, 0, 0 };
	struct vgpu_ledger *l = NULL;
	char err[512];

	if (vgpu_ledger_open(dir, UUID, &st, &l, err, sizeof(err)) != 0) {
		say("open: %s", err);
		fail_now();
	}
	return l;
}

/* Claim a slot and charge bytes to it; the slot. */
static int charge(struct vgpu_ledger *l, uint64_t bytes)
{
	int s = vgpu_ledger_claim(l, 0);

	if (s < 0 || vgpu_ledger_reserve(l, s, bytes) != 0) {
		say("cannot claim a slot (%d) or charge %llu bytes", s, (unsigned long long)bytes);
		fail_now();
	}
	return s;
}

static void put(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		_exit(4);
}

/* Read exactly n bytes (fails the case on EOF). */
static void get(int fd, void *p, size_t n)
{
	ssize_t r;

	while ((r = read(fd, p, n)) < 0 && errno == EINTR)
		;
	if (r != (ssize_t)n) {
		say("a helper process ended before reporting");
		fail_now();
	}
}

static pid_t spawn(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		say("fork: %s", strerror(errno));
		fail_now();
	}
	if (pid == 0) {
		nkids = 0;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	} else if (nkids < 8) {
		kids[nkids++] = pid;
	}
	return pid;
}

static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Whether procs lists pid with bytes. */
static int listed(struct vgpu_ledger *l, pid_t pid, uint64_t bytes)
{
	struct vgpu_ledger_proc p[8];
	int n = vgpu_ledger_procs(l, p, 8), hit = 0;

	for (int i = 0; i < n && i < 8; i++)
		hit += p[i].pid == pid && p[i].bytes == bytes;
	return hit;
}

/* ---- pid namespace ------------------------------------------------------- */

/* What the process in the pid namespace saw. */
struct ns_report {
	int skip, err;     /* skip: 1 unshare, 2 mount, 3 proc; err: errno */
	int inner_pid, slot, freed, host_alive;
	uint64_t job_used, host_bytes;
};

/* In the namespace (pid 1 there, its own /proc): attach, charge 25 MiB,
 * reclaim every slot, report, wait to be killed. */
static void ns_inside(int host_slot, int rep)
{
	struct ns_report r = { 0 };
	struct vgpu_ledger *l;

	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
		r.skip = 2;
		r.err = errno;
		put(rep, &r, sizeof(r));
		_exit(0);
	}
	l = open_view();
	r.inner_pid = (int)getpid();
	r.slot = charge(l, 25 * MIB);
	r.freed = vgpu_ledger_reclaim(l);
	r.job_used = vgpu_ledger_job_used(l);
	r.host_bytes = vgpu_ledger_slot_bytes(l, host_slot);
	r.host_alive = vgpu_ledger_slot_alive(l, host_slot);
	put(rep, &r, sizeof(r));
	for (;;)
		pause();
}

static void case_pid_namespace(void)
{
	struct vgpu_ledger *l = open_view();
	int host = charge(l, 40 * MIB), rep[2], pidp[2];
	struct ns_report r;
	pid_t mid, inner = -1;

	if (pipe(rep) != 0 || pipe(pidp) != 0)
		fail_now();
	mid = spawn();
	if (mid == 0) { /* the unsharer: its next child is pid 1 of the namespace */
		struct ns_report sk = { 0 };

		if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
			sk.skip = 1;
			sk.err = errno;
			put(rep[1], &sk, sizeof(sk));
			_exit(0);
		}
		inner = spawn();
		if (inner == 0)
			ns_inside(host, rep[1]);
		put(pidp[1], &inner, sizeof(inner));
		while (waitpid(inner, NULL, 0) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	get(rep[0], &r, sizeof(r));
	if (r.skip)
		skip_now(r.skip == 1 ? "unshare(CLONE_NEWPID | CLONE_NEWNS)" : "mount proc in a new pid namespace",
			 r.err);
	get(pidp[0], &inner, sizeof(inner));
	if (nkids < 8)
		kids[nkids++] = inner;
	/* inside: the host's charge is intact and seen alive, its own counts */
	EXPECT_EQ(r.freed, 0);
	EXPECT_EQ(r.host_bytes, 40 * MIB);
	EXPECT_EQ(r.job_used, 65 * MIB);
	EXPECT_EQ(r.host_alive, 1);
	EXPECT_EQ(r.inner_pid, 1);
	/* the host: the namespaced charge is alive, listed under its inner pid */
	EXPECT_EQ(vgpu_ledger_reclaim(l), 0);
	EXPECT_EQ(vgpu_ledger_job_used(l), 65 * MIB);
	EXPECT_EQ(vgpu_ledger_slot_alive(l, r.slot), 1);
	EXPECT_EQ(listed(l, 1, 25 * MIB), 1);
	EXPECT_EQ(listed(l, getpid(), 40 * MIB), 1);
	/* killed: exactly its charge goes */
	kill(inner, SIGKILL);
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR) /* mid reaps inner first */
		;
	EXPECT_EQ(vgpu_ledger_slot_alive(l, r.slot), 0);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 1);
	EXPECT_EQ(vgpu_ledger_job_used(l), 40 * MIB);
	EXPECT_EQ(vgpu_ledger_slot_bytes(l, host), 40 * MIB);
	vgpu_ledger_close(l);
}

/* ---- exec ------------------------------------------------------------------ */

/* The re-exec'ed image: report its pid, wait for the go, attach, charge
 * 20 MiB, report the slot, wait to be killed. */
static void exec_image(char **argv) __attribute__((noreturn));
static void exec_image(char **argv)
{
	int up = atoi(argv[3]), down = atoi(argv[4]), s;
	pid_t me = getpid();
	char go;

	snprintf(dir, sizeof(dir), "%s", argv[2]);
	msg_fd = 2;
	put(up, &me, sizeof(me));
	get(down, &go, 1);
	s = charge(open_view(), 20 * MIB);
	put(up, &s, sizeof(s));
	for (;;)
		pause();
}

static void case_exec(void)
{
	struct vgpu_ledger *l = open_view();
	int mine = charge(l, 10 * MIB), up[2], down[2], old_slot, new_slot;
	pid_t e, after;

	if (pipe(up) != 0 || pipe(down) != 0) /* not O_CLOEXEC: the image inherits them */
		fail_now();
	e = spawn();
	if (e == 0) {
		char a3[16], a4[16];
		char *args[] = { "test_ledger_ns", "exec-image", dir, a3, a4, NULL };
		int s = charge(open_view(), 30 * MIB);

		snprintf(a3, sizeof(a3), "%d", up[1]);
		snprintf(a4, sizeof(a4), "%d", down[0]);
		put(up[1], &s, sizeof(s));
		execv("/proc/self/exe", args);
		_exit(5);
	}
	get(up[0], &old_slot, sizeof(old_slot));
	get(up[0], &after, sizeof(after));
	EXPECT_EQ(after, e); /* the same pid (and start time) after exec */
	EXPECT_EQ(vgpu_ledger_job_used(l), 40 * MIB);
	/* the old image's slot is dead before the new image claims anything */
	EXPECT_EQ(vgpu_ledger_slot_alive(l, old_slot), 0);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 1);
	EXPECT_EQ(vgpu_ledger_job_used(l), 10 * MIB);
	EXPECT_EQ(vgpu_ledger_slot_bytes(l, old_slot), 0);
	put(down[1], "g", 1);
	get(up[0], &new_slot, sizeof(new_slot));
	EXPECT_EQ(vgpu_ledger_reclaim(l), 0);
	EXPECT_EQ(vgpu_ledger_slot_bytes(l, new_slot), 20 * MIB);
	EXPECT_EQ(vgpu_ledger_job_used(l), 30 * MIB);
	EXPECT_EQ(listed(l, e, 20 * MIB), 1);
	kill_wait(e);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 1);
	EXPECT_EQ(vgpu_ledger_job_used(l), 10 * MIB);
	EXPECT_EQ(vgpu_ledger_slot_bytes(l, mine), 10 * MIB);
	vgpu_ledger_close(l);
}

/* ---- fork ------------------------------------------------------------------ */

/* In a forked child of a process holding slots through l: what the shim's
 * atfork handler does, then a reclaim (the parent's slot must survive it:
 * closing the child's copy of the description does not drop the parent's
 * lock), then a charge of its own. Reports {slot, freed}. */
static void forked_child(struct vgpu_ledger *l, uint64_t bytes, int rep)
{
	int r[2];

	vgpu_ledger_atfork_child(l);
	r[1] = vgpu_ledger_reclaim(l);
	r[0] = charge(l, bytes);
	put(rep, r, sizeof(r));
	for (;;)
		pause();
}

static void case_fork(void)
{
	struct vgpu_ledger *l = open_view();
	int parent = charge(l, 30 * MIB), rep[2], r[2], p2[3];
	pid_t c, mid;

	if (pipe(rep) != 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) /* mid's orphan comes to us */
		fail_now();
	/* 1. the child dies: only its charge goes */
	c = spawn();
	if (c == 0)
		forked_child(l, 20 * MIB, rep[1]);
	get(rep[0], r, sizeof(r));
	EXPECT_EQ(r[1], 0);
	EXPECT_EQ(r[0] != parent, 1);
	EXPECT_EQ(vgpu_ledger_job_used(l), 50 * MIB);
	EXPECT_EQ(vgpu_ledger_slot_alive(l, r[0]), 1);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 0);
	kill_wait(c);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 1);
	EXPECT_EQ(vgpu_ledger_job_used(l), 30 * MIB);
	EXPECT_EQ(vgpu_ledger_slot_bytes(l, parent), 30 * MIB);
	/* 2. the parent dies, its child lives on: only the parent's goes (the
	 * child closed its copy of the parent's description) */
	mid = spawn();
	if (mid == 0) {
		struct vgpu_ledger *m = open_view();
		int ms = charge(m, 15 * MIB), cr[2], out[3], own[2];
		pid_t cc;

		if (pipe(own) != 0)
			_exit(7);
		cc = fork(); /* not spawn(): it must outlive mid */
		if (cc == 0)
			forked_child(m, 5 * MIB, own[1]);
		get(own[0], cr, sizeof(cr));
		out[0] = ms;
		out[1] = cr[0];
		out[2] = (int)cc;
		put(rep[1], out, sizeof(out));
		for (;;)
			pause();
	}
	get(rep[0], p2, sizeof(p2));
	if (nkids < 8)
		kids[nkids++] = (pid_t)p2[2];
	EXPECT_EQ(vgpu_ledger_job_used(l), 50 * MIB);
	kill_wait(mid);
	EXPECT_EQ(vgpu_ledger_slot_alive(l, p2[0]), 0);
	EXPECT_EQ(vgpu_ledger_slot_alive(l, p2[1]), 1);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 1);
	EXPECT_EQ(vgpu_ledger_job_used(l), 35 * MIB);
	EXPECT_EQ(vgpu_ledger_slot_bytes(l, p2[1]), 5 * MIB);
	kill_wait((pid_t)p2[2]); /* reparented to us */
	EXPECT_EQ(vgpu_ledger_slot_alive(l, p2[1]), 0);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 1);
	EXPECT_EQ(vgpu_ledger_job_used(l), 30 * MIB);
	vgpu_ledger_close(l);
}

/* ---- a `Z` leader with a live thread -------------------------------------- */

static int pipe_fds[2];

static void *linger(void *arg)
{
	char c;

	(void)arg;
	if (read(pipe_fds[0], &c, 1) < 0)
		_exit(5);
	_exit(0);
	return NULL;
}

/* The state letter of pid in /proc/PID/stat, or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* A process whose main thread called pthread_exit shows `Z` while another
 * thread runs: it is alive (its descriptors, its lock, its memory stay).
 * Dead once that thread exits too. */
static void case_zombie_leader(void)
{
	struct vgpu_ledger *l = open_view();
	int idp[2], slot;
	pid_t pid;
	char st = '?';

	if (pipe(pipe_fds) != 0 || pipe(idp) != 0)
		fail_now();
	pid = spawn();
	if (pid == 0) {
		pthread_t t;
		int k = charge(open_view(), 10 * MIB);

		close(pipe_fds[1]);
		put(idp[1], &k, sizeof(k));
		if (pthread_create(&t, NULL, linger, NULL) != 0)
			_exit(6);
		pthread_exit(NULL);
	}
	close(pipe_fds[0]);
	get(idp[0], &slot, sizeof(slot));
	for (int i = 0; i < 2000 && (st = proc_state(pid)) != 'Z'; i++)
		usleep(1000);
	EXPECT_EQ(st, 'Z');
	EXPECT_EQ(vgpu_ledger_slot_alive(l, slot), 1);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 0);
	EXPECT_EQ(vgpu_ledger_job_used(l), 10 * MIB);
	close(pipe_fds[1]); /* the thread exits: the process is gone */
	for (int i = 0; i < 2000 && vgpu_ledger_slot_alive(l, slot); i++)
		usleep(1000);
	EXPECT_EQ(vgpu_ledger_slot_alive(l, slot), 0);
	EXPECT_EQ(vgpu_ledger_reclaim(l), 1);
	EXPECT_EQ(vgpu_ledger_job_used(l), 0);
	waitpid(pid, NULL, 0);
	vgpu_ledger_close(l);
}

/* ---- runner ---------------------------------------------------------------- */

static int ncases, nfailed;

/* Run fn in a forked process with a fresh ledger directory; print its line. */
static void run(const char *name, void (*fn)(void))
{
	char msg[600] = "", path[400];
	int fds[2], status = 0;
	ssize_t n, len = 0;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/vgpu-ledger-ns-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir) || pipe(fds) != 0) {
		printf("Bail out! %s: %s\n", dir, strerror(errno));
		exit(99);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		msg_fd = fds[1];
		alarm(120); /* a lost helper must not hang the case */
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (len < (ssize_t)sizeof(msg) - 1 &&
	       ((n = read(fds[0], msg + len, sizeof(msg) - 1 - (size_t)len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? n : 0;
	msg[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ncases++;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %d - %s\n", ncases, name);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS) {
		printf("ok %d - %s # SKIP %s\n", ncases, name, msg);
	} else {
		nfailed++;
		printf("not ok %d - %s\n# %s (%s %d)\n", ncases, name, msg, WIFSIGNALED(status) ? "signal" : "status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	snprintf(path, sizeof(path), "%s/%s%s", dir, UUID, VGPU_LEDGER_SUFFIX);
	unlink(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "exec-image") == 0)
		exec_image(argv);
	run("pid namespace: neither side reclaims the other's live charge; a killed one loses exactly its own",
	    case_pid_namespace);
	run("exec: the old image's slot is dead at once, the new image's holds", case_exec);
	run("fork: parent and child hold their own slots; each death frees only its own", case_fork);
	run("a `Z` leader with a live thread keeps its slot", case_zombie_leader);
	printf("1..%d\n", ncases);
	return nfailed ? EXIT_FAILURE : EXIT_SUCCESS;
}
