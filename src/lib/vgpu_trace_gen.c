/*
 * vgpu_trace_gen.c - the seeded generator of the project's job mixes
 * (vgpu_trace.h; doc/replay.md "Mixes").
 *
 * Only integer arithmetic and IEEE multiplications, no libm and no rand():
 * the same parameters give the same trace on every machine. Arrivals are a
 * Poisson process conditioned on the job count (the order statistics of
 * uniform times over the span: jobs x the mix's mean interarrival / load);
 * durations are lo + (hi - lo) u^3, many short and a few long.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vgpu_trace.h"

#define DEFAULT_GPU_MEM_MIB 81089u /* an H100 80GB's CUDA total (simulated and real) */

/* A job class of a mix: its share, the fraction of a GPU (den > 0: 1/den of
 * a GPU's memory and SMs, one GPU) or whole GPUs (den 0: gpus choices), and
 * its duration range in seconds. */
typedef struct jclass {
	const char *kind;
	unsigned den[3];   /* fraction denominators to pick from (0 = unused) */
	unsigned gpus[3];  /* whole: GPUs per node to pick from */
	unsigned nodes[3]; /* whole: nodes to pick from (0 = unused; none = 1) */
	unsigned lo_s, hi_s;
} jclass_t;

typedef struct mix {
	const char *name;
	const char *help;
	unsigned interarrival_s; /* mean, at load 1 */
	jclass_t cls[5];
} mix_t;

#define CI                                                 \
	{                                                  \
		"ci", { 4, 6, 8 }, { 0 }, { 0 }, 120, 1200 \
	}
#define SIM                                             \
	{                                               \
		"sim", { 6 }, { 0 }, { 0 }, 1800, 14400 \
	}
#define INFER                                              \
	{                                                  \
		"infer", { 2, 4 }, { 0 }, { 0 }, 600, 7200 \
	}
#define TRAIN                                                         \
	{                                                             \
		"train", { 0 }, { 1, 2, 4 }, { 1, 1, 2 }, 3600, 21600 \
	}
#define DESKTOP                                             \
	{                                                   \
		"desktop", { 3 }, { 0 }, { 0 }, 3600, 28800 \
	}

static mix_t mixes[] = {
	{ "ci", "CI jobs: 1/4, 1/6 or 1/8 of a GPU, 2-20 min, one every 30 s", 30, { CI } },
	{ "sim", "simulations at 1/6 of a GPU, 30 min - 4 h, one every 120 s", 120, { SIM } },
	{ "infer", "inference services: 1/2 or 1/4 of a GPU, 10 min - 2 h, one every 90 s", 90, { INFER } },
	{ "train",
	  "training: whole GPUs, 1, 2 or 4 per node on 1 (or 2) nodes, 1-6 h, one every 600 s",
	  600,
	  { TRAIN } },
	{ "desktop", "desktop sessions at 1/3 of a GPU, 1-8 h, one every 300 s", 300, { DESKTOP } },
	{ "mixed", "45% ci, 25% sim, 20% infer, 10% train, one job every 40 s", 40, { CI, SIM, INFER, TRAIN } },
};
static const unsigned mixed_weights[] = { 45, 25, 20, 10 };

#define NMIXES (sizeof(mixes) / sizeof(mixes[0]))

