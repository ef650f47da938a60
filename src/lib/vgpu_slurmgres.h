/*
 * vgpu_slurmgres.h - parse the GRES strings Slurm reports (Slurm-free).
 *
 * Slurm prints GRES in several places, with small differences between
 * versions (doc/slurm-views.md has what 22.05.8 prints):
 *
 *   node gres          gpu:h100:2,shard:h100:200      gpu:h100:2(S:0-1),shard:200
 *   node gres_used     gpu:h100:0(IDX:N/A),shard:h100:2(IDX:0-1)
 *   job gres_detail    shard:25(IDX:0)   gpu:h100:2(IDX:0,2)   (one per node)
 *   job tres_per_node  gres:shard:25   gres/gpu:h100=1 (23.11)   gres:gpu:1;gres:...
 *
 * An item is NAME[:TYPE][:COUNT] (or NAME[:TYPE]=COUNT), optionally
 * prefixed "gres:" or "gres/", optionally followed by one "(...)" group of
 * fields KEY:LIST; the IDX field gives the GPU indexes (ranges, commas, "N/A";
 * an index may carry its own "(...)" note, which is skipped). Other fields
 * (S: sockets) are skipped. Items are separated by ',' or ';' outside the
 * parentheses. Counts may carry Slurm's k/M/G/T/P suffix (1024-based).
 * "", "(null)" and "N/A" are empty lists.
 */
#ifndef VGPU_SLURMGRES_H
#define VGPU_SLURMGRES_H

#include <stdint.h>

#include "vgpu_error.h"

#define VGPU_SLURMGRES_ITEMS_MAX 16     /* items in one string */
#define VGPU_SLURMGRES_NAME_MAX 32      /* GRES name and type, with NUL */
#define VGPU_SLURMGRES_IDX_MAX 64       /* GPU indexes 0..63 */
#define VGPU_SLURMGRES_TEXT_MAX 4096    /* longest string accepted */

typedef struct vgpu_slurmgres_item {
	char name[VGPU_SLURMGRES_NAME_MAX];     /* "gpu", "shard" */
	char type[VGPU_SLURMGRES_NAME_MAX];     /* "h100", or "" */
	uint64_t count;                         /* 1 when not given */
	int has_idx;                            /* an IDX field with indexes */
	uint64_t idx_mask;                      /* bit i: GPU index i */
} vgpu_slurmgres_item_t;

typedef struct vgpu_slurmgres {
	unsigned nitems;
	vgpu_slurmgres_item_t items[VGPU_SLURMGRES_ITEMS_MAX];
} vgpu_slurmgres_t;

/* Parse `text` (may be NULL: empty). Returns 0, or -1 with err naming the
 * string and what was wrong ("GRES 'gpu:h100:x': count 'x' is not a
 * number"); `out` is then empty. */
int vgpu_slurmgres_parse(const char *text, vgpu_slurmgres_t *out, vgpu_err_t *err);

/* The first item named `name` (case-sensitive, as Slurm) and, when `type`
 * is not NULL, of that type; NULL when there is none. */
const vgpu_slurmgres_item_t *vgpu_slurmgres_find(const vgpu_slurmgres_t *g,
						 const char *name, const char *type);

/* Number of bits set in an index mask. */
unsigned vgpu_slurmgres_idx_count(uint64_t mask);

#endif
