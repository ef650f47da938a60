/* vgpu_inventory_json.c - the JSON form of an inventory (doc/inventory.md);
 * see vgpu_inventory.h. */
#include "vgpu_inventory.h"
#include "vgpu_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define INV_FILE_MAX (16u << 20)
#define INV_JSON_DEPTH 16
#define PATH_LEN 96
#define QUOTE_MAX 48

/* ---- to JSON ------------------------------------------------------------- */

/* Append s to out (capacity cap, *used bytes so far), cutting what does not fit. */
static void append_cut(char *out, size_t cap, size_t *used, const char *s)
{
	size_t n = strlen(s);

	if (n > cap - 1 - *used)
		n = cap - 1 - *used;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = '\0';
}

/* Add v to object o under key, or to array o when key is NULL; v is freed
 * on failure. */
static int put(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -1;
	if ((key ? json_object_object_add(o, key, v) : json_object_array_add(o, v)) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static json_object *new_u64(uint64_t v)
{
	return json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static json_object *fabric_to_json(const vgpu_fabric_t *f)
{
	json_object *o = json_object_new_object(), *cliques;
	char uuid[40];
	int bad = 0;

	if (!o)
		return NULL;
	vgpu_inventory_uuid_format(f->cluster_uuid, uuid, sizeof(uuid));
	bad |= put(o, "cluster_uuid", json_object_new_string(uuid));
	bad |= put(o, "clique_id", json_object_new_int64(f->clique_id));
	bad |= put(o, "state", json_object_new_string(vgpu_inventory_fabric_state_name(f->state)));
	bad |= put(o, "status", json_object_new_int64(f->status));
	bad |= put(o, "health_mask", json_object_new_int64(f->health_mask));
	bad |= put(o, "health_summary", json_object_new_string(vgpu_inventory_fabric_health_name(f->health_summary)));
	bad |= put(o, "source", json_object_new_string(f->source));
	bad |= put(o, "cliques", cliques = json_object_new_array());
	for (size_t i = 0; !bad && i < f->ncliques && i < VGPU_FABRIC_CLIQUES_MAX; i++) {
		const char *name = vgpu_inventory_clique_type_name(f->cliques[i].type);
		json_object *co = json_object_new_object();

		bad |= put(cliques, NULL, co);
		if (!bad)
			bad |= put(co, "type", name ? json_object_new_string(name)
						    : json_object_new_int64(f->cliques[i].type));
		if (!bad)
			bad |= put(co, "id", json_object_new_int64(f->cliques[i].id));
	}
	if (bad) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static json_object *gpu_to_json(const vgpu_gpu_t *g)
{
	json_object *o = json_object_new_object(), *links = json_object_new_array();
	int bad = !o || !links;

	if (bad)
		goto out;
	bad |= put(o, "index", json_object_new_int64(g->index));
	bad |= put(o, "minor", json_object_new_int64(g->minor));
	bad |= put(o, "uuid", json_object_new_string(g->uuid));
	bad |= put(o, "bus_id", json_object_new_string(g->bus_id));
	bad |= put(o, "model", json_object_new_string(g->model));
	bad |= put(o, "type", json_object_new_string(g->type));
	if (g->mem_bytes)
		bad |= put(o, "memory", new_u64(g->mem_bytes));
	if (g->reserved_bytes)
		bad |= put(o, "reserved", new_u64(g->reserved_bytes));
	if (g->context_bytes)
		bad |= put(o, "context", new_u64(g->context_bytes));
	if (g->sms)
		bad |= put(o, "sms", json_object_new_int64(g->sms));
	bad |= put(o, "mig_enabled", json_object_new_boolean(g->mig_enabled != 0));
	bad |= put(o, "numa_node", json_object_new_int64(g->numa_node));
	bad |= put(o, "cpus", json_object_new_string(g->cpus));
	bad |= put(o, "cores", json_object_new_string(g->cores));
	for (size_t i = 0; !bad && i < g->nlinks && i < VGPU_GPUS_MAX; i++) {
		const vgpu_nvlink_t *l = &g->links[i];
		json_object *lo = json_object_new_object();

		if (!lo) {
			bad = 1;
			break;
		}
		bad |= put(lo, "peer", json_object_new_int64(l->peer));
		bad |= put(lo, "peer_bus_id", json_object_new_string(l->peer_bus_id));
		bad |= put(lo, "links", json_object_new_int64(l->links));
		bad |= put(lo, "bw_mbps", new_u64(l->bw_mbps));
		if (json_object_array_add(links, lo) != 0) {
			json_object_put(lo);
			bad = 1;
		}
	}
	bad |= put(o, "nvlink", links);
	links = NULL;
	bad |= put(o, "fabric", fabric_to_json(&g->fabric));
out:
	json_object_put(links);
	if (bad) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* Write every empty array and object as "[]" / "{}", in place. json-c's
 * pretty printer puts a line break and the closing line's indent between
 * the brackets up to 0.17 ("[\n      ]") and nothing from 0.18 on: one form
 * whatever json-c the program was built with, so that inventories of nodes
 * of different releases compare as text. Brackets inside strings are left
 * alone (json-c escapes every control character in a string, so a string
 * never holds a raw line break, but it may hold "[ ]"). */
static void compact_empty(char *text)
{
	char *out = text;
	int in_string = 0;

	for (const char *p = text; *p;) {
		char c = *p++;

		*out++ = c;
		if (in_string) {
			if (c == '\\' && *p)
				*out++ = *p++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			const char *q = p;

			while (*q == ' ' || *q == '\n')
				q++;
			if (*q == (c == '[' ? ']' : '}'))
				p = q; /* the closing bracket is copied next */
		}
	}
	*out = '\0';
}

char *vgpu_inventory_to_json(const vgpu_inventory_t *inv)
{
	json_object *o = json_object_new_object(), *gpus = json_object_new_array();
	char *text = NULL;
	int bad = !o || !gpus;

	if (bad)
		goto out;
	bad |= put(o, "version", json_object_new_int(VGPU_INV_VERSION));
	bad |= put(o, "hostname", json_object_new_string(inv->hostname));
	bad |= put(o, "driver_version", json_object_new_string(inv->driver_version));
	bad |= put(o, "cuda_driver_version", json_object_new_int(inv->cuda_driver_version));
	bad |= put(o, "source", json_object_new_string(inv->source));
	for (size_t i = 0; !bad && i < inv->ngpus && i < VGPU_GPUS_MAX; i++) {
		json_object *g = gpu_to_json(&inv->gpus[i]);

		if (!g || json_object_array_add(gpus, g) != 0) {
			json_object_put(g);
			bad = 1;
		}
	}
	bad |= put(o, "gpus", gpus);
	gpus = NULL;
	if (!bad) {
		const char *s = json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

		text = s ? strdup(s) : NULL;
		if (text)
			compact_empty(text);
	}
out:
	json_object_put(gpus);
	json_object_put(o);
	return text;
}

/* ---- from JSON ----------------------------------------------------------- */

typedef struct jctx {
	const char *name;       /* file name for messages */
	vgpu_err_t *err;
} jctx_t;

/* "NAME: PATH: message"; returns -1. */
static int jerr(const jctx_t *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int jerr(const jctx_t *c, const char *path, const char *fmt, ...)
{
	char msg[VGPU_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		return vgpu_err_set(c->err, "%s: %s: %s", c->name, path, msg);
	return vgpu_err_set(c->err, "%s: %s", c->name, msg);
}

/* out = "prefix.key" (or "key"), cut to fit. */
static void join(char *out, size_t len, const char *prefix, const char *key)
{
	size_t used = 0;

	out[0] = '\0';
	if (prefix && *prefix) {
		append_cut(out, len, &used, prefix);
		append_cut(out, len, &used, ".");
	}
	append_cut(out, len, &used, key);
}

/* The member `key` of obj, or NULL (absent, or null when null_ok). */
static json_object *member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

enum { OPTIONAL = 0, REQUIRED = 1 };

/* Read integer member `key` in min..max. Returns 1 when read, 0 when absent
 * (and optional), -1 on error. */
static int get_int(const jctx_t *c, json_object *obj, const char *prefix, const char *key,
		   int required, int64_t min, int64_t max, int64_t *out)
{
	char path[PATH_LEN];
	json_object *v = member(obj, key);
	const char *want = min == 1 ? "a positive integer" : min == 0 ? "a non-negative integer" : "an integer";
	int64_t x;

	join(path, sizeof(path), prefix, key);
	if (!v) {
		if (required)
			return jerr(c, path, "missing (expected %s)", want);
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return jerr(c, path, "expected %s", want);
	x = json_object_get_int64(v);
	if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return jerr(c, path, "%s is too large (at most %" PRId64 ")", json_object_get_string(v), max);
	if (x < min)
		return jerr(c, path, "expected %s, not %s", want, json_object_get_string(v));
	if (x > max)
		return jerr(c, path, "%s is too large (at most %" PRId64 ")", json_object_get_string(v), max);
	*out = x;
	return 1;
}

/* Read string member `key` into dst (size cap). Same returns as get_int. */
static int get_str(const jctx_t *c, json_object *obj, const char *prefix, const char *key,
		   int required, char *dst, size_t cap)
{
	char path[PATH_LEN];
	json_object *v = member(obj, key);
	const char *s;
	size_t n;

	join(path, sizeof(path), prefix, key);
	if (!v) {
		if (required)
			return jerr(c, path, "missing (expected a string)");
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return jerr(c, path, "expected a string");
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n)
		return jerr(c, path, "contains a NUL character");
	if (n >= cap)
		return jerr(c, path, "too long (%zu bytes, at most %zu)", n, cap - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return jerr(c, path, "contains a control character");
	memcpy(dst, s, n + 1);
	return 1;
}

static int check_charset(const jctx_t *c, const char *prefix, const char *key, const char *s,
			 const char *extra, const char *what)
{
	char path[PATH_LEN], q[4 * QUOTE_MAX + 8];

	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      strchr(extra, ch))) {
			join(path, sizeof(path), prefix, key);
			return jerr(c, path, "'%s' is not %s", vgpu_err_quote(q, sizeof(q), s, QUOTE_MAX), what);
		}
	}
	return 0;
}

/* A cpulist: "" or N[-M]{,N[-M]} with N <= M. */
static int cpulist_ok(const char *s)
{
	const char *p = s;

	if (*p == '\0')
		return 1;
	for (;;) {
		unsigned long a, b;
		char *end;

		if (*p < '0' || *p > '9')
			return 0;
		errno = 0;
		a = strtoul(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return 0;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (errno || b < a)
			return 0;
		if (*p == '\0')
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

static int type_ok(const char *s)
{
	if (*s == '\0')
		return 1;
	if (*s < 'a' || *s > 'z')
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		      *p == '-'))
			return 0;
	return 1;
}

static int get_busid(const jctx_t *c, json_object *obj, const char *prefix, const char *key,
		     char *dst, size_t cap)
{
	char raw[VGPU_BUSID_MAX], path[PATH_LEN];
	vgpu_err_t e;

	if (get_str(c, obj, prefix, key, REQUIRED, raw, sizeof(raw)) < 0)
		return -1;
	if (vgpu_inventory_busid(raw, dst, cap, &e) != 0) {
		join(path, sizeof(path), prefix, key);
		return jerr(c, path, "%s", e.msg);
	}
	return 0;
}

/* "cliques": [{"type": NAME | 0..255, "id": N}, ...] in the order of the
 * source (by type, then id); absent: none. */
static int parse_cliques(const jctx_t *c, json_object *arr, const char *prefix, vgpu_fabric_t *f)
{
	char path[PATH_LEN], buf[40], q[4 * QUOTE_MAX + 8];
	size_t n;

	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return jerr(c, prefix, "expected an array");
	n = json_object_array_length(arr);
	if (n > VGPU_FABRIC_CLIQUES_MAX)
		return jerr(c, prefix, "%zu cliques (at most %d)", n, VGPU_FABRIC_CLIQUES_MAX);
	for (size_t i = 0; i < n; i++) {
		json_object *co = json_object_array_get_idx(arr, i), *t;
		int64_t v;
		unsigned k;

		if (snprintf(path, sizeof(path), "%s[%zu]", prefix, i) >= (int)sizeof(path))
			path[sizeof(path) - 1] = '\0';
		if (!json_object_is_type(co, json_type_object))
			return jerr(c, path, "expected an object");
		if (get_int(c, co, path, "id", REQUIRED, 0, UINT32_MAX, &v) < 0)
			return -1;
		f->cliques[i].id = (uint32_t)v;
		t = member(co, "type");
		if (t && json_object_is_type(t, json_type_int)) {
			if (get_int(c, co, path, "type", REQUIRED, 0, 255, &v) < 0)
				return -1;
			f->cliques[i].type = (unsigned)v;
			continue;
		}
		if (get_str(c, co, path, "type", REQUIRED, buf, sizeof(buf)) < 0)
			return -1;
		for (k = 0; vgpu_inventory_clique_type_name(k) && strcmp(buf, vgpu_inventory_clique_type_name(k)); k++)
			;
		if (!vgpu_inventory_clique_type_name(k)) {
			char tpath[PATH_LEN];

			join(tpath, sizeof(tpath), path, "type");
			return jerr(c, tpath, "unknown clique type '%s' (expected unicast_pointer, multicast_pointer, "
					     "unicast_logical_endpoint, multicast_logical_endpoint or 0..255)",
				    vgpu_err_quote(q, sizeof(q), buf, QUOTE_MAX));
		}
		f->cliques[i].type = k;
	}
	f->ncliques = n;
	return 0;
}

static int parse_fabric(const jctx_t *c, json_object *fo, const char *prefix, vgpu_fabric_t *f)
{
	char path[PATH_LEN], buf[40], q[4 * QUOTE_MAX + 8];
	int64_t v;
	int rc;

	if (!json_object_is_type(fo, json_type_object))
		return jerr(c, prefix, "expected an object");
	if ((rc = get_str(c, fo, prefix, "cluster_uuid", OPTIONAL, buf, sizeof(buf))) < 0)
		return -1;
	if (rc == 1 && vgpu_inventory_uuid_parse(buf, f->cluster_uuid) != 0) {
		join(path, sizeof(path), prefix, "cluster_uuid");
		return jerr(c, path, "'%s' is not a UUID (8-4-4-4-12 hex digits)",
			    vgpu_err_quote(q, sizeof(q), buf, QUOTE_MAX));
	}
	if ((rc = get_int(c, fo, prefix, "clique_id", OPTIONAL, 0, UINT32_MAX, &v)) < 0)
		return -1;
	f->clique_id = rc ? (uint32_t)v : 0;
	if ((rc = get_str(c, fo, prefix, "state", OPTIONAL, buf, sizeof(buf))) < 0)
		return -1;
	f->state = VGPU_FABRIC_NONE;
	if (rc == 1) {
		size_t i, n = VGPU_FABRIC_COMPLETED + 1;

		for (i = 0; i < n && strcmp(buf, vgpu_inventory_fabric_state_name((vgpu_fabric_state_t)i)) != 0; i++)
			;
		if (i == n) {
			join(path, sizeof(path), prefix, "state");
			return jerr(c, path, "unknown state '%s' (expected none, not_started, in_progress or completed)",
				    vgpu_err_quote(q, sizeof(q), buf, QUOTE_MAX));
		}
		f->state = (vgpu_fabric_state_t)i;
	}
	if ((rc = get_int(c, fo, prefix, "status", OPTIONAL, 0, UINT32_MAX, &v)) < 0)
		return -1;
	f->status = rc ? (uint32_t)v : 0;
	if ((rc = get_int(c, fo, prefix, "health_mask", OPTIONAL, 0, UINT32_MAX, &v)) < 0)
		return -1;
	f->health_mask = rc ? (uint32_t)v : 0;
	if ((rc = get_str(c, fo, prefix, "health_summary", OPTIONAL, buf, sizeof(buf))) < 0)
		return -1;
	if (rc == 1) {
		size_t i, n = VGPU_FABRIC_HEALTH_LIMITED_CAPACITY + 1;

		for (i = 0; i < n && strcmp(buf, vgpu_inventory_fabric_health_name((vgpu_fabric_health_t)i)) != 0; i++)
			;
		if (i == n) {
			join(path, sizeof(path), prefix, "health_summary");
			return jerr(c, path, "unknown health summary '%s' (expected not_supported, healthy, "
					     "unhealthy or limited_capacity)", vgpu_err_quote(q, sizeof(q), buf, QUOTE_MAX));
		}
		f->health_summary = (vgpu_fabric_health_t)i;
	}
	if (get_str(c, fo, prefix, "source", OPTIONAL, f->source, sizeof(f->source)) < 0)
		return -1;
	join(path, sizeof(path), prefix, "cliques");
	return parse_cliques(c, member(fo, "cliques"), path, f);
}

static int parse_link(const jctx_t *c, json_object *lo, const char *prefix, vgpu_nvlink_t *l)
{
	int64_t v;
	int rc;

	if (!json_object_is_type(lo, json_type_object))
		return jerr(c, prefix, "expected an object");
	if (get_int(c, lo, prefix, "peer", REQUIRED, -1, VGPU_GPUS_MAX - 1, &v) < 0)
		return -1;
	l->peer = (int)v;
	if (get_busid(c, lo, prefix, "peer_bus_id", l->peer_bus_id, sizeof(l->peer_bus_id)) < 0)
		return -1;
	if ((rc = get_int(c, lo, prefix, "links", OPTIONAL, 0, UINT32_MAX, &v)) < 0)
		return -1;
	l->links = rc ? (unsigned)v : 0;
	if ((rc = get_int(c, lo, prefix, "bw_mbps", OPTIONAL, 0, INT64_MAX, &v)) < 0)
		return -1;
	l->bw_mbps = rc ? (uint64_t)v : 0;
	return 0;
}

static int parse_gpu(const jctx_t *c, json_object *go, const char *prefix, vgpu_gpu_t *g)
{
	char path[PATH_LEN], sub[PATH_LEN + 24], q[4 * QUOTE_MAX + 8];
	json_object *v;
	int64_t x;
	int rc;

	if (!json_object_is_type(go, json_type_object))
		return jerr(c, prefix, "expected an object");
	if (get_int(c, go, prefix, "index", REQUIRED, 0, VGPU_GPUS_MAX - 1, &x) < 0)
		return -1;
	g->index = (unsigned)x;
	if ((rc = get_int(c, go, prefix, "minor", OPTIONAL, 0, 1048575, &x)) < 0)
		return -1;
	g->minor = rc ? (unsigned)x : 0;
	if (get_str(c, go, prefix, "uuid", OPTIONAL, g->uuid, sizeof(g->uuid)) < 0 ||
	    check_charset(c, prefix, "uuid", g->uuid, "-_.:/", "a GPU UUID") < 0)
		return -1;
	if (get_busid(c, go, prefix, "bus_id", g->bus_id, sizeof(g->bus_id)) < 0)
		return -1;
	if (get_str(c, go, prefix, "model", OPTIONAL, g->model, sizeof(g->model)) < 0)
		return -1;
	if (strchr(g->model, '"') || strchr(g->model, '\\')) {
		join(path, sizeof(path), prefix, "model");
		return jerr(c, path, "must not contain '\"' or '\\'");
	}
	if (get_str(c, go, prefix, "type", OPTIONAL, g->type, sizeof(g->type)) < 0)
		return -1;
	if (!type_ok(g->type)) {
		join(path, sizeof(path), prefix, "type");
		return jerr(c, path, "'%s' is not a type name ([a-z][a-z0-9_.-]{0,30})",
			    vgpu_err_quote(q, sizeof(q), g->type, QUOTE_MAX));
	}
	if ((rc = get_int(c, go, prefix, "memory", OPTIONAL, 1, INT64_MAX, &x)) < 0)
		return -1;
	g->mem_bytes = rc ? (uint64_t)x : 0;
	if ((rc = get_int(c, go, prefix, "reserved", OPTIONAL, 0, INT64_MAX, &x)) < 0)
		return -1;
	g->reserved_bytes = rc ? (uint64_t)x : 0;
	if ((rc = get_int(c, go, prefix, "context", OPTIONAL, 1, INT64_MAX, &x)) < 0)
		return -1;
	g->context_bytes = rc ? (uint64_t)x : 0;
	if (g->mem_bytes && g->reserved_bytes + g->context_bytes >= g->mem_bytes) {
		join(path, sizeof(path), prefix, "reserved");
		return jerr(c, path, "reserved and context leave nothing of memory");
	}
	if ((rc = get_int(c, go, prefix, "sms", OPTIONAL, 1, UINT32_MAX, &x)) < 0)
		return -1;
	g->sms = rc ? (unsigned)x : 0;
	if ((v = member(go, "mig_enabled"))) {
		if (!json_object_is_type(v, json_type_boolean)) {
			join(path, sizeof(path), prefix, "mig_enabled");
			return jerr(c, path, "expected true or false");
		}
		g->mig_enabled = json_object_get_boolean(v) ? 1 : 0;
	}
	if ((rc = get_int(c, go, prefix, "numa_node", OPTIONAL, -1, 65535, &x)) < 0)
		return -1;
	g->numa_node = rc ? (int)x : -1;
	if (get_str(c, go, prefix, "cpus", OPTIONAL, g->cpus, sizeof(g->cpus)) < 0)
		return -1;
	if (!cpulist_ok(g->cpus)) {
		join(path, sizeof(path), prefix, "cpus");
		return jerr(c, path, "'%s' is not a CPU list like 0-31,64-95",
			    vgpu_err_quote(q, sizeof(q), g->cpus, QUOTE_MAX));
	}
	if (get_str(c, go, prefix, "cores", OPTIONAL, g->cores, sizeof(g->cores)) < 0)
		return -1;
	if (!cpulist_ok(g->cores)) {
		join(path, sizeof(path), prefix, "cores");
		return jerr(c, path, "'%s' is not a core list like 0-15,32-47",
			    vgpu_err_quote(q, sizeof(q), g->cores, QUOTE_MAX));
	}
	if ((v = member(go, "nvlink"))) {
		size_t n;

		join(path, sizeof(path), prefix, "nvlink");
		if (!json_object_is_type(v, json_type_array))
			return jerr(c, path, "expected an array");
		n = json_object_array_length(v);
		if (n > VGPU_GPUS_MAX)
			return jerr(c, path, "%zu entries, at most %d", n, VGPU_GPUS_MAX);
		for (size_t i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (parse_link(c, json_object_array_get_idx(v, i), sub, &g->links[i]) < 0)
				return -1;
			for (size_t j = 0; j < i; j++)
				if (strcmp(g->links[j].peer_bus_id, g->links[i].peer_bus_id) == 0)
					return jerr(c, sub, "peer %s is also %s[%zu]", g->links[i].peer_bus_id,
						    path, j);
		}
		g->nlinks = n;
	}
	if ((v = member(go, "fabric"))) {
		join(path, sizeof(path), prefix, "fabric");
		if (parse_fabric(c, v, path, &g->fabric) < 0)
			return -1;
	}
	return 0;
}

/* Checks across GPUs: unique index and bus id, peers that exist. */
static int cross_check(const jctx_t *c, const vgpu_inventory_t *inv)
{
	char path[PATH_LEN];

	for (size_t i = 0; i < inv->ngpus; i++) {
		const vgpu_gpu_t *g = &inv->gpus[i];

		for (size_t j = 0; j < i; j++) {
			snprintf(path, sizeof(path), "gpus[%zu]", i);
			if (inv->gpus[j].index == g->index)
				return jerr(c, path, "index %u is also gpus[%zu].index", g->index, j);
			if (strcmp(inv->gpus[j].bus_id, g->bus_id) == 0)
				return jerr(c, path, "bus_id %s is also gpus[%zu].bus_id", g->bus_id, j);
		}
		for (size_t k = 0; k < g->nlinks; k++) {
			const vgpu_nvlink_t *l = &g->links[k];

			snprintf(path, sizeof(path), "gpus[%zu].nvlink[%zu].peer", i, k);
			if (l->peer < 0)
				continue;
			if ((size_t)l->peer >= inv->ngpus)
				return jerr(c, path, "%d is not a GPU of this node (%zu GPUs)", l->peer, inv->ngpus);
			if ((size_t)l->peer == i)
				return jerr(c, path, "a GPU cannot be its own peer");
			if (strcmp(inv->gpus[l->peer].bus_id, l->peer_bus_id) != 0)
				return jerr(c, path, "gpus[%d] has bus id %s, not peer_bus_id %s", l->peer,
					    inv->gpus[l->peer].bus_id, l->peer_bus_id);
		}
	}
	return 0;
}

static int parse_root(const jctx_t *c, json_object *root, vgpu_inventory_t *inv)
{
	json_object *v;
	int64_t x;
	int rc;

	if (!json_object_is_type(root, json_type_object))
		return jerr(c, NULL, "expected a JSON object");
	if (get_int(c, root, "", "version", REQUIRED, 0, INT32_MAX, &x) < 0)
		return -1;
	if (x != VGPU_INV_VERSION)
		return jerr(c, "version", "unsupported version %" PRId64 " (this vgpu reads version %d)", x,
			    VGPU_INV_VERSION);
	if (get_str(c, root, "", "hostname", REQUIRED, inv->hostname, sizeof(inv->hostname)) < 0)
		return -1;
	if (inv->hostname[0] == '\0')
		return jerr(c, "hostname", "empty");
	if (check_charset(c, "", "hostname", inv->hostname, "-_.", "a host name") < 0)
		return -1;
	if (get_str(c, root, "", "driver_version", OPTIONAL, inv->driver_version,
		    sizeof(inv->driver_version)) < 0)
		return -1;
	if ((rc = get_int(c, root, "", "cuda_driver_version", OPTIONAL, 0, INT32_MAX, &x)) < 0)
		return -1;
	inv->cuda_driver_version = rc ? (int)x : 0;
	if (get_str(c, root, "", "source", OPTIONAL, inv->source, sizeof(inv->source)) < 0)
		return -1;
	v = member(root, "gpus");
	if (!v)
		return jerr(c, "gpus", "missing (expected an array)");
	if (!json_object_is_type(v, json_type_array))
		return jerr(c, "gpus", "expected an array");
	if (json_object_array_length(v) > VGPU_GPUS_MAX)
		return jerr(c, "gpus", "%zu GPUs, at most %d", json_object_array_length(v), VGPU_GPUS_MAX);
	inv->ngpus = json_object_array_length(v);
	for (size_t i = 0; i < inv->ngpus; i++) {
		char path[PATH_LEN];

		snprintf(path, sizeof(path), "gpus[%zu]", i);
		if (parse_gpu(c, json_object_array_get_idx(v, i), path, &inv->gpus[i]) < 0)
			return -1;
	}
	return cross_check(c, inv);
}

static int only_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
			return 0;
	return 1;
}

int vgpu_inventory_from_json(const char *text, size_t len, const char *name,
			     vgpu_inventory_t *inv, vgpu_err_t *err)
{
	jctx_t c = { name ? name : "inventory", err };
	struct json_tokener *tok = NULL;
	json_object *root = NULL;
	vgpu_inventory_t *tmp = NULL;
	int rc = -1;

	memset(inv, 0, sizeof(*inv));
	if (!text || len == 0 || only_space(text, len)) {
		jerr(&c, NULL, "empty (expected a JSON object)");
		goto out;
	}
	if (len > INV_FILE_MAX) {
		jerr(&c, NULL, "larger than %u bytes", INV_FILE_MAX);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		jerr(&c, NULL, "contains a NUL byte");
		goto out;
	}
	tok = json_tokener_new_ex(INV_JSON_DEPTH);
	tmp = calloc(1, sizeof(*tmp));
	if (!tok || !tmp) {
		jerr(&c, NULL, "out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		if (e == json_tokener_continue || e == json_tokener_success)
			jerr(&c, NULL, "invalid JSON: unexpected end of input");
		else
			jerr(&c, NULL, "invalid JSON at byte %zu: %s", json_tokener_get_parse_end(tok),
			     json_tokener_error_desc(e));
		goto out;
	}
	if (!only_space(text + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok))) {
		jerr(&c, NULL, "invalid JSON at byte %zu: text after the end of the object",
		     json_tokener_get_parse_end(tok));
		goto out;
	}
	if (parse_root(&c, root, tmp) < 0)
		goto out;
	memcpy(inv, tmp, sizeof(*inv));
	rc = 0;
out:
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	free(tmp);
	return rc;
}

int vgpu_inventory_load(const char *path, vgpu_inventory_t *inv, vgpu_err_t *err)
{
	char *buf;
	size_t len;
	int rc;

	memset(inv, 0, sizeof(*inv));
	if (vgpu_file_read(path, INV_FILE_MAX, &buf, &len, err) != 0)
		return -1;
	rc = vgpu_inventory_from_json(buf, len, path, inv, err);
	free(buf);
	return rc;
}
