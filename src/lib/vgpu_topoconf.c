/*
 * vgpu_topoconf.c - Slurm topology and partition configuration from the
 * clique map (vgpu_topoconf.h; the measurements behind it: doc/nvlink.md).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vgpu_hostlist.h"
#include "vgpu_topoconf.h"

int vgpu_topoconf_release_parse(const char *text, unsigned *rel, vgpu_err_t *err)
{
	char q[80];
	unsigned maj, min;
	int n = 0;
	const char *p = text ? text : "";

	if (sscanf(p, "%2u.%2u%n", &maj, &min, &n) != 2 || n != 5 || p[2] != '.' ||
	    (p[n] != '\0' && p[n] != '.') || min > 12) {
		return vgpu_err_set(err, "Slurm release '%s': expected MAJOR.MINOR as Slurm numbers "
				    "its releases (22.05, 24.11, 26.05)",
				    vgpu_err_quote(q, sizeof(q), p, 32));
	}
	if (maj * 100 + min < VGPU_TOPO_REL_MIN)
		return vgpu_err_set(err, "Slurm release '%s': older than 22.05, the oldest "
				    "slurm-vgpu supports", vgpu_err_quote(q, sizeof(q), p, 32));
	*rel = maj * 100 + min;
	return 0;
}

const char *vgpu_topoconf_feature(const vgpu_cliquemap_t *map, const char *node)
{
	size_t i, k;

	if (!map || !node)
		return NULL;
	for (i = 0; i < map->nparts; i++)
		for (k = 0; k < map->parts[i].nnodes; k++)
			if (strcmp(map->parts[i].nodes[k].name, node) == 0)
				return map->parts[i].name;
	return NULL;
}

/* ---- topology/block layout ---- */

