/* vgpu_show.c - see vgpu_show.h */
#include "vgpu_show.h"

#include <stdio.h>
#include <string.h>

int vgpu_show_node_init(vgpu_show_node_t *node, const char *name, const char *gres,
			vgpu_err_t *err)
{
	vgpu_slurmgres_t g;
	unsigned i, j, untyped_shards = 0, typed = 0;

	memset(node, 0, sizeof(*node));
	snprintf(node->name, sizeof(node->name), "%s", name ? name : "?");
	if (vgpu_slurmgres_parse(gres, &g, err) != 0)
		return vgpu_err_prefix(err, "node %s", node->name);
	for (i = 0; i < g.nitems; i++) {
		const vgpu_slurmgres_item_t *it = &g.items[i];

		if (strcmp(it->name, "gpu") != 0)
			continue;
		if (it->count > VGPU_SHOW_GPUS_MAX - node->ngpus)
			return vgpu_err_set(err, "node %s: more than %d GPUs in '%s'", node->name,
					    VGPU_SHOW_GPUS_MAX, gres);
		for (j = 0; j < it->count; j++) {
			vgpu_show_gpu_t *gpu = &node->gpus[node->ngpus];

			gpu->index = node->ngpus++;
			snprintf(gpu->type, sizeof(gpu->type), "%s", it->type);
		}
	}
	/* Shards: typed like a gpu item -> those GPUs; untyped -> all, evenly. */
	for (i = 0; i < g.nitems; i++) {
		const vgpu_slurmgres_item_t *it = &g.items[i];
		unsigned n = 0;

		if (strcmp(it->name, "shard") != 0)
			continue;
		if (it->type[0]) {
			for (j = 0; j < node->ngpus; j++)
				n += strcmp(node->gpus[j].type, it->type) == 0;
		}
		if (n == 0) {
			untyped_shards += (unsigned)(it->count > 1000000000u ? 1000000000u : it->count);
			continue;
		}
		typed = 1;
		for (j = 0; j < node->ngpus; j++)
			if (strcmp(node->gpus[j].type, it->type) == 0)
				node->gpus[j].shards_total = (unsigned)(it->count / n);
	}
	if (untyped_shards && node->ngpus && !typed)
		for (j = 0; j < node->ngpus; j++)
			node->gpus[j].shards_total = untyped_shards / node->ngpus;
	return 0;
}

static void add_holder(vgpu_show_gpu_t *gpu, uint32_t job_id, const char *user, int whole,
		       unsigned shards)
{
	vgpu_show_holder_t *h;

	if (whole) {
		gpu->whole = 1;
		shards = gpu->shards_total;
	}
	gpu->shards_used += shards;
	if (gpu->nholders == VGPU_SHOW_HOLDERS_MAX) {
		gpu->nmore++;
		gpu->more_shards += shards;
		return;
	}
	h = &gpu->holders[gpu->nholders++];
	memset(h, 0, sizeof(*h));
	h->job_id = job_id;
	snprintf(h->user, sizeof(h->user), "%s", user ? user : "?");
	h->whole = whole;
	h->shards = shards;
}

/* A count as holder shards: Slurm's counts are far below this cap. */
static unsigned clamp_shards(uint64_t n)
{
	return (unsigned)(n > 1000000000u ? 1000000000u : n);
}

int vgpu_show_node_add_job(vgpu_show_node_t *node, uint32_t job_id, const char *user,
			   const char *detail, vgpu_err_t *err)
{
	vgpu_slurmgres_t g;
	unsigned i, b;

	if (vgpu_slurmgres_parse(detail, &g, err) != 0)
		return vgpu_err_prefix(err, "job %u on node %s", job_id, node->name);
	for (i = 0; i < g.nitems; i++) {
		const vgpu_slurmgres_item_t *it = &g.items[i];
		int whole = strcmp(it->name, "gpu") == 0;
		unsigned each;

		if (!whole && strcmp(it->name, "shard") != 0)
			continue;
		if (it->count == 0)
			continue;
		if (!it->has_idx) {
			node->unplaced++;
			continue;
		}
		for (b = 0; b < VGPU_SLURMGRES_IDX_MAX; b++)
			if ((it->idx_mask >> b & 1) && b >= node->ngpus)
				return vgpu_err_set(err, "job %u on node %s: GRES '%s' names GPU %u, "
						    "the node has %u", job_id, node->name, detail,
						    b, node->ngpus);
		/* Per-GPU counts (23.11 on) are exact; IDX alone (22.05) gives no
		 * split, so several indexes share the count evenly. */
		each = clamp_shards(it->count) / vgpu_slurmgres_idx_count(it->idx_mask);
		for (b = 0; b < node->ngpus; b++)
			if (it->idx_mask >> b & 1)
				add_holder(&node->gpus[b], job_id, user, whole,
					   !whole && it->has_gpu_count ? clamp_shards(it->gpu_count[b])
								       : each);
	}
	return 0;
}

