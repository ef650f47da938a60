/*
 * Unit tests for the shared ledger (src/shim/vgpu_ledger.c): creation,
 * reservations against the limit, liveness by slot locks and reclaiming (a
 * zombie is dead, a dead owner whose pid a live process has is dead, a
 * closed view's slots are dead), many processes racing (fork), some of them
 * SIGKILLed in the middle, and the job ledger: steps with their own limits
 * under the job's cap, racing, and their SM schedules. Pid namespaces,
 * exec, fork and a `Z` leader with live threads: test_ledger_ns.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_ledger.h"
#include "vgpu_test.h"

#define UUID "GPU-8c3e2a51-0f4b-4c1e-9a7d-2b6f1e0c9d11"
#define MIB (UINT64_C(1) << 20)

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/vgpu-ledger-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s%s", dir, UUID, VGPU_LEDGER_SUFFIX);
	unlink(path);
	rmdir(dir);
}

/* Open the ledger as a process of step label with limit and job cap. */
static int open_as(const char *label, uint64_t limit, uint64_t cap, struct vgpu_ledger **l, char *err, size_t len)
{
	struct vgpu_ledger_step st = { label, limit, cap, 0 };

	return vgpu_ledger_open(dir, UUID, &st, l, err, len);
}

static struct vgpu_ledger *open_step(const char *label, uint64_t limit, uint64_t cap)
{
	struct vgpu_ledger *l = NULL;
	char err[512];

	if (open_as(label, limit, cap, &l, err, sizeof(err)) != 0)
		ck_abort_msg("open: %s", err);
	return l;
}

static struct vgpu_ledger *open_ok(uint64_t limit)
{
	return open_step("1.0", limit, 0);
}

/* Read one int from fd (-1 when none comes). */
static int read_int(int fd)
{
	int v = -1;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -1;
	return v;
}

START_TEST(create_and_check)
{
	struct vgpu_ledger *l = open_ok(100 * MIB), *l2 = NULL;
	char err[512], path[512];
	struct stat st;

	ck_assert_uint_eq(vgpu_ledger_limit(l), 100 * MIB);
	ck_assert_uint_eq(vgpu_ledger_used(l), 0);
	snprintf(path, sizeof(path), "%s/%s.ledger", dir, UUID);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* another step of the job, another limit: the same file */
	ck_assert_int_eq(open_as("1.1", 200 * MIB, 0, &l2, err, sizeof(err)), 0);
	ck_assert_uint_eq(vgpu_ledger_limit(l2), 200 * MIB);
	ck_assert_uint_eq(vgpu_ledger_job_cap(l2), 0);
	vgpu_ledger_close(l2);
	l2 = NULL;
	ck_assert_int_eq(open_as("1.1", 0, 0, &l2, err, sizeof(err)), -1);
	ck_assert_ptr_null(l2);
	ck_assert_str_eq(err, "ledger of '" UUID "': bad uuid, limit 0, job cap 0 or job SM cap 0");
	{
		struct vgpu_ledger_step ls = { "1.0", 1, 0, 0 };

		ck_assert_int_eq(vgpu_ledger_open(dir, "GPU-x/..", &ls, &l2, err, sizeof(err)), -1);
		ck_assert_str_eq(err, "ledger of 'GPU-x/..': bad uuid, limit 1, job cap 0 or job SM cap 0");
		ls.job_sm_bp = 10001;
		ck_assert_int_eq(vgpu_ledger_open(dir, UUID, &ls, &l2, err, sizeof(err)), -1);
		ck_assert_str_eq(err, "ledger of '" UUID "': bad uuid, limit 1, job cap 0 or job SM cap 10001");
		ls.job_sm_bp = 0;
		ck_assert_int_eq(vgpu_ledger_open("/nonexistent-dir", UUID, &ls, &l2, err, sizeof(err)), -1);
	}
	ck_assert_ptr_nonnull(strstr(err, "cannot create: No such file or directory"));
	vgpu_ledger_close(l);
}
END_TEST

