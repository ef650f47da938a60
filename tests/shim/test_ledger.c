/*
 * Unit tests for the shared ledger (src/shim/vgpu_ledger.c): creation,
 * reservations against the limit, identities and reclaiming, and many
 * processes racing (fork), some of them SIGKILLed in the middle.
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

static struct vgpu_ledger *open_ok(uint64_t limit)
{
	struct vgpu_ledger *l = NULL;
	char err[512];

	if (vgpu_ledger_open(dir, UUID, limit, &l, err, sizeof(err)) != 0)
		ck_abort_msg("open: %s", err);
	return l;
}

/* This process's pid with another start time: what a dead process whose
 * pid was reused by us looks like. */
static uint64_t reused_ident(void)
{
	return vgpu_ledger_self() ^ (UINT64_C(1) << 40);
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
	ck_assert_int_eq(vgpu_ledger_open(dir, UUID, 200 * MIB, &l2, err, sizeof(err)), -1);
	ck_assert_ptr_null(l2);
	ck_assert_ptr_nonnull(strstr(err, "limit 104857600 differs from the step's 209715200"));
	ck_assert_int_eq(vgpu_ledger_open(dir, "GPU-x/..", 1, &l2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "ledger of 'GPU-x/..': bad uuid or limit 1");
	ck_assert_int_eq(vgpu_ledger_open("/nonexistent-dir", UUID, 1, &l2, err, sizeof(err)), -1);
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

START_TEST(identities)
{
	uint64_t me = vgpu_ledger_self();
	pid_t child;
	int status;

	ck_assert_uint_eq(me & 0xffffffffu, (uint64_t)getpid());
	ck_assert(vgpu_ledger_alive(me));
	ck_assert(!vgpu_ledger_alive(reused_ident()));
	ck_assert(!vgpu_ledger_alive(0));
	child = fork();
	if (child == 0)
		_exit(0);
	/* a zombie is dead */
	for (int i = 0; i < 1000 && vgpu_ledger_alive((uint64_t)(uint32_t)child | (me & ~UINT64_C(0xffffffff))); i++)
		usleep(1000);
	waitpid(child, &status, 0);
	ck_assert(!vgpu_ledger_alive((uint64_t)(uint32_t)child | (me & ~UINT64_C(0xffffffff))));
}
END_TEST

/* A dead owner's slot is reclaimed when a reservation would fail; a reused
 * pid (same pid, other start time) does not keep it. */
START_TEST(dead_slots_are_reclaimed)
{
	struct vgpu_ledger *l = open_ok(100 * MIB);
	int s, status;
	pid_t child;

	child = fork();
	if (child == 0) {
		struct vgpu_ledger *c = NULL;
		char err[256];

		if (vgpu_ledger_open(dir, UUID, 100 * MIB, &c, err, sizeof(err)) != 0)
			_exit(1);
		s = vgpu_ledger_claim(c, vgpu_ledger_self());
		_exit(vgpu_ledger_reserve(c, s, 90 * MIB) == 0 ? 0 : 2);
	}
	waitpid(child, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_uint_eq(vgpu_ledger_used(l), 90 * MIB); /* nobody has looked yet */
	s = vgpu_ledger_claim(l, reused_ident());
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 5 * MIB), 0);
	/* this reservation reclaims both the dead child and the "reused pid" slot */
	s = vgpu_ledger_claim(l, vgpu_ledger_self());
	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 100 * MIB), 0);
	ck_assert_uint_eq(vgpu_ledger_used(l), 100 * MIB);
	vgpu_ledger_release(l, s, 100 * MIB);
	ck_assert_int_eq(vgpu_ledger_reclaim(l, 0), 0);
	vgpu_ledger_close(l);
}
END_TEST

/* After exec() the same (pid, start time) claims again: the slot it held is
 * taken over and zeroed (the driver freed that image's memory). */
START_TEST(exec_takeover)
{
	struct vgpu_ledger *l = open_ok(100 * MIB);
	uint64_t me = vgpu_ledger_self();
	int s = vgpu_ledger_claim(l, me);

	ck_assert_int_eq(vgpu_ledger_reserve(l, s, 70 * MIB), 0);
	ck_assert_int_eq(vgpu_ledger_claim(l, me), s);
	ck_assert_uint_eq(vgpu_ledger_used(l), 0);
	vgpu_ledger_close(l);
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
			int rc = vgpu_ledger_open(dir, UUID, 100 * MIB, &c, err, sizeof(err));

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

	if (vgpu_ledger_open(dir, UUID, limit, &c, err, sizeof(err)) != 0)
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
	vgpu_ledger_reclaim(l, 0);
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

	ck_assert_int_eq(vgpu_ledger_sm_pace(l, 1000, 100, 50), 0);   /* schedule -> 1100 */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, 1000, 100, 50), 50);  /* 100 ahead: wait 50 */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l2, 1049, 100, 50), 1);  /* another opener shares it */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l2, 1050, 100, 50), 0);  /* -> 1200 */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, 1100, 30, 50), 50);   /* cost does not change the wait */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, 5000, 100, 50), 0);   /* idle: restarts from now, 5100 */
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, 5000, 100, 50), 50);
	ck_assert_int_eq(vgpu_ledger_sm_pace(l, 5000, 10, 200), 0);   /* a larger burst admits it */
	vgpu_ledger_close(l2);
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
	tcase_add_test(tc, exec_takeover);
	tcase_add_test(tc, concurrent_create);
	tcase_add_test(tc, racing_processes_never_exceed);
	tcase_add_test(tc, sigkill_leaves_it_exact);
	tcase_add_test(tc, sm_pace);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