void vgpu_trace_rng_seed(vgpu_trace_rng_t *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t vgpu_trace_rng_next(vgpu_trace_rng_t *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double vgpu_trace_rng_unit(vgpu_trace_rng_t *r)
{
	return (double)(vgpu_trace_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, n) (n > 0), without modulo bias worth the name: the high
 * bits of a 64x32 product. */
static unsigned below(vgpu_trace_rng_t *r, unsigned n)
{
	return (unsigned)(((vgpu_trace_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Pick one of the non-zero entries of v[3] (v[0] must be non-zero). */
static unsigned pick3(vgpu_trace_rng_t *r, const unsigned *v)
{
	unsigned n = v[2] ? 3 : v[1] ? 2 : 1;

	return v[below(r, n)];
}

const char *vgpu_trace_mix_names(void)
{
	return "ci sim infer train desktop mixed";
}

const char *vgpu_trace_mix_help(void)
{
	static char buf[1024];
	size_t o = 0;

	if (!buf[0])
		for (size_t i = 0; i < NMIXES; i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "  %-8s %s\n", mixes[i].name,
					      mixes[i].help);
	return buf;
}

static const mix_t *find_mix(const char *name)
{
	for (size_t i = 0; i < NMIXES; i++)
		if (strcmp(mixes[i].name, name) == 0)
			return &mixes[i];
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int vgpu_trace_generate(const vgpu_trace_gen_t *g, vgpu_trace_t *out, vgpu_err_t *err)
{
	const mix_t *m;
	vgpu_trace_rng_t r;
	uint64_t ref = g->gpu_mem_mib ? g->gpu_mem_mib : DEFAULT_GPU_MEM_MIB, span_s, *at;
	unsigned maxg = g->max_gpus ? g->max_gpus : 4, ncls = 0, wsum = 0;
	double load = g->load > 0 ? g->load : 1.0;

	out->jobs = NULL;
	out->n = 0;
	if (!g->mix || !(m = find_mix(g->mix)))
		return vgpu_err_set(err, "mix '%s': not one of %s", g->mix ? g->mix : "",
				    vgpu_trace_mix_names());
	if (g->jobs == 0 || g->jobs > VGPU_TRACE_JOBS_MAX)
		return vgpu_err_set(err, "jobs %u: expected 1 to %u", g->jobs, VGPU_TRACE_JOBS_MAX);
	if (ref < 64 || ref > VGPU_TRACE_MEM_MAX_MIB)
		return vgpu_err_set(err, "GPU memory %llu MiB: expected 64 to %u MiB",
				    (unsigned long long)ref, VGPU_TRACE_MEM_MAX_MIB);
	if (maxg > VGPU_TRACE_GPUS_MAX)
		return vgpu_err_set(err, "max GPUs per node %u: expected 1 to %u", maxg, VGPU_TRACE_GPUS_MAX);
	if (!(load >= 0.001 && load <= 1000))
		return vgpu_err_set(err, "load %g: expected 0.001 to 1000", load);
	while (ncls < 5 && m->cls[ncls].kind) {
		wsum += strcmp(m->name, "mixed") == 0 ? mixed_weights[ncls] : 1;
		ncls++;
	}
	span_s = (uint64_t)((double)g->jobs * m->interarrival_s / load);
	if (span_s < 1)
		span_s = 1;
	out->jobs = calloc(g->jobs, sizeof(out->jobs[0]));
	at = calloc(g->jobs, sizeof(*at));
	if (!out->jobs || !at) {
		free(at);
		vgpu_trace_free(out);
		return vgpu_err_set(err, "out of memory for %u jobs", g->jobs);
	}
	vgpu_trace_rng_seed(&r, g->seed);
	for (unsigned i = 0; i < g->jobs; i++)
		at[i] = (uint64_t)(vgpu_trace_rng_unit(&r) * (double)span_s);
	qsort(at, g->jobs, sizeof(*at), cmp_u64);
	for (unsigned i = 0; i < g->jobs; i++) {
		vgpu_trace_job_t *j = &out->jobs[i];
		const jclass_t *c = &m->cls[0];
		unsigned w = below(&r, wsum), k;
		double u;

		for (k = 0; k < ncls; k++) {
			unsigned wk = strcmp(m->name, "mixed") == 0 ? mixed_weights[k] : 1;

			if (w < wk)
				break;
			w -= wk;
		}
		c = &m->cls[k < ncls ? k : ncls - 1];
		j->submit_ms = at[i] * 1000;
		u = vgpu_trace_rng_unit(&r);
		j->duration_ms = 1000 * (uint64_t)(c->lo_s + (double)(c->hi_s - c->lo_s) * u * u * u + 0.5);
		snprintf(j->kind, sizeof(j->kind), "%s", c->kind);
		j->nodes = 1;
		if (c->den[0]) {
			unsigned den = pick3(&r, c->den);

			j->gpus_per_node = 1;
			j->gpu_mem_mib = ref / den;
			j->gpu_cores_pct = 100 / den;
		} else {
			j->gpus_per_node = pick3(&r, c->gpus);
			if (j->gpus_per_node > maxg)
				j->gpus_per_node = maxg;
			j->nodes = c->nodes[0] ? pick3(&r, c->nodes) : 1;
			/* more than one node only for jobs that fill theirs */
			if (j->gpus_per_node < maxg)
				j->nodes = 1;
		}
	}
	free(at);
	out->n = g->jobs;
	return 0;
}
