/*
 * vgpu_trace.h - job traces for `vgpu replay` (doc/replay.md): the one
 * parser of the CSV format, its writer, and the seeded generator of the
 * project's mixes.
 *
 * A trace is CSV text: '#' comment lines and blank lines are skipped; the
 * first other line is the header, naming the columns (case-insensitive, in
 * any order): submit_s, duration_s, nodes, gpus_per_node, gpu_mem_mib,
 * gpu_cores_pct, kind. Other columns are accepted and ignored. A field may
 * be double-quoted ("" inside is one "), blanks around fields are ignored.
 * Times are seconds with at most 3 decimals (kept exactly, in ms).
 * gpu_mem_mib 0 means whole GPUs; above 0, a slice of that much memory on
 * one GPU of each node (gpus_per_node must then be 1). gpu_cores_pct is the
 * slice's SM share in percent (0: not given; whole GPUs: 0 or 100). kind is
 * the job's class ([A-Za-z0-9_.-], 1-31 characters), what the report groups
 * waits by. Jobs are returned sorted by submit time (stable: file order for
 * equal times).
 */
#ifndef VGPU_TRACE_H
#define VGPU_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vgpu_error.h"

#define VGPU_TRACE_JOBS_MAX 1000000u		/* jobs in one trace */
#define VGPU_TRACE_LINE_MAX 4096u		/* bytes in one line */
#define VGPU_TRACE_TIME_MAX_MS 3153600000000ull /* 100 years, in ms */
#define VGPU_TRACE_NODES_MAX 100000u
#define VGPU_TRACE_GPUS_MAX 64u		 /* gpus_per_node */
#define VGPU_TRACE_MEM_MAX_MIB 16777216u /* 16 TiB */
#define VGPU_TRACE_KIND_MAX 32		 /* with the NUL */

typedef struct vgpu_trace_job {
	uint64_t submit_ms;	/* after the trace's start */
	uint64_t duration_ms;	/* > 0 */
	unsigned nodes;		/* >= 1 */
	unsigned gpus_per_node; /* >= 1; 1 for a slice */
	uint64_t gpu_mem_mib;	/* 0: whole GPUs */
	unsigned gpu_cores_pct; /* 0 (not given) .. 100 */
	char kind[VGPU_TRACE_KIND_MAX];
	unsigned line; /* line in the text (1-based); 0 if generated */
} vgpu_trace_job_t;

typedef struct vgpu_trace {
	vgpu_trace_job_t *jobs;
	size_t n;
} vgpu_trace_t;

/* Parse trace text (len bytes, NUL bytes refused) into *out (sorted by
 * submit time). name is what messages call the text ("trace.csv"): every
 * error names it, the line and the column ("trace.csv:4: column
 * gpu_mem_mib: '12X' is not a whole number"). Returns 0, or -1 with *out
 * empty. */
int vgpu_trace_parse(const char *text, size_t len, const char *name, vgpu_trace_t *out, vgpu_err_t *err);

/* Read and parse the file at path ("-": stdin). Returns 0 or -1. */
int vgpu_trace_load(const char *path, vgpu_trace_t *out, vgpu_err_t *err);

/* Free a trace's jobs (the struct itself is the caller's); safe twice. */
void vgpu_trace_free(vgpu_trace_t *t);

/* Write t as trace CSV (the header, then one line per job) that
 * vgpu_trace_parse reads back to the same jobs. Returns 0, -1 on a write
 * error. */
int vgpu_trace_write(FILE *f, const vgpu_trace_t *t);

/* Format ms as seconds with no more decimals than needed ("12", "0.5",
 * "3.125") into buf (at least 32 bytes). Returns buf. */
const char *vgpu_trace_fmt_s(char *buf, size_t len, uint64_t ms);

/* ---- the generator (vgpu_trace_gen.c) --------------------------------- */

/* The project's own PRNG (splitmix64): the same seed gives the same
 * numbers on every machine and libc. */
typedef struct vgpu_trace_rng {
	uint64_t s;
} vgpu_trace_rng_t;

void vgpu_trace_rng_seed(vgpu_trace_rng_t *r, uint64_t seed);
uint64_t vgpu_trace_rng_next(vgpu_trace_rng_t *r);
/* Uniform in [0, 1), 53 bits. */
double vgpu_trace_rng_unit(vgpu_trace_rng_t *r);

typedef struct vgpu_trace_gen {
	const char *mix; /* a name vgpu_trace_mix_names lists */
	unsigned jobs;	 /* 1..VGPU_TRACE_JOBS_MAX */
	uint64_t seed;
	uint64_t gpu_mem_mib; /* the reference GPU fractions are cut from (0: 81089, an H100's CUDA total) */
	unsigned max_gpus;    /* most GPUs per node a job asks (0: 4) */
	double load;	      /* arrival scale: 1 = the mix's own rate, 2 = twice as many per hour (0: 1) */
} vgpu_trace_gen_t;

/* The mixes' names, space-separated ("ci sim infer train desktop mixed"),
 * and one line per mix describing it (for --help and doc/replay.md). */
const char *vgpu_trace_mix_names(void);
const char *vgpu_trace_mix_help(void);

/* Generate a trace of g->jobs jobs of the mix g->mix into *out, a pure
 * function of *g (sorted, integral seconds). Returns 0, or -1 naming the bad
 * parameter ("mix 'foo': not one of ..."). */
int vgpu_trace_generate(const vgpu_trace_gen_t *g, vgpu_trace_t *out, vgpu_err_t *err);

#endif
