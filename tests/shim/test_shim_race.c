/*
 * test_shim_race - several processes of one step racing allocations and
 * frees on one slice, through the shim, against the simulated GPU:
 *  - the simulated GPU's high-water mark of physical usage (kept by the
 *    simulator itself at every charge, sim/sim_state.h, so no moment is
 *    missed however the racers are scheduled) never exceeds the slice;
 *  - then 30 racers are SIGKILLed at random moments (each replaced); the
 *    slice's accounting stays exact: a new process is offered exactly the
 *    slice less its own context, NVML lists only it, and once it is gone the
 *    simulated GPU is empty;
 *  - two steps of one job share the job's ledger: racers of the batch step
 *    (limit L = the job's cap) and of an srun step (its own limit L, or a
 *    smaller one; its processes in simulator group 1, whose high-water mark
 *    is the step's own) together never hold more than L on the simulated
 *    GPU, the smaller step never more than its own limit, also with
 *    SIGKILLs (and a control run with a ledger per step, the old layout,
 *    does exceed L).
 *
 * Nothing here waits for time to pass: every racer first takes its context
 * and stops ("hold"), all are let go together, and each phase ends when
 * every racer has said so (the probe's "hold: ready"), so a loaded machine
 * changes how the racers interleave, never what is checked. The random
 * moments of the SIGKILLs are the only sleeps.
 */
#include "shimtest.h"
#include "sim_state.h"

#include <time.h>

#define RACERS 6
#define GROUP_B 1 /* the simulator group of step 9.0's processes */

struct racer {
	pid_t pid;
	int fd;
	char out[8192]; /* its output so far, "hold: ready" lines left out */
	size_t len;
};

struct peaks {
	int ok;
	uint64_t used; /* the most the simulated GPU held */
	uint64_t b;    /* the most group GROUP_B held */
};

/* The simulator's high-water marks of the scenario's GPU 0. */
static struct peaks peaks_of(const struct scen *s)
{
	struct peaks p = { 0, 0, 0 };
	struct vgpu_sim_state *st = NULL;
	uint64_t g[GROUP_B + 1];
	char err[512];

	if (vgpu_sim_state_open(s->state, &s->node.gpus[0], &st, err, sizeof(err)) != 0) {
		diag("%s", err);
		return p;
	}
	p.ok = vgpu_sim_state_peaks(st, &p.used, g, GROUP_B + 1) == 0;
	p.b = g[GROUP_B];
	vgpu_sim_state_close(st);
	return p;
}

/* A racer: "MODE init hold race ROUNDS SEED 256M" and then tail (NULL
 * ended); desc: another step's description (NULL: the scenario's), in
 * simulator group `group`. */
static void racer_start(struct racer *r, const struct scen *s, const char *desc, int group, int i, int rounds,
			const char *const *tail)
{
	static const char *const modes[] = { "direct", "dlopen", "getproc" };
	char seed[16], n[16], env[700], grp[32];
	const char *argv[16] = { modes[i % 3], "init", "hold", "race", n, seed, "268435456" };
	const char *extra[] = { env, grp, NULL };
	int k = 7;

	snprintf(n, sizeof(n), "%d", rounds);
	snprintf(seed, sizeof(seed), "%d", i + 1);
	snprintf(env, sizeof(env), "VGPU_STEP_DESC=%s", desc ? desc : s->desc_path);
	snprintf(grp, sizeof(grp), "VGPU_SIM_GROUP=%d", group);
	while (tail && *tail && k < 15)
		argv[k++] = *tail++;
	argv[k] = NULL;
	r->len = 0;
	r->out[0] = '\0';
	r->pid = probe_start(s, 1, extra, argv, &r->fd, NULL);
}

/* Read the racer's output up to its next "hold: ready": 0, or -1 when it
 * ended first (its output is kept in r->out either way). */
static int racer_wait(struct racer *r)
{
	char line[1024];

	while (read_line(r->fd, line, sizeof(line)) == 0) {
		if (strcmp(line, "hold: ready") == 0)
			return 0;
		r->len += (size_t)snprintf(r->out + r->len, sizeof(r->out) - r->len, "%s\n", line);
		if (r->len >= sizeof(r->out))
			r->len = sizeof(r->out) - 1;
	}
	return -1;
}

/* Let a held racer go on with its next command. */
static void racer_go(const struct racer *r)
{
	kill(r->pid, SIGUSR1);
}

