/*
 * vgpu_weights.c - node weights that keep wholly free NVLink partitions
 * free (vgpu_weights.h has the rule).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vgpu_place.h"
#include "vgpu_weights.h"

/* Index of partition p in map. */
static int part_index(const vgpu_cliquemap_t *map, const vgpu_cm_partition_t *p)
{
	return p ? (int)(p - map->parts) : -1;
}

size_t vgpu_weights_plan(const vgpu_cliquemap_t *map, const vgpu_weights_node_t *nodes, size_t n,
			 vgpu_weights_plan_node_t *out, vgpu_weights_plan_part_t *parts)
{
	size_t np = map ? map->nparts : 0, i, changes = 0;
	unsigned *known = np ? calloc(np, sizeof(*known)) : NULL;
	unsigned *busy = np ? calloc(np, sizeof(*busy)) : NULL;
	uint32_t *w = np ? calloc(np, sizeof(*w)) : NULL;

	memset(out, 0, n * sizeof(*out));
	if (np && (!known || !busy || !w)) {
		/* Without memory nothing is planned: every node stays as it is. */
		for (i = 0; i < n; i++)
			out[i].part = -1;
		if (parts)
			memset(parts, 0, np * sizeof(*parts));
		goto out;
	}
	for (i = 0; i < n; i++) {
		out[i].part = np ? part_index(map, vgpu_cliquemap_find_node(map, nodes[i].name)) : -1;
		/* One count per map node, however often the controller names it. */
		if (out[i].part >= 0) {
			size_t k;

			for (k = 0; k < i; k++)
				if (out[k].part >= 0 && strcmp(nodes[k].name, nodes[i].name) == 0)
					break;
			if (k < i)
				continue;
			known[out[i].part]++;
			if (nodes[i].busy || !nodes[i].usable)
				busy[out[i].part]++;
		}
	}
	for (i = 0; i < np; i++) {
		/* Map nodes the controller does not have are not free either. */
		size_t missing = map->parts[i].nnodes > known[i] ? map->parts[i].nnodes - known[i] : 0;

		busy[i] += (unsigned)missing;
	}
	if (np)
		vgpu_place_weights(map, busy, w);
	for (i = 0; i < n; i++) {
		int p = out[i].part;

		if (p < 0)
			continue;
		out[i].want = 2 * w[p];
		if (busy[p] && nodes[i].busy)
			out[i].want--;
		out[i].change = out[i].want != nodes[i].weight;
		changes += (size_t)out[i].change;
	}
	if (parts)
		for (i = 0; i < np; i++) {
			parts[i].known = known[i];
			parts[i].busy = busy[i];
			parts[i].weight = w[i];
		}
out:
	free(known);
	free(busy);
	free(w);
	return changes;
}

int vgpu_weights_must_hold(int tree, unsigned waiting_multinode)
{
	return tree && waiting_multinode > 0;
}

size_t vgpu_weights_plan_flat(const vgpu_cliquemap_t *map, const vgpu_weights_node_t *nodes, size_t n,
			      vgpu_weights_plan_node_t *out)
{
	size_t i, changes = 0;

	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n; i++) {
		out[i].part = map ? part_index(map, vgpu_cliquemap_find_node(map, nodes[i].name)) : -1;
		if (out[i].part < 0)
			continue;
		out[i].want = 1;
		out[i].change = nodes[i].weight != 1;
		changes += (size_t)out[i].change;
	}
	return changes;
}
