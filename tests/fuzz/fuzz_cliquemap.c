/*
 * fuzz_cliquemap.c - libFuzzer target for the clique map reader
 * (src/lib/vgpu_cliquemap.c) and writer. The input is a map. Checked: a
 * refusal leaves the map empty, every message starts with the file name
 * and the first one equals vgpu_cliquemap_parse's; an accepted map has
 * valid, unique names and identities, non-zero UUIDs, each node in one
 * partition, is written as JSON that reads back to the same JSON (round
 * trip), and passes check_nodes against its own nodes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_cliquemap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
	size_t n;
	char first[VGPU_ERR_MAX + 64];
} seen_t;

static void note(void *arg, const char *msg)
{
	seen_t *s = arg;

	if (strncmp(msg, "m.json", 6) != 0)
		abort();
	if (s->n++ == 0)
		snprintf(s->first, sizeof(s->first), "%s", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char zero[16];
	vgpu_cliquemap_t map, again;
	seen_t s = { 0 };
	vgpu_err_t err;
	const char **names;
	char *j1, *j2;
	size_t nn = 0, k = 0;

	if (vgpu_cliquemap_parse_all((const char *)data, size, "m.json", &map, note, &s)) {
		if (map.nparts || map.parts || map.excluded)
			abort();
		if (vgpu_cliquemap_parse((const char *)data, size, "m.json", &map, &err) != -1 ||
		    strncmp(err.msg, s.first, sizeof(err.msg) - 1) != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < map.nparts; i++) {
		const vgpu_cm_partition_t *p = &map.parts[i];

		if (!p->name[0] || memcmp(p->cluster_uuid, zero, 16) == 0 || p->nnodes == 0)
			abort();
		if (i > 0 && strcmp(map.parts[i - 1].name, p->name) >= 0)
			abort();
		for (size_t j = 0; j < p->nnodes; j++)
			if (vgpu_cliquemap_find_node(&map, p->nodes[j].name) != p)
				abort();
		nn += p->nnodes;
	}
	if (!(names = malloc((nn + map.nexcluded + 1) * sizeof(*names))))
		abort();
	for (size_t i = 0; i < map.nparts; i++)
		for (size_t j = 0; j < map.parts[i].nnodes; j++)
			names[k++] = map.parts[i].nodes[j].name;
	for (size_t i = 0; i < map.nexcluded; i++)
		names[k++] = map.excluded[i].name;
	if (vgpu_cliquemap_check_nodes(&map, "m.json", names, k, &err) != 0)
		abort();
	free(names);
	if (!(j1 = vgpu_cliquemap_to_json(&map)))
		abort();
	if (vgpu_cliquemap_parse(j1, strlen(j1), "m.json", &again, &err) != 0)
		abort();
	if (!(j2 = vgpu_cliquemap_to_json(&again)) || strcmp(j1, j2) != 0)
		abort();
	free(j1);
	free(j2);
	vgpu_cliquemap_free(&again);
	vgpu_cliquemap_free(&map);
	return 0;
}