static void finish_gpu(vgpu_show_gpu_t *gpu, const vgpu_conf_t *conf)
{
	const vgpu_gpu_type_t *type = gpu->type[0] ? vgpu_conf_find_type(conf, gpu->type) : NULL;
	vgpu_err_t err;
	unsigned i, want;

	gpu->known = 0;
	if (!type) {
		snprintf(gpu->note, sizeof(gpu->note), "limits unknown: no GpuType '%s' in vgpu.conf",
			 gpu->type[0] ? gpu->type : "(untyped)");
		return;
	}
	want = vgpu_account_gpu_shards(conf, type, &err);
	if (want == 0 || vgpu_account_usable(conf, type, &gpu->mem_usable, &err) != 0) {
		snprintf(gpu->note, sizeof(gpu->note), "limits unknown: %.140s", err.msg);
		return;
	}
	if (want != gpu->shards_total) {
		snprintf(gpu->note, sizeof(gpu->note),
			 "limits unknown: Slurm has %u shards on this GPU, vgpu.conf gives %s %u",
			 gpu->shards_total, type->name, want);
		return;
	}
	gpu->known = 1;
	gpu->mem_reserved = 0;
	gpu->sm_reserved = 0;
	for (i = 0; i < gpu->nholders; i++) {
		vgpu_show_holder_t *h = &gpu->holders[i];

		if (h->whole) {
			h->limits.mem_bytes = gpu->mem_usable;
			h->limits.sm_share = VGPU_SHARE_FULL;
			h->limits.shards = h->shards;
			h->limits_known = 1;
		} else {
			h->limits_known = h->shards > 0 &&
				vgpu_account_limits(conf, type, h->shards, NULL, &h->limits, &err) == 0;
		}
		if (h->limits_known) {
			gpu->mem_reserved += h->limits.mem_bytes;
			gpu->sm_reserved += h->limits.sm_share;
		}
	}
	if (gpu->more_shards) {
		vgpu_limits_t lim;

		if (vgpu_account_limits(conf, type, gpu->more_shards, NULL, &lim, &err) == 0) {
			gpu->mem_reserved += lim.mem_bytes;
			gpu->sm_reserved += lim.sm_share;
		} else {
			gpu->mem_reserved = gpu->mem_usable;
			gpu->sm_reserved = VGPU_SHARE_FULL;
		}
	}
}

void vgpu_show_node_finish(vgpu_show_node_t *node, const vgpu_conf_t *conf)
{
	unsigned i;

	for (i = 0; i < node->ngpus; i++)
		finish_gpu(&node->gpus[i], conf);
}

uint64_t vgpu_show_mem_free(const vgpu_show_gpu_t *gpu)
{
	if (!gpu->known || gpu->mem_reserved >= gpu->mem_usable)
		return 0;
	return gpu->mem_usable - gpu->mem_reserved;
}

unsigned vgpu_show_sm_free(const vgpu_show_gpu_t *gpu)
{
	if (!gpu->known || gpu->sm_reserved >= VGPU_SHARE_FULL)
		return 0;
	return VGPU_SHARE_FULL - gpu->sm_reserved;
}

unsigned vgpu_show_node_job_gpus(const vgpu_show_node_t *node, uint32_t job_id, unsigned *gpus)
{
	unsigned g, i, n = 0;

	for (g = 0; g < node->ngpus; g++)
		for (i = 0; i < node->gpus[g].nholders; i++)
			if (node->gpus[g].holders[i].whole &&
			    node->gpus[g].holders[i].job_id == job_id) {
				gpus[n++] = node->gpus[g].index;
				break;
			}
	return n;
}

/* Links between a and b (0: not joined). */
static int pair_links(const vgpu_gresconf_links_t *l, unsigned a, unsigned b)
{
	int x = l->links[a][b], y = l->links[b][a];

	return x > 0 && y > 0 ? (x < y ? x : y) : 0;
}

/* "0,1,3" into buf from the members of set with group[k] == grp (all when grp < 0). */
static void list_gpus(const vgpu_show_gpuset_t *set, const unsigned *group, int grp, char *buf,
		      size_t len)
{
	size_t o = 0;
	unsigned k;

	buf[0] = '\0';
	for (k = 0; k < set->n; k++) {
		int w;

		if (grp >= 0 && group[k] != (unsigned)grp)
			continue;
		w = snprintf(buf + o, len - o, "%s%u", o ? "," : "", set->gpus[k]);
		if (w < 0 || (size_t)w >= len - o)
			return;
		o += (size_t)w;
	}
}

static void width(const vgpu_show_gpuset_t *set, char *buf, size_t len)
{
	if (set->min_links == set->max_links)
		snprintf(buf, len, "x%d", set->min_links);
	else
		snprintf(buf, len, "x%d-x%d", set->min_links, set->max_links);
}

