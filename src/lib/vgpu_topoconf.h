/*
 * vgpu_topoconf.h - Slurm configuration from the clique map, per Slurm
 * release: topology.conf (topology/tree on 22.05, topology/block on 23.11+),
 * topology.yaml (25.05+), one Slurm partition per NVLink partition, the
 * slurm.conf settings placement and IMEX need, and gres.conf Links= from a
 * node's NVLink matrix. Slurm-free; `vgpu conf` prints what it writes.
 *
 * Why these shapes (measured on 22.05.8, 24.11.5 and 26.05.5, doc/nvlink.md):
 *  - topology/tree with one leaf switch per partition best-fits leaves but
 *    spans them unless the job asks --switches=1 (job_submit/vgpu adds it)
 *    under SchedulerParameters=max_switch_wait long enough to never give up.
 *  - topology/block keeps a job inside one block of the level its size
 *    needs; a size with no configured level falls back to the whole cluster.
 *    Blocks of unequal size cannot be base blocks of one BlockSizes (every
 *    block must hold at least the first size), so each partition is cut into
 *    base blocks of B nodes (B = gcd of the partition sizes) laid out so that
 *    Slurm's aggregated blocks never join two partitions, and BlockSizes
 *    keeps only levels whose aggregated blocks each lie in one partition.
 * Output is deterministic (partitions by size, then name).
 */
#ifndef VGPU_TOPOCONF_H
#define VGPU_TOPOCONF_H

#include <stddef.h>
#include <stdio.h>

#include "vgpu_cliquemap.h"
#include "vgpu_error.h"
#include "vgpu_inventory.h"

/* Releases as major * 100 + minor: 22.05 -> 2205. */
#define VGPU_TOPO_REL_MIN 2205          /* oldest release handled */
#define VGPU_TOPO_REL_BLOCK 2311        /* topology/block */
#define VGPU_TOPO_REL_IMEX 2405         /* switch/nvidia_imex, --segment */
#define VGPU_TOPO_REL_YAML 2505         /* topology.yaml */

#define VGPU_TOPO_LEVELS_MAX 16         /* Slurm's block levels */

/* Default SwitchParameters=imex_channel_count (Slurm's own default). */
#define VGPU_TOPO_IMEX_CHANNELS 2048u

/* max_switch_wait written for topology/tree: 365 days, the wait
 * job_submit/vgpu asks with --switches=1@365-0. */
#define VGPU_TOPO_SWITCH_WAIT 31536000u

/* Parse "22.05", "24.11", "26.05.5" (the micro is ignored) into *rel.
 * Returns 0, or -1 naming the text (not MAJOR.MINOR, or older than 22.05). */
int vgpu_topoconf_release_parse(const char *text, unsigned *rel, vgpu_err_t *err);

/* How topology/block is laid out for a map (vgpu_topoconf_block_plan). */
typedef struct vgpu_topo_block_plan {
	unsigned base;                  /* B: nodes per base block */
	size_t nbblocks;                /* base blocks in all */
	size_t *order;                  /* partition indexes in block order (nparts) */
	size_t nparts;
	unsigned nlevels;               /* BlockSizes written */
	unsigned sizes[VGPU_TOPO_LEVELS_MAX]; /* BlockSizes, in nodes, ascending */
	unsigned contained;             /* jobs of 1..contained nodes never span two
					 * partitions (0: none; at most the largest) */
	unsigned largest;               /* nodes of the largest partition */
} vgpu_topo_block_plan_t;

/* Compute the topology/block layout for map (partitions with nodes only).
 * Returns 0, or -1 (no partition with nodes, OOM) with err set. Free with
 * vgpu_topoconf_block_plan_free. */
int vgpu_topoconf_block_plan(const vgpu_cliquemap_t *map, vgpu_topo_block_plan_t *plan,
			     vgpu_err_t *err);
void vgpu_topoconf_block_plan_free(vgpu_topo_block_plan_t *plan);

/* Check that Slurm's aggregation of base blocks (sizes in base blocks, the
 * levels of BlockSizes; owner[i]: partition of base block i) never puts two
 * partitions in one aggregated block. Returns 1 clean, 0 not. Exposed for
 * the unit tests, which check it against the blocks seen on 24.11. */
int vgpu_topoconf_block_clean(const size_t *owner, size_t nbblocks, const unsigned *levels,
			      unsigned nlevels);

/* topology.conf for release rel: topology/tree before 23.11, else
 * topology/block. others (nothers names, may be NULL): nodes outside every
 * partition (excluded by the map, or inventories the map does not name);
 * tree puts them under a switch of their own, block names them in a comment
 * (topology/block places no job on a node outside every block). Returns 0,
 * or -1 with err set (writes nothing then). */
int vgpu_topoconf_write_topology(FILE *out, const vgpu_cliquemap_t *map, unsigned rel,
				 const char *const *others, size_t nothers, vgpu_err_t *err);

/* topology.yaml (rel >= 25.05): the same block topology as the
 * cluster default, plus a flat topology "flat" a Slurm partition of nodes
 * outside the NVLink partitions can name (PartitionName=... Topology=flat).
 * Returns 0, or -1 (release too old, ...) with err set. */
int vgpu_topoconf_write_yaml(FILE *out, const vgpu_cliquemap_t *map, unsigned rel,
			     vgpu_err_t *err);

/* One PartitionName= line per NVLink partition (its nodes; State=UP,
 * MaxTime=INFINITE), named as the NVLink partition, so `sinfo -p NAME` shows
 * one rack's partition. Returns 0 or -1. */
int vgpu_topoconf_write_partitions(FILE *out, const vgpu_cliquemap_t *map, vgpu_err_t *err);

/* What slurm.conf needs for placement (TopologyPlugin=, the
 * SchedulerParameters addition on tree) and, when imex_channels is not 0,
 * for per-job IMEX (23.11+... 24.05+: SwitchType=switch/nvidia_imex,
 * SwitchParameters=imex_channel_count=N, Prolog=/Epilog= naming
 * libexecdir/vgpu-imex-prolog and -epilog; before 24.05 a comment saying
 * what is not offered). Returns 0 or -1. */
int vgpu_topoconf_write_slurmconf(FILE *out, const vgpu_cliquemap_t *map, unsigned rel,
				  unsigned imex_channels, const char *libexecdir, vgpu_err_t *err);

/* The node Feature of node: the name of the partition holding it, or NULL. */
const char *vgpu_topoconf_feature(const vgpu_cliquemap_t *map, const char *node);

/* gres.conf Links= of GPU `gpu` of inv, with the node's GPUs in the order
 * given (order[k]: index into inv->gpus, n of them; gres.conf's line order):
 * per GPU the number of NVLinks to it, -1 for itself ("-1,4,4,4"). Writes ""
 * when the node has no NVLink between its own GPUs. Returns 0, or -1 when it
 * does not fit in len. */
int vgpu_topoconf_links(const vgpu_inventory_t *inv, const size_t *order, size_t n, size_t gpu,
			char *buf, size_t len);

#endif
