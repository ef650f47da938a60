/*
 * test_shim_sm - the SM cap, against the simulated GPU's SM time:
 *  - one step capped at 25% alone, saturating the GPU with launches that
 *    never synchronise (all six launch entry points in turn), in each access
 *    mode: its SM time over its wall time lands within 20-30%; the same
 *    program without the shim takes over 90% (the control: a broken
 *    limiter fails here);
 *  - pairs of steps on one GPU, 30%/70% and 10%/90%, both saturating: their
 *    SM-time shares (from the simulator's per-process busy time, not wall
 *    clocks) are within a stated band of the caps;
 *  - two steps of one job on one GPU, each capped at 25% and the job at
 *    25% (the batch step's job line): together they stay within 20-32.5%
 *    of the GPU; the control (no job cap, the old per-step limit) takes
 *    ~50%;
 *  - several threads of one process allocating, freeing and launching at
 *    once under a cap (the TSan build runs this too).
 * Printed lines "# sm ..." are the measured precision (doc/shim.md).
 */
#include "shimtest.h"

#include <signal.h>

#include "sim_state.h"
#include "smtest.h"

#define SPIN_MS "700"
#define BLOCKS "1000" /* x VGPU_SIM_BLOCK_NS 100 = 100 us of SM time per kernel */

static const char *const env[] = { "VGPU_SIM_BLOCK_NS=100", NULL };

/* desc: another step's description (NULL: the scenario's). */
static void worker_start_desc(struct worker *w, const struct scen *s, int shim, const char *mode, const char *desc)
{
	const char *argv[] = { mode, "init", "spin", SPIN_MS, "mix", BLOCKS, "hold", NULL };
	char dv[700];
	const char *envd[] = { env[0], dv, NULL };

	snprintf(dv, sizeof(dv), "VGPU_STEP_DESC=%s", desc ? desc : s->desc_path);
	memset(w, 0, sizeof(*w));
	w->pid = probe_start(s, shim, envd, argv, &w->fd, NULL);
}

static void worker_start(struct worker *w, const struct scen *s, int shim, const char *mode)
{
	worker_start_desc(w, s, shim, mode, NULL);
}

/* Read the worker's spin result, up to "hold: ready". */
static void worker_wait(struct worker *w)
{
	char line[256];
	int rc;

	while (read_line(w->fd, line, sizeof(line)) == 0) {
		if (sscanf(line, "spin: %d %ld %lf %lf", &rc, &w->launches, &w->wall_ns, &w->wait_ns) >= 3)
			w->ok = rc == 0;
		if (strncmp(line, "hold: ready", 11) == 0)
			break;
	}
}

/* One step alone: its share of the GPU (smtest.h: raw, ran). */
static struct share alone(unsigned sm_bp, int shim, const char *mode)
{
	struct scen s;
	struct worker w;
	struct share pct = { -1, -1 };

	step_init(&s, "sm-alone", sm_bp);
	worker_start(&w, &s, shim, mode);
	worker_wait(&w);
	sm_times(&s, &w, 1);
	worker_end(&w);
	if (w.ok && w.wall_ns > 0) {
		pct.raw = 100.0 * (double)w.sm_ns / w.wall_ns;
		pct.ran = 100.0 * (double)w.sm_ns / worker_ran_ns(&w);
	}
	diag("sm alone cap %u.%02u%% shim %d mode %s: %ld launches, %.1f ms SM in %.1f ms (%.1f ms waiting for a CPU): "
	     "%.1f%% (%.1f%% of the time it ran)", sm_bp / 100, sm_bp % 100, shim, mode, w.launches,
	     (double)w.sm_ns / 1e6, w.wall_ns / 1e6, w.wait_ns / 1e6, pct.raw, pct.ran);
	scen_free(&s);
	return pct;
}

