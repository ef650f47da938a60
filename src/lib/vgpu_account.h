/*
 * vgpu_account.h - the accounting model: requests to shards, shards to limits.
 *
 * Slurm's gres/shard fits a job's shard count inside ONE GPU's free shards,
 * so the model only has to map requests and limits onto shard counts such
 * that fitting shards implies fitting resources:
 *
 *  strict: a GPU has S = ShardsPerGpu shards; one shard is 1/S of the GPU's
 *          usable memory (Memory - DriverReserved - MemoryReserve: what the
 *          driver offers jobs, less the site's reserve) AND 1/S of its SMs. A
 *          request takes max(shards for its memory and one context, shards
 *          for its cores). Limits
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
	uint64_t ctx_bytes;     /* charged per CUDA context (< mem_bytes) */
} vgpu_limits_t;

/* Usable memory of one GPU of `type`: its memory less what the driver keeps
 * (DriverReserved) and the site's reserve in force (vgpu_conf_type_reserve). Returns 0 and sets *usable, or -1 when the
 * reserve is not less than the memory. */
int vgpu_account_usable(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
			uint64_t *usable, vgpu_err_t *err);

/* Shards one GPU of `type` offers (gres.conf Count= per GPU). Returns 0 when
 * the type's usable memory cannot hold one shard (err says why), or, in
 * strict mode, when ShardsPerGpu is outside 1..10000 or more than the usable
 * bytes. */
unsigned vgpu_account_gpu_shards(const vgpu_conf_t *conf,
				 const vgpu_gpu_type_t *type, vgpu_err_t *err);

/* Shards `req` needs on one GPU of `type`. Returns 0 and sets *shards, or -1
 * when the request cannot fit one GPU of that type ("mem=100G is more than
 * one h100 GPU offers (79.6 GiB usable)"), names another type than `type`,
 * or, in memory mode, gives no mem ("memory accounting needs mem="), or has
 * a ctx= below the type's context (vgpu_account_ctx), or its slice could
 * not hold one context. With C the type's context (or ctx=):
 *   strict: max(ceil((mem+C)*S/usable), ceil(cores*S/100)), at least 1.
 *   memory: ceil((mem+C)/ShardMemory).
 *   mem=P%: floor(P*G/100); share=K/N: floor(K*G/N), G the GPU's shards
 *           (S, or usable/ShardMemory): never more than asked, and N
 *           slices of 1/N or floor(100/N)% always fit one GPU.
 * req->gpus is ignored: this is the share of ONE GPU. */
int vgpu_account_shards(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
			const vgpu_request_t *req, unsigned *shards,
			vgpu_err_t *err);

/* Limits a step holding `shards` shards of one GPU of `type` gets. `req` may
 * be NULL (the step knows only its shard count); in memory mode its cores
 * (or share=K/N) set the SM cap. ctx_bytes: the type's context
 * (vgpu_conf_type_context), or req's ctx= when larger (a bare shard count
 * may give a memory limit below it: vgpu_account_shards never does). Returns
 * -1 for shards of 0 or more than the GPU offers. */
int vgpu_account_limits(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
			unsigned shards, const vgpu_request_t *req,
			vgpu_limits_t *limits, vgpu_err_t *err);

/* What each CUDA context is charged on a GPU of `type`: the type's context
 * size (vgpu_conf_type_context), or req's ctx= (req may be NULL). Returns 0,
 * or -1 when ctx= is below the type's context (a context would then take
 * more than the slice is charged for it). */
int vgpu_account_ctx(const vgpu_gpu_type_t *type, const vgpu_request_t *req, uint64_t *ctx,
		     vgpu_err_t *err);

/* Shards `req` needs when Slurm may place it on any GPU type. A request
 * that names a type is accounted on that type (an error lists the configured
 * types when it is not one of them). A request without a type gets the
 * largest shard count over the configured types it fits, so that on every
 * such type the limits of those shards still cover the request (on a larger
 * GPU the step then gets at least what it asked, often more); a relative
 * request (mem=P%, share=K/N) gets the smallest count, so N such slices fit
 * every type it may land on. Types the
 * request does not fit are skipped (the Slurm layer must keep the job off
 * them: shards that fit such a GPU would not cover the request); it is an
 * error when it fits none, or when no type is configured. *type_out (may be NULL) is set to the type the
 * count came from (the first with the largest count). */
int vgpu_account_shards_any(const vgpu_conf_t *conf, const vgpu_request_t *req,
			    unsigned *shards, const vgpu_gpu_type_t **type_out,
			    vgpu_err_t *err);

#endif