START_TEST(reserve_release)
{
	struct vgpu_ledger *l = open_ok(100 * MIB);
	uint64_t me = vgpu_ledger_self();
	int s = vgpu_ledger_claim(l, me);

	ck_assert_uint_ne(me, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(vgpu_ledger_claim(l, me), s); /* the same process: the same slot */
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 60 * MIB), 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 40 * MIB), 0);
	ck_assert_uint_eq(vgpu_ledger_used(l), 100 * MIB);
	ck_assert_uint_eq(vgpu_ledger_slot_bytes(l, s), 100 * MIB);
	vgpu_ledger_release(l, s, 100 * MIB);
	ck_assert_uint_eq(vgpu_ledger_used(l), 0);
	vgpu_ledger_close(l);
}
END_TEST

START_TEST(limit_is_enforced)
{
	struct vgpu_ledger *l = open_ok(100 * MIB);
	struct vgpu_ledger_proc p[4];
	int s = vgpu_ledger_claim(l, vgpu_ledger_self());

	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 60 * MIB), 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 41 * MIB), 1);
	ck_assert_uint_eq(vgpu_ledger_used(l), 60 * MIB);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 40 * MIB), 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 1), 1);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 101 * MIB), 1);
	ck_assert_int_eq(vgpu_ledger_procs(l, p, 4), 1);
	ck_assert_int_eq(p[0].pid, getpid());
	ck_assert_uint_eq(p[0].bytes, 100 * MIB);
	vgpu_ledger_release(l, s, 30 * MIB);
	ck_assert_uint_eq(vgpu_ledger_slot_bytes(l, s), 70 * MIB);
	vgpu_ledger_release(l, s, 1000 * MIB); /* clamped */
	ck_assert_uint_eq(vgpu_ledger_used(l), 0);
	ck_assert_int_eq(vgpu_ledger_procs(l, p, 4), 0);
	vgpu_ledger_close(l);
}
END_TEST

/* The identity is for display (pid, start time, bit 63); liveness is the
 * slot's lock: a child's slot is dead as soon as it has exited, while it
 * is still a zombie. */
START_TEST(identities)
{
	struct vgpu_ledger *l = open_ok(100 * MIB);
	uint64_t me = vgpu_ledger_self();
	int s = vgpu_ledger_claim(l, 0), cs, p[2];
	siginfo_t info;
	pid_t child;

	ck_assert_uint_eq(me & 0xffffffffu, (uint64_t)getpid());
	ck_assert_uint_eq(me >> 63, 1);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(vgpu_ledger_slot_alive(l, s), 1);
	ck_assert_int_eq(vgpu_ledger_slot_alive(l, s + 1), 0); /* free */
	ck_assert_int_eq(pipe(p), 0);
	child = fork();
	if (child == 0) {
		struct vgpu_ledger *c = open_ok(100 * MIB);
		int k = vgpu_ledger_claim(c, 0);

		_exit(write(p[1], &k, sizeof(k)) == (ssize_t)sizeof(k) ? 0 : 1);
	}
	cs = read_int(p[0]);
	ck_assert_int_ge(cs, 0);
	ck_assert_int_ne(cs, s);
	ck_assert_int_eq(waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT), 0); /* a zombie now */
	ck_assert_int_eq(vgpu_ledger_slot_alive(l, cs), 0);
	waitpid(child, NULL, 0);
	ck_assert_int_eq(vgpu_ledger_reclaim(l), 1);
	close(p[0]);
	close(p[1]);
	vgpu_ledger_close(l);
}
END_TEST

/* A dead owner's slot is reclaimed when a reservation would fail, even when
 * the pid and start time it recorded are a live process's (a reused pid, a
 * pid of another namespace): here the parent's own. */
START_TEST(dead_slots_are_reclaimed)
{
	struct vgpu_ledger *l = open_ok(100 * MIB);
	uint64_t parent = vgpu_ledger_self();
	int s, status;
	pid_t child;

	child = fork();
	if (child == 0) {
		struct vgpu_ledger *c = NULL;
		char err[256];

		if (open_as("1.0", 100 * MIB, 0, &c, err, sizeof(err)) != 0)
			_exit(1);
		s = vgpu_ledger_claim(c, parent);
		_exit(vgpu_ledger_reserve(c, s, 90 * MIB) == 0 ? 0 : 2);
	}
	waitpid(child, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_eq(vgpu_ledger_used(l), 90 * MIB); /* nobody has looked yet */
	ck_assert_int_eq(vgpu_ledger_procs(l, NULL, 0), 0); /* not listed: dead */
	/* this reservation reclaims the dead child's slot */
	s = vgpu_ledger_claim(l, 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 100 * MIB), 0);
	ck_assert_uint_eq(vgpu_ledger_used(l), 100 * MIB);
	vgpu_ledger_release(l, s, 100 * MIB);
	ck_assert_int_eq(vgpu_ledger_reclaim(l), 0);
	vgpu_ledger_close(l);
}
END_TEST

