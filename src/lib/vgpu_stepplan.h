/*
 * vgpu_stepplan.h - what a node does with one Slurm step (Slurm-free): the
 * decisions the SPANK plugin used to make inline, taken here from plain
 * inputs so they are unit-tested and fuzzed.
 *
 *  - the formats of the files under StateDir (one parser, one writer each):
 *      owner  "PID START\n"          the slurmstepd that made a directory
 *      gpu    "IDX HOST\n"           a slice step's GPU, or one
 *             "IDX HOST whole\n"     line per GPU of a whole-GPU step
 *      cap    "UUID MEM SM\n"        a job's cap on a GPU (its batch step's)
 *  - a read-only view of StateDir (vgpu_stepplan_view_t: the plugin fills it
 *    by listing the directory; a listing that failed makes an incomplete
 *    view, and every decision taken over it is a refusal);
 *  - the step itself: which kind of step it is from Slurm's variables
 *    (vgpu_stepplan_begin), whether a whole-GPU step may run beside what is
 *    on its GPUs and whether a slice may run beside whole-GPU steps (the
 *    Slurm 22.05 shard bug, doc/slurm-integration.md), its limits and the
 *    job's cap (vgpu_stepplan_slice). ONE state per step: a plan or a
 *    refusal with its reason; nothing runs with weaker enforcement.
 */
#ifndef VGPU_STEPPLAN_H
#define VGPU_STEPPLAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vgpu_account.h"
#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_request.h"
#include "vgpu_stepdesc.h"

#define VGPU_STEPPLAN_HOST_MAX 256      /* bytes of a node name, with NUL */
#define VGPU_STEPPLAN_GPUS_MAX 64       /* GPUs of one step (gpu file lines) */
#define VGPU_STEPPLAN_INDEX_MAX 1023    /* highest Slurm GPU index */
#define VGPU_STEPPLAN_WHY_MAX (VGPU_ERR_MAX + 512)
#define VGPU_STEPPLAN_FILE_MAX 8192     /* bytes of an owner/gpu/cap file read */

/* The one state of a step on a node. */
typedef enum vgpu_stepplan_state {
	VGPU_STEPPLAN_NONE = 0,         /* not ours: no GPU, or the extern step */
	VGPU_STEPPLAN_SLICE,            /* holds shards: runs under the shim */
	VGPU_STEPPLAN_WHOLE,            /* whole GPUs, recorded in StateDir (22.05 guard) */
	VGPU_STEPPLAN_WHOLE_PLAIN,      /* whole GPUs, no guard needed (fixed Slurm) */
	VGPU_STEPPLAN_REFUSED,          /* must not run: why says what and where */
} vgpu_stepplan_state_t;

/* ---- file formats ---------------------------------------------------- */

/* owner: "PID START\n" (START: the process's start time in clock ticks,
 * /proc/PID/stat field 22, > 0). format: 0, or -1 when len is too small.
 * parse (len bytes, need not be NUL-terminated): 0, or -1 when it is not
 * exactly that (pid > 0, start > 0, one optional newline). */
int vgpu_stepplan_owner_format(long pid, unsigned long long start, char *buf, size_t len);
int vgpu_stepplan_owner_parse(const char *text, size_t len, long *pid, unsigned long long *start);

/* gpu: one line per GPU, "IDX HOST" (a slice step, one line) or "IDX HOST
 * whole" (whole-GPU steps); IDX 0..VGPU_STEPPLAN_INDEX_MAX, HOST a node
 * name without blanks. */
typedef struct vgpu_stepplan_gpus {
	char host[VGPU_STEPPLAN_HOST_MAX];
	int whole;
	unsigned n;
	unsigned index[VGPU_STEPPLAN_GPUS_MAX];
} vgpu_stepplan_gpus_t;

/* Write g as a gpu file into buf. 0, or -1 (len too small, n 0, a bad
 * host). */