static void describe_text(vgpu_show_gpuset_t *set, const unsigned *group, const char *why)
{
	char all[VGPU_SHOW_GPUS_MAX * 4], w[32], part[VGPU_SHOW_SET_TEXT_MAX];
	size_t o = 0;
	unsigned g;

	list_gpus(set, group, -1, all, sizeof(all));
	width(set, w, sizeof(w));
	switch (set->nvlink) {
	case VGPU_SHOW_NVLINK_UNKNOWN:
		snprintf(set->text, sizeof(set->text), "GPUs %.200s: links unknown (%.500s)", all, why);
		return;
	case VGPU_SHOW_NVLINK_NONE:
		snprintf(set->text, sizeof(set->text), "GPUs %s: not NVLink-connected (PCIe)", all);
		return;
	case VGPU_SHOW_NVLINK_ALL:
		snprintf(set->text, sizeof(set->text), "GPUs %s: NVLink %s (all pairs)", all, w);
		return;
	case VGPU_SHOW_NVLINK_PART:
		break;
	}
	if (set->groups == 1) {
		snprintf(set->text, sizeof(set->text),
			 "GPUs %s: NVLink %s on %u of %u pairs (the others through a third GPU)",
			 all, w, set->linked, set->pairs);
		return;
	}
	part[0] = '\0';
	for (g = 0; g < set->groups; g++) {
		char members[VGPU_SHOW_GPUS_MAX * 4];
		int n;

		list_gpus(set, group, (int)g, members, sizeof(members));
		n = snprintf(part + o, sizeof(part) - o, "%s%s", g ? " | " : "", members);
		if (n < 0 || (size_t)n >= sizeof(part) - o)
			break;
		o += (size_t)n;
	}
	snprintf(set->text, sizeof(set->text),
		 "GPUs %s: NVLink %s on %u of %u pairs, in %u groups (%s), PCIe between them",
		 all, w, set->linked, set->pairs, set->groups, part);
}

void vgpu_show_gpuset_describe(const vgpu_gresconf_links_t *links, const char *why,
			       unsigned ngpus, const unsigned *gpus, unsigned n,
			       vgpu_show_gpuset_t *out)
{
	unsigned group[VGPU_SHOW_GPUS_MAX];
	char reason[VGPU_GRESCONF_NOTE_MAX];
	unsigned a, b, k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < n && k < VGPU_SHOW_GPUS_MAX; k++)
		out->gpus[out->n++] = gpus[k];
	/* ascending (the sets are small) */
	for (a = 1; a < out->n; a++)
		for (b = a; b > 0 && out->gpus[b - 1] > out->gpus[b]; b--) {
			unsigned t = out->gpus[b];

			out->gpus[b] = out->gpus[b - 1];
			out->gpus[b - 1] = t;
		}
	out->pairs = out->n * (out->n - (out->n > 0)) / 2;
	snprintf(reason, sizeof(reason), "%s", why && why[0] ? why : "no links given");
	if (links && links->known && links->ngpus != ngpus)
		snprintf(reason, sizeof(reason), "gres.conf gives the node %u GPUs, Slurm %u",
			 links->ngpus, ngpus);
	else if (links && !links->known)
		snprintf(reason, sizeof(reason), "%s", links->note);
	for (k = 0; k < out->n; k++) {
		group[k] = k;
		if (out->gpus[k] >= ngpus && links && links->known && links->ngpus == ngpus)
			snprintf(reason, sizeof(reason), "GPU %u: the node has %u", out->gpus[k], ngpus);
	}
	if (out->n < 2)
		snprintf(reason, sizeof(reason), "fewer than two GPUs");
	if (out->n < 2 || !links || !links->known || links->ngpus != ngpus ||
	    out->gpus[out->n - 1] >= ngpus) {
		out->nvlink = VGPU_SHOW_NVLINK_UNKNOWN;
		describe_text(out, group, reason);
		return;
	}
	for (a = 0; a < out->n; a++)
		for (b = a + 1; b < out->n; b++) {
			int l = pair_links(links, out->gpus[a], out->gpus[b]);

			if (l <= 0)
				continue;
			out->linked++;
			if (out->min_links == 0 || l < out->min_links)
				out->min_links = l;
			if (l > out->max_links)
				out->max_links = l;
			/* join the groups of a and b */
			if (group[a] != group[b]) {
				unsigned from = group[b], to = group[a];

				for (k = 0; k < out->n; k++)
					if (group[k] == from)
						group[k] = to;
			}
		}
	/* renumber groups 0.. in order of first member */
	{
		unsigned map[VGPU_SHOW_GPUS_MAX], used[VGPU_SHOW_GPUS_MAX] = { 0 };

		for (k = 0; k < out->n; k++) {
			if (!used[group[k]]) {
				used[group[k]] = 1;
				map[group[k]] = out->groups++;
			}
			group[k] = map[group[k]];
		}
	}
	if (out->linked == 0)
		out->nvlink = VGPU_SHOW_NVLINK_NONE;
	else if (out->linked == out->pairs)
		out->nvlink = VGPU_SHOW_NVLINK_ALL;
	else
		out->nvlink = VGPU_SHOW_NVLINK_PART;
	describe_text(out, group, reason);
}
