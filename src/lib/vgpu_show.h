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
#include "vgpu_gresconf.h"
#include "vgpu_slurmgres.h"

#define VGPU_SHOW_GPUS_MAX 64
#define VGPU_SHOW_HOLDERS_MAX 64        /* per GPU; more are counted only */
#define VGPU_SHOW_USER_MAX 32
#define VGPU_SHOW_NODE_MAX 64
#define VGPU_SHOW_NOTE_MAX 160
#define VGPU_SHOW_SET_TEXT_MAX 768

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

/* How the GPUs of one set (the whole GPUs a job holds on a node) are
 * linked: every pair by NVLink, some pairs, none (PCIe only), or unknown
 * (no gres.conf Links= for the node, or one that does not fit it). */
typedef enum vgpu_show_nvlink {
	VGPU_SHOW_NVLINK_UNKNOWN,
	VGPU_SHOW_NVLINK_ALL,
	VGPU_SHOW_NVLINK_PART,
	VGPU_SHOW_NVLINK_NONE,
} vgpu_show_nvlink_t;

typedef struct vgpu_show_gpuset {
	unsigned n;                     /* GPUs in the set, gpus[] ascending */
	unsigned gpus[VGPU_SHOW_GPUS_MAX];
	vgpu_show_nvlink_t nvlink;
	unsigned pairs;                 /* n*(n-1)/2 */
	unsigned linked;                /* pairs joined by NVLink (known only) */
	int min_links, max_links;       /* over linked pairs; 0 when none */
	unsigned groups;                /* NVLink-connected groups of the set */
	char text[VGPU_SHOW_SET_TEXT_MAX]; /* "GPUs 0,1: NVLink x12 (all pairs)" */
} vgpu_show_gpuset_t;

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

/* The GPUs job `job_id` holds whole on this node, ascending, into gpus[]
 * (room for VGPU_SHOW_GPUS_MAX); returns how many. */
unsigned vgpu_show_node_job_gpus(const vgpu_show_node_t *node, uint32_t job_id, unsigned *gpus);

/* Describe set gpus[0..n-1] (indexes as Slurm numbers the node's GPUs) of
 * a node with `ngpus` GPUs, from `links` (gres.conf's Links= for the node;
 * NULL when there is none, `why` then says why, e.g. "no gres.conf beside
 * slurm.conf"). A pair is NVLink-joined when both directions give a count
 * above 0 (the smaller is its width). Unknown when links is NULL, not
 * known, or gives another GPU count than ngpus, or n < 2; text then
 * says why.
 * Groups: the set cut by NVLink reachability inside the set. */
void vgpu_show_gpuset_describe(const vgpu_gresconf_links_t *links, const char *why,
			       unsigned ngpus, const unsigned *gpus, unsigned n,
			       vgpu_show_gpuset_t *out);

/* Free amounts of a GPU (0 when over-reserved or unknown). */
uint64_t vgpu_show_mem_free(const vgpu_show_gpu_t *gpu);
unsigned vgpu_show_sm_free(const vgpu_show_gpu_t *gpu);

#endif
