/*
 * smtest.h - what the SM-cap tests (test_shim_sm, test_shim_graph) share: a
 * worker process running under (or without) the shim, a one-GPU step with
 * an SM cap, and the SM time each worker queued, read from the simulated
 * GPU's shared state. Include after shimtest.h and sim_state.h.
 */
#ifndef VGPU_TEST_SMTEST_H
#define VGPU_TEST_SMTEST_H

struct worker {
	pid_t pid;
	int fd;
	long launches;
	double wall_ns;
	double wait_ns; /* of wall_ns, waiting for a CPU (schedstat.h); 0 unknown */
	uint64_t sm_ns;
	int ok, getproc_same;
};

/* A step on GPU 0 of the a100x2 node: 8 GiB, an SM cap of sm_bp. */
static inline void step_init(struct scen *s, const char *name, unsigned sm_bp)
{
	scen_init(s, "sim/nodes/a100x2.json", name);
	scen_gpu(s, 0, 8 * GIB, gpu_ctx(s, 0));
	s->desc.gpus[0].sm_bp = sm_bp;
	scen_write(s);
}

/* The SM time each worker queued, from the simulated GPU's shared state. */
static inline void sm_times(const struct scen *s, struct worker *w, int n)
{
	struct vgpu_sim_state *st = NULL;
	struct vgpu_sim_proc_info procs[64];
	char err[512];
	uint64_t used;
	int np = 0;

	if (vgpu_sim_state_open(s->state, &s->node.gpus[0], &st, err, sizeof(err)) != 0 ||
	    vgpu_sim_state_query(st, &used, procs, 64, &np) != 0) {
		diag("%s", err);
		return;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < np && j < 64; j++)
			if (procs[j].pid == w[i].pid)
				w[i].sm_ns = procs[j].sm_ns;
	vgpu_sim_state_close(st);
}

/* Timing on a shared 2-CPU machine: one scheduling stall of a worker (seen
 * under ASan: ~23 ms lost of 700 ms, a 10% step measured at 7.3%) moves a
 * share out of its band without the limiter being wrong. A measurement
 * outside [lo, hi] is taken once more, both are printed, and the second one
 * counts: a limiter that is wrong fails both. */
#define MEASURE(var, expr, lo, hi)                                                              \
	do {                                                                                    \
		(var) = (expr);                                                                 \
		if ((var) < (lo) || (var) > (hi)) {                                             \
			diag("%.2f is outside %.2f-%.2f: measured once more", (double)(var),    \
			     (double)(lo), (double)(hi));                                       \
			(var) = (expr);                                                         \
		}                                                                               \
	} while (0)

/* The part of the worker's wall time it could run: less what it waited for
 * a CPU, never below a tenth of it. */
static inline double worker_ran_ns(const struct worker *w)
{
	double r = w->wall_ns - (w->wait_ns > 0 ? w->wait_ns : 0);

	return r > w->wall_ns / 10 ? r : w->wall_ns / 10;
}

/* The first of two workers' share of their SM time together, each worker's
 * SM time taken per ns it could run (worker_ran_ns): a worker kept off the
 * CPU by the machine's load loses none of its share to the other. */
static inline double pair_share(const struct worker *w)
{
	double a = (double)w[0].sm_ns / worker_ran_ns(&w[0]), b = (double)w[1].sm_ns / worker_ran_ns(&w[1]);

	return a + b > 0 ? a / (a + b) : 0;
}

/* A share of the GPU (percent) two ways. raw: SM time over wall time, what
 * the GPU saw: checked against caps (upper bounds), which a limiter must
 * keep however busy the machine is. ran: SM time over the time the process
 * could run (worker_ran_ns): checked against lower bounds and controls, as
 * a process waiting for a CPU cannot keep the GPU busy, whatever the
 * limiter does; on an idle machine the two are equal. */
struct share {
	double raw, ran;
};

/* As MEASURE, for a struct share: once more when ran < lo or raw > hi. */
#define MEASURE_SHARE(var, expr, lo, hi)                                                        \
	do {                                                                                    \
		(var) = (expr);                                                                 \
		if ((var).ran < (lo) || (var).raw > (hi)) {                                     \
			diag("%.2f (ran) / %.2f (raw) is outside %.2f-%.2f: measured once more", \
			     (var).ran, (var).raw, (double)(lo), (double)(hi));                 \
			(var) = (expr);                                                         \
		}                                                                               \
	} while (0)

static inline void worker_end(struct worker *w)
{
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	close(w->fd);
}

#endif