/* Claiming again through a view gives its slot back, charge kept (no
 * take-over: an exec'ed image has a view of its own). Another view of the
 * same process has its own description and slot, sees the first one's
 * locked; closing a view drops its locks: its slot is dead. */
START_TEST(views_and_close)
{
	struct vgpu_ledger *l = open_ok(100 * MIB), *l2 = open_ok(100 * MIB);
	int s = vgpu_ledger_claim(l, 0), s2;

	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 70 * MIB), 0);
	ck_assert_int_eq(vgpu_ledger_claim(l, 0), s);
	ck_assert_uint_eq(vgpu_ledger_used(l), 70 * MIB);
	s2 = vgpu_ledger_claim(l2, 0);
	ck_assert_int_ge(s2, 0);
	ck_assert_int_ne(s2, s);
	ck_assert_int_eq(vgpu_ledger_slot_alive(l2, s), 1);
	ck_assert_int_eq(vgpu_ledger_slot_alive(l, s2), 1);
	ck_assert_int_eq(vgpu_ledger_reclaim(l2), 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l2, s2, 30 * MIB), 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l2, s2, 1), 1);
	vgpu_ledger_close(l);
	ck_assert_int_eq(vgpu_ledger_slot_alive(l2, s), 0);
	ck_assert_int_eq(vgpu_ledger_reclaim(l2), 1);
	ck_assert_uint_eq(vgpu_ledger_used(l2), 30 * MIB);
	vgpu_ledger_close(l2);
}
END_TEST

/* Many processes open (and so create) the ledger at once: one file, one
 * layout, every open succeeds. */
