/*
 * vgpu_cliquemap.c - reading and checking the clique map (vgpu_cliquemap.h;
 * the format is doc/cliquemap.md). Building it from inventories and writing
 * it are in vgpu_cliquemap_build.c.
 *
 * The reader goes on after an error where it can (the rest of the
 * partition, the next partition), so that `vgpu cliquemap check` shows
 * every error of a hand-edited file at once.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vgpu_cliquemap.h"
#include "vgpu_file.h"
#include "vgpu_hostlist.h"
#include "vgpu_jsonl.h"

#define MAP_FILE_MAX (16u << 20)

typedef struct ctx {
	const char *name;
	size_t nerr;
	vgpu_cm_report_t report;
	void *arg;
} ctx_t;

static void say(ctx_t *c, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(ctx_t *c, unsigned line, const char *fmt, ...)
{
	char msg[VGPU_ERR_MAX], full[VGPU_ERR_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(full, sizeof(full), "%s:%u: %s", c->name, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", c->name, msg);
	c->nerr++;
	if (c->report)
		c->report(c->arg, full);
}

/* [A-Za-z0-9_-]+, shorter than VGPU_CM_NAME_MAX. */
static int good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= VGPU_CM_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* 's', printable and cut at 64 bytes (buf: 96 bytes or more). */
static const char *quote(char *buf, size_t len, const char *s)
{
	char q[88];

	snprintf(buf, len, "'%s'", vgpu_err_quote(q, sizeof(q), s, 64));
	return buf;
}

/* A string member: NULL when absent (reported when required) or of
 * another type (reported). */
static const vgpu_jsonl_t *get_str(ctx_t *c, const vgpu_jsonl_t *obj, const char *what,
				   const char *key, int required, int *bad)
{
	const vgpu_jsonl_t *v = vgpu_jsonl_get(obj, key);

	if (!v) {
		if (required) {
			say(c, obj->line, "%s: \"%s\" is missing (add \"%s\": \"...\")", what, key, key);
			*bad = 1;
		}
		return NULL;
	}
	if (v->type != VGPU_JSONL_STRING) {
		say(c, v->line, "%s: \"%s\" is %s, expected a string", what, key,
		    vgpu_jsonl_type_name(v->type));
		*bad = 1;
		return NULL;
	}
	return v;
}

static int parse_version(ctx_t *c, const vgpu_jsonl_t *root, vgpu_cliquemap_t *map)
{
	const vgpu_jsonl_t *v = vgpu_jsonl_get(root, "version");
	unsigned major, minor;
	char tail, q[96];

	if (!v)
		return say(c, root->line, "\"version\" is missing: a clique map starts with \"version\": \"%d.%d\"",
			   VGPU_CLIQUEMAP_MAJOR, VGPU_CLIQUEMAP_MINOR), -1;
	if (v->type != VGPU_JSONL_STRING || strspn(v->str, "0123456789.") != strlen(v->str) ||
	    sscanf(v->str, "%3u.%3u%c", &major, &minor, &tail) != 2)
		return say(c, v->line, "\"version\" %s: expected \"MAJOR.MINOR\" in quotes, e.g. \"%d.%d\"",
			   v->type == VGPU_JSONL_STRING ? quote(q, sizeof(q), v->str)
							: vgpu_jsonl_type_name(v->type),
			   VGPU_CLIQUEMAP_MAJOR, VGPU_CLIQUEMAP_MINOR), -1;
	if (major != VGPU_CLIQUEMAP_MAJOR)
		return say(c, v->line, "\"version\" \"%s\": unknown major version %u (this slurm-vgpu reads %d.x; "
				       "use a release that reads %u.x, or write the map in format %d.%d)",
			   v->str, major, VGPU_CLIQUEMAP_MAJOR, major, VGPU_CLIQUEMAP_MAJOR,
			   VGPU_CLIQUEMAP_MINOR), -1;
	map->major = major;
	map->minor = minor;
	return 0;
}

/* The per-node objects "health" and "gpus" of a partition: keys must be
 * nodes of the partition. */
