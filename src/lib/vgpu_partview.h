/*
 * vgpu_partview.h - the model behind `vgpu show partitions` (Slurm-free):
 * per NVLink partition of the clique map, its nodes, GPUs, what is free and
 * what is held whole or in slices, the multi-node jobs running inside it,
 * and how fragmented its free GPUs are for the jobs waiting in the queue.
 *
 * Fragmentation follows "Beware of Fragmentation" (Weng et al., USENIX
 * ATC'23): the workload is the queue of waiting jobs that ask for GPUs,
 * each equally likely; for one waiting job, a free GPU is unusable when the
 * job could not be started on its node (a whole-GPU job needs that many
 * free GPUs on the node; a multi-node job also needs that many such nodes
 * inside the node's partition, since jobs stay inside one; a slice job can
 * use any free GPU of an up node). A partition's figure is the expected
 * number of its free GPUs a waiting job drawn from the queue could not use:
 * the mean over waiting jobs of the free GPUs each cannot use. With no
 * waiting GPU job the figure is unknown (frag_known 0), not zero.
 */
#ifndef VGPU_PARTVIEW_H
#define VGPU_PARTVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_cliquemap.h"
#include "vgpu_error.h"

#define VGPU_PV_USER_MAX 32

/* One node as the controller reports it. */
typedef struct vgpu_pv_node {
	char name[VGPU_HOST_MAX];
	unsigned gpus;                  /* GPUs of the node */
	unsigned free;                  /* GPUs no job holds, whole or in part */
	unsigned whole;                 /* GPUs held whole by a job */
	unsigned sliced;                /* GPUs with shards held (slices) */
	unsigned slices;                /* slices held: (job, GPU) pairs */
	unsigned shards_total, shards_used;
	int up;                         /* 1: takes jobs (not down, drained, failing) */
} vgpu_pv_node_t;

/* One job: running (its nodes known) or waiting (what it asks for). */
typedef struct vgpu_pv_job {
	uint32_t id;
	char user[VGPU_PV_USER_MAX];
	int pending;                    /* 1 waiting, 0 running */
	const char *nodes;              /* running: its nodes, a hostlist */
	unsigned nnodes;                /* waiting: nodes asked for (>= 1) */
	unsigned gpus_per_node;         /* whole GPUs per node asked for (0: none) */
	unsigned shards_per_node;       /* shards per node asked for (0: none) */
} vgpu_pv_job_t;

typedef struct vgpu_pv_part {
	const vgpu_cm_partition_t *part; /* NULL: the nodes of no partition */
	unsigned nnodes;                /* nodes the controller knows */
	unsigned nmissing;              /* nodes of the map the controller does not know */
	unsigned nodes_up, nodes_free;  /* up; up with every GPU free */
	unsigned gpus, free, whole, sliced, slices;
	unsigned shards_total, shards_used;
	size_t njobs;                   /* running multi-node jobs wholly inside */
	uint32_t *jobs;                 /* their ids, ascending */
	double frag;                    /* expected unusable free GPUs (see above) */
	int frag_known;
} vgpu_pv_part_t;

typedef struct vgpu_partview {
	size_t nparts;                  /* map partitions, then one for "none" when used */
	vgpu_pv_part_t *parts;
	size_t nspan;                   /* running multi-node jobs over several partitions */
	uint32_t *span;                 /* their ids, ascending */
	unsigned waiting;               /* waiting jobs asking for GPUs (the workload) */
	unsigned parts_free;            /* map partitions with every node up and free */
	vgpu_pv_part_t total;           /* sums over every node (part NULL, no jobs) */
} vgpu_partview_t;

/* Build the view: each node goes to its map partition (or "none"), running
 * jobs to the partition holding all their nodes (or to span), and the
 * fragmentation of every partition is computed against the waiting jobs.
 * Returns 0, or -1 (a running job's bad hostlist, OOM) with *pv empty. */
int vgpu_partview_build(const vgpu_cliquemap_t *map, const vgpu_pv_node_t *nodes,
			size_t nnodes, const vgpu_pv_job_t *jobs, size_t njobs,
			vgpu_partview_t *pv, vgpu_err_t *err);

/* Free what build allocated; *pv is left empty. NULL is fine. */
void vgpu_partview_free(vgpu_partview_t *pv);

#endif
