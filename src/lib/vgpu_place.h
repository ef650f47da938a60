/*
 * vgpu_place.h - placement at submit: keep every job that asks for GPUs on
 * more than one node inside one NVLink partition of the clique map
 * (vgpu_cliquemap.h), best fit, and refuse what no partition can hold.
 * Slurm-free; job_submit/vgpu gathers the inputs from job_desc, calls
 * vgpu_place_decide and applies the answer. doc/nvlink.md, "Placement at
 * submit (job_submit)".
 *
 * Slurm's own mechanism does the placing; this module decides what to ask of
 * it, by the topology plugin in force (measured on 22.05.8 and 24.11.5,
 * doc/nvlink.md):
 *  - topology/tree (one leaf switch per partition; any release):
 *    --switches=1 with the longest wait (VGPU_PLACE_SWITCH_WAIT; slurm.conf
 *    must raise SchedulerParameters=max_switch_wait to match): cons_tres
 *    then best-fits leaves and the job waits for one leaf instead of
 *    spanning two.
 *  - topology/block (23.11+) as `vgpu conf` lays it out (partitions cut
 *    into base blocks, BlockSizes whose aggregated blocks never join two
 *    partitions; vgpu_topoconf_block_plan): Slurm keeps jobs of up to
 *    `contained` nodes inside one partition and best-fits them by itself,
 *    so those pass untouched; a larger one would spread over the whole
 *    cluster and gets the constraint below. A job that asks for --segment=S
 *    is split by Slurm into S-node pieces, each in one base block: S must
 *    be at most the base block size (Slurm refuses more) and divide the
 *    node count.
 *  - no topology plugin, or topology/block above `contained`: a matching-OR
 *    constraint "[p1|p2|...]" over the node Features named after the
 *    partitions that can hold the job, smallest first (containment; the
 *    best fit is by size, not by what is free, as Slurm tries the list in
 *    order). A job with a --constraint of its own is left alone (Slurm
 *    refuses a matching OR joined to other features).
 *
 * The opt-out: VGPU_PLACE_OPTOUT_TAG anywhere in the job's --comment.
 */
#ifndef VGPU_PLACE_H
#define VGPU_PLACE_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_cliquemap.h"
#include "vgpu_error.h"

/* The user's explicit opt-out: `--comment='[vgpu-place:span]'` (it may stand
 * beside other text). The job may then span partitions. */
#define VGPU_PLACE_OPTOUT_TAG "[vgpu-place:span]"

/* --switches wait asked for on topology/tree: 365 days in seconds, what
 * slurm.conf's SchedulerParameters=max_switch_wait=31536000 allows. */
#define VGPU_PLACE_SWITCH_WAIT 31536000u

#define VGPU_PLACE_FEATURES_MAX 1024 /* bytes of a constraint it writes */

/* The topology plugin slurmctld runs. */
typedef enum vgpu_place_topo {
	VGPU_PLACE_TOPO_NONE = 0,       /* topology/default, flat */
	VGPU_PLACE_TOPO_TREE = 1,       /* topology/tree */
	VGPU_PLACE_TOPO_BLOCK = 2,      /* topology/block (23.11+) */
} vgpu_place_topo_t;

/* What job_submit sees of a job. Counts are 0 when the user gave none
 * (the plugin maps Slurm's NO_VAL to 0). */
typedef struct vgpu_place_job {
	int gpus;               /* asks for GPUs or shards (any TRES field) */
	uint32_t min_nodes;     /* -N min */
	uint32_t max_nodes;     /* -N max */
	uint32_t num_tasks;     /* -n */
	uint32_t tasks_per_node; /* --ntasks-per-node */
	uint32_t segment;       /* --segment (topology/block only) */
	uint32_t switches;      /* --switches count */
	const char *comment;    /* --comment, may be NULL */
	const char *features;   /* --constraint, may be NULL */
	int can_segment;        /* this Slurm has --segment (24.05+) */
} vgpu_place_job_t;

/* What topology/block does with the map's layout (vgpu_topoconf_block_plan
 * of the same map `vgpu conf` wrote topology.conf from). */