static int parse_node_table(ctx_t *c, const vgpu_jsonl_t *t, const char *key, const char *what,
			    vgpu_cm_partition_t *p)
{
	int bad = 0;

	if (t->type != VGPU_JSONL_OBJECT)
		return say(c, t->line, "%s: \"%s\" is %s, expected an object {\"NODE\": ...}", what, key,
			   vgpu_jsonl_type_name(t->type)), -1;
	for (size_t i = 0; i < t->n; i++) {
		const vgpu_jsonl_t *v = t->items[i];
		vgpu_cm_node_t *node = NULL;
		char q[96];
		int64_t g;

		for (size_t k = 0; k < p->nnodes && !node; k++)
			if (strcmp(p->nodes[k].name, t->keys[i]) == 0)
				node = &p->nodes[k];
		if (!node) {
			say(c, v->line, "%s: \"%s\" names node %s, which is not in this partition's \"nodes\"",
			    what, key, quote(q, sizeof(q), t->keys[i]));
			bad = 1;
		} else if (strcmp(key, "health") == 0) {
			if (v->type != VGPU_JSONL_STRING || !v->str[0] || strlen(v->str) >= VGPU_CM_REASON_MAX) {
				say(c, v->line, "%s: health of node %s: expected a non-empty string of at most %d "
						"bytes saying why it is unhealthy",
				    what, node->name, VGPU_CM_REASON_MAX - 1);
				bad = 1;
			} else {
				snprintf(node->health, sizeof(node->health), "%s", v->str);
			}
		} else if (vgpu_jsonl_int(v, 1, VGPU_GPUS_MAX, &g) < 0) {
			say(c, v->line, "%s: gpus of node %s: expected an integer 1-%d", what, node->name,
			    VGPU_GPUS_MAX);
			bad = 1;
		} else {
			node->gpus = (unsigned)g;
		}
	}
	return bad ? -1 : 0;
}

static int parse_partition(ctx_t *c, const vgpu_jsonl_t *o, size_t idx, vgpu_cm_partition_t *p)
{
	const vgpu_jsonl_t *name, *uuid, *nodes, *imex, *v;
	char what[VGPU_CM_NAME_MAX + 64], q[96];
	static const unsigned char zero[16];
	int bad = 0;
	int64_t num;

	memset(p, 0, sizeof(*p));
	p->line = o->line;
	if (o->type != VGPU_JSONL_OBJECT)
		return say(c, o->line, "partitions[%zu] is %s, expected an object", idx,
			   vgpu_jsonl_type_name(o->type)), -1;
	snprintf(what, sizeof(what), "partitions[%zu]", idx);
	name = get_str(c, o, what, "name", 1, &bad);
	if (name && !good_name(name->str)) {
		say(c, name->line, "%s: name %s: use 1-%d letters, digits, '_' or '-' (it becomes a node Feature)",
		    what, quote(q, sizeof(q), name->str), VGPU_CM_NAME_MAX - 1);
		bad = 1;
	} else if (name) {
		snprintf(p->name, sizeof(p->name), "%s", name->str);
		snprintf(what, sizeof(what), "partition '%s'", p->name);
	}
	uuid = get_str(c, o, what, "cluster_uuid", 1, &bad);
	if (uuid && vgpu_inventory_uuid_parse(uuid->str, p->cluster_uuid) < 0) {
		say(c, uuid->line, "%s: cluster_uuid %s is not a UUID (8-4-4-4-12 hex digits, as nvidia-smi "
				   "prints fabric.clusterUuid)", what, quote(q, sizeof(q), uuid->str));
		bad = 1;
	} else if (uuid && memcmp(p->cluster_uuid, zero, 16) == 0) {
		say(c, uuid->line, "%s: cluster_uuid is all zero: that is a GPU in no NVLink domain; give the "
				   "domain's UUID", what);
		bad = 1;
	}
	v = vgpu_jsonl_get(o, "clique_id");
	if (!v) {
		say(c, o->line, "%s: \"clique_id\" is missing (add \"clique_id\": N, as nvidia-smi prints "
				"fabric.cliqueId)", what);
		bad = 1;
	} else if (vgpu_jsonl_int(v, 0, UINT32_MAX, &num) < 0) {
		say(c, v->line, "%s: clique_id: expected an integer 0-%u", what, UINT32_MAX);
		bad = 1;
	} else {
		p->clique_id = (uint32_t)num;
	}
	imex = get_str(c, o, what, "imex_domain", 0, &bad);
	if (imex && !good_name(imex->str)) {
		say(c, imex->line, "%s: imex_domain %s: use 1-%d letters, digits, '_' or '-'", what,
		    quote(q, sizeof(q), imex->str), VGPU_CM_NAME_MAX - 1);
		bad = 1;
	} else if (imex) {
		snprintf(p->imex_domain, sizeof(p->imex_domain), "%s", imex->str);
	}
	num = 0;
	if ((v = vgpu_jsonl_get(o, "gpus_per_node")) && vgpu_jsonl_int(v, 1, VGPU_GPUS_MAX, &num) < 0) {
		say(c, v->line, "%s: gpus_per_node: expected an integer 1-%d", what, VGPU_GPUS_MAX);
		bad = 1;
	}
	nodes = get_str(c, o, what, "nodes", 1, &bad);
	if (nodes) {
		char **names;
		size_t n;
		vgpu_err_t err;

		if (vgpu_hostlist_expand(nodes->str, &names, &n, &err) < 0) {
			say(c, nodes->line, "%s: nodes: %s", what, err.msg);
			bad = 1;
		} else if (n == 0) {
			say(c, nodes->line, "%s: nodes is empty: a partition has at least one node", what);
			bad = 1;
		} else if (!(p->nodes = calloc(n, sizeof(*p->nodes)))) {
			say(c, nodes->line, "out of memory");
			bad = 1;
		} else {
			p->nnodes = n;
			for (size_t i = 0; i < n; i++) {
				if (strlen(names[i]) >= VGPU_HOST_MAX) {
					say(c, nodes->line, "%s: node name longer than %d bytes", what, VGPU_HOST_MAX - 1);
					bad = 1;
				}
				snprintf(p->nodes[i].name, sizeof(p->nodes[i].name), "%s", names[i]);
				p->nodes[i].gpus = (unsigned)num;
				p->nodes[i].line = nodes->line;
			}
		}
		vgpu_hostlist_free(names, n);
	}
	if (p->nodes && (v = vgpu_jsonl_get(o, "gpus")) && parse_node_table(c, v, "gpus", what, p) < 0)
		bad = 1;
	if (p->nodes && (v = vgpu_jsonl_get(o, "health")) && parse_node_table(c, v, "health", what, p) < 0)
		bad = 1;
	return bad ? -1 : 0;
}