/* Let it go past its last hold and read it to its end. */
static void racer_end(struct racer *r)
{
	char *rest;

	racer_go(r);
	rest = slurp(r->fd);
	snprintf(r->out + r->len, sizeof(r->out) - r->len, "%s", rest);
	free(rest);
	waitpid(r->pid, NULL, 0);
}

/* SIGKILL it; whether it died of that signal. */
static int racer_kill(struct racer *r)
{
	int status = 0;

	kill(r->pid, SIGKILL);
	waitpid(r->pid, &status, 0);
	close(r->fd);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* Did the racer get its context (before it raced)? */
static int racer_ctx(const struct racer *r)
{
	return strcmp(line_of(r->out, "ctx 0: ", 0), "0") == 0;
}

/* Add up its "race: ok A oom B other C" (no such line: one other error). */
static void racer_count(const struct racer *r, int i, int *ok, int *oom, int *other)
{
	int a = 0, b = 0, c = -1;

	if (sscanf(line_of(r->out, "race: ok ", 0), "%d oom %d other %d", &a, &b, &c) != 3)
		c = -1;
	*ok += a;
	*oom += b;
	*other += c < 0 ? 1 : c;
	if (c != 0)
		diag("racer %d: %s", i, r->out);
}

/* A new process of the step: offered exactly the slice less its context,
 * listed alone by NVML; afterwards the simulated GPU is empty. */
static void exact(const struct scen *s, const char *when)
{
	const char *argv[] = { "dlopen", "init", "info", "nvmlprocs", s->desc.gpus[0].uuid, NULL };
	const char *procs;
	char what[256], *out;

	probe_run(s, 1, NULL, argv, &out, NULL);
	snprintf(what, sizeof(what), "%s: a new process is offered the slice less its context", when);
	CHECK_U64(info_free(out, 0, NULL), s->desc.gpus[0].mem_bytes - gpu_ctx(s, 0), what);
	procs = line_of(out, "nvmlprocs: ", 0);
	check(strncmp(procs, "0 ", 2) == 0 && strchr(procs, ':') == strrchr(procs, ':'),
	      "%s: NVML lists only that process (%s)", when, procs);
	free(out);
	snprintf(what, sizeof(what), "%s: then the simulated GPU is empty", when);
	CHECK_U64(phys_query(s, s->desc.gpus[0].uuid, 0).used, 0, what);
}

static void race(void)
{
	static const char *const tail[] = { "hold", NULL };
	struct racer r[RACERS];
	struct scen s;
	struct peaks p;
	int ok = 0, oom = 0, other = 0, ctxs = 0, ready = 0;

	scen_init(&s, "sim/nodes/a100x2.json", "race");
	scen_gpu(&s, 0, 4 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	for (int i = 0; i < RACERS; i++)
		racer_start(&r[i], &s, NULL, 0, i, 400, tail);
	for (int i = 0; i < RACERS; i++) /* contexts taken, nothing allocated yet */
		ctxs += racer_wait(&r[i]) == 0 && racer_ctx(&r[i]);
	for (int i = 0; i < RACERS; i++)
		racer_go(&r[i]);
	for (int i = 0; i < RACERS; i++) /* raced; each holds what it had at its end */
		ready += racer_wait(&r[i]) == 0;
	for (int i = 0; i < RACERS; i++) {
		racer_end(&r[i]);
		racer_count(&r[i], i, &ok, &oom, &other);
	}
	p = peaks_of(&s);
	CHECK_U64(ctxs, RACERS, "every racer had its context before any raced");
	CHECK_U64(ready, RACERS, "every racer finished its race");
	check(p.ok && p.used > 0 && p.used <= 4 * GIB,
	      "racing processes never held more than the slice on the simulated GPU (high-water mark %llu MiB)",
	      (unsigned long long)(p.used >> 20));
	check(ok > 0 && oom > 0, "allocations succeeded (%d) and the slice was reached (%d refused)", ok, oom);
	CHECK_U64(other, 0, "no other error than out of memory");
	exact(&s, "after the race");
	scen_free(&s);
}

static void kills(void)
{
	struct timespec ts = { 0, 0 };
	struct racer r[RACERS];
	struct scen s;
	struct peaks p;
	int killed = 0;

	scen_init(&s, "sim/nodes/a100x2.json", "kill");
	scen_gpu(&s, 0, 4 * GIB, gpu_ctx(&s, 0));
	scen_write(&s);
	srand(7);
	for (int i = 0; i < RACERS; i++)
		racer_start(&r[i], &s, NULL, 0, i, 100000000, NULL);
	for (int i = 0; i < RACERS; i++)
		racer_wait(&r[i]);
	for (int i = 0; i < RACERS; i++)
		racer_go(&r[i]);
	for (int round = 0; round < 30; round++) {
		int k = rand() % RACERS;

		ts.tv_nsec = (rand() % 30 + 5) * 1000000L; /* 5..35 ms */
		nanosleep(&ts, NULL);
		killed += racer_kill(&r[k]);
		racer_start(&r[k], &s, NULL, 0, round, 100000000, NULL);
		racer_wait(&r[k]); /* it has its context (or was refused one) */
		racer_go(&r[k]);
	}
	for (int i = 0; i < RACERS; i++)
		racer_kill(&r[i]);
	p = peaks_of(&s);
	CHECK_U64(killed, 30, "racers SIGKILLed in the middle of their work");
	check(p.ok && p.used > 0 && p.used <= 4 * GIB,
	      "the simulated GPU never held more than the slice (high-water mark %llu MiB)",
	      (unsigned long long)(p.used >> 20));
	exact(&s, "after 30 SIGKILLs");
	scen_free(&s);
}

/* Two steps of job 9 on one GPU: the scenario's description is the batch
 * step's (limit = the job's cap `cap`, jobmem= cap), desc_b an srun step's
 * (limit lim_b, no job cap: it learns the cap from the shared ledger).
 * Even racers are the batch step's, odd ones step B's (simulator group
 * GROUP_B). Without kills, every racer holds what it had at the end of its
 * race, then, one at a time (step B's first), takes all the memory the shim
 * says is free for it: the job is then at its cap (with a ledger per step,
 * the control, both steps are at theirs: the overrun is certain). With
 * kills, 30 racers are SIGKILLed on the way (each replaced). Last, one
 * process of step B alone fills its limit, so that step B's high-water mark
 * has seen it. Returns the GPU's high-water mark (the control's result;
 * main checks it). */
static uint64_t job(const char *name, uint64_t cap, uint64_t lim_b, int kills, int control)
{
	static const char *const tail[] = { "hold", "fill", "100", "hold", NULL };
	struct timespec ts = { 0, 0 };
	struct racer r[RACERS];
	struct scen s;
	struct peaks race_p, p;
	struct phys full = { 0 };
	vgpu_stepdesc_t b;
	vgpu_err_t err;
	char desc_b[700], what[300], env_b[720], *out = NULL;
	int ok[2] = { 0, 0 }, oom = 0, other = 0, killed = 0, ctxs = 0, ready = 0;

	scen_init(&s, "sim/nodes/a100x2.json", name);
	scen_gpu(&s, 0, cap, gpu_ctx(&s, 0));
	snprintf(s.desc.step, sizeof(s.desc.step), "9.batch");
	s.desc.gpus[0].job_mem_bytes = cap;
	scen_write(&s);
	b = s.desc;
	snprintf(b.step, sizeof(b.step), "9.0");
	b.gpus[0].mem_bytes = lim_b;
	b.gpus[0].job_mem_bytes = 0;
	if (control) { /* the old layout: step B with a ledger of its own */
		snprintf(b.acct_dir, sizeof(b.acct_dir), "%s/acct-b", s.dir);
		mkdir(b.acct_dir, 0700);
	}
	snprintf(desc_b, sizeof(desc_b), "%s/stepB.desc", s.dir);
	if (vgpu_stepdesc_write(desc_b, &b, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(99);
	}
	for (int i = 0; i < RACERS; i++)
		racer_start(&r[i], &s, i % 2 ? desc_b : NULL, i % 2 ? GROUP_B : 0, i, kills ? 100000000 : 400,
			    kills ? NULL : tail);
	for (int i = 0; i < RACERS; i++)
		ctxs += racer_wait(&r[i]) == 0 && racer_ctx(&r[i]);
	for (int i = 0; i < RACERS; i++)
		racer_go(&r[i]);
	srand(11);
	for (int round = 0; kills && round < 30; round++) {
		int k = rand() % RACERS;

		ts.tv_nsec = (rand() % 30 + 5) * 1000000L; /* 5..35 ms */
		nanosleep(&ts, NULL);
		killed += racer_kill(&r[k]);
		racer_start(&r[k], &s, k % 2 ? desc_b : NULL, k % 2 ? GROUP_B : 0, round, 100000000, NULL);
		racer_wait(&r[k]);
		racer_go(&r[k]);
	}
	if (kills) {
		for (int i = 0; i < RACERS; i++)
			racer_kill(&r[i]);
	} else {
		for (int i = 0; i < RACERS; i++) /* raced; each holds what it had at its end */
			ready += racer_wait(&r[i]) == 0;
		for (int j = 0; j < RACERS; j++) { /* step B's racers fill first, then the batch step's */
			int i = j < RACERS / 2 ? 2 * j + 1 : 2 * (j - RACERS / 2);

			racer_go(&r[i]);
			racer_wait(&r[i]);
		}
		full = phys_query(&s, s.desc.gpus[0].uuid, 0);
		for (int i = 0; i < RACERS; i++) {
			racer_end(&r[i]);
			racer_count(&r[i], i, &ok[i % 2], &oom, &other);
		}
	}
	race_p = peaks_of(&s);
	snprintf(what, sizeof(what), "%s: every racer had its context before any raced", name);
	CHECK_U64(ctxs, RACERS, what);
	if (control) {
		check(race_p.ok, "%s: the simulator kept its high-water marks", name);
		scen_free(&s);
		return race_p.used;
	}
	{ /* step B alone: one process fills its limit */
		const char *argv[] = { "dlopen", "init", "fill", "100", NULL };
		const char *extra[] = { env_b, "VGPU_SIM_GROUP=1", NULL };

		snprintf(env_b, sizeof(env_b), "VGPU_STEP_DESC=%s", desc_b);
		probe_run(&s, 1, extra, argv, &out, NULL);
	}
	p = peaks_of(&s);
	check(p.ok && p.used <= cap, "%s: both steps together never held more than the job's %llu MiB on the "
	      "simulated GPU (high-water mark %llu MiB)", name, (unsigned long long)(cap >> 20),
	      (unsigned long long)(p.used >> 20));
	check(race_p.ok && race_p.b <= lim_b, "%s: step 9.0 alone never held more than its %llu MiB while racing "
	      "(high-water mark %llu MiB)", name, (unsigned long long)(lim_b >> 20),
	      (unsigned long long)(race_p.b >> 20));
	check(p.ok && p.b <= lim_b && p.b >= lim_b - 2 * MIB, "%s: a process of step 9.0 alone filled its %llu MiB "
	      "and no more (high-water mark %llu MiB; %s)", name, (unsigned long long)(lim_b >> 20),
	      (unsigned long long)(p.b >> 20), line_of(out ? out : "", "fill 100: ", 0));
	free(out);
	if (kills) {
		CHECK_U64(killed, 30, "racers of both steps SIGKILLed in the middle of their work");
	} else {
		snprintf(what, sizeof(what), "%s: every racer finished its race", name);
		CHECK_U64(ready, RACERS, what);
		/* Which step wins the race for the job's room depends on the
		 * scheduler; that both steps' racers had a context and raced is
		 * checked above. */
		check(ok[0] + ok[1] > 0 && oom > 0, "%s: the steps allocated (%d, %d) and the limits were "
		      "reached (%d refused)", name, ok[0], ok[1], oom);
		CHECK_U64(other, 0, "no other error than out of memory");
		check(full.ok && full.used <= cap && full.used >= cap - 2 * MIB, "%s: once every racer took what the "
		      "shim said was free, the job held its %llu MiB (%llu MiB)", name,
		      (unsigned long long)(cap >> 20), (unsigned long long)(full.used >> 20));
	}
	snprintf(what, sizeof(what), "%s: afterwards", name);
	exact(&s, what);
	scen_free(&s);
	return p.used;
}

int main(void)
{
	uint64_t peak;

	signal(SIGPIPE, SIG_IGN);
	race();
	kills();
	/* The control: with a ledger per step, both steps filled their
	 * limits at once (job() makes them hold it together). */
	peak = job("job-control", 4 * GIB, 4 * GIB, 0, 1);
	check(peak > 4 * GIB, "job-control: with a ledger per step, the two steps together held more than the job's "
	      "4096 MiB (high-water mark %llu MiB): the test can see the overrun", (unsigned long long)(peak >> 20));
	job("job-same-limits", 4 * GIB, 4 * GIB, 0, 0);
	job("job-smaller-step", 4 * GIB, 2 * GIB, 0, 0);
	job("job-kills", 4 * GIB, 2 * GIB, 1, 0);
	return done();
}