START_TEST(concurrent_create)
{
	pid_t kids[16];
	int bad = 0;

	for (int i = 0; i < 16; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct vgpu_ledger *c = NULL;
			char err[256];
			int rc = open_as("1.0", 100 * MIB, 0, &c, err, sizeof(err));

			_exit(rc == 0 && vgpu_ledger_claim(c, vgpu_ledger_self()) >= 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 16; i++) {
		int status;

		waitpid(kids[i], &status, 0);
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* What racing children hold, in memory shared with the parent. */
struct shared {
	_Atomic uint64_t held;  /* bytes successfully reserved and not yet released */
	_Atomic uint64_t peak;
	_Atomic int over;       /* times held was seen above the limit */
	_Atomic int ok, refused;
};

/* Reserve chunks of 30..40 MiB, holding up to 3 at a time (so a fourth
 * never fits a 100 MiB slice on its own), recording what is held. */
static void racer(struct shared *sh, uint64_t limit, unsigned seed, int rounds)
{
	struct vgpu_ledger *c = NULL;
	uint64_t ring[3] = { 0 };
	int s, n = 0, head = 0;
	char err[256];

	if (open_as("1.0", limit, 0, &c, err, sizeof(err)) != 0)
		_exit(1);
	s = vgpu_ledger_claim(c, vgpu_ledger_self());
	if (s < 0)
		_exit(2);
	srand(seed);
	for (int i = 0; i < rounds; i++) {
		uint64_t b = (uint64_t)(rand() % 11 + 30) * MIB, h, p;

		if (vgpu_ledger_reserve(c, s, b) != 0) {
			atomic_fetch_add(&sh->refused, 1);
		} else {
			atomic_fetch_add(&sh->ok, 1);
			h = atomic_fetch_add(&sh->held, b) + b;
			if (h > limit)
				atomic_fetch_add(&sh->over, 1);
			p = atomic_load(&sh->peak);
			while (h > p && !atomic_compare_exchange_weak(&sh->peak, &p, h))
				;
			ring[(head + n) % 3] = b;
			n++;
		}
		if (n == 3 || (n > 0 && rand() % 2)) {
			atomic_fetch_sub(&sh->held, ring[head]);
			vgpu_ledger_release(c, s, ring[head]);
			head = (head + 1) % 3;
			n--;
		}
	}
	while (n-- > 0) {
		atomic_fetch_sub(&sh->held, ring[head]);
		vgpu_ledger_release(c, s, ring[head]);
		head = (head + 1) % 3;
	}
	_exit(0);
}

START_TEST(racing_processes_never_exceed)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct vgpu_ledger *l = open_ok(100 * MIB);
	pid_t kids[12];

	ck_assert_ptr_ne(sh, MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	for (int i = 0; i < 12; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			racer(sh, 100 * MIB, (unsigned)i + 1, 3000);
	}
	for (int i = 0; i < 12; i++) {
		int status;

		waitpid(kids[i], &status, 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(atomic_load(&sh->over), 0);
	ck_assert_uint_le(atomic_load(&sh->peak), 100 * MIB);
	ck_assert_int_gt(atomic_load(&sh->ok), 1000);
	ck_assert_int_gt(atomic_load(&sh->refused), 0); /* the limit was reached */
	ck_assert_uint_eq(vgpu_ledger_used(l), 0);
	vgpu_ledger_close(l);
	munmap(sh, sizeof(*sh));
}
END_TEST

/* Racing children SIGKILLed at random points (30 kills, each replaced)
 * leave the ledger exact once the dead are reclaimed. */
START_TEST(sigkill_leaves_it_exact)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct vgpu_ledger *l = open_ok(100 * MIB);
	struct timespec ts = { 0, 0 };
	pid_t kids[6];
	int killed = 0, s;

	ck_assert_ptr_ne(sh, MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	srand(42);
	for (int i = 0; i < 6; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			racer(sh, 100 * MIB, (unsigned)i + 100, 100000000);
	}
	for (int round = 0; round < 30; round++) {
		int k = rand() % 6, status;

		ts.tv_nsec = (rand() % 3000 + 1) * 1000L; /* 1 us .. 3 ms */
		nanosleep(&ts, NULL);
		kill(kids[k], SIGKILL);
		waitpid(kids[k], &status, 0);
		killed += WIFSIGNALED(status);
		kids[k] = fork();
		if (kids[k] == 0)
			racer(sh, 100 * MIB, (unsigned)round + 200, 100000000);
	}
	for (int i = 0; i < 6; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	ck_assert_int_eq(killed, 30);
	ck_assert_int_gt(atomic_load(&sh->ok), 0);
	vgpu_ledger_reclaim(l);
	ck_assert_uint_eq(vgpu_ledger_used(l), 0);
	/* the whole slice can be had again */
	s = vgpu_ledger_claim(l, vgpu_ledger_self());
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 100 * MIB), 0);
	vgpu_ledger_close(l);
	munmap(sh, sizeof(*sh));
}
END_TEST

/* The SM pacing word: a GCRA bucket with a burst of tau, shared by every
 * process that opens the ledger. */
START_TEST(sm_pace)
{
	struct vgpu_ledger *l = open_ok(100 * MIB), *l2 = open_ok(100 * MIB);

	enum vgpu_ledger_bucket S = VGPU_LEDGER_SM_STEP;

	ck_assert_int_eq(vgpu_ledger_sm_pace(l, S, 1000, 100, 50), 0);   /* schedule -> 1100 */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, S, 1000, 100, 50), 50);  /* 100 ahead: wait 50 */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l2, S, 1049, 100, 50), 1);  /* another opener shares it */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l2, S, 1050, 100, 50), 0);  /* -> 1200 */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, S, 1100, 30, 50), 50);   /* cost does not change the wait */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, S, 5000, 100, 50), 0);   /* idle: restarts from now, 5100 */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, S, 5000, 100, 50), 50);
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, S, 5000, 10, 200), 0);   /* a larger burst admits it */
	vgpu_ledger_close(l2);
	vgpu_ledger_close(l);
}
END_TEST


/* Each step of the job has its own schedule; the job's is one for all. A
 * full table recycles an idle entry (an idle schedule is a fresh one). */
