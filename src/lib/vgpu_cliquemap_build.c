/*
 * vgpu_cliquemap_build.c - the clique map from nodes' inventories, the map
 * as JSON, and slurm.conf's node names (vgpu_cliquemap.h).
 *
 * Rules (../shared/notes/nvlink-imex.md, doc/cliquemap.md): a node is in
 * the NVLink partition (cluster UUID, clique id) its GPUs report when it
 * has GPUs, every one is fabric attached (state COMPLETED, status success,
 * non-zero UUID), all agree on the pair, and none reports bad fabric
 * health; otherwise it is excluded with the first reason found.
 *
 * Names: "nvl-" + the first 8 hex digits of the cluster UUID (more when two
 * domains of the map share them) + "-" + the clique id, e.g.
 * "nvl-5e1d0a2c-3". They come from the identity alone, so a rebuild after
 * one node lost its fabric renames nothing; two domains that reuse a clique
 * id give two partitions, told apart by their UUID digits.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vgpu_cliquemap.h"
#include "vgpu_hostlist.h"

/* NVML's healthMask: 2-bit fields at these shifts, 1 = TRUE (the problem
 * is there), 2 = FALSE, 0 = not supported; then a 4-bit "incorrect
 * configuration" field at 8 (0 not supported, 1 none, more: a problem). */
static const struct {
	unsigned shift;
	const char *what;
} health_fields[] = {
	{ 0, "degraded bandwidth" },
	{ 2, "route recovery in progress" },
	{ 4, "route unhealthy" },
	{ 6, "access timeout recovery" },
};

/* Why the GPU's fabric health is not clean, or NULL. */
static const char *bad_health(const vgpu_fabric_t *f, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(health_fields) / sizeof(health_fields[0]); i++)
		if (((f->health_mask >> health_fields[i].shift) & 3u) == 1u) {
			snprintf(buf, len, "fabric health mask 0x%x: %s", (unsigned)f->health_mask,
				 health_fields[i].what);
			return buf;
		}
	if (((f->health_mask >> 8) & 0xfu) >= 2u) {
		snprintf(buf, len, "fabric health mask 0x%x: incorrect configuration (code %u)",
			 (unsigned)f->health_mask, (unsigned)((f->health_mask >> 8) & 0xfu));
		return buf;
	}
	if (f->health_summary == VGPU_FABRIC_HEALTH_UNHEALTHY ||
	    f->health_summary == VGPU_FABRIC_HEALTH_LIMITED_CAPACITY) {
		snprintf(buf, len, "fabric health summary %s",
			 vgpu_inventory_fabric_health_name(f->health_summary));
		return buf;
	}
	return NULL;
}

/* Decide for one node: 0 with its identity, or -1 with why not. */
static int node_identity(const vgpu_inventory_t *inv, unsigned char uuid[16], uint32_t *clique,
			 char *why, size_t len)
{
	char u0[40], u1[40], hb[128];

	if (inv->ngpus == 0)
		return snprintf(why, len, "its inventory has no GPUs"), -1;
	for (size_t i = 0; i < inv->ngpus; i++) {
		const vgpu_gpu_t *g = &inv->gpus[i];
		const vgpu_fabric_t *f = &g->fabric;

		if (f->state != VGPU_FABRIC_COMPLETED)
			return snprintf(why, len, "GPU %u (%s) fabric state is %s, not completed", g->index,
					g->bus_id, vgpu_inventory_fabric_state_name(f->state)), -1;
		if (f->status != 0)
			return snprintf(why, len, "GPU %u (%s) fabric status is %u, not success", g->index,
					g->bus_id, (unsigned)f->status), -1;
		if (!vgpu_inventory_fabric_attached(f))
			return snprintf(why, len, "GPU %u (%s) reports an all-zero cluster UUID (in no NVLink "
					"domain)", g->index, g->bus_id), -1;
		if (bad_health(f, hb, sizeof(hb)))
			return snprintf(why, len, "GPU %u (%s) %s", g->index, g->bus_id, hb), -1;
		if (i > 0 && (memcmp(f->cluster_uuid, inv->gpus[0].fabric.cluster_uuid, 16) != 0 ||
			      f->clique_id != inv->gpus[0].fabric.clique_id))
			return snprintf(why, len, "its GPUs disagree: GPU %u is in %s.%u, GPU %u in %s.%u "
					"(all GPUs of a node are in one NVLink partition)",
					inv->gpus[0].index,
					vgpu_inventory_uuid_format(inv->gpus[0].fabric.cluster_uuid, u0, sizeof(u0)),
					(unsigned)inv->gpus[0].fabric.clique_id, g->index,
					vgpu_inventory_uuid_format(f->cluster_uuid, u1, sizeof(u1)),
					(unsigned)f->clique_id), -1;
	}
	memcpy(uuid, inv->gpus[0].fabric.cluster_uuid, 16);
	*clique = inv->gpus[0].fabric.clique_id;
	return 0;
}