static unsigned gcd(unsigned a, unsigned b)
{
	while (b) {
		unsigned t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int is_pow2(size_t v)
{
	return v && !(v & (v - 1));
}

/* The levels Slurm keeps of levels[] (ascending): it stops after the first
 * whose size reaches the number of base blocks. */
static unsigned truncate_levels(const unsigned *levels, unsigned nlevels, size_t nbblocks)
{
	unsigned k;

	for (k = 0; k < nlevels; k++)
		if (((size_t)1 << levels[k]) >= nbblocks)
			return k + 1;
	return nlevels;
}

int vgpu_topoconf_block_clean(const size_t *owner, size_t nbblocks, const unsigned *levels,
			      unsigned nlevels)
{
	unsigned k;
	size_t i, j;

	nlevels = truncate_levels(levels, nlevels, nbblocks);
	for (k = 1; k < nlevels; k++) {
		size_t size = (size_t)1 << levels[k], prev = (size_t)1 << levels[k - 1];

		for (i = 0; i < nbblocks; i += size) {
			size_t rem = nbblocks - i;

			if (size > rem && prev >= rem)
				continue;       /* Slurm makes no aggregated block here */
			for (j = i + 1; j < i + size && j < nbblocks; j++)
				if (owner[j] != owner[i])
					return 0;
		}
	}
	return 1;
}

/* Largest level-block (in base blocks) Slurm has at level index k. */
static size_t level_block_max(size_t nbblocks, const unsigned *levels, unsigned k)
{
	size_t size, prev, i, best = 0;

	if (k == 0)
		return 1;
	size = (size_t)1 << levels[k];
	prev = (size_t)1 << levels[k - 1];
	for (i = 0; i < nbblocks; i += size) {
		size_t rem = nbblocks - i;

		if (size > rem && prev >= rem)
			continue;
		if ((size < rem ? size : rem) > best)
			best = size < rem ? size : rem;
	}
	return best;
}

/* Largest n such that every job of 1..n nodes (up to largest) runs in one
 * partition: its level exists and has a block that holds it. */
static unsigned contained_up_to(size_t nbblocks, unsigned base, const unsigned *levels,
				unsigned nlevels, unsigned largest, size_t nparts)
{
	unsigned n, k;

	nlevels = truncate_levels(levels, nlevels, nbblocks);
	for (n = 1; n <= largest; n++) {
		size_t need = (n + base - 1) / base;
		unsigned j0 = 0;

		while (((size_t)1 << j0) < need)
			j0++;
		for (k = 0; k < nlevels && levels[k] < j0; k++)
			;
		if (k == nlevels) {
			if (nparts == 1)
				continue;       /* the whole cluster is one partition */
			return n - 1;
		}
		if (level_block_max(nbblocks, levels, k) * base < n)
			return n - 1;
	}
	return largest;
}

typedef struct {
	const vgpu_cliquemap_t *map;
	int pow2_first;
} order_ctx_t;

static const order_ctx_t *sort_ctx; /* qsort has no context argument */

static int cmp_order(const void *a, const void *b)
{
	const vgpu_cm_partition_t *pa = &sort_ctx->map->parts[*(const size_t *)a];
	const vgpu_cm_partition_t *pb = &sort_ctx->map->parts[*(const size_t *)b];

	if (sort_ctx->pow2_first && is_pow2(pa->nnodes) != is_pow2(pb->nnodes))
		return is_pow2(pa->nnodes) ? -1 : 1;
	if (pa->nnodes != pb->nnodes)
		return pa->nnodes > pb->nnodes ? -1 : 1;
	return strcmp(pa->name, pb->name);
}

void vgpu_topoconf_block_plan_free(vgpu_topo_block_plan_t *plan)
{
	if (!plan)
		return;
	free(plan->order);
	memset(plan, 0, sizeof(*plan));
}

/* Owner of every base block for the order given (owner has nbblocks). */
static void fill_owner(const vgpu_cliquemap_t *map, const size_t *order, size_t n, unsigned base,
		       size_t *owner)
{
	size_t i, k, o = 0;

	for (i = 0; i < n; i++)
		for (k = 0; k < map->parts[order[i]].nnodes / base; k++)
			owner[o++] = order[i];
}

int vgpu_topoconf_block_plan(const vgpu_cliquemap_t *map, vgpu_topo_block_plan_t *plan,
			     vgpu_err_t *err)
{
	size_t *order[2] = { NULL, NULL }, *owner = NULL, i, n = 0, maxm;
	unsigned base = 0, largest = 0, lmax = 0, best_contained = 0, best_n = 0;
	unsigned best_levels[VGPU_TOPO_LEVELS_MAX];
	int cand, best_cand = -1, rc = -1;
	unsigned long mask, nmask;

	memset(plan, 0, sizeof(*plan));
	for (i = 0; i < map->nparts; i++) {
		if (!map->parts[i].nnodes)
			continue;
		base = gcd(base, (unsigned)map->parts[i].nnodes);
		if (map->parts[i].nnodes > largest)
			largest = (unsigned)map->parts[i].nnodes;
		n++;
	}
	if (!n)
		return vgpu_err_set(err, "the clique map has no partition with nodes: no topology to write");
	for (cand = 0; cand < 2; cand++) {
		order_ctx_t ctx = { map, cand };
		size_t o = 0;

		order[cand] = malloc(n * sizeof(size_t));
		if (!order[cand])
			goto oom;
		for (i = 0; i < map->nparts; i++)
			if (map->parts[i].nnodes)
				order[cand][o++] = i;
		sort_ctx = &ctx;
		qsort(order[cand], n, sizeof(size_t), cmp_order);
		sort_ctx = NULL;
	}
	for (i = 0; i < map->nparts; i++)
		plan->nbblocks += map->parts[i].nnodes / base;
	owner = malloc(plan->nbblocks * sizeof(size_t));
	if (!owner)
		goto oom;
	maxm = largest / base;
	while (((size_t)1 << lmax) < maxm && lmax < VGPU_TOPO_LEVELS_MAX - 1)
		lmax++;
	/* Every subset of levels 1..lmax beside level 0 (few: partitions of 72
	 * nodes give 128); more than 10 levels: prefixes only. */
	nmask = lmax <= 10 ? 1ul << lmax : (unsigned long)lmax + 1;
	for (cand = 0; cand < 2; cand++) {
		fill_owner(map, order[cand], n, base, owner);
		for (mask = 0; mask < nmask; mask++) {
			unsigned levels[VGPU_TOPO_LEVELS_MAX], nl = 0, l, c;
			unsigned long bits = lmax <= 10 ? mask : (1ul << mask) - 1;

			levels[nl++] = 0;
			for (l = 1; l <= lmax; l++)
				if (bits & (1ul << (l - 1)))
					levels[nl++] = l;
			nl = truncate_levels(levels, nl, plan->nbblocks);
			if (!vgpu_topoconf_block_clean(owner, plan->nbblocks, levels, nl))
				continue;
			c = contained_up_to(plan->nbblocks, base, levels, nl, largest, n);
			if (best_cand < 0 || c > best_contained ||
			    (c == best_contained && nl > best_n)) {
				best_cand = cand;
				best_contained = c;
				best_n = nl;
				memcpy(best_levels, levels, nl * sizeof(unsigned));
			}
		}
	}
	plan->base = base;
	plan->nparts = n;
	plan->order = order[best_cand];
	order[best_cand] = NULL;
	plan->nlevels = best_n;
	for (i = 0; i < best_n; i++)
		plan->sizes[i] = base << best_levels[i];
	plan->contained = best_contained;
	plan->largest = largest;
	rc = 0;
	goto out;
oom:
	vgpu_err_set(err, "out of memory laying out %zu partitions", n);
out:
	free(order[0]);
	free(order[1]);
	free(owner);
	return rc;
}

/* ---- writers ---- */

/* Hostlist of nodes [from, from + count) of partition p (malloc'ed). */
static char *part_hosts(const vgpu_cm_partition_t *p, size_t from, size_t count)
{
	const char **names = malloc((count ? count : 1) * sizeof(*names));
	char *hl;
	size_t i;

	if (!names)
		return NULL;
	for (i = 0; i < count; i++)
		names[i] = p->nodes[from + i].name;
	hl = vgpu_hostlist_compress(names, count);
	free(names);
	return hl;
}

/* Writes into an in-memory stream first so a failure writes nothing. */
typedef struct {
	char *text;
	size_t len;
	FILE *mem;
} membuf_t;

static int mem_open(membuf_t *m, vgpu_err_t *err)
{
	m->text = NULL;
	m->len = 0;
	m->mem = open_memstream(&m->text, &m->len);
	return m->mem ? 0 : vgpu_err_set(err, "out of memory");
}

static int mem_close(membuf_t *m, FILE *out, int ok, vgpu_err_t *err)
{
	int rc = -1;

	if (fclose(m->mem) != 0 && ok)
		ok = 0, vgpu_err_set(err, "out of memory");
	if (ok && (fwrite(m->text, 1, m->len, out) != m->len || fflush(out) != 0))
		vgpu_err_set(err, "cannot write the output");
	else if (ok)
		rc = 0;
	free(m->text);
	return rc;
}

static int write_others(FILE *f, const char *const *others, size_t nothers, const char *what)
{
	char *hl;

	if (!nothers)
		return 0;
	hl = vgpu_hostlist_compress(others, nothers);
	if (!hl)
		return -1;
	fprintf(f, "# Outside every NVLink partition: %s (%s).\n", hl, what);
	free(hl);
	return 0;
}

static void domain_name(const unsigned char uuid[16], char *buf, size_t len)
{
	snprintf(buf, len, "domain-%02x%02x%02x%02x", uuid[0], uuid[1], uuid[2], uuid[3]);
}

static int write_tree(FILE *f, const vgpu_cliquemap_t *map, const char *const *others,
		      size_t nothers)
{
	size_t i, j, ntop = 0;
	char dom[32];
	char *hl;

	fprintf(f, "# topology/tree: one leaf switch per NVLink partition, one switch per NVLink\n"
		"# domain above its leaves and, where there are several, a root above those\n"
		"# (without one switch reaching every node slurmctld warns and looks for a\n"
		"# job's nodes under one top switch only). Containment needs --switches=1\n"
		"# (job_submit/vgpu adds it) and SchedulerParameters=max_switch_wait=%u;\n"
		"# cons_tres best-fits the leaves.\n",
		VGPU_TOPO_SWITCH_WAIT);
	for (i = 0; i < map->nparts; i++) {
		const vgpu_cm_partition_t *p = &map->parts[i];

		if (!p->nnodes)
			continue;
		if (!(hl = part_hosts(p, 0, p->nnodes)))
			return -1;
		fprintf(f, "SwitchName=%s Nodes=%s\n", p->name, hl);
		free(hl);
	}
	/* One switch per domain, in the order of its first partition. */
	for (i = 0; i < map->nparts; i++) {
		int seen = 0;

		if (!map->parts[i].nnodes)
			continue;
		for (j = 0; j < i; j++)
			if (map->parts[j].nnodes &&
			    memcmp(map->parts[j].cluster_uuid, map->parts[i].cluster_uuid, 16) == 0)
				seen = 1;
		if (seen)
			continue;
		domain_name(map->parts[i].cluster_uuid, dom, sizeof(dom));
		ntop++;
		fprintf(f, "SwitchName=%s Switches=%s", dom, map->parts[i].name);
		for (j = i + 1; j < map->nparts; j++)
			if (map->parts[j].nnodes &&
			    memcmp(map->parts[j].cluster_uuid, map->parts[i].cluster_uuid, 16) == 0)
				fprintf(f, ",%s", map->parts[j].name);
		fprintf(f, "\n");
	}
	if (nothers) {
		if (!(hl = vgpu_hostlist_compress(others, nothers)))
			return -1;
		fprintf(f, "# Nodes outside every NVLink partition: a switch of their own.\n"
			"SwitchName=nofabric Nodes=%s\n", hl);
		free(hl);
	}
	/* The root: above every domain switch (and nofabric) when there is more than one. */
	if (ntop + (nothers ? 1 : 0) > 1) {
		const char *sep = "";

		fprintf(f, "SwitchName=root Switches=");
		for (i = 0; i < map->nparts; i++) {
			int seen = 0;

			if (!map->parts[i].nnodes)
				continue;
			for (j = 0; j < i; j++)
				if (map->parts[j].nnodes &&
				    memcmp(map->parts[j].cluster_uuid, map->parts[i].cluster_uuid, 16) == 0)
					seen = 1;
			if (seen)
				continue;
			domain_name(map->parts[i].cluster_uuid, dom, sizeof(dom));
			fprintf(f, "%s%s", sep, dom);
			sep = ",";
		}
		fprintf(f, "%s\n", nothers ? (*sep ? ",nofabric" : "nofabric") : "");
	}
	return 0;
}

static int write_block(FILE *f, const vgpu_cliquemap_t *map, const vgpu_topo_block_plan_t *plan,
		       int yaml)
{
	size_t i, k;
	unsigned l;
	char *hl;

	for (i = 0; i < plan->nparts; i++) {
		const vgpu_cm_partition_t *p = &map->parts[plan->order[i]];
		size_t nb = p->nnodes / plan->base;

		for (k = 0; k < nb; k++) {
			if (!(hl = part_hosts(p, k * plan->base, plan->base)))
				return -1;
			if (yaml && nb == 1)
				fprintf(f, "      - block: %s\n        nodes: %s\n", p->name, hl);
			else if (yaml)
				fprintf(f, "      - block: %s.%zu\n        nodes: %s\n", p->name, k, hl);
			else if (nb == 1)
				fprintf(f, "BlockName=%s Nodes=%s\n", p->name, hl);
			else
				fprintf(f, "BlockName=%s.%zu Nodes=%s\n", p->name, k, hl);
			free(hl);
		}
	}
	if (yaml)
		return 0;
	fprintf(f, "BlockSizes=");
	for (l = 0; l < plan->nlevels; l++)
		fprintf(f, "%s%u", l ? "," : "", plan->sizes[l]);
	fprintf(f, "\n");
	return 0;
}

static void block_comment(FILE *f, const vgpu_topo_block_plan_t *plan)
{
	fprintf(f, "# topology/block: each NVLink partition cut into base blocks of %u node%s,\n"
		"# laid out so that no aggregated block joins two partitions.\n",
		plan->base, plan->base == 1 ? "" : "s");
	if (plan->contained >= plan->largest)
		fprintf(f, "# Every job of up to %u nodes (the largest partition) stays inside one\n"
			"# partition; larger jobs are refused at submit by job_submit/vgpu.\n",
			plan->largest);
	else
		fprintf(f, "# Slurm keeps jobs of up to %u node%s inside one partition; jobs of %u to %u\n"
			"# nodes could span two (no block level fits these partition sizes): the\n"
			"# partition constraint of job_submit/vgpu keeps them in one.\n",
			plan->contained, plan->contained == 1 ? "" : "s", plan->contained + 1,
			plan->largest);
}

int vgpu_topoconf_write_topology(FILE *out, const vgpu_cliquemap_t *map, unsigned rel,
				 const char *const *others, size_t nothers, vgpu_err_t *err)
{
	vgpu_topo_block_plan_t plan;
	membuf_t m;
	int ok;

	if (rel < VGPU_TOPO_REL_BLOCK) {
		if (mem_open(&m, err) != 0)
			return -1;
		fprintf(m.mem, "# topology.conf for Slurm %u.%02u, from the clique map (vgpu conf).\n",
			rel / 100, rel % 100);
		ok = write_tree(m.mem, map, others, nothers) == 0;
		if (!ok)
			vgpu_err_set(err, "out of memory");
		return mem_close(&m, out, ok, err);
	}
	if (vgpu_topoconf_block_plan(map, &plan, err) != 0)
		return -1;
	if (mem_open(&m, err) != 0) {
		vgpu_topoconf_block_plan_free(&plan);
		return -1;
	}
	fprintf(m.mem, "# topology.conf for Slurm %u.%02u, from the clique map (vgpu conf).\n",
		rel / 100, rel % 100);
	block_comment(m.mem, &plan);
	ok = write_others(m.mem, others, nothers, "topology/block places no job there: "
			  "drain them or mend their fabric") == 0 &&
	     write_block(m.mem, map, &plan, 0) == 0;
	if (!ok)
		vgpu_err_set(err, "out of memory");
	vgpu_topoconf_block_plan_free(&plan);
	return mem_close(&m, out, ok, err);
}

int vgpu_topoconf_write_yaml(FILE *out, const vgpu_cliquemap_t *map, unsigned rel,
			     vgpu_err_t *err)
{
	vgpu_topo_block_plan_t plan;
	membuf_t m;
	unsigned l;
	int ok;

	if (rel < VGPU_TOPO_REL_YAML)
		return vgpu_err_set(err, "--topology-yaml: Slurm %u.%02u reads no topology.yaml "
				    "(25.05 and later do); use topology.conf", rel / 100, rel % 100);
	if (vgpu_topoconf_block_plan(map, &plan, err) != 0)
		return -1;
	if (mem_open(&m, err) != 0) {
		vgpu_topoconf_block_plan_free(&plan);
		return -1;
	}
	fprintf(m.mem, "# topology.yaml for Slurm %u.%02u, from the clique map (vgpu conf).\n"
		"# When this file exists Slurm ignores topology.conf.\n", rel / 100, rel % 100);
	block_comment(m.mem, &plan);
	fprintf(m.mem, "# Topology \"flat\": for a Slurm partition of nodes outside the NVLink\n"
		"# partitions (PartitionName=... Topology=flat), which topology/block cannot use.\n");
	fprintf(m.mem, "---\n- topology: nvlink\n  cluster_default: true\n  block:\n"
		"    block_sizes:\n");
	for (l = 0; l < plan.nlevels; l++)
		fprintf(m.mem, "      - %u\n", plan.sizes[l]);
	fprintf(m.mem, "    blocks:\n");
	ok = write_block(m.mem, map, &plan, 1) == 0;
	fprintf(m.mem, "- topology: flat\n  cluster_default: false\n  flat: true\n");
	if (!ok)
		vgpu_err_set(err, "out of memory");
	vgpu_topoconf_block_plan_free(&plan);
	return mem_close(&m, out, ok, err);
}

int vgpu_topoconf_write_partitions(FILE *out, const vgpu_cliquemap_t *map, vgpu_err_t *err)
{
	membuf_t m;
	size_t i;
	int ok = 1;

	if (mem_open(&m, err) != 0)
		return -1;
	fprintf(m.mem, "# One Slurm partition per NVLink partition (sinfo -p NAME shows it).\n");
	for (i = 0; i < map->nparts && ok; i++) {
		const vgpu_cm_partition_t *p = &map->parts[i];
		char *hl;

		if (!p->nnodes)
			continue;
		if (!(hl = part_hosts(p, 0, p->nnodes))) {
			ok = 0;
			vgpu_err_set(err, "out of memory");
			break;
		}
		fprintf(m.mem, "PartitionName=%s Nodes=%s MaxTime=INFINITE State=UP\n", p->name, hl);
		free(hl);
	}
	return mem_close(&m, out, ok, err);
}

int vgpu_topoconf_write_slurmconf(FILE *out, const vgpu_cliquemap_t *map, unsigned rel,
				  unsigned imex_channels, const char *libexecdir, vgpu_err_t *err)
{
	membuf_t m;

	(void)map;
	if (mem_open(&m, err) != 0)
		return -1;
	fprintf(m.mem, "# slurm.conf settings for NVLink partitions, Slurm %u.%02u (vgpu conf).\n",
		rel / 100, rel % 100);
	if (rel < VGPU_TOPO_REL_BLOCK) {
		fprintf(m.mem, "TopologyPlugin=topology/tree\n"
			"# Merge into the site's SchedulerParameters line (Slurm keeps only the last):\n"
			"# --switches=1@365-0 (added by job_submit/vgpu) then waits for one leaf.\n"
			"SchedulerParameters=max_switch_wait=%u\n", VGPU_TOPO_SWITCH_WAIT);
	} else {
		fprintf(m.mem, "TopologyPlugin=topology/block\n");
		if (rel >= VGPU_TOPO_REL_YAML)
			fprintf(m.mem, "# With topology.yaml beside slurm.conf, Slurm reads it instead "
				"of topology.conf.\n");
	}
	if (imex_channels) {
		if (rel < VGPU_TOPO_REL_IMEX) {
			fprintf(m.mem, "# IMEX: Slurm %u.%02u has no switch/nvidia_imex (24.05+): no IMEX "
				"channel per job.\n# The IMEX daemon per job (the prolog/epilog below) "
				"still works; channels\n# are the site's (doc/imex.md).\n",
				rel / 100, rel % 100);
		} else {
			fprintf(m.mem, "SwitchType=switch/nvidia_imex\n"
				"SwitchParameters=imex_channel_count=%u\n", imex_channels);
		}
		fprintf(m.mem, "# The IMEX daemon of each job: its nodes_config.cfg, start and stop\n"
			"# (doc/imex.md). Alloc: the prolog runs on every node of the job when it\n"
			"# starts, not only where a step starts; the timeout above the prolog's\n"
			"# ReadyTimeout + StopTimeout (vgpu-imex.conf, 60 + 10 s by default).\n"
			"Prolog=%s/vgpu-imex-prolog\nEpilog=%s/vgpu-imex-epilog\n"
			"PrologFlags=Alloc\nPrologEpilogTimeout=120\n",
			libexecdir, libexecdir);
	}
	return mem_close(&m, out, 1, err);
}

int vgpu_topoconf_links(const vgpu_inventory_t *inv, const size_t *order, size_t n, size_t gpu,
			char *buf, size_t len)
{
	size_t k, l, o = 0;
	int any = 0;

	if (!len)
		return -1;
	buf[0] = '\0';
	for (k = 0; k < n && !any; k++)
		for (l = 0; l < inv->gpus[order[k]].nlinks; l++) {
			int peer = inv->gpus[order[k]].links[l].peer;
			size_t j;

			for (j = 0; j < n; j++)
				if (peer >= 0 && (size_t)peer == order[j] && order[j] != order[k])
					any = 1;
		}
	if (!any)
		return 0;
	for (k = 0; k < n; k++) {
		long cnt = 0;
		int w;

		if (order[k] == gpu) {
			cnt = -1;
		} else {
			for (l = 0; l < inv->gpus[gpu].nlinks; l++)
				if (inv->gpus[gpu].links[l].peer >= 0 &&
				    (size_t)inv->gpus[gpu].links[l].peer == order[k])
					cnt += inv->gpus[gpu].links[l].links;
		}
		w = snprintf(buf + o, len - o, "%s%ld", k ? "," : "", cnt);
		if (w < 0 || (size_t)w >= len - o) {
			buf[0] = '\0';
			return -1;
		}
		o += (size_t)w;
	}
	return 0;
}
