/*
 * vgpu_partview.c - per NVLink partition: nodes, GPUs, jobs, fragmentation.
 * The model and the fragmentation figure are described in vgpu_partview.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vgpu_hostlist.h"
#include "vgpu_partview.h"

/* A map node's name and the index of its partition, sorted by name. */
typedef struct name_part {
	const char *name;
	size_t part;
} name_part_t;

static int cmp_name_part(const void *a, const void *b)
{
	return strcmp(((const name_part_t *)a)->name, ((const name_part_t *)b)->name);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The map's nodes, sorted (*n of them); NULL with *n 0 for an empty map,
 * NULL with *n 1 on OOM. */
static name_part_t *map_index(const vgpu_cliquemap_t *map, size_t *n)
{
	name_part_t *v;
	size_t p, k, total = 0;

	for (p = 0; map && p < map->nparts; p++)
		total += map->parts[p].nnodes;
	*n = total;
	if (total == 0)
		return NULL;
	v = calloc(total, sizeof(*v));
	if (!v) {
		*n = 1;
		return NULL;
	}
	total = 0;
	for (p = 0; p < map->nparts; p++)
		for (k = 0; k < map->parts[p].nnodes; k++) {
			v[total].name = map->parts[p].nodes[k].name;
			v[total].part = p;
			total++;
		}
	qsort(v, total, sizeof(*v), cmp_name_part);
	return v;
}

/* The partition index of node name: the map's, or none (== nmap). */
static size_t part_of(const name_part_t *idx, size_t n, size_t nmap, const char *name)
{
	name_part_t key = { name, 0 };
	const name_part_t *hit = n ? bsearch(&key, idx, n, sizeof(*idx), cmp_name_part) : NULL;

	return hit ? hit->part : nmap;
}

static int add_id(uint32_t **v, size_t *n, uint32_t id)
{
	uint32_t *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -1;
	nv[(*n)++] = id;
	*v = nv;
	return 0;
}

static void add_node(vgpu_pv_part_t *p, const vgpu_pv_node_t *nd)
{
	p->nnodes++;
	p->gpus += nd->gpus;
	p->whole += nd->whole;
	p->sliced += nd->sliced;
	p->slices += nd->slices;
	p->shards_total += nd->shards_total;
	p->shards_used += nd->shards_used;
	if (!nd->up)
		return;
	p->nodes_up++;
	p->free += nd->free;
	if (nd->free == nd->gpus)
		p->nodes_free++;
}

/* Place running multi-node job j: inside one partition, or spanning. */
static int place_job(vgpu_partview_t *pv, const name_part_t *idx, size_t nidx, size_t nmap,
		     const vgpu_pv_job_t *j, vgpu_err_t *err)
{
	char **names = NULL;
	size_t n = 0, k, first;
	int rc = 0, span = 0;

	if (!j->nodes || !*j->nodes)
		return 0;
	if (vgpu_hostlist_expand(j->nodes, &names, &n, err) != 0)
		return vgpu_err_prefix(err, "job %u", (unsigned)j->id);
	if (n > 1) {
		first = part_of(idx, nidx, nmap, names[0]);
		for (k = 1; k < n && !span; k++)
			span = part_of(idx, nidx, nmap, names[k]) != first;
		if (span)
			rc = add_id(&pv->span, &pv->nspan, j->id);
		else
			rc = add_id(&pv->parts[first].jobs, &pv->parts[first].njobs, j->id);
		if (rc != 0)
			vgpu_err_set(err, "out of memory");
	}
	vgpu_hostlist_free(names, n);
	return rc;
}

/* Free GPUs of partition p (nodes with part[i] == p) that waiting job j
 * can use (see the header). */
static unsigned usable(const vgpu_pv_node_t *nodes, size_t nnodes, const size_t *part,
		       size_t p, size_t nmap, const vgpu_pv_job_t *j)
{
	unsigned need = j->gpus_per_node ? j->gpus_per_node : 1;
	unsigned fit = 0, sum = 0;
	size_t i;

	for (i = 0; i < nnodes; i++)
		if (part[i] == p && nodes[i].up && nodes[i].free >= need) {
			fit++;
			sum += nodes[i].free;
		}
	if (j->nnodes > 1 && (p == nmap || fit < j->nnodes))
		return 0;
	return sum;
}

static void fragmentation(vgpu_partview_t *pv, const vgpu_pv_node_t *nodes, size_t nnodes,
			  const size_t *part, size_t nmap, const vgpu_pv_job_t *jobs, size_t njobs)
{
	size_t p, k;

	for (k = 0; k < njobs; k++)
		if (jobs[k].pending && (jobs[k].gpus_per_node || jobs[k].shards_per_node))
			pv->waiting++;
	if (!pv->waiting)
		return;
	for (p = 0; p < pv->nparts; p++) {
		vgpu_pv_part_t *pp = &pv->parts[p];
		double lost = 0;

		for (k = 0; k < njobs; k++) {
			const vgpu_pv_job_t *j = &jobs[k];

			if (!j->pending || !(j->gpus_per_node || j->shards_per_node))
				continue;
			lost += pp->free - usable(nodes, nnodes, part, p, nmap, j);
		}
		pp->frag = lost / pv->waiting;
		pp->frag_known = 1;
		pv->total.frag += pp->frag;
	}
	pv->total.frag_known = 1;
}

int vgpu_partview_build(const vgpu_cliquemap_t *map, const vgpu_pv_node_t *nodes,
			size_t nnodes, const vgpu_pv_job_t *jobs, size_t njobs,
			vgpu_partview_t *pv, vgpu_err_t *err)
{
	size_t nmap = map ? map->nparts : 0, nidx = 0, i, p, *part = NULL;
	name_part_t *idx;
	unsigned *known = NULL;
	int rc = -1;

	memset(pv, 0, sizeof(*pv));
	idx = map_index(map, &nidx);
	if (!idx && nidx)
		return vgpu_err_set(err, "out of memory");
	pv->parts = calloc(nmap + 1, sizeof(*pv->parts));
	part = calloc(nnodes + 1, sizeof(*part));
	known = calloc(nmap + 1, sizeof(*known));
	if (!pv->parts || !part || !known) {
		vgpu_err_set(err, "out of memory");
		goto out;
	}
	pv->nparts = nmap + 1;
	for (p = 0; p < nmap; p++)
		pv->parts[p].part = &map->parts[p];
	for (i = 0; i < nnodes; i++) {
		part[i] = part_of(idx, nidx, nmap, nodes[i].name);
		add_node(&pv->parts[part[i]], &nodes[i]);
		add_node(&pv->total, &nodes[i]);
		known[part[i]]++;
	}
	for (p = 0; p < nmap; p++) {
		vgpu_pv_part_t *pp = &pv->parts[p];

		pp->nmissing = map->parts[p].nnodes > known[p] ? (unsigned)(map->parts[p].nnodes - known[p]) : 0;
		if (pp->nnodes && !pp->nmissing && pp->nodes_free == pp->nnodes)
			pv->parts_free++;
	}
	for (i = 0; i < njobs; i++)
		if (!jobs[i].pending && place_job(pv, idx, nidx, nmap, &jobs[i], err) != 0)
			goto out;
	for (p = 0; p < pv->nparts; p++)
		if (pv->parts[p].njobs > 1)
			qsort(pv->parts[p].jobs, pv->parts[p].njobs, sizeof(uint32_t), cmp_u32);
	if (pv->nspan > 1)
		qsort(pv->span, pv->nspan, sizeof(uint32_t), cmp_u32);
	fragmentation(pv, nodes, nnodes, part, nmap, jobs, njobs);
	/* "none" is kept only when some node is in no partition. */
	if (pv->parts[nmap].nnodes == 0 && pv->parts[nmap].njobs == 0)
		pv->nparts = nmap;
	rc = 0;
out:
	free(idx);
	free(part);
	free(known);
	if (rc != 0)
		vgpu_partview_free(pv);
	return rc;
}

void vgpu_partview_free(vgpu_partview_t *pv)
{
	size_t p;

	if (!pv)
		return;
	/* "none" is dropped from nparts only when it holds no job. */
	for (p = 0; p < pv->nparts && pv->parts; p++)
		free(pv->parts[p].jobs);
	free(pv->parts);
	free(pv->span);
	memset(pv, 0, sizeof(*pv));
}