#define EXCLUDED ((size_t)-1)

typedef struct node_ref {
	const char *name;
	size_t part;
	unsigned line;
} node_ref_t;

static int ref_cmp(const void *a, const void *b)
{
	const node_ref_t *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	return x->line < y->line ? -1 : x->line > y->line ? 1 : (x->part < y->part ? -1 : x->part > y->part);
}

/* A node in two partitions (or twice in one), duplicate names and
 * identities, an excluded node that is in a partition. */
static void cross_checks(ctx_t *c, vgpu_cliquemap_t *m)
{
	node_ref_t *refs;
	size_t nref = 0, k = 0;
	char id[VGPU_CM_IDENTITY_MAX];

	for (size_t i = 0; i < m->nparts; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(m->parts[i].name, m->parts[j].name) == 0)
				say(c, m->parts[i].line, "partition '%s': the name is already used at line %u: "
							 "partition names are unique", m->parts[i].name, m->parts[j].line);
			if (memcmp(m->parts[i].cluster_uuid, m->parts[j].cluster_uuid, 16) == 0 &&
			    m->parts[i].clique_id == m->parts[j].clique_id)
				say(c, m->parts[i].line, "partition '%s': identity %s is already partition '%s' "
							 "(line %u): one entry per NVLink partition",
				    m->parts[i].name, vgpu_cliquemap_identity(&m->parts[i], id, sizeof(id)),
				    m->parts[j].name, m->parts[j].line);
		}
		nref += m->parts[i].nnodes;
	}
	refs = malloc((nref + m->nexcluded + 1) * sizeof(*refs));
	if (!refs) {
		say(c, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < m->nparts; i++)
		for (size_t j = 0; j < m->parts[i].nnodes; j++)
			refs[k++] = (node_ref_t){ m->parts[i].nodes[j].name, i, m->parts[i].nodes[j].line };
	for (size_t e = 0; e < m->nexcluded; e++)
		refs[k++] = (node_ref_t){ m->excluded[e].name, EXCLUDED, m->excluded[e].line };
	qsort(refs, k, sizeof(*refs), ref_cmp);
	for (size_t i = 1; i < k; i++) {
		const node_ref_t *a = &refs[i - 1], *b = &refs[i];

		if (strcmp(a->name, b->name) != 0)
			continue;
		if (a->part == EXCLUDED && b->part == EXCLUDED)
			say(c, b->line, "excluded node %s is already excluded at line %u", b->name, a->line);
		else if (a->part == EXCLUDED || b->part == EXCLUDED) {
			const node_ref_t *x = a->part == EXCLUDED ? a : b, *in = a->part == EXCLUDED ? b : a;

			say(c, x->line, "excluded node %s is in partition '%s' (line %u): a node is either in a "
					"partition or excluded", x->name, m->parts[in->part].name, in->line);
		} else if (a->part == b->part)
			say(c, b->line, "partition '%s': node %s is named twice in \"nodes\"", m->parts[b->part].name,
			    b->name);
		else
			say(c, b->line, "partition '%s': node %s is already in partition '%s' (line %u): a node "
					"belongs to one partition", m->parts[b->part].name, b->name,
			    m->parts[a->part].name, a->line);
	}
	free(refs);
}