/* Two steps on one GPU, both saturating: the first one's share in percent. */
static double pair(unsigned a_bp, unsigned b_bp, const char *mode)
{
	struct scen a, b;
	struct worker w[2];
	double share = -1;

	step_init(&a, "sm-a", a_bp);
	step_init(&b, "sm-b", b_bp);
	snprintf(b.state, sizeof(b.state), "%s", a.state); /* one simulated GPU */
	worker_start(&w[0], &a, 1, mode);
	worker_start(&w[1], &b, 1, mode);
	worker_wait(&w[0]);
	worker_wait(&w[1]);
	sm_times(&a, w, 2);
	worker_end(&w[0]);
	worker_end(&w[1]);
	if (w[0].ok && w[1].ok && w[0].sm_ns + w[1].sm_ns > 0)
		share = 100.0 * pair_share(w);
	diag("sm pair %u/%u mode %s: %.1f ms / %.1f ms SM (%.0f / %.0f ms wall, %.0f / %.0f waiting for a CPU): "
	     "share %.2f%% (ratio 1:%.2f)", a_bp / 100, b_bp / 100, mode, (double)w[0].sm_ns / 1e6,
	     (double)w[1].sm_ns / 1e6, w[0].wall_ns / 1e6, w[1].wall_ns / 1e6, w[0].wait_ns / 1e6,
	     w[1].wait_ns / 1e6, share, w[0].sm_ns ? (double)w[1].sm_ns / (double)w[0].sm_ns : 0);
	scen_free(&a);
	scen_free(&b);
	return share;
}

/* Two steps of one job (one ledger), both capped at 25%, both saturating:
 * their SM time together over the longer wall time, in percent. With
 * job_cap the batch step's description caps the job at 25% too. */
static struct share job_pair(int job_cap)
{
	struct scen s;
	struct worker w[2];
	vgpu_stepdesc_t b;
	vgpu_err_t err;
	char desc_b[700];
	struct share pct = { -1, -1 };
	double wall;

	scen_init(&s, "sim/nodes/a100x2.json", job_cap ? "sm-job" : "sm-job-control");
	scen_gpu(&s, 0, 8 * GIB, gpu_ctx(&s, 0));
	s.desc.gpus[0].sm_bp = 2500;
	snprintf(s.desc.step, sizeof(s.desc.step), "9.batch");
	if (job_cap) {
		s.desc.gpus[0].job_mem_bytes = 8 * GIB;
		s.desc.gpus[0].job_sm_bp = 2500;
	}
	scen_write(&s);
	b = s.desc;
	snprintf(b.step, sizeof(b.step), "9.0");
	b.gpus[0].job_mem_bytes = 0;
	b.gpus[0].job_sm_bp = 0;
	snprintf(desc_b, sizeof(desc_b), "%s/stepB.desc", s.dir);
	if (vgpu_stepdesc_write(desc_b, &b, &err) != 0) {
		diag("%s", err.msg);
		exit(99);
	}
	worker_start(&w[0], &s, 1, "direct");
	worker_start_desc(&w[1], &s, 1, "direct", desc_b);
	worker_wait(&w[0]);
	worker_wait(&w[1]);
	sm_times(&s, w, 2);
	worker_end(&w[0]);
	worker_end(&w[1]);
	wall = w[0].wall_ns > w[1].wall_ns ? w[0].wall_ns : w[1].wall_ns;
	if (w[0].ok && w[1].ok && wall > 0) {
		pct.raw = 100.0 * (double)(w[0].sm_ns + w[1].sm_ns) / wall;
		pct.ran = 100.0 * ((double)w[0].sm_ns / worker_ran_ns(&w[0]) + (double)w[1].sm_ns / worker_ran_ns(&w[1]));
	}
	diag("sm job of two 25%% steps, job cap %s: %.1f + %.1f ms SM in %.1f ms (%.0f / %.0f ms waiting for a CPU): "
	     "%.1f%% (%.1f%% of the time they ran)", job_cap ? "25%" : "none", (double)w[0].sm_ns / 1e6,
	     (double)w[1].sm_ns / 1e6, wall / 1e6, w[0].wait_ns / 1e6, w[1].wait_ns / 1e6, pct.raw, pct.ran);
	scen_free(&s);
	return pct;
}