typedef struct vgpu_place_block {
	uint32_t base;          /* base block size, BlockSizes' first value (0: unknown) */
	uint32_t contained;     /* jobs of up to this many nodes stay in one partition */
} vgpu_place_block_t;

typedef enum vgpu_place_verdict {
	VGPU_PLACE_PASS = 0,    /* nothing to do (see why) */
	VGPU_PLACE_CHANGE = 1,  /* apply the fields of the answer */
	VGPU_PLACE_REFUSE = 2,  /* refuse with err */
} vgpu_place_verdict_t;

/* The answer. With VGPU_PLACE_CHANGE a non-zero field is a change to make:
 * switches/switch_wait (req_switch, wait4switch), max_nodes (lowered to
 * what one partition holds), features (replaces the job's constraint). */
typedef struct vgpu_place_answer {
	vgpu_place_verdict_t verdict;
	uint32_t nodes;         /* nodes the job asks for at least */
	uint32_t switches, switch_wait;
	uint32_t max_nodes;
	char features[VGPU_PLACE_FEATURES_MAX];
	const vgpu_cm_partition_t *largest; /* the largest partition (NULL: none) */
	char why[160];          /* one line for the log: what was decided */
} vgpu_place_answer_t;

/* 1 when comment carries VGPU_PLACE_OPTOUT_TAG, else 0 (NULL: 0). */
int vgpu_place_optout(const char *comment);

/* The partition with the most nodes (ties: the first by name), or NULL
 * for a map without partitions. */
const vgpu_cm_partition_t *vgpu_place_largest(const vgpu_cliquemap_t *map);

/* Decide for job under map (NULL or empty: nothing is placed) and topo;
 * block (may be NULL: nothing contained by Slurm, base unknown) describes
 * topology/block's layout.
 * Fills ans; returns its verdict. A refusal's message (in err, and in
 * ans->why shortened) names the job's size, the largest partition and its
 * nodes, and what the user can do: "job asks for 6 nodes with GPUs; the
 * largest NVLink partition, nvl1 (n[1-4]), has 4 nodes: ask for at most 4
 * nodes, or ...". */
vgpu_place_verdict_t vgpu_place_decide(const vgpu_place_job_t *job, const vgpu_cliquemap_t *map,
				       vgpu_place_topo_t topo, const vgpu_place_block_t *block,
				       vgpu_place_answer_t *ans, vgpu_err_t *err);

/* Slurm's max_switch_wait in seconds from slurm.conf's SchedulerParameters
 * (comma-separated; "max_switch_wait=N"): N, or Slurm's default 300 when
 * params is NULL or has none; a value that is not a number (or above
 * UINT32_MAX) counts as none. The wait job_submit asks for is the smaller
 * of this and VGPU_PLACE_SWITCH_WAIT. */
#define VGPU_PLACE_SLURM_SWITCH_WAIT 300u
uint32_t vgpu_place_max_switch_wait(const char *params);

/* Node weights that steer single-node and fractional jobs into partly used
 * NVLink partitions, for a controller-side agent to set with `scontrol
 * update NodeName=... Weight=N` (Slurm takes the lowest weight first, on
 * 22.05, 24.11 and 26.05 alike; doc/nvlink.md). busy[i]: nodes of
 * partition i with any GPU held. weight[i] gets: a partly or fully used
 * partition its free node count + 1 (the fullest first); a wholly free one
 * VGPU_PLACE_WEIGHT_FREE + its node count (the smallest free one is broken
 * first, the largest kept whole longest). Ties keep Slurm's own order. */
#define VGPU_PLACE_WEIGHT_FREE 100000u
void vgpu_place_weights(const vgpu_cliquemap_t *map, const unsigned *busy, uint32_t *weight);

/* The topology plugin named by slurm.conf's TopologyPlugin ("topology/tree",
 * "topology/block"; NULL, "" and anything else: NONE). */
vgpu_place_topo_t vgpu_place_topo_from_name(const char *plugin);

#endif