START_TEST(sm_pace_steps_and_job)
{
	struct vgpu_ledger *a = open_step("7.batch", 100 * MIB, 100 * MIB), *b = open_step("7.0", 50 * MIB, 0);
	struct vgpu_ledger *many[VGPU_LEDGER_STEP_BUCKETS];
	enum vgpu_ledger_bucket S = VGPU_LEDGER_SM_STEP, J = VGPU_LEDGER_SM_JOB;
	int64_t t = INT64_C(10000000000); /* 10 s */

	ck_assert_int_eq(vgpu_ledger_sm_pace(a, S, t, 100, 50), 0);
	ck_assert_int_eq(vgpu_ledger_sm_pace(a, S, t, 100, 50), 50);
	ck_assert_int_eq(vgpu_ledger_sm_pace(b, S, t, 100, 50), 0);  /* another step: its own schedule */
	ck_assert_int_eq(vgpu_ledger_sm_pace(a, J, t, 100, 50), 0);
	ck_assert_int_eq(vgpu_ledger_sm_pace(b, J, t, 100, 50), 50); /* the job's is shared */
	/* fill the table with other steps' schedules, busy at t */
	for (int i = 0; i < VGPU_LEDGER_STEP_BUCKETS; i++) {
		char label[32];

		snprintf(label, sizeof(label), "8.%d", i);
		many[i] = open_step(label, MIB, 0);
		vgpu_ledger_sm_pace(many[i], S, t, 10, 50);
	}
	/* a new step while all are busy shares an entry: only stricter */
	{
		struct vgpu_ledger *c = open_step("9.0", MIB, 0);

		ck_assert_int_eq(vgpu_ledger_sm_pace(c, S, t, 1000, 5000), 0);
		ck_assert_int_gt(vgpu_ledger_sm_pace(c, S, t, 1000, 500), 0);
		/* two seconds later the others are idle: one is recycled, fresh */
		ck_assert_int_eq(vgpu_ledger_sm_pace(c, S, t + INT64_C(2000000000), 100, 50), 0);
		ck_assert_int_eq(vgpu_ledger_sm_pace(c, S, t + INT64_C(2000000000), 100, 50), 50);
		vgpu_ledger_close(c);
	}
	for (int i = 0; i < VGPU_LEDGER_STEP_BUCKETS; i++)
		vgpu_ledger_close(many[i]);
	vgpu_ledger_close(b);
	vgpu_ledger_close(a);
}
END_TEST

/* A child of step label (limit, job cap) that reserves bytes, reports the
 * outcome (0 charged, 1 refused) and holds until killed. */
