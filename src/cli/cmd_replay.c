/*
 * cmd_replay.c - `vgpu replay`: the job traces of the replay benchmark
 * (doc/replay.md). `generate` prints a seeded trace of one of the
 * project's mixes, `check` reads a trace and prints what it asks for,
 * `plan` turns a trace into the sbatch submissions of one configuration
 * at one time compression (read by tools/vgpu-replay, the driver, so that
 * the one parser in src/lib/vgpu_trace.c decides what a trace says).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_cmd.h"
#include "vgpu_trace.h"

#define P "vgpu replay"

static void replay_usage(FILE *out)
{
	fprintf(out,
		"usage: vgpu replay generate --mix MIX --jobs N [--seed S] [--gpu-mem MIB]\n"
		"                            [--max-gpus G] [--load X] [-o FILE]\n"
		"       vgpu replay check TRACE\n"
		"       vgpu replay plan TRACE --config whole|strict|memory [--compress X]\n"
		"                            [--limit-factor F]\n\n"
		"Job traces for the replay benchmark (doc/replay.md; the driver is\n"
		"tools/vgpu-replay). A trace is CSV with the columns submit_s, duration_s,\n"
		"nodes, gpus_per_node, gpu_mem_mib (0: whole GPUs), gpu_cores_pct, kind.\n\n"
		"  generate   print a trace of MIX (seeded, the same on every machine):\n%s"
		"             --gpu-mem: the GPU fractions are cut from (default 81089, an\n"
		"             H100's CUDA total); --max-gpus: most GPUs per node (4);\n"
		"             --load: arrivals per hour times X (1)\n"
		"  check      read TRACE (\"-\": stdin), print its jobs, span and demand\n"
		"  plan       one line per job, tab-separated: INDEX OFFSET_S KIND NODES\n"
		"             GRES TIME HOLD_S HOLD_MIB (times divided by --compress, default\n"
		"             300; TIME: sbatch --time, the trace duration x --limit-factor\n"
		"             (1.5) + 1 s, as [hours:]minutes:seconds); GRES: gpu:N for whole GPUs\n"
		"             and, in config whole, for slices (gpu:1); vgpu:mem=...M[:cores=P]\n"
		"             for slices in strict and memory (the same request: the\n"
		"             configurations differ in the cluster's vgpu.conf)\n",
		vgpu_trace_mix_help());
}

static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-' || (v = strtoull(s, &end, 10), errno) || *end || v > max) {
		fprintf(stderr, P ": %s '%s': expected a whole number 0 to %" PRIu64 "\n", opt, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_pos(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !(v >= lo && v <= hi)) {
		fprintf(stderr, P ": %s '%s': expected a number %g to %g\n", opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mix", required_argument, NULL, 'm' },
		{ "jobs", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "gpu-mem", required_argument, NULL, 'g' },
		{ "max-gpus", required_argument, NULL, 'G' },
		{ "load", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	vgpu_trace_gen_t g = { NULL, 0, 1, 0, 0, 1.0 };
	const char *outp = NULL;
	uint64_t v;
	vgpu_trace_t t;
	vgpu_err_t err;
	FILE *f = stdout;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:n:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			g.mix = optarg;
			break;
		case 'n':
			if (parse_u64("--jobs", optarg, VGPU_TRACE_JOBS_MAX, &v) < 0)
				return 2;
			g.jobs = (unsigned)v;
			break;
		case 's':
			if (parse_u64("--seed", optarg, UINT64_MAX, &g.seed) < 0)
				return 2;
			break;
		case 'g':
			if (parse_u64("--gpu-mem", optarg, VGPU_TRACE_MEM_MAX_MIB, &g.gpu_mem_mib) < 0)
				return 2;
			break;
		case 'G':
			if (parse_u64("--max-gpus", optarg, VGPU_TRACE_GPUS_MAX, &v) < 0)
				return 2;
			if (v == 0) {
				fprintf(stderr, P ": --max-gpus '0': expected a whole number 1 to %u\n",
					VGPU_TRACE_GPUS_MAX);
				return 2;
			}
			g.max_gpus = (unsigned)v;
			break;
		case 'l':
			if (parse_pos("--load", optarg, 0.001, 1000, &g.load) < 0)
				return 2;
			break;
		case 'o':
			outp = optarg;
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc || !g.mix || !g.jobs) {
		fprintf(stderr,
			P " generate: --mix and --jobs are required, nothing else (vgpu replay --help)\n");
		return 2;
	}
	if (vgpu_trace_generate(&g, &t, &err) < 0) {
		fprintf(stderr, P " generate: %s\n", err.msg);
		return 2;
	}
	if (outp && !(f = fopen(outp, "w"))) {
		fprintf(stderr, P " generate: -o %s: cannot create: %s\n", outp, strerror(errno));
		vgpu_trace_free(&t);
		return 1;
	}
	fprintf(f,
		"# vgpu replay generate --mix %s --jobs %u --seed %" PRIu64 " --gpu-mem %" PRIu64
		" --max-gpus %u --load %g\n",
		g.mix, g.jobs, g.seed, g.gpu_mem_mib ? g.gpu_mem_mib : 81089, g.max_gpus ? g.max_gpus : 4,
		g.load);
	rc = vgpu_trace_write(f, &t);
	if (f != stdout && fclose(f) != 0)
		rc = -1;
	vgpu_trace_free(&t);
	if (rc < 0) {
		fprintf(stderr, P " generate: %s: write error\n", outp ? outp : "stdout");
		return 1;
	}
	return 0;
}

/* The share of one GPU a job holds on each of its GPUs: 1 for whole GPUs,
 * its memory over the reference GPU's for a slice (the larger of that and
 * its cores share), as the demand bound counts it. */
