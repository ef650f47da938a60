/*
 * vgpu_show.h - the model behind `vgpu show` (Slurm-free): one node's GPUs,
 * the jobs holding shards or whole GPUs on each, and what is left.
 *
 * Built from the strings Slurm reports (vgpu_slurmgres.h): the node's `gres`
 * gives its GPUs (indexes in the order of its gpu items) and its shards (a
 * shard item typed like a gpu item belongs to those GPUs, else shards are
 * split evenly over all GPUs, as `vgpu conf` generates them); each job's
 * gres_detail_str for the node gives its GPU indexes ("shard:25(IDX:0)",
 * "gpu:h100:1(IDX:0)", Slurm 22.05) or, for shards from Slurm 23.11 on
 * (24.11, 26.05), its shards on each GPU ("shard:30(30/100,0/100)": 30 on
 * GPU 0). Limits come from vgpu_account_limits with the
 * GpuType of vgpu.conf named like the GPU's type; without one the limits
 * are unknown (never guessed).
 */
#ifndef VGPU_SHOW_H
#define VGPU_SHOW_H

#include <stdint.h>

#include "vgpu_account.h"
#include "vgpu_conf.h"
#include "vgpu_error.h"
#include "vgpu_slurmgres.h"

#define VGPU_SHOW_GPUS_MAX 64
#define VGPU_SHOW_HOLDERS_MAX 64        /* per GPU; more are counted only */
#define VGPU_SHOW_USER_MAX 32
#define VGPU_SHOW_NODE_MAX 64
#define VGPU_SHOW_NOTE_MAX 160

typedef struct vgpu_show_holder {
	uint32_t job_id;
	char user[VGPU_SHOW_USER_MAX];
	int whole;                      /* holds the whole GPU (--gres=gpu) */
	unsigned shards;                /* shards held (whole: the GPU's total) */
	int limits_known;
	vgpu_limits_t limits;           /* valid when limits_known */
} vgpu_show_holder_t;

typedef struct vgpu_show_gpu {
	unsigned index;
	char type[VGPU_SLURMGRES_NAME_MAX];     /* "" when Slurm gives none */
	unsigned shards_total;
	unsigned shards_used;
	int whole;                      /* a whole-GPU job holds it */
	int known;                      /* limits known: fields below valid */
	uint64_t mem_usable;
	uint64_t mem_reserved;          /* sum of holders' memory limits */
	unsigned sm_reserved;           /* sum of SM shares, basis points */
	char note[VGPU_SHOW_NOTE_MAX];  /* why limits are unknown, or "" */
	unsigned nholders;              /* holders[] filled */
	unsigned nmore;                 /* holders beyond VGPU_SHOW_HOLDERS_MAX */
	unsigned more_shards;           /* shards those hold (in the sums) */
	vgpu_show_holder_t holders[VGPU_SHOW_HOLDERS_MAX];
} vgpu_show_gpu_t;

typedef struct vgpu_show_node {
	char name[VGPU_SHOW_NODE_MAX];
	unsigned ngpus;
	unsigned unplaced;              /* job GRES entries without a GPU index */
	vgpu_show_gpu_t gpus[VGPU_SHOW_GPUS_MAX];
} vgpu_show_node_t;

/* Start a node from its name and Slurm `gres` string. Returns 0, or -1 when
 * the string does not parse or lists more than VGPU_SHOW_GPUS_MAX GPUs. */
int vgpu_show_node_init(vgpu_show_node_t *node, const char *name, const char *gres,
			vgpu_err_t *err);

/* Add what job `job_id` of `user` holds on this node: `detail` is the
 * job's gres_detail_str entry for the node. Shards with per-GPU counts
 * (23.11 on) go to each GPU with a count above 0, that many; shards with an
 * IDX (22.05) go to the GPU of their IDX (split evenly when several are
 * given); gpu items make whole-GPU holders. A shard or gpu item with a count
 * but no GPU ("shard(CNT:5)", "shard:30(0/100,0/100)", "(null)") is counted
 * in `unplaced`. Returns 0, or -1 when `detail` does not parse or names a
 * GPU the node does not have (an index, or a count above 0, at or beyond
 * ngpus). */
int vgpu_show_node_add_job(vgpu_show_node_t *node, uint32_t job_id, const char *user,
			   const char *detail, vgpu_err_t *err);

/* Compute limits, reserved and free amounts with `conf` (call after the
 * last add_job). A GPU whose type has no GpuType, or whose shard count
 * differs from what vgpu.conf gives that type, gets known = 0 and a note. */
void vgpu_show_node_finish(vgpu_show_node_t *node, const vgpu_conf_t *conf);

/* Free amounts of a GPU (0 when over-reserved or unknown). */
uint64_t vgpu_show_mem_free(const vgpu_show_gpu_t *gpu);
unsigned vgpu_show_sm_free(const vgpu_show_gpu_t *gpu);

#endif