static int part_cmp(const void *a, const void *b)
{
	return strcmp(((const vgpu_cm_partition_t *)a)->name, ((const vgpu_cm_partition_t *)b)->name);
}

static int parse_excluded(ctx_t *c, const vgpu_jsonl_t *arr, vgpu_cliquemap_t *m)
{
	int bad = 0;

	if (arr->type != VGPU_JSONL_ARRAY)
		return say(c, arr->line, "\"excluded\" is %s, expected an array of {\"node\": ..., \"reason\": ...}",
			   vgpu_jsonl_type_name(arr->type)), -1;
	m->excluded = calloc(arr->n + 1, sizeof(*m->excluded));
	if (!m->excluded)
		return say(c, arr->line, "out of memory"), -1;
	for (size_t i = 0; i < arr->n; i++) {
		const vgpu_jsonl_t *o = arr->items[i], *node, *reason;
		vgpu_cm_excluded_t *x = &m->excluded[m->nexcluded];
		char what[64];
		int b = 0;

		snprintf(what, sizeof(what), "excluded[%zu]", i);
		if (o->type != VGPU_JSONL_OBJECT) {
			say(c, o->line, "%s is %s, expected an object", what, vgpu_jsonl_type_name(o->type));
			bad = 1;
			continue;
		}
		node = get_str(c, o, what, "node", 1, &b);
		reason = get_str(c, o, what, "reason", 0, &b);
		if (node && (!node->str[0] || strlen(node->str) >= VGPU_HOST_MAX || strpbrk(node->str, "[], "))) {
			say(c, node->line, "%s: node: expected one node name", what);
			b = 1;
		}
		if (b) {
			bad = 1;
			continue;
		}
		snprintf(x->name, sizeof(x->name), "%s", node->str);
		x->line = node->line;
		if (reason)
			snprintf(x->reason, sizeof(x->reason), "%s", reason->str);
		m->nexcluded++;
	}
	return bad ? -1 : 0;
}

size_t vgpu_cliquemap_parse_all(const char *text, size_t len, const char *name,
				vgpu_cliquemap_t *map, vgpu_cm_report_t report, void *arg)
{
	ctx_t c = { .name = name ? name : "(clique map)", .report = report, .arg = arg };
	vgpu_jsonl_t *root = NULL;
	const vgpu_jsonl_t *parts, *v;
	vgpu_err_t err;

	memset(map, 0, sizeof(*map));
	if (vgpu_jsonl_parse(text, len, c.name, &root, &err) < 0) {
		c.nerr++;
		if (report)
			report(arg, err.msg);
		return c.nerr;
	}
	if (root->type != VGPU_JSONL_OBJECT) {
		say(&c, root->line, "the map is %s, expected an object {\"version\": ..., \"partitions\": [...]}",
		    vgpu_jsonl_type_name(root->type));
		goto out;
	}
	if (parse_version(&c, root, map) < 0)
		goto out; /* another major: nothing else can be read by our rules */
	parts = vgpu_jsonl_get(root, "partitions");
	if (!parts) {
		say(&c, root->line, "\"partitions\" is missing (add \"partitions\": [...])");
	} else if (parts->type != VGPU_JSONL_ARRAY) {
		say(&c, parts->line, "\"partitions\" is %s, expected an array", vgpu_jsonl_type_name(parts->type));
	} else if (parts->n && !(map->parts = calloc(parts->n, sizeof(*map->parts)))) {
		say(&c, parts->line, "out of memory");
	} else {
		for (size_t i = 0; i < parts->n; i++) {
			vgpu_cm_partition_t *p = &map->parts[map->nparts];

			if (parse_partition(&c, parts->items[i], i, p) < 0)
				free(p->nodes);
			else
				map->nparts++;
		}
	}
	if ((v = vgpu_jsonl_get(root, "excluded")))
		parse_excluded(&c, v, map);
	cross_checks(&c, map);
	if (map->nparts > 1)
		qsort(map->parts, map->nparts, sizeof(*map->parts), part_cmp);
out:
	vgpu_jsonl_free(root);
	if (c.nerr)
		vgpu_cliquemap_free(map);
	return c.nerr;
}