static pid_t holder(const char *label, uint64_t limit, uint64_t cap, uint64_t bytes, int *result)
{
	int p[2];
	char c = 9;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		struct vgpu_ledger *l = NULL;
		char err[256];
		int s;

		close(p[0]);
		if (open_as(label, limit, cap, &l, err, sizeof(err)) != 0 ||
		    (s = vgpu_ledger_claim(l, vgpu_ledger_self())) < 0)
			c = 2;
		else
			c = (char)vgpu_ledger_reserve(l, s, bytes);
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		c = 4;
	close(p[0]);
	*result = c;
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The batch step's limit caps the job; other steps keep their own limits
 * within it; the room each sees is the smaller of the two. */
START_TEST(job_cap_and_step_limits)
{
	struct vgpu_ledger *batch = open_step("5.batch", 100 * MIB, 100 * MIB), *l;
	int s = vgpu_ledger_claim(batch, vgpu_ledger_self()), r;
	pid_t a, b, c;

	ck_assert_uint_eq(vgpu_ledger_job_cap(batch), 100 * MIB);
	ck_assert_int_eq(vgpu_ledger_reserve(batch, s, 60 * MIB), 0);
	/* srun without --gres: the job's 100 MiB as its own limit */
	a = holder("5.0", 100 * MIB, 0, 60 * MIB, &r);
	ck_assert_int_eq(r, 1); /* 120 > the job's 100 */
	reap(a);
	a = holder("5.0", 100 * MIB, 0, 40 * MIB, &r);
	ck_assert_int_eq(r, 0);
	l = open_step("5.0", 100 * MIB, 0);
	ck_assert_uint_eq(vgpu_ledger_used(l), 40 * MIB);
	ck_assert_uint_eq(vgpu_ledger_job_used(l), 100 * MIB);
	ck_assert_uint_eq(vgpu_ledger_room(l), 0);
	vgpu_ledger_close(l);
	reap(a);
	ck_assert_int_eq(vgpu_ledger_reclaim(batch), 2); /* both 5.0 holders */
	/* srun --gres=shard:K: its own smaller limit, whatever the job's room */
	b = holder("5.1", 30 * MIB, 0, 32 * MIB, &r);
	ck_assert_int_eq(r, 1);
	reap(b);
	b = holder("5.1", 30 * MIB, 0, 30 * MIB, &r);
	ck_assert_int_eq(r, 0);
	l = open_step("5.1", 30 * MIB, 0);
	ck_assert_uint_eq(vgpu_ledger_room(l), 0);
	vgpu_ledger_close(l);
	c = holder("5.2", 30 * MIB, 0, 12 * MIB, &r); /* 60 + 30 + 12 > 100 */
	ck_assert_int_eq(r, 1);
	reap(c);
	c = holder("5.2", 30 * MIB, 0, 10 * MIB, &r);
	ck_assert_int_eq(r, 0);
	l = open_step("5.2", 30 * MIB, 0);
	ck_assert_uint_eq(vgpu_ledger_used(l), 10 * MIB);
	ck_assert_uint_eq(vgpu_ledger_room(l), 0);
	vgpu_ledger_close(l);
	ck_assert_uint_eq(vgpu_ledger_room(batch), 0);
	vgpu_ledger_release(batch, s, 20 * MIB);
	ck_assert_uint_eq(vgpu_ledger_room(batch), 20 * MIB);
	/* a cap is only ever lowered; a second opener's larger one is ignored */
	l = open_step("5.3", 10 * MIB, 200 * MIB);
	ck_assert_uint_eq(vgpu_ledger_job_cap(l), 100 * MIB);
	vgpu_ledger_close(l);
	reap(b);
	reap(c);
	ck_assert_int_eq(vgpu_ledger_reclaim(batch), 3); /* the refused 5.2 was reclaimed by 5.2's refusal */
	ck_assert_uint_eq(vgpu_ledger_job_used(batch), 40 * MIB);
	vgpu_ledger_close(batch);
}
END_TEST

/* What the racers of two steps hold, in memory shared with the parent. */
struct shared2 {
	_Atomic uint64_t held[2], peak[2], job, job_peak;
	_Atomic int over_step, over_job, ok, refused;
};

static void peak_up(_Atomic uint64_t *peak, uint64_t h)
{
	uint64_t p = atomic_load(peak);

	while (h > p && !atomic_compare_exchange_weak(peak, &p, h))
		;
}

/* A racer of step k (0: "6.batch", cap = job; 1: "6.0"): chunks of 30..40
 * MiB, holding up to 3. */
static void racer2(struct shared2 *sh, int k, uint64_t limit, uint64_t cap, unsigned seed, int rounds)
{
	struct vgpu_ledger *c = NULL;
	uint64_t ring[3] = { 0 };
	int s, n = 0, head = 0;
	char err[256];

	if (open_as(k ? "6.0" : "6.batch", limit, cap, &c, err, sizeof(err)) != 0)
		_exit(1);
	s = vgpu_ledger_claim(c, vgpu_ledger_self());
	if (s < 0)
		_exit(2);
	srand(seed);
	for (int i = 0; i < rounds; i++) {
		uint64_t b = (uint64_t)(rand() % 11 + 30) * MIB, h, j;

		if (vgpu_ledger_reserve(c, s, b) != 0) {
			atomic_fetch_add(&sh->refused, 1);
		} else {
			atomic_fetch_add(&sh->ok, 1);
			h = atomic_fetch_add(&sh->held[k], b) + b;
			j = atomic_fetch_add(&sh->job, b) + b;
			if (h > limit)
				atomic_fetch_add(&sh->over_step, 1);
			if (j > 100 * MIB)
				atomic_fetch_add(&sh->over_job, 1);
			peak_up(&sh->peak[k], h);
			peak_up(&sh->job_peak, j);
			ring[(head + n) % 3] = b;
			n++;
		}
		if (n == 3 || (n > 0 && rand() % 2)) {
			atomic_fetch_sub(&sh->job, ring[head]);
			atomic_fetch_sub(&sh->held[k], ring[head]);
			vgpu_ledger_release(c, s, ring[head]);
			head = (head + 1) % 3;
			n--;
		}
	}
	while (n-- > 0) {
		atomic_fetch_sub(&sh->job, ring[head]);
		atomic_fetch_sub(&sh->held[k], ring[head]);
		vgpu_ledger_release(c, s, ring[head]);
		head = (head + 1) % 3;
	}
	_exit(0);
}

/* 12 processes of two steps race: the batch step (limit 100 MiB = the
 * job's cap) and a step limited to 70 MiB. Neither step ever holds more
 * than its limit, and the two together never more than the job's 100. */
START_TEST(two_steps_racing_under_the_job_cap)
{
	struct shared2 *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct vgpu_ledger *l = open_step("6.batch", 100 * MIB, 100 * MIB);
	pid_t kids[12];

	ck_assert_ptr_ne(sh, MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	for (int i = 0; i < 12; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			racer2(sh, i % 2, i % 2 ? 70 * MIB : 100 * MIB, i % 2 ? 0 : 100 * MIB, (unsigned)i + 1, 3000);
	}
	for (int i = 0; i < 12; i++) {
		int status;

		waitpid(kids[i], &status, 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(atomic_load(&sh->over_step), 0);
	ck_assert_int_eq(atomic_load(&sh->over_job), 0);
	ck_assert_uint_le(atomic_load(&sh->job_peak), 100 * MIB);
	ck_assert_uint_le(atomic_load(&sh->peak[1]), 70 * MIB);
	ck_assert_uint_gt(atomic_load(&sh->peak[1]), 0);
	ck_assert_uint_gt(atomic_load(&sh->peak[0]), 0);
	ck_assert_int_gt(atomic_load(&sh->ok), 1000);
	ck_assert_int_gt(atomic_load(&sh->refused), 0);
	ck_assert_uint_eq(vgpu_ledger_job_used(l), 0);
	vgpu_ledger_close(l);
	munmap(sh, sizeof(*sh));
}
END_TEST

/* The memory queries' reclaim looks at no more than max slots holding
 * bytes, round-robin; dead slots holding nothing are left to claims. */
START_TEST(reclaim_some_is_bounded)
{
	struct vgpu_ledger *l = open_ok(100 * MIB);
	int status;
	pid_t child = fork();

	if (child == 0) { /* 40 slots with 1 MiB each and an empty one, then dead */
		struct vgpu_ledger *c = open_ok(100 * MIB);

		for (int i = 0; i < 41; i++) {
			int s = vgpu_ledger_claim(c, (uint64_t)(4190000 + i));

			if (s < 0 || (i < 40 && vgpu_ledger_reserve(c, s, MIB) != 0))
				_exit(1);
		}
		_exit(0);
	}
	waitpid(child, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(vgpu_ledger_job_used(l), 40 * MIB);
	ck_assert_int_eq(vgpu_ledger_reclaim_some(l, 32), 32);
	ck_assert_uint_eq(vgpu_ledger_job_used(l), 8 * MIB);
	ck_assert_int_eq(vgpu_ledger_reclaim_some(l, 32), 8);
	ck_assert_int_eq(vgpu_ledger_reclaim_some(l, 32), 0);
	ck_assert_uint_eq(vgpu_ledger_job_used(l), 0);
	ck_assert_int_eq(vgpu_ledger_reclaim(l), 1); /* the empty dead slot */
	vgpu_ledger_close(l);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("ledger");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_and_check);
	tcase_add_test(tc, reserve_release);
	tcase_add_test(tc, limit_is_enforced);
	tcase_add_test(tc, identities);
	tcase_add_test(tc, dead_slots_are_reclaimed);
	tcase_add_test(tc, views_and_close);
	tcase_add_test(tc, concurrent_create);
	tcase_add_test(tc, racing_processes_never_exceed);
	tcase_add_test(tc, sigkill_leaves_it_exact);
	tcase_add_test(tc, sm_pace);
	tcase_add_test(tc, sm_pace_steps_and_job);
	tcase_add_test(tc, job_cap_and_step_limits);
	tcase_add_test(tc, two_steps_racing_under_the_job_cap);
	tcase_add_test(tc, reclaim_some_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