int vgpu_stepplan_gpus_format(const vgpu_stepplan_gpus_t *g, char *buf, size_t len);

/* Parse a gpu file (len bytes): every line of one host, all "whole" or
 * one line without it. 0 with *g, or -1 with err naming `name` and the
 * line. */
int vgpu_stepplan_gpus_parse(const char *text, size_t len, const char *name, vgpu_stepplan_gpus_t *g,
			     vgpu_err_t *err);

/* cap: "UUID MEM SM\n", MEM 1..VGPU_STEPDESC_MEM_MAX, SM 0..10000 (0:
 * unknown). format: 0 or -1. parse: 0 with the fields, or -1 with err
 * naming `name`. */
int vgpu_stepplan_cap_format(const char *uuid, uint64_t mem, unsigned sm, char *buf, size_t len);
int vgpu_stepplan_cap_parse(const char *text, size_t len, const char *name, char *uuid, size_t uuid_len,
			    uint64_t *mem, unsigned *sm, vgpu_err_t *err);

/* ---- the view of StateDir -------------------------------------------- */

typedef enum vgpu_stepplan_kind {
	VGPU_STEPPLAN_STEPDIR,          /* JOB.STEP.NODE */
	VGPU_STEPPLAN_JOBDIR,           /* job.JOB.NODE */
} vgpu_stepplan_kind_t;

typedef struct vgpu_stepplan_entry {
	vgpu_stepplan_kind_t kind;
	char name[64];
	unsigned long job, node;
	int alive;                      /* its owner runs (unknown counts as alive) */
	int gpus_ok;                    /* gpus parsed (step directories) */
	char gpus_why[VGPU_ERR_MAX];    /* why not, when alive and not gpus_ok */
	vgpu_stepplan_gpus_t gpus;
} vgpu_stepplan_entry_t;

typedef struct vgpu_stepplan_view {
	char state_dir[VGPU_PATH_MAX];
	int complete;                   /* every entry was read; else why */
	char why[VGPU_ERR_MAX];
	size_t n, room;
	vgpu_stepplan_entry_t *e;
} vgpu_stepplan_view_t;

