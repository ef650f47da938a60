/*
 * vgpu_place.h - placement at submit: keep every job that asks for GPUs on
 * more than one node inside one NVLink partition of the clique map
 * (vgpu_cliquemap.h), best fit, and refuse what no partition can hold.
 * Slurm-free; job_submit/vgpu gathers the inputs from job_desc, calls
 * vgpu_place_decide and applies the answer. doc/nvlink.md, "Placement at
 * submit (job_submit)".
 *
 * Slurm's own mechanism does the placing; this module decides what to ask of
 * it, by the topology plugin in force:
 *  - topology/tree (22.05: one leaf switch per partition): --switches=1 with
 *    the longest wait (VGPU_PLACE_SWITCH_WAIT; slurm.conf must raise
 *    SchedulerParameters=max_switch_wait to match): cons_tres then best-fits
 *    leaves and the job waits for one leaf instead of spanning two.
 *  - topology/block (23.11+: one block per partition): --segment=N for an
 *    N-node job, so the whole job is one segment, which topology/block keeps
 *    inside one block (best fit) whatever BlockSizes lets larger jobs
 *    aggregate. A job that already asks for --segment=S is split by Slurm
 *    into S-node pieces, each in one block: S must fit the largest partition
 *    and divide the node count.
 *  - no topology plugin: a matching-OR constraint "[p1|p2|...]" over the
 *    partitions' node Features (partition names) that can hold the job,
 *    smallest first (containment; the best fit is by size, not by what is
 *    free, as Slurm tries the list in order).
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

typedef enum vgpu_place_verdict {
	VGPU_PLACE_PASS = 0,    /* nothing to do (see why) */
	VGPU_PLACE_CHANGE = 1,  /* apply the fields of the answer */
	VGPU_PLACE_REFUSE = 2,  /* refuse with err */
} vgpu_place_verdict_t;

/* The answer. With VGPU_PLACE_CHANGE a non-zero field is a change to make:
 * switches/switch_wait (req_switch, wait4switch), segment (segment_size),
 * max_nodes (lowered to what one partition holds), features (replaces the
 * job's constraint). */
typedef struct vgpu_place_answer {
	vgpu_place_verdict_t verdict;
	uint32_t nodes;         /* nodes the job asks for at least */
	uint32_t switches, switch_wait;
	uint32_t segment;
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

/* Decide for job under map (NULL or empty: nothing is placed) and topo.
 * Fills ans; returns its verdict. A refusal's message (in err, and in
 * ans->why shortened) names the job's size, the largest partition and its
 * nodes, and what the user can do: "job asks for 6 nodes with GPUs; the
 * largest NVLink partition, nvl1 (n1..n4), has 4 nodes: ask for at most 4
 * nodes, or ...". Never fails for want of memory. */
vgpu_place_verdict_t vgpu_place_decide(const vgpu_place_job_t *job, const vgpu_cliquemap_t *map,
				       vgpu_place_topo_t topo, vgpu_place_answer_t *ans,
				       vgpu_err_t *err);

/* The topology plugin named by slurm.conf's TopologyPlugin ("topology/tree",
 * "topology/block"; NULL, "" and anything else: NONE). */
vgpu_place_topo_t vgpu_place_topo_from_name(const char *plugin);

#endif