/* Host names in natural order: prefix, then the number after it, then
 * the text ("n2" < "n10", "n01" after "n1"). */
static int natural_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), pa = la, pb = lb;
	int r;

	while (pa > 0 && isdigit((unsigned char)a[pa - 1]))
		pa--;
	while (pb > 0 && isdigit((unsigned char)b[pb - 1]))
		pb--;
	if (pa == pb && strncmp(a, b, pa) == 0 && la > pa && lb > pb) {
		size_t za = pa, zb = pb;

		while (za < la - 1 && a[za] == '0')
			za++;
		while (zb < lb - 1 && b[zb] == '0')
			zb++;
		if (la - za != lb - zb)
			return la - za < lb - zb ? -1 : 1;
		if ((r = strcmp(a + za, b + zb)) != 0)
			return r;
	}
	return strcmp(a, b);
}

typedef struct entry {
	const vgpu_inventory_t *inv;
	int ok;
	unsigned char uuid[16];
	uint32_t clique;
} entry_t;

static int entry_cmp(const void *x, const void *y)
{
	const entry_t *a = x, *b = y;
	int r;

	if (a->ok != b->ok)
		return a->ok ? -1 : 1;
	if (a->ok) {
		if ((r = memcmp(a->uuid, b->uuid, 16)) != 0)
			return r;
		if (a->clique != b->clique)
			return a->clique < b->clique ? -1 : 1;
	}
	return natural_cmp(a->inv->hostname, b->inv->hostname);
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(((const vgpu_cm_partition_t *)x)->name, ((const vgpu_cm_partition_t *)y)->name);
}

/* Hex digits of the UUID that tell its domain from every other in the map
 * (8 at least). */
static unsigned tag_digits(const entry_t *e, size_t n, const unsigned char *uuid)
{
	unsigned digits = 8;

	for (size_t i = 0; i < n; i++) {
		unsigned same = 0;

		if (!e[i].ok || memcmp(e[i].uuid, uuid, 16) == 0)
			continue;
		while (same < 32 && ((e[i].uuid[same / 2] >> (same % 2 ? 0 : 4)) & 0xf) ==
					    ((uuid[same / 2] >> (same % 2 ? 0 : 4)) & 0xf))
			same++;
		if (same + 1 > digits)
			digits = same + 1;
	}
	return digits > 32 ? 32 : digits;
}

static int host_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* -1 (with err) when two inventories have one host name. */
static int dup_host(const vgpu_inventory_t *invs, size_t n, vgpu_err_t *err)
{
	const char **h = malloc((n + 1) * sizeof(*h));
	int rc = 0;

	if (!h)
		return vgpu_err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++)
		h[i] = invs[i].hostname;
	qsort(h, n, sizeof(*h), host_cmp);
	for (size_t i = 1; i < n && rc == 0; i++)
		if (strcmp(h[i], h[i - 1]) == 0)
			rc = vgpu_err_set(err, "two inventories are of node %s: give each node's once", h[i]);
	free(h);
	return rc;
}