static void test_threads(void)
{
	struct scen s;
	const char *argv[] = { "direct", "init", "threads", "4", "300", NULL };
	char *out = NULL;
	int rc;

	step_init(&s, "sm-threads", 5000);
	rc = probe_run(&s, 1, env, argv, &out, NULL);
	check(rc == 0 && out && strstr(out, "threads: ok yes bad 0 sync 0\n") != NULL,
	      "4 threads allocate, launch and free at once under a 50%% cap (exit %d)", rc);
	if (out && !strstr(out, "threads: ok yes bad 0"))
		diag("%s", out);
	free(out);
	scen_free(&s);
}

/* Under ThreadSanitizer a process issues launches 5-15x slower and may not
 * keep even its capped share of the GPU busy (seen in CI: 1.6% for a 10%
 * step, 20.5% for a 30% one), so there the caps (upper bounds) are checked
 * and the lower bounds of the pairs are not; the plain and ASan suites check
 * both. The TSan suite is for data races, not precision. */
#if defined(__SANITIZE_THREAD__)
#define PAIR_LOW_SLACK 0.0
#else
#define PAIR_LOW_SLACK 1.0
#endif

int main(void)
{
	struct share a;
	double p;

	MEASURE_SHARE(a, alone(2500, 0, "dlopen"), 90, 1000);
	check(a.ran > 90, "control: without the shim the program takes %.1f%% of the GPU while it runs (> 90%%)", a.ran);
	MEASURE_SHARE(a, alone(2500, 1, "direct"), 20, 30);
	check(a.ran >= 20 && a.raw <= 30, "25%% cap alone, direct calls: %.1f%% (<= 30%%), %.1f%% while it runs (>= 20%%)",
	      a.raw, a.ran);
	MEASURE_SHARE(a, alone(2500, 1, "getproc"), 20, 30);
	check(a.ran >= 20 && a.raw <= 30, "25%% cap alone, cuGetProcAddress: %.1f%% (<= 30%%), %.1f%% while it runs "
	      "(>= 20%%)", a.raw, a.ran);
	MEASURE(p, pair(3000, 7000, "dlopen"), 25 * PAIR_LOW_SLACK, 35);
	check(p >= 25 * PAIR_LOW_SLACK && p <= 35, "30%%/70%% pair, dlopen+dlsym: the 30%% step has %.1f%% (%.1f-35%%)",
	      p, 25 * PAIR_LOW_SLACK);
	MEASURE(p, pair(1000, 9000, "direct"), 7.5 * PAIR_LOW_SLACK, 12.5);
	check(p >= 7.5 * PAIR_LOW_SLACK && p <= 12.5, "10%%/90%% pair: the 10%% step has %.1f%% (%.2f-12.5%%, 1:9 is 10%%)",
	      p, 7.5 * PAIR_LOW_SLACK);
	MEASURE_SHARE(a, job_pair(0), 40, 1000);
	check(a.ran > 40, "control: two 25%% steps of a job without the job's cap take %.1f%% together while they run "
	      "(> 40%%)", a.ran);
	/* Two processes: each has a free first launch and a calibration, and
	 * each step schedule its own burst, before the job's schedule binds:
	 * 2.5 points more room than for one step alone (the control is ~50%). */
	MEASURE_SHARE(a, job_pair(1), 20 * PAIR_LOW_SLACK, 32.5);
	check(a.ran >= 20 * PAIR_LOW_SLACK && a.raw <= 32.5,
	      "two 25%% steps under the job's 25%% cap: %.1f%% together (<= 32.5%%), %.1f%% while they run (>= %.0f%%)",
	      a.raw, a.ran, 20 * PAIR_LOW_SLACK);
	test_threads();
	return done();
}