static double job_share(const vgpu_trace_job_t *j, uint64_t ref_mib)
{
	double m, c;

	if (!j->gpu_mem_mib)
		return 1.0;
	m = (double)j->gpu_mem_mib / (double)ref_mib;
	c = j->gpu_cores_pct / 100.0;
	m = m > c ? m : c;
	return m > 1 ? 1 : m;
}

static int cmd_check(int argc, char **argv)
{
	vgpu_trace_t t;
	vgpu_err_t err;
	char kinds[64][VGPU_TRACE_KIND_MAX];
	unsigned nk = 0, count[64] = { 0 };
	double whole_h[64] = { 0 }, demand_h[64] = { 0 }, tw = 0, td = 0;
	uint64_t end = 0;
	char a[32], b[32];

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		replay_usage(stdout);
		return 0;
	}
	if (argc != 2 || (argv[1][0] == '-' && argv[1][1])) {
		fprintf(stderr, P " check: expected one TRACE file (\"-\": stdin)\n");
		return 2;
	}
	if (vgpu_trace_load(argv[1], &t, &err) < 0) {
		fprintf(stderr, P " check: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < t.n; i++) {
		const vgpu_trace_job_t *j = &t.jobs[i];
		unsigned k;
		double h = (double)j->duration_ms / 3.6e6 * j->nodes * j->gpus_per_node;

		for (k = 0; k < nk && strcmp(kinds[k], j->kind) != 0; k++)
			;
		if (k == nk && nk < 64)
			memcpy(kinds[nk++], j->kind, sizeof(kinds[0]));
		if (k == 64)
			k = 63;
		count[k]++;
		whole_h[k] += h;
		demand_h[k] += h * job_share(j, 81089);
		if (j->submit_ms + j->duration_ms > end)
			end = j->submit_ms + j->duration_ms;
	}
	printf("%s: %zu jobs, submitted over %s s, last end at the earliest %s s\n",
	       strcmp(argv[1], "-") == 0 ? "stdin" : argv[1], t.n,
	       vgpu_trace_fmt_s(a, sizeof(a), t.n ? t.jobs[t.n - 1].submit_ms : 0),
	       vgpu_trace_fmt_s(b, sizeof(b), end));
	printf("%-12s %6s %14s %14s\n", "kind", "jobs", "GPU-h(whole)", "GPU-h(demand)");
	for (unsigned k = 0; k < nk; k++) {
		printf("%-12s %6u %14.2f %14.2f\n", kinds[k], count[k], whole_h[k], demand_h[k]);
		tw += whole_h[k];
		td += demand_h[k];
	}
	printf("%-12s %6zu %14.2f %14.2f\n", "all", t.n, tw, td);
	printf("(demand: a slice's larger share of memory, of an 81089 MiB GPU, and SMs, x duration)\n");
	vgpu_trace_free(&t);
	return 0;
}