/* An empty, complete view of state_dir. */
void vgpu_stepplan_view_init(vgpu_stepplan_view_t *v, const char *state_dir);
/* Add a copy of *e. -1 (the view marked incomplete) when out of memory. */
int vgpu_stepplan_view_add(vgpu_stepplan_view_t *v, const vgpu_stepplan_entry_t *e);
/* Mark the view incomplete with why (printf format). */
void vgpu_stepplan_view_fail(vgpu_stepplan_view_t *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vgpu_stepplan_view_free(vgpu_stepplan_view_t *v);

/* Classify a StateDir entry name: 1 a step dir JOB.STEP.NODE (STEP digits
 * or "batch"), 2 a job dir job.JOB.NODE, with *job and *node; +10 when it
 * ends ".new" (being made); 0 anything else. */
int vgpu_stepplan_name(const char *name, unsigned long *job, unsigned long *node);

/* Live step directories of job/node in the view, not counting `except`
 * (a name or NULL). */
int vgpu_stepplan_job_steps(const vgpu_stepplan_view_t *v, unsigned long job, unsigned long node,
			    const char *except);

/* ---- the step ---------------------------------------------------------- */

/* What Slurm says about the step (environment values NULL when unset). */
typedef struct vgpu_stepplan_in {
	int extern_step;                /* the job's extern step */
	int batch;                      /* the batch step */
	uint32_t job;
	const char *host;               /* this node's name */
	const char *shards_on_node;     /* SLURM_SHARDS_ON_NODE */
	const char *step_gpus;          /* SLURM_STEP_GPUS */
	const char *job_gpus;           /* SLURM_JOB_GPUS */
	const char *cuda_visible;       /* CUDA_VISIBLE_DEVICES */
	int guard;                      /* Slurm has the 22.05 shard bug: guard whole GPUs */
	const char *config_invalid;     /* the plugin's arguments are wrong: why, else NULL */
	int config_args_bad;            /* ... and nothing of them is known (not just shim=) */
} vgpu_stepplan_in_t;

typedef struct vgpu_stepplan {
	vgpu_stepplan_state_t state;
	char why[VGPU_STEPPLAN_WHY_MAX]; /* REFUSED: the reason, starting "vgpu: " */
	int slice;                      /* Slurm gave the step shards (a fact, also when REFUSED) */
	unsigned shards;                /* SLICE */
	unsigned index;                 /* SLICE: the GPU */
	vgpu_stepplan_gpus_t whole;     /* WHOLE(_PLAIN): the GPUs (host set by guard) */
	vgpu_limits_t lim;              /* SLICE, after vgpu_stepplan_slice */
	vgpu_stepdesc_gpu_t gpu;        /* SLICE, after vgpu_stepplan_slice: limits and cap */
	int need_job_cap;               /* SLICE: the cap must come from slurmctld when */
	                                /* other steps of the job are live on the node */
} vgpu_stepplan_t;

/* Refuse the plan: state REFUSED, why "vgpu: " + the printf text. Returns -1. */
int vgpu_stepplan_refuse(vgpu_stepplan_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The kind of step from Slurm's values: NONE (extern step, no GPU), SLICE
 * with shards and its one GPU index (vgpu_slurmcheck_slice_gpu), WHOLE /
 * WHOLE_PLAIN with the GPUs (WHOLE when in->guard), or REFUSED (a bad
 * shard count, shards on two GPUs, a plugin configuration that is wrong
 * for a step it must enforce or guard). Returns the state. */
vgpu_stepplan_state_t vgpu_stepplan_begin(const vgpu_stepplan_in_t *in, vgpu_stepplan_t *p);

/* A WHOLE step against the view (held under the StateDir lock): refused
 * when the view is incomplete, or a live step of another job holds a slice
 * (or an unreadable gpu file) on one of its GPUs of host. Returns the
 * state (WHOLE or REFUSED). */
vgpu_stepplan_state_t vgpu_stepplan_whole_check(const vgpu_stepplan_view_t *v, const char *host, uint32_t job,
						vgpu_stepplan_t *p);

/* A SLICE step against the view: refused when the view is incomplete, or
 * (guard) a live whole-GPU step of another job holds its GPU on host.
 * Returns the state. */
vgpu_stepplan_state_t vgpu_stepplan_slice_check(const vgpu_stepplan_view_t *v, const char *host, uint32_t job,
						int guard, vgpu_stepplan_t *p);

/* A SLICE step's limits on its GPU of model `model`, uuid `uuid`: the
 * GpuType (vgpu_spank_gpu_type's rule, passed in as `type`), the limits of
 * its shards (req: the canonical request or NULL), ctx_bytes below the
 * slice, and the job's cap: a batch step's own limits; else `cap_text`
 * (the job dir's cap file, len bytes, NULL when missing) when it is for
 * this GPU and not below the step's own limits; else need_job_cap. Fills
 * p->lim and p->gpu. Returns the state (SLICE or REFUSED, with where). */
vgpu_stepplan_state_t vgpu_stepplan_slice(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
					  const char *uuid, const vgpu_request_t *req, uint64_t ctx_bytes,
					  int batch, const char *cap_text, size_t cap_len, vgpu_stepplan_t *p);

/* The job's cap from slurmctld's shard count `jshards` on the GPU (a step
 * joining live steps of its job): set in p->gpu when jshards covers the
 * step's own shards (memory accounting: no SM cap, the step's need not be
 * the job's). 0, or -1 with err (limits that cannot be computed). */
int vgpu_stepplan_job_cap(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type, const vgpu_request_t *req,
			  unsigned jshards, vgpu_stepplan_t *p, vgpu_err_t *err);

#endif
