/*
 * vgpu_account.h - the accounting model: requests to shards, shards to limits.
 *
 * Slurm's gres/shard fits a job's shard count inside ONE GPU's free shards,
 * so the model only has to map requests and limits onto shard counts such
 * that fitting shards implies fitting resources:
 *
 *  strict: a GPU has S = ShardsPerGpu shards; one shard is 1/S of the GPU's
 *          usable memory (memory - reserve) AND 1/S of its SMs. A request
 *          takes max(shards for its memory, shards for its cores). Limits
 *          from K shards: memory floor(K*usable/S), SM share floor(K*10000/S)
 *          basis points. Sums of limits never exceed the GPU in either
 *          dimension.
 *  memory: one shard is ShardMemory; a GPU has floor(usable/ShardMemory)
 *          shards. Memory limit K*ShardMemory; the SM share is a cap
 *          (request's cores, else DefaultCores) that may be overcommitted.
 */
#ifndef VGPU_ACCOUNT_H
#define VGPU_ACCOUNT_H

#include <stdint.h>

#include "vgpu_conf.h"
#include "vgpu_request.h"

#define VGPU_SHARE_FULL 10000u  /* SM share unit: basis points of a GPU */

typedef struct vgpu_limits {
	uint64_t mem_bytes;     /* hard device-memory limit of the slice */
	unsigned sm_share;      /* SM time cap, basis points (1..10000) */
	unsigned shards;        /* the shard count these limits come from */
} vgpu_limits_t;

/* Shards one GPU of `type` offers (gres.conf Count= per GPU). Returns 0 when
 * the type's usable memory cannot hold one shard (err says why). */
unsigned vgpu_account_gpu_shards(const vgpu_conf_t *conf,
				 const vgpu_gpu_type_t *type, vgpu_err_t *err);

/* Shards `req` needs on one GPU of `type`. Returns 0 and sets *shards, or -1
 * when the request cannot fit one GPU of that type ("mem=100G is more than
 * an h100 offers (79.1G usable)"), or, in memory mode, gives no mem. */
int vgpu_account_shards(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
			const vgpu_request_t *req, unsigned *shards,
			vgpu_err_t *err);

/* Limits a step holding `shards` shards of one GPU of `type` gets. `req` may
 * be NULL (the step knows only its shard count); in memory mode its cores,
 * when given, set the SM cap. Returns -1 for shards of 0 or more than the GPU
 * offers. */
int vgpu_account_limits(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
			unsigned shards, const vgpu_request_t *req,
			vgpu_limits_t *limits, vgpu_err_t *err);

#endif
