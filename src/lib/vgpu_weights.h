/*
 * vgpu_weights.h - the node weights `vgpu weights` keeps current on the
 * controller so that single-node and fractional GPU jobs go into NVLink
 * partitions already partly used, and wholly free partitions stay free for
 * multi-node jobs (doc/nvlink.md, "Small jobs into partly used
 * partitions"). Slurm-free: the agent (src/cli/cmd_weights.c) gathers the
 * controller's nodes, calls vgpu_weights_plan and applies the changes with
 * slurm_update_node.
 *
 * The rule: per partition the weight of vgpu_place_weights (partly used:
 * its free node count + 1, so the fullest fills first; wholly free:
 * VGPU_PLACE_WEIGHT_FREE + its size, the smallest broken first), doubled;
 * inside a partly used partition a node that already holds GPUs gets one
 * less than its partition's free nodes, so a fractional or one-GPU job goes
 * beside the work already there and whole nodes stay whole. The order of
 * partitions is the one of vgpu_place_weights: 2a-1 < 2b whenever a < b.
 * Nodes outside every partition of the map are not the agent's: they keep
 * what slurm.conf gives them.
 */
#ifndef VGPU_WEIGHTS_H
#define VGPU_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "vgpu_cliquemap.h"

/* One node as the controller reports it. */
typedef struct vgpu_weights_node {
	const char *name;       /* Slurm NodeName */
	int busy;               /* holds any GPU or shard of a running job */
	int usable;             /* takes jobs (not down, drained, failing, unresponsive) */
	uint32_t weight;        /* its weight in slurmctld now */
} vgpu_weights_node_t;

/* What the agent does with one node. */
typedef struct vgpu_weights_plan_node {
	int part;               /* index of its map partition, -1: in none (left alone) */
	uint32_t want;          /* the weight it should have (0 when part is -1) */
	int change;             /* 1 when want differs from the node's weight now */
} vgpu_weights_plan_node_t;

/* Per partition: what the plan counted (for --dry-run and the log). */
typedef struct vgpu_weights_plan_part {
	unsigned known;         /* nodes of the partition the controller has */
	unsigned busy;          /* of those, busy or not usable (not free for a job) */
	uint32_t weight;        /* vgpu_place_weights' weight of the partition */
} vgpu_weights_plan_part_t;

/* Plan the weights of nodes[0..n) under map: out (n entries) gets each
 * node's verdict, parts (map->nparts entries, or NULL) the counts. A map
 * node the controller does not report counts as not free, so its partition
 * is never wholly free. A node named twice counts once in its partition.
 * Returns the number of nodes whose weight is to change. */
size_t vgpu_weights_plan(const vgpu_cliquemap_t *map, const vgpu_weights_node_t *nodes, size_t n,
			 vgpu_weights_plan_node_t *out, vgpu_weights_plan_part_t *parts);

/* 1 when the weights must not steer now: with topology/tree (tree 1:
 * Slurm 22.05's containment, --switches=1) a waiting job on more than one
 * node did not start on the raised weights of a wholly free partition it
 * needed, for good (measured on 22.05.8, doc/nvlink-bench.md); so while
 * such a job waits (waiting_multinode > 0), every map node goes back to
 * one weight. 0 otherwise (topology/block was not affected). */
int vgpu_weights_must_hold(int tree, unsigned waiting_multinode);

/* The plan while the weights are held: every map node of nodes[0..n) to
 * weight 1 (Slurm's default), nodes outside the map left alone. out as for
 * vgpu_weights_plan. Returns the number of nodes whose weight changes. */
size_t vgpu_weights_plan_flat(const vgpu_cliquemap_t *map, const vgpu_weights_node_t *nodes, size_t n,
			      vgpu_weights_plan_node_t *out);

#endif