static int cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "compress", required_argument, NULL, 'x' },
		{ "limit-factor", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	double compress = 300, factor = 1.5;
	vgpu_trace_t t;
	vgpu_err_t err;
	int c, whole;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'x':
			if (parse_pos("--compress", optarg, 1, 1e6, &compress) < 0)
				return 2;
			break;
		case 'f':
			if (parse_pos("--limit-factor", optarg, 1, 100, &factor) < 0)
				return 2;
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || !config) {
		fprintf(stderr, P " plan: expected TRACE and --config (vgpu replay --help)\n");
		return 2;
	}
	if (strcmp(config, "whole") == 0)
		whole = 1;
	else if (strcmp(config, "strict") == 0 || strcmp(config, "memory") == 0)
		whole = 0;
	else {
		fprintf(stderr, P " plan: --config '%s': expected whole, strict or memory\n", config);
		return 2;
	}
	if (vgpu_trace_load(argv[optind], &t, &err) < 0) {
		fprintf(stderr, P " plan: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < t.n; i++) {
		const vgpu_trace_job_t *j = &t.jobs[i];
		double off = (double)j->submit_ms / 1000.0 / compress;
		double hold = (double)j->duration_ms / 1000.0 / compress;
		unsigned long lim = (unsigned long)ceil(hold * factor) + 1;
		char gres[96], tl[48];

		if (!j->gpu_mem_mib || whole)
			snprintf(gres, sizeof(gres), "gpu:%u", j->gpus_per_node);
		else if (j->gpu_cores_pct)
			snprintf(gres, sizeof(gres), "vgpu:mem=%" PRIu64 "M:cores=%u", j->gpu_mem_mib,
				 j->gpu_cores_pct);
		else
			snprintf(gres, sizeof(gres), "vgpu:mem=%" PRIu64 "M", j->gpu_mem_mib);
		/* the memory a job holds: its slice, or 1 GiB of each whole GPU */
		/* sbatch --time: minutes:seconds, hours:minutes:seconds from an hour on */
		if (lim < 3600)
			snprintf(tl, sizeof(tl), "%lu:%02lu", lim / 60, lim % 60);
		else
			snprintf(tl, sizeof(tl), "%lu:%02lu:%02lu", lim / 3600, lim / 60 % 60, lim % 60);
		printf("%zu\t%.3f\t%s\t%u\t%s\t%s\t%.3f\t%" PRIu64 "\n", i + 1, off, j->kind, j->nodes, gres,
		       tl, hold, j->gpu_mem_mib ? j->gpu_mem_mib : 1024);
	}
	vgpu_trace_free(&t);
	return 0;
}

int vgpu_cmd_replay(int argc, char **argv)
{
	if (argc < 2) {
		replay_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		replay_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "generate") == 0)
		return cmd_generate(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "plan") == 0)
		return cmd_plan(argc - 1, argv + 1);
	fprintf(stderr, P ": unknown subcommand '%s' (generate, check, plan)\n", argv[1]);
	return 2;
}
