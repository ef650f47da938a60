/*
 * vgpu_admit.h - the controller's admission checks on a job's GRES
 * (Slurm-free; the job_submit/vgpu plugin is a thin adapter over it).
 *
 * The clients' cli_filter (cli_filter_vgpu.so) turns --gres=vgpu:REQUEST
 * into --gres=shard:N. Users can bypass it (their own client or SLURM_CONF,
 * --gres=shard:N typed directly), so the controller checks again what
 * reaches it, in the job's TRES strings (job_desc tres_per_node: "--gres";
 * tres_per_job: "--gpus"; tres_per_socket; tres_per_task). Slurm 22.05
 * writes "gres:shard:25" items ("gres/shard:25" from 23.11), joined by ','
 * or ';'. Refused:
 *  - a `vgpu` item (the cli_filter did not run);
 *  - a shard count larger than one GPU offers (22.05 places a job's shards
 *    on one GPU per node: such a job would pend forever);
 *  - shards together with whole GPUs (`gpu`) in one job;
 *  - a string that names shard but cannot be read.
 * Jobs without shard, vgpu or gpu items pass untouched.
 */
#ifndef VGPU_ADMIT_H
#define VGPU_ADMIT_H

#include "vgpu_conf.h"
#include "vgpu_error.h"

#define VGPU_ADMIT_FIELDS 4

/* The job's TRES strings; each may be NULL, "" or "(null)" (none). */
typedef struct vgpu_admit_job {
	const char *tres[VGPU_ADMIT_FIELDS];
} vgpu_admit_job_t;

/* Field order of vgpu_admit_job_t.tres, and the option each comes from. */
enum {
	VGPU_ADMIT_PER_NODE = 0,        /* --gres */
	VGPU_ADMIT_PER_JOB = 1,         /* --gpus */
	VGPU_ADMIT_PER_SOCKET = 2,      /* --gpus-per-socket */
	VGPU_ADMIT_PER_TASK = 3,        /* --gpus-per-task */
};

/* What the check found (also for an accepted job). */
typedef struct vgpu_admit_info {
	int has_shard;          /* a shard item in some field */
	int has_gpu;            /* a gpu item in some field */
	int has_vgpu;           /* a vgpu item in some field */
	uint64_t shards;        /* largest shard count of one item */
} vgpu_admit_info_t;

/* The most shards one GPU offers over the configured GpuTypes
 * (vgpu_account_gpu_shards, the Count= `vgpu conf` writes to gres.conf).
 * Sets *type (may be NULL) to the first type with that count. Returns 0 when
 * no type is configured or none offers a shard (err says why). */
unsigned vgpu_admit_max_shards(const vgpu_conf_t *conf,
			       const vgpu_gpu_type_t **type, vgpu_err_t *err);

/* Check a job. `max_shards` is vgpu_admit_max_shards (0: the size check is
 * skipped), `type_name` the type it came from (for the message; may be NULL).
 * `info` (may be NULL) gets what was found. Returns 0 to accept, -1 to refuse
 * with the reason in err, e.g. "shard:150 is more than one GPU offers (100
 * shards per h100 GPU)". Never fails on input it cannot read unless that
 * input names shard or vgpu. */
int vgpu_admit_check(const vgpu_admit_job_t *job, unsigned max_shards,
		     const char *type_name, vgpu_admit_info_t *info,
		     vgpu_err_t *err);

/* The marker the cli_filter (cli_filter_vgpu.so) puts in front of an sbatch
 * job's comment: "[vgpu-request:CANONICAL]" then the user's comment. It is
 * how the request reaches job_submit/vgpu, which moves it into the batch
 * environment as VGPU_REQUEST (an --export list would cost a login shell per
 * job on the node). */
#define VGPU_ADMIT_COMMENT_TAG "[vgpu-request:"

/* Take the marker off the front of `comment` in place: on success the
 * request (1 to reqlen-1 characters of [A-Za-z0-9=:._%/-]) is copied to req
 * and comment keeps only what followed the closing ']' (possibly ""), and 1
 * is returned. Returns 0 and leaves comment alone when it is NULL, does not
 * start with the tag, or the request is empty, too long, unterminated or
 * holds another character (req is then ""). */
int vgpu_admit_comment_take(char *comment, char *req, size_t reqlen);

/* The index of NAME's entry ("NAME=...") in an environment array of `n`
 * entries (NULL entries skipped), or -1. */
int vgpu_admit_env_index(char *const *env, unsigned n, const char *name);

/* The value of NAME in an environment array ("NAME=value" strings, `n` of
 * them; NULL entries skipped), or NULL. */
const char *vgpu_admit_env(char *const *env, unsigned n, const char *name);

#endif