int vgpu_cliquemap_build(const vgpu_inventory_t *invs, size_t ninv, vgpu_cliquemap_t *map,
			 vgpu_err_t *err)
{
	entry_t *e;
	size_t nok = 0;
	int rc = -1;

	memset(map, 0, sizeof(*map));
	map->major = VGPU_CLIQUEMAP_MAJOR;
	map->minor = VGPU_CLIQUEMAP_MINOR;
	if (!(e = calloc(ninv + 1, sizeof(*e))))
		return vgpu_err_set(err, "out of memory");
	if (!(map->excluded = calloc(ninv + 1, sizeof(*map->excluded))) ||
	    !(map->parts = calloc(ninv + 1, sizeof(*map->parts)))) {
		vgpu_err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ninv; i++) {
		char why[VGPU_CM_REASON_MAX];

		e[i].inv = &invs[i];
		if (!invs[i].hostname[0] || strpbrk(invs[i].hostname, "[],; \t\n")) {
			vgpu_err_set(err, "inventory %zu: host name '%.64s' is not a Slurm node name", i + 1,
				     invs[i].hostname);
			goto out;
		}
		e[i].ok = node_identity(&invs[i], e[i].uuid, &e[i].clique, why, sizeof(why)) == 0;
		if (!e[i].ok) {
			vgpu_cm_excluded_t *x = &map->excluded[map->nexcluded++];

			snprintf(x->name, sizeof(x->name), "%s", invs[i].hostname);
			snprintf(x->reason, sizeof(x->reason), "%s", why);
		}
		nok += (size_t)e[i].ok;
	}
	qsort(e, ninv, sizeof(*e), entry_cmp);
	if (dup_host(invs, ninv, err) < 0)
		goto out;
	for (size_t i = 0; i < nok;) {
		size_t j = i;
		vgpu_cm_partition_t *p = &map->parts[map->nparts++];
		char hex[33];

		while (j < nok && memcmp(e[j].uuid, e[i].uuid, 16) == 0 && e[j].clique == e[i].clique)
			j++;
		for (unsigned k = 0; k < 16; k++)
			snprintf(hex + 2 * k, 3, "%02x", e[i].uuid[k]);
		snprintf(p->name, sizeof(p->name), "nvl-%.*s-%u", (int)tag_digits(e, nok, e[i].uuid), hex,
			 (unsigned)e[i].clique);
		memcpy(p->cluster_uuid, e[i].uuid, 16);
		p->clique_id = e[i].clique;
		p->nnodes = j - i;
		if (!(p->nodes = calloc(p->nnodes, sizeof(*p->nodes)))) {
			vgpu_err_set(err, "out of memory");
			goto out;
		}
		for (size_t k = i; k < j; k++) {
			snprintf(p->nodes[k - i].name, sizeof(p->nodes[k - i].name), "%s", e[k].inv->hostname);
			p->nodes[k - i].gpus = (unsigned)e[k].inv->ngpus;
		}
		i = j;
	}
	if (map->nparts > 1)
		qsort(map->parts, map->nparts, sizeof(*map->parts), name_cmp);
	/* excluded in natural order, independent of the input order */
	for (size_t i = 1; i < map->nexcluded; i++)
		for (size_t j = i; j > 0 && natural_cmp(map->excluded[j - 1].name, map->excluded[j].name) > 0; j--) {
			vgpu_cm_excluded_t t = map->excluded[j];

			map->excluded[j] = map->excluded[j - 1];
			map->excluded[j - 1] = t;
		}
	rc = 0;
out:
	free(e);
	if (rc < 0)
		vgpu_cliquemap_free(map);
	return rc;
}

typedef struct out {
	char *s;
	size_t len, cap;
	int bad;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->bad)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->bad = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap * 2 + (size_t)n + 1;
		char *ns = realloc(o->s, cap);

		if (!ns) {
			o->bad = 1;
			return;
		}
		o->s = ns;
		o->cap = cap;
	}
}

