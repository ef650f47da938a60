/*
 * vgpu_slurmgres.h - parse the GRES strings Slurm reports (Slurm-free).
 *
 * Slurm prints GRES in several places, with small differences between
 * versions (doc/slurm-views.md has what 22.05.8, 24.11.5 and 26.05.5 print):
 *
 *   node gres          gpu:h100:2,shard:h100:200      gpu:h100:2(S:0-1),shard:200
 *   node gres_used     gpu:h100:0(IDX:N/A),shard:h100:2(IDX:0-1)   (22.05)
 *                      gpu:h100:1(IDX:0),shard:h100:22(-/100,22/100)   (26.05)
 *   job gres_detail    shard:25(IDX:0)   gpu:h100:2(IDX:0,2)   (one per node, 22.05)
 *                      shard:30(30/100,0/100)   gpu:h100:1(IDX:0)   (23.11, 24.11, 26.05)
 *   job tres_per_node  gres:shard:25   gres/shard:30 (23.11+)   gres:gpu:1;gres:...
 *
 * An item is NAME[:TYPE][:COUNT] (or NAME[:TYPE]=COUNT), optionally
 * prefixed "gres:" or "gres/", optionally followed by one "(...)" group.
 * The group is either
 *  - fields KEY:LIST: the IDX field gives the GPU indexes (ranges, commas,
 *    "N/A"; an index may carry its own "(...)" note, "IDX:0(25/100)", which
 *    is skipped); other fields (S: sockets, CNT:) are skipped; or
 *  - per-GPU counts A/B,C/D,... (a shared GRES such as shard from Slurm
 *    23.11 on): field i is the item's count on GPU i (the i-th device of
 *    the node's GRES, Slurm's GPU index order when every GPU has shards)
 *    over that GPU's total; "shard:50(30/80,20/80)" is 30 shards on GPU 0
 *    and 20 on GPU 1. A count '-' is 0 (26.05 node GresUsed, a GPU held
 *    whole). A group that starts with a digit or '-' is read as this.
 * Items are separated by ',' or ';' outside the parentheses. Counts may
 * carry Slurm's k/M/G/T/P suffix (1024-based); per-GPU counts are plain
 * decimal. "", "(null)" and "N/A" are empty lists.
 */
#ifndef VGPU_SLURMGRES_H
#define VGPU_SLURMGRES_H

#include <stdint.h>

#include "vgpu_error.h"

#define VGPU_SLURMGRES_ITEMS_MAX 16     /* items in one string */
#define VGPU_SLURMGRES_NAME_MAX 32      /* GRES name and type, with NUL */
#define VGPU_SLURMGRES_IDX_MAX 64       /* GPU indexes 0..63 */
#define VGPU_SLURMGRES_TEXT_MAX 4096    /* longest string accepted */

/* One item. idx_mask says which GPUs the item is on, in either form: the
 * indexes of IDX, or the GPUs whose per-GPU count is above 0; has_idx is
 * set exactly when idx_mask is not empty. has_gpu_count says the per-GPU
 * counts are known (then gpu_count[i] is exact; with IDX alone the split
 * of `count` over several indexes is not in the string). */
typedef struct vgpu_slurmgres_item {
	char name[VGPU_SLURMGRES_NAME_MAX];     /* "gpu", "shard" */
	char type[VGPU_SLURMGRES_NAME_MAX];     /* "h100", or "" */
	uint64_t count;                         /* 1 when not given */
	int has_count;                          /* COUNT was given ("shard:x" has none) */
	int has_idx;                            /* GPU indexes known (mask not empty) */
	uint64_t idx_mask;                      /* bit i: GPU index i */
	int has_gpu_count;                      /* a per-GPU count group "(A/B,...)" */
	unsigned ngpus;                         /* fields of that group, 1..64; else 0 */
	uint32_t gpu_count[VGPU_SLURMGRES_IDX_MAX]; /* count on GPU i; 0 unless listed */
} vgpu_slurmgres_item_t;

/* About 5.6 KiB (the per-GPU counts): fine on a thread's stack, not in a
 * loop of them. */
typedef struct vgpu_slurmgres {
	unsigned nitems;
	vgpu_slurmgres_item_t items[VGPU_SLURMGRES_ITEMS_MAX];
} vgpu_slurmgres_t;

/* Parse `text` (may be NULL: empty). Returns 0, or -1 with err naming the
 * string and what was wrong ("GRES 'gpu:h100:x': count is not a number",
 * "GRES 'shard:30(40/30)': GPU 0 count 40 above its total 30 in (...)");
 * `out` is then empty. A per-GPU count group with a field that is not
 * A/B, A above B, A above 2^32-1, B above 2^64-1 or more than 64 fields is
 * an error. The per-GPU counts need not add up to `count` (Slurm keeps them
 * equal; a consumer that needs placement trusts the per-GPU ones). */
int vgpu_slurmgres_parse(const char *text, vgpu_slurmgres_t *out, vgpu_err_t *err);

/* The first item named `name` (case-sensitive, as Slurm) and, when `type`
 * is not NULL, of that type; NULL when there is none. */
const vgpu_slurmgres_item_t *vgpu_slurmgres_find(const vgpu_slurmgres_t *g,
						 const char *name, const char *type);

/* Number of bits set in an index mask. */
unsigned vgpu_slurmgres_idx_count(uint64_t mask);

#endif