typedef struct first {
	vgpu_err_t *err;
	int seen;
} first_t;

static void keep_first(void *arg, const char *msg)
{
	first_t *f = arg;

	if (!f->seen && f->err)
		snprintf(f->err->msg, sizeof(f->err->msg), "%s", msg);
	f->seen = 1;
}

int vgpu_cliquemap_parse(const char *text, size_t len, const char *name, vgpu_cliquemap_t *map,
			 vgpu_err_t *err)
{
	first_t f = { err, 0 };

	return vgpu_cliquemap_parse_all(text, len, name, map, keep_first, &f) ? -1 : 0;
}

int vgpu_cliquemap_load(const char *path, vgpu_cliquemap_t *map, vgpu_err_t *err)
{
	char *buf;
	size_t len;
	int rc;

	memset(map, 0, sizeof(*map));
	if (vgpu_file_read(path, MAP_FILE_MAX, &buf, &len, err) < 0)
		return -1;
	rc = vgpu_cliquemap_parse(buf, len, path, map, err);
	free(buf);
	return rc;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t vgpu_cliquemap_check_nodes_all(const vgpu_cliquemap_t *map, const char *name,
				      const char *const *known, size_t nknown,
				      vgpu_cm_report_t report, void *arg)
{
	ctx_t c = { .name = name ? name : "(clique map)", .report = report, .arg = arg };
	const char **sorted = malloc((nknown + 1) * sizeof(*sorted));

	if (!sorted) {
		say(&c, 0, "out of memory");
		return c.nerr;
	}
	memcpy(sorted, known, nknown * sizeof(*sorted));
	qsort(sorted, nknown, sizeof(*sorted), str_cmp);
	for (size_t i = 0; i < map->nparts; i++)
		for (size_t j = 0; j < map->parts[i].nnodes; j++) {
			const char *n = map->parts[i].nodes[j].name;

			if (!bsearch(&n, sorted, nknown, sizeof(*sorted), str_cmp))
				say(&c, map->parts[i].nodes[j].line,
				    "partition '%s': node %s is not a node of slurm.conf (fix the name or add "
				    "a NodeName line)", map->parts[i].name, n);
		}
	for (size_t e = 0; e < map->nexcluded; e++) {
		const char *n = map->excluded[e].name;

		if (!bsearch(&n, sorted, nknown, sizeof(*sorted), str_cmp))
			say(&c, map->excluded[e].line, "excluded node %s is not a node of slurm.conf", n);
	}
	free(sorted);
	return c.nerr;
}

int vgpu_cliquemap_check_nodes(const vgpu_cliquemap_t *map, const char *name,
			       const char *const *known, size_t nknown, vgpu_err_t *err)
{
	first_t f = { err, 0 };

	return vgpu_cliquemap_check_nodes_all(map, name, known, nknown, keep_first, &f) ? -1 : 0;
}

const vgpu_cm_partition_t *vgpu_cliquemap_find_node(const vgpu_cliquemap_t *map, const char *node)
{
	if (!map || !node)
		return NULL;
	for (size_t i = 0; i < map->nparts; i++)
		for (size_t j = 0; j < map->parts[i].nnodes; j++)
			if (strcmp(map->parts[i].nodes[j].name, node) == 0)
				return &map->parts[i];
	return NULL;
}

const char *vgpu_cliquemap_identity(const vgpu_cm_partition_t *part, char *buf, size_t len)
{
	char u[40];

	vgpu_inventory_uuid_format(part->cluster_uuid, u, sizeof(u));
	snprintf(buf, len, "%s.%u", u, (unsigned)part->clique_id);
	return buf;
}

void vgpu_cliquemap_free(vgpu_cliquemap_t *map)
{
	if (!map)
		return;
	for (size_t i = 0; i < map->nparts; i++)
		free(map->parts[i].nodes);
	free(map->parts);
	free(map->excluded);
	memset(map, 0, sizeof(*map));
}