/* A JSON string (quotes included). */
static void put_str(out_t *o, const char *s)
{
	put(o, "\"");
	for (; *s && !o->bad; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put(o, "\\n");
		else if (c == '\t')
			put(o, "\\t");
		else if (c < 0x20 || c == 0x7f)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static void put_part(out_t *o, const vgpu_cm_partition_t *p)
{
	const char **names = malloc((p->nnodes + 1) * sizeof(*names));
	char u[40], *hl;
	size_t nsick = 0;
	int uniform = p->nnodes > 0 && p->nodes[0].gpus > 0;

	if (!names) {
		o->bad = 1;
		return;
	}
	for (size_t i = 0; i < p->nnodes; i++) {
		names[i] = p->nodes[i].name;
		nsick += p->nodes[i].health[0] != '\0';
		uniform &= p->nodes[i].gpus == p->nodes[0].gpus;
	}
	hl = vgpu_hostlist_compress(names, p->nnodes);
	free(names);
	if (!hl) {
		o->bad = 1;
		return;
	}
	put(o, "    {\n      \"name\": ");
	put_str(o, p->name);
	put(o, ",\n      \"cluster_uuid\": \"%s\",\n      \"clique_id\": %u,\n      \"nodes\": ",
	    vgpu_inventory_uuid_format(p->cluster_uuid, u, sizeof(u)), (unsigned)p->clique_id);
	put_str(o, hl);
	free(hl);
	if (p->imex_domain[0]) {
		put(o, ",\n      \"imex_domain\": ");
		put_str(o, p->imex_domain);
	}
	if (uniform) {
		put(o, ",\n      \"gpus_per_node\": %u", p->nodes[0].gpus);
	} else {
		size_t k = 0;

		for (size_t i = 0; i < p->nnodes; i++) {
			if (!p->nodes[i].gpus)
				continue;
			put(o, "%s", k++ ? ", " : ",\n      \"gpus\": { ");
			put_str(o, p->nodes[i].name);
			put(o, ": %u", p->nodes[i].gpus);
		}
		if (k)
			put(o, " }");
	}
	if (nsick) {
		size_t k = 0;

		put(o, ",\n      \"health\": {");
		for (size_t i = 0; i < p->nnodes; i++) {
			if (!p->nodes[i].health[0])
				continue;
			put(o, "%s\n        ", k++ ? "," : "");
			put_str(o, p->nodes[i].name);
			put(o, ": ");
			put_str(o, p->nodes[i].health);
		}
		put(o, "\n      }");
	}
	put(o, "\n    }");
}

char *vgpu_cliquemap_to_json(const vgpu_cliquemap_t *map)
{
	out_t o = { 0 };

	if (!(o.s = malloc(o.cap = 4096)))
		return NULL;
	o.s[0] = '\0';
	put(&o, "{\n  \"version\": \"%d.%d\",\n  \"partitions\": [", VGPU_CLIQUEMAP_MAJOR,
	    VGPU_CLIQUEMAP_MINOR);
	for (size_t i = 0; i < map->nparts; i++) {
		put(&o, "%s\n", i ? "," : "");
		put_part(&o, &map->parts[i]);
	}
	put(&o, "%s]", map->nparts ? "\n  " : "");
	if (map->nexcluded) {
		put(&o, ",\n  \"excluded\": [");
		for (size_t i = 0; i < map->nexcluded; i++) {
			put(&o, "%s\n    { \"node\": ", i ? "," : "");
			put_str(&o, map->excluded[i].name);
			put(&o, ", \"reason\": ");
			put_str(&o, map->excluded[i].reason);
			put(&o, " }");
		}
		put(&o, "\n  ]");
	}
	put(&o, "\n}\n");
	if (o.bad) {
		free(o.s);
		return NULL;
	}
	return o.s;
}

/* slurm.conf's logical lines: '\\' at the end joins the next, '#' starts a
 * comment (not "\\#"); a line's first word NodeName=HOSTLIST names nodes. */
int vgpu_cliquemap_slurm_nodes(const char *text, size_t len, const char *name, char ***names,
			       size_t *n, vgpu_err_t *err)
{
	char **all = NULL, *line = malloc(len + 1);
	size_t nall = 0, cap = 0, pos = 0;
	unsigned lineno = 1;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (!line)
		return vgpu_err_set(err, "out of memory");
	while (pos < len && rc == 0) {
		size_t o = 0;
		unsigned first = lineno;
		int comment = 0;

		/* one logical line */
		while (pos < len && text[pos] != '\n') {
			char ch = text[pos++];

			if (ch == '\\' && pos < len && text[pos] == '\n') {
				pos++;
				lineno++;
				continue;
			}
			if (ch == '\\' && pos < len && text[pos] == '#') {
				if (!comment)
					line[o++] = '#';
				pos++;
				continue;
			}
			if (ch == '#')
				comment = 1;
			if (!comment)
				line[o++] = ch == '\t' || ch == '\r' || ch == '\0' ? ' ' : ch;
		}
		pos++;
		lineno++;
		line[o] = '\0';
		/* only a line's first word names nodes: "NodeName=n[1-4] CPUs=..." */
		char *w = line, *end, **got;
		size_t ngot;
		vgpu_err_t e;

		while (*w == ' ')
			w++;
		for (end = w; *end && *end != ' '; end++)
			;
		*end = '\0';
		if (strncasecmp(w, "NodeName=", 9) != 0 || strcasecmp(w + 9, "DEFAULT") == 0)
			continue;
		if (vgpu_hostlist_expand(w + 9, &got, &ngot, &e) < 0) {
			rc = vgpu_err_set(err, "%s:%u: NodeName=%.64s: %s", name, first, w + 9, e.msg);
			break;
		}
		if (nall + ngot > cap) {
			size_t nc = (nall + ngot) * 2 + 16;
			char **na = realloc(all, nc * sizeof(*na));

			if (!na) {
				vgpu_hostlist_free(got, ngot);
				rc = vgpu_err_set(err, "out of memory");
				break;
			}
			all = na;
			cap = nc;
		}
		if (ngot)
			memcpy(all + nall, got, ngot * sizeof(*got));
		nall += ngot;
		free(got);
	}
	free(line);
	if (rc < 0) {
		vgpu_hostlist_free(all, nall);
		return -1;
	}
	*names = all;
	*n = nall;
	return 0;
}
