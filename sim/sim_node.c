/*
 * sim_node.c - parse a simulated node's JSON description (json-c).
 *
 * Table-driven where it helps: every object's keys are checked against the
 * list it may hold, so a misspelt field is an error that names it instead of
 * a silent default.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_node.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NODE_FILE_MAX (1u << 20)
#define MEMORY_MAX (1ull << 50) /* 1 PiB: anything larger is a typo */

/* Where we are, for messages: "source: gpus[2].nvlink.peers[0]". */
struct ctx {
	const char *source;
	char *err;
	size_t errlen;
};

static int fail(const struct ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(const struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: %s%s%s", c->source, path, path[0] ? ": " : "", msg);
	return -1;
}

/* Fail on the first key of obj that is not in allowed (NULL-terminated). */
static int check_keys(const struct ctx *c, const char *path, json_object *obj, const char *const *allowed)
{
	json_object_object_foreach(obj, key, val) {
		size_t i;

		(void)val;
		for (i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (!allowed[i]) {
			char sub[160];

			snprintf(sub, sizeof(sub), "%s%s%.60s", path, path[0] ? "." : "", key);
			return fail(c, sub, "unknown field");
		}
	}
	return 0;
}

/* out = "path.key" (cut to len; paths are short). */
static void join(char *out, size_t len, const char *path, const char *key)
{
	if (snprintf(out, len, "%s%s%s", path, path[0] ? "." : "", key) >= (int)len)
		out[len - 1] = '\0';
}

/* Integer field in [min, max]; *present tells whether it was there. */
static int get_int(const struct ctx *c, json_object *obj, const char *path, const char *key, bool required,
		   int64_t min, int64_t max, int64_t *out)
{
	json_object *v;
	char sub[160];
	int64_t x;

	join(sub, sizeof(sub), path, key);
	if (!json_object_object_get_ex(obj, key, &v))
		return required ? fail(c, sub, "missing") : 1;
	if (!json_object_is_type(v, json_type_int))
		return fail(c, sub, "expected an integer from %" PRId64 " to %" PRId64, min, max);
	errno = 0;
	x = json_object_get_int64(v);
	if (errno == ERANGE || x < min || x > max)
		return fail(c, sub, "expected an integer from %" PRId64 " to %" PRId64, min, max);
	*out = x;
	return 0;
}

static int get_bool(const struct ctx *c, json_object *obj, const char *path, const char *key, bool *out)
{
	json_object *v;
	char sub[160];

	join(sub, sizeof(sub), path, key);
	if (!json_object_object_get_ex(obj, key, &v))
		return 1;
	if (!json_object_is_type(v, json_type_boolean))
		return fail(c, sub, "expected true or false");
	*out = json_object_get_boolean(v);
	return 0;
}

/* String field, copied into out (len bytes, must fit with its NUL). */
static int get_str(const struct ctx *c, json_object *obj, const char *path, const char *key, bool required,
		   char *out, size_t len)
{
	json_object *v;
	char sub[160];
	const char *s;
	size_t n;

	join(sub, sizeof(sub), path, key);
	if (!json_object_object_get_ex(obj, key, &v))
		return required ? fail(c, sub, "missing") : 1;
	if (!json_object_is_type(v, json_type_string))
		return fail(c, sub, "expected a string");
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n >= len || strlen(s) != n)
		return fail(c, sub, "expected a string of 1 to %zu characters", len - 1);
	for (size_t i = 0; i < n; i++)
		if (!isprint((unsigned char)s[i]))
			return fail(c, sub, "non-printable character at offset %zu", i);
	memcpy(out, s, n + 1);
	return 0;
}

/* Hex string "0x1234" (or "1234") of at most max_digits digits. */
static int get_hex(const struct ctx *c, json_object *obj, const char *path, const char *key, int max_digits,
		   unsigned int *out)
{
	char buf[16], sub[160], *end;
	const char *p;
	unsigned long x;
	int rc = get_str(c, obj, path, key, false, buf, sizeof(buf));

	if (rc != 0)
		return rc;
	join(sub, sizeof(sub), path, key);
	p = (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) ? buf + 2 : buf;
	if (!*p || (int)strlen(p) > max_digits || !isxdigit((unsigned char)*p))
		return fail(c, sub, "expected a hex number of at most %d digits, like \"0x%0*x\"", max_digits,
			    max_digits, 0x2330);
	x = strtoul(p, &end, 16);
	if (*end)
		return fail(c, sub, "expected a hex number of at most %d digits", max_digits);
	*out = (unsigned int)x;
	return 0;
}

int vgpu_sim_uuid_parse(const char *text, unsigned char out[16])
{
	static const int group[] = { 8, 4, 4, 4, 12 };
	const char *p = text;
	int n = 0;

	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < group[g]; i++, p++) {
			if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
				return -1;
			unsigned v = (unsigned)(isdigit((unsigned char)*p) ? *p - '0' : *p - 'a' + 10);
			if (n % 2 == 0)
				out[n / 2] = (unsigned char)(v << 4);
			else
				out[n / 2] |= (unsigned char)v;
			n++;
		}
		if (g < 4 && *p++ != '-')
			return -1;
	}
	return *p == '\0' ? 0 : -1;
}

/* Parse hex digits [*p, up to max), at least one; advances *p. */
static int hexfield(const char **p, int max, unsigned int *out)
{
	unsigned int v = 0;
	int n = 0;

	while (isxdigit((unsigned char)**p) && n < max) {
		char ch = (char)tolower((unsigned char)**p);

		v = v * 16 + (unsigned)(isdigit((unsigned char)ch) ? ch - '0' : ch - 'a' + 10);
		(*p)++;
		n++;
	}
	if (n == 0 || isxdigit((unsigned char)**p))
		return -1;
	*out = v;
	return 0;
}

int vgpu_sim_pci_parse(const char *text, struct vgpu_sim_pci *pci)
{
	const char *p = text, *colon1, *colon2;
	struct vgpu_sim_pci r = { 0, 0, 0, 0 };

	if (!text)
		return -1;
	colon1 = strchr(text, ':');
	colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
	if (!colon1)
		return -1;
	if (colon2) {
		if (hexfield(&p, 8, &r.domain) != 0 || *p++ != ':')
			return -1;
	}
	if (hexfield(&p, 2, &r.bus) != 0 || *p++ != ':')
		return -1;
	if (hexfield(&p, 2, &r.device) != 0 || r.device > 31)
		return -1;
	if (*p == '.') {
		p++;
		if (hexfield(&p, 1, &r.function) != 0 || r.function > 7)
			return -1;
	}
	if (*p != '\0')
		return -1;
	*pci = r;
	return 0;
}

char *vgpu_sim_pci_format(const struct vgpu_sim_pci *pci, bool legacy, char *buf, size_t len)
{
	snprintf(buf, len, legacy ? "%04X:%02X:%02X.%X" : "%08X:%02X:%02X.%X", pci->domain, pci->bus, pci->device,
		 pci->function);
	return buf;
}

static int pci_cmp(const struct vgpu_sim_pci *a, const struct vgpu_sim_pci *b)
{
	unsigned long long x = ((unsigned long long)a->domain << 24) | (a->bus << 16) | (a->device << 8) | a->function;
	unsigned long long y = ((unsigned long long)b->domain << 24) | (b->bus << 16) | (b->device << 8) | b->function;

	return x < y ? -1 : x > y;
}

static int get_pci(const struct ctx *c, json_object *obj, const char *path, struct vgpu_sim_pci *pci)
{
	char buf[32], sub[160];
	int rc = get_str(c, obj, path, "pci_bus_id", true, buf, sizeof(buf));

	if (rc != 0)
		return -1;
	join(sub, sizeof(sub), path, "pci_bus_id");
	if (vgpu_sim_pci_parse(buf, pci) != 0)
		return fail(c, sub, "'%s' is not a PCI bus id like \"00000000:18:00.0\"", buf);
	return 0;
}

static const char *const clique_types[] = { "unicast_pointer", "multicast_pointer", "unicast_logical_endpoint",
					     "multicast_logical_endpoint", NULL };

/* Index of buf in names (NULL-terminated), or -1. */
static int lookup(const char *const *names, const char *buf)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], buf) == 0)
			return i;
	return -1;
}

static int clique_cmp(const void *pa, const void *pb)
{
	const struct vgpu_sim_clique *a = pa, *b = pb;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* "cliques": [{"type": "unicast_pointer" | 0..255, "id": N}, ...], kept
 * sorted by type then id, as the driver reports them. */
static int parse_cliques(const struct ctx *c, json_object *arr, const char *path, struct vgpu_sim_fabric *f)
{
	static const char *const keys[] = { "type", "id", NULL };
	char sub[160], buf[48];
	size_t n;

	if (!json_object_is_type(arr, json_type_array))
		return fail(c, path, "expected an array");
	n = json_object_array_length(arr);
	if (n > VGPU_SIM_MAX_CLIQUES)
		return fail(c, path, "%zu entries; at most %d", n, VGPU_SIM_MAX_CLIQUES);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i), *t;
		int64_t x;
		int k;

		if (snprintf(sub, sizeof(sub), "%s[%zu]", path, i) >= (int)sizeof(sub))
			sub[sizeof(sub) - 1] = '\0';
		if (!json_object_is_type(e, json_type_object))
			return fail(c, sub, "expected an object");
		if (check_keys(c, sub, e, keys) != 0 || get_int(c, e, sub, "id", true, 0, UINT32_MAX, &x) != 0)
			return -1;
		f->cliques[i].id = (unsigned int)x;
		if (!json_object_object_get_ex(e, "type", &t))
			return fail(c, sub, "type: missing");
		if (json_object_is_type(t, json_type_int)) {
			if (get_int(c, e, sub, "type", true, 0, 255, &x) != 0)
				return -1;
			f->cliques[i].type = (unsigned char)x;
			continue;
		}
		if (get_str(c, e, sub, "type", true, buf, sizeof(buf)) != 0)
			return -1;
		if ((k = lookup(clique_types, buf)) < 0)
			return fail(c, sub,
				    "type: '%s' is not one of unicast_pointer, multicast_pointer, "
				    "unicast_logical_endpoint, multicast_logical_endpoint or an integer 0..255",
				    buf);
		f->cliques[i].type = (unsigned char)k;
	}
	f->ncliques = (int)n;
	qsort(f->cliques, n, sizeof(f->cliques[0]), clique_cmp);
	return 0;
}

/* The legacy cliqueId and the v4 list must tell one story: clique_id is the
 * first unicast pointer clique. Either may be given; the other follows. */
static int fabric_cliques(const struct ctx *c, const char *path, bool have_id, struct vgpu_sim_fabric *f)
{
	int uc = -1;

	for (int i = 0; i < f->ncliques && uc < 0; i++)
		if (f->cliques[i].type == 0)
			uc = i;
	if (uc >= 0 && have_id && f->cliques[uc].id != f->clique_id)
		return fail(c, path,
			    "clique_id %u differs from the first unicast_pointer clique (%u): the legacy "
			    "cliqueId is that clique",
			    f->clique_id, f->cliques[uc].id);
	if (uc >= 0)
		f->clique_id = f->cliques[uc].id;
	else if (f->ncliques == 0 && (have_id || f->state == 3)) {
		f->cliques[0].type = 0;
		f->cliques[0].id = f->clique_id;
		f->ncliques = 1;
	}
	return 0;
}

static int parse_fabric(const struct ctx *c, json_object *obj, const char *path, struct vgpu_sim_fabric *f)
{
	static const char *const keys[] = { "cluster_uuid", "clique_id",   "state", "status", "health_mask",
					    "health_summary", "cliques", NULL };
	static const char *const states[] = { "not_supported", "not_started", "in_progress", "completed", NULL };
	static const char *const health[] = { "not_supported", "healthy", "unhealthy", "limited_capacity", NULL };
	char buf[48], sub[160];
	json_object *v;
	bool have_cliques;
	int64_t x;
	int rc, i;

	if (!json_object_is_type(obj, json_type_object))
		return fail(c, path, "expected an object");
	if (check_keys(c, path, obj, keys) != 0)
		return -1;
	f->present = true;
	if (get_str(c, obj, path, "state", true, buf, sizeof(buf)) != 0)
		return -1;
	i = lookup(states, buf);
	join(sub, sizeof(sub), path, "state");
	if (i < 0)
		return fail(c, sub, "'%s' is not one of not_supported, not_started, in_progress, completed", buf);
	f->state = (unsigned char)i;
	rc = get_str(c, obj, path, "cluster_uuid", f->state == 3, buf, sizeof(buf));
	if (rc < 0)
		return -1;
	join(sub, sizeof(sub), path, "cluster_uuid");
	if (rc == 0 && vgpu_sim_uuid_parse(buf, f->cluster_uuid) != 0)
		return fail(c, sub, "'%s' is not a UUID in 8-4-4-4-12 lowercase hex", buf);
	have_cliques = json_object_object_get_ex(obj, "cliques", &v);
	if (have_cliques) {
		join(sub, sizeof(sub), path, "cliques");
		if (parse_cliques(c, v, sub, f) != 0)
			return -1;
	}
	rc = get_int(c, obj, path, "clique_id", f->state == 3 && !have_cliques, 0, UINT32_MAX, &x);
	if (rc < 0)
		return -1;
	f->clique_id = rc == 0 ? (unsigned int)x : 0;
	if (fabric_cliques(c, path, rc == 0, f) != 0)
		return -1;
	rc = get_int(c, obj, path, "status", false, 0, 999, &x);
	if (rc < 0)
		return -1;
	f->status = rc == 0 ? (unsigned int)x : 0;
	rc = get_int(c, obj, path, "health_mask", false, 0, UINT32_MAX, &x);
	if (rc < 0)
		return -1;
	f->health_mask = rc == 0 ? (unsigned int)x : 0;
	f->health_summary = f->state == 3 ? 1 : 0;
	rc = get_str(c, obj, path, "health_summary", false, buf, sizeof(buf));
	if (rc < 0)
		return -1;
	if (rc == 0) {
		i = lookup(health, buf);
		join(sub, sizeof(sub), path, "health_summary");
		if (i < 0)
			return fail(c, sub, "'%s' is not one of not_supported, healthy, unhealthy, limited_capacity",
				    buf);
		f->health_summary = (unsigned char)i;
	}
	return 0;
}

/* "nvlink": {"links": N, "peers": [{"gpu": i, "links": n} | {"nvswitch": j, "links": n}]}:
 * link numbers are handed out in list order. Targets are checked later. */
static int parse_nvlink(const struct ctx *c, json_object *obj, const char *path, struct vgpu_sim_gpu *g)
{
	static const char *const keys[] = { "links", "peers", NULL };
	static const char *const peer_keys[] = { "gpu", "nvswitch", "links", NULL };
	json_object *peers;
	int64_t x;
	int next = 0;

	if (!json_object_is_type(obj, json_type_object))
		return fail(c, path, "expected an object");
	if (check_keys(c, path, obj, keys) != 0 ||
	    get_int(c, obj, path, "links", true, 1, VGPU_SIM_MAX_LINKS, &x) != 0)
		return -1;
	g->nvlinks = (int)x;
	if (!json_object_object_get_ex(obj, "peers", &peers))
		return 0;
	if (!json_object_is_type(peers, json_type_array)) {
		char sub[160];

		join(sub, sizeof(sub), path, "peers");
		return fail(c, sub, "expected an array");
	}
	for (size_t i = 0; i < json_object_array_length(peers); i++) {
		json_object *p = json_object_array_get_idx(peers, i);
		char sub[160];
		int64_t links, target;
		bool is_gpu;
		int rc;

		if (snprintf(sub, sizeof(sub), "%s.peers[%zu]", path, i) >= (int)sizeof(sub))
			return fail(c, path, "path too long");
		if (!json_object_is_type(p, json_type_object))
			return fail(c, sub, "expected an object");
		if (check_keys(c, sub, p, peer_keys) != 0)
			return -1;
		is_gpu = json_object_object_get_ex(p, "gpu", NULL);
		if (is_gpu == json_object_object_get_ex(p, "nvswitch", NULL))
			return fail(c, sub, "give exactly one of \"gpu\" or \"nvswitch\"");
		rc = get_int(c, p, sub, is_gpu ? "gpu" : "nvswitch", true, 0,
			     (is_gpu ? VGPU_SIM_MAX_GPUS : VGPU_SIM_MAX_SWITCHES) - 1, &target);
		if (rc != 0 || get_int(c, p, sub, "links", true, 1, VGPU_SIM_MAX_LINKS, &links) != 0)
			return -1;
		if (next + links > g->nvlinks)
			return fail(c, sub, "%d links in all, but nvlink.links is %d", next + (int)links,
				    g->nvlinks);
		for (int l = 0; l < links; l++) {
			g->links[next].kind = is_gpu ? VGPU_SIM_LINK_GPU : VGPU_SIM_LINK_SWITCH;
			g->links[next].target = (int)target;
			next++;
		}
	}
	return 0;
}

static int parse_gpu(const struct ctx *c, json_object *obj, int index, struct vgpu_sim_gpu *g)
{
	static const char *const keys[] = { "uuid",	  "pci_bus_id",	    "pci_device_id", "pci_subsystem_id",
					    "name",	  "memory_bytes",   "reserved_bytes", "context_bytes",
					    "sms",	  "compute_capability", "minor",      "mig",
					    "mig_capable", "nvlink",	    "fabric",	     NULL };
	char path[32], sub[160], cc[16];
	json_object *v;
	int64_t x;
	int rc;

	snprintf(path, sizeof(path), "gpus[%d]", index);
	if (!json_object_is_type(obj, json_type_object))
		return fail(c, path, "expected an object");
	if (check_keys(c, path, obj, keys) != 0)
		return -1;
	if (get_str(c, obj, path, "uuid", true, g->uuid, sizeof(g->uuid)) != 0)
		return -1;
	join(sub, sizeof(sub), path, "uuid");
	if (strncmp(g->uuid, "GPU-", 4) != 0 || vgpu_sim_uuid_parse(g->uuid + 4, g->uuid_bytes) != 0)
		return fail(c, sub, "'%s' is not GPU- followed by 8-4-4-4-12 lowercase hex digits", g->uuid);
	if (get_pci(c, obj, path, &g->pci) != 0)
		return -1;
	if (get_hex(c, obj, path, "pci_device_id", 4, &g->pci_device_id) < 0 ||
	    get_hex(c, obj, path, "pci_subsystem_id", 8, &g->pci_subsystem_id) < 0)
		return -1;
	if (get_str(c, obj, path, "name", true, g->name, sizeof(g->name)) != 0)
		return -1;
	if (get_int(c, obj, path, "memory_bytes", true, 1 << 20, (int64_t)MEMORY_MAX, &x) != 0)
		return -1;
	g->memory_bytes = (uint64_t)x;
	rc = get_int(c, obj, path, "reserved_bytes", false, 0, (int64_t)g->memory_bytes - 1, &x);
	if (rc < 0)
		return -1;
	g->reserved_bytes = rc == 0 ? (uint64_t)x : 0;
	rc = get_int(c, obj, path, "context_bytes", false, 0, (int64_t)(g->memory_bytes - g->reserved_bytes), &x);
	if (rc < 0)
		return -1;
	g->context_bytes = rc == 0 ? (uint64_t)x : VGPU_SIM_DEFAULT_CONTEXT_BYTES;
	join(sub, sizeof(sub), path, "context_bytes");
	if (g->context_bytes > g->memory_bytes - g->reserved_bytes)
		return fail(c, sub, "a context (%" PRIu64 " bytes) would not fit in memory_bytes - reserved_bytes",
			    g->context_bytes);
	if (get_int(c, obj, path, "sms", true, 1, 1024, &x) != 0)
		return -1;
	g->sms = (int)x;
	if (get_str(c, obj, path, "compute_capability", true, cc, sizeof(cc)) != 0)
		return -1;
	join(sub, sizeof(sub), path, "compute_capability");
	{
		char *end;
		long major = strtol(cc, &end, 10), minor;

		if (end == cc || *end != '.' || !isdigit((unsigned char)end[1]))
			return fail(c, sub, "'%s' is not MAJOR.MINOR like \"9.0\"", cc);
		minor = strtol(end + 1, &end, 10);
		if (*end || major < 1 || major > 99 || minor < 0 || minor > 9)
			return fail(c, sub, "'%s' is not MAJOR.MINOR like \"9.0\"", cc);
		g->cc_major = (int)major;
		g->cc_minor = (int)minor;
	}
	rc = get_int(c, obj, path, "minor", false, 0, 255, &x);
	if (rc < 0)
		return -1;
	g->minor = rc == 0 ? (unsigned int)x : (unsigned int)index;
	if (get_bool(c, obj, path, "mig", &g->mig_enabled) < 0)
		return -1;
	g->mig_capable = g->mig_enabled;
	if (get_bool(c, obj, path, "mig_capable", &g->mig_capable) < 0)
		return -1;
	if (g->mig_enabled && !g->mig_capable) {
		join(sub, sizeof(sub), path, "mig");
		return fail(c, sub, "MIG enabled on a GPU with mig_capable false");
	}
	if (json_object_object_get_ex(obj, "nvlink", &v)) {
		join(sub, sizeof(sub), path, "nvlink");
		if (parse_nvlink(c, v, sub, g) != 0)
			return -1;
	}
	if (json_object_object_get_ex(obj, "fabric", &v)) {
		join(sub, sizeof(sub), path, "fabric");
		if (parse_fabric(c, v, sub, &g->fabric) != 0)
			return -1;
	}
	return 0;
}

static int parse_switches(const struct ctx *c, json_object *arr, struct vgpu_sim_node *node)
{
	static const char *const keys[] = { "pci_bus_id", "pci_device_id", NULL };
	size_t n;

	if (!json_object_is_type(arr, json_type_array))
		return fail(c, "nvswitches", "expected an array");
	n = json_object_array_length(arr);
	if (n > VGPU_SIM_MAX_SWITCHES)
		return fail(c, "nvswitches", "%zu switches; at most %d", n, VGPU_SIM_MAX_SWITCHES);
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);
		struct vgpu_sim_switch *sw = &node->switches[i];
		char path[32];

		snprintf(path, sizeof(path), "nvswitches[%zu]", i);
		if (!json_object_is_type(s, json_type_object))
			return fail(c, path, "expected an object");
		if (check_keys(c, path, s, keys) != 0 || get_pci(c, s, path, &sw->pci) != 0 ||
		    get_hex(c, s, path, "pci_device_id", 4, &sw->pci_device_id) < 0)
			return -1;
		node->nswitches = (int)i + 1;
	}
	return 0;
}

/* Cross-GPU checks: order, duplicates, link targets, link symmetry. */
static int check_node(const struct ctx *c, struct vgpu_sim_node *node)
{
	char path[64];

	for (int i = 0; i < node->ngpus; i++) {
		struct vgpu_sim_gpu *g = &node->gpus[i];

		snprintf(path, sizeof(path), "gpus[%d]", i);
		for (int j = 0; j < i; j++) {
			if (strcmp(node->gpus[j].uuid, g->uuid) == 0)
				return fail(c, path, "uuid %s repeats gpus[%d]", g->uuid, j);
			if (pci_cmp(&node->gpus[j].pci, &g->pci) >= 0)
				return fail(c, path, "pci_bus_id not above gpus[%d]'s: list GPUs in PCI order", j);
		}
		for (int l = 0; l < g->nvlinks; l++) {
			const struct vgpu_sim_link *k = &g->links[l];

			if (k->kind == VGPU_SIM_LINK_GPU && (k->target >= node->ngpus || k->target == i))
				return fail(c, path, "nvlink link %d: no gpus[%d] to link to", l, k->target);
			if (k->kind == VGPU_SIM_LINK_SWITCH && k->target >= node->nswitches)
				return fail(c, path, "nvlink link %d: no nvswitches[%d]", l, k->target);
		}
	}
	for (int i = 0; i < node->ngpus; i++)
		for (int j = 0; j < node->ngpus; j++) {
			int ij = 0, ji = 0;

			for (int l = 0; l < node->gpus[i].nvlinks; l++)
				ij += node->gpus[i].links[l].kind == VGPU_SIM_LINK_GPU &&
				      node->gpus[i].links[l].target == j;
			for (int l = 0; l < node->gpus[j].nvlinks; l++)
				ji += node->gpus[j].links[l].kind == VGPU_SIM_LINK_GPU &&
				      node->gpus[j].links[l].target == i;
			if (ij != ji) {
				snprintf(path, sizeof(path), "gpus[%d].nvlink", i);
				return fail(c, path, "%d links to gpus[%d], which lists %d back", ij, j, ji);
			}
		}
	return 0;
}

static int parse_top(const struct ctx *c, json_object *root, struct vgpu_sim_node *node)
{
	static const char *const keys[] = { "version",	"hostname",   "driver_version", "cuda_version",
					    "nvml_version", "pcie_p2p", "nvswitches",	  "gpus",
					    "fabric_api",   NULL };
	json_object *v;
	int64_t x;
	size_t n;

	if (!json_object_is_type(root, json_type_object))
		return fail(c, "", "expected a JSON object at the top");
	if (get_int(c, root, "", "version", true, 0, INT32_MAX, &x) != 0)
		return -1;
	if (x != VGPU_SIM_NODE_VERSION)
		return fail(c, "version", "unsupported version %" PRId64 " (this simulator reads %d)", x,
			    VGPU_SIM_NODE_VERSION);
	node->version = (int)x;
	if (check_keys(c, "", root, keys) != 0)
		return -1;
	if (get_str(c, root, "", "hostname", true, node->hostname, sizeof(node->hostname)) != 0)
		return -1;
	for (const char *p = node->hostname; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return fail(c, "hostname", "'%s' has a character other than [A-Za-z0-9._-]", node->hostname);
	if (get_str(c, root, "", "driver_version", true, node->driver_version, sizeof(node->driver_version)) != 0)
		return -1;
	if (get_int(c, root, "", "cuda_version", true, 2000, 99990, &x) != 0)
		return -1;
	if (x % 10 != 0)
		return fail(c, "cuda_version", "%" PRId64 " is not 1000 * major + 10 * minor", x);
	node->cuda_version = (int)x;
	switch (get_str(c, root, "", "nvml_version", false, node->nvml_version, sizeof(node->nvml_version))) {
	case 1:
		snprintf(node->nvml_version, sizeof(node->nvml_version), "%d.%s", node->cuda_version / 1000,
			 node->driver_version);
		break;
	case 0:
		break;
	default:
		return -1;
	}
	node->pcie_p2p = true;
	if (get_bool(c, root, "", "pcie_p2p", &node->pcie_p2p) < 0)
		return -1;
	switch (get_int(c, root, "", "fabric_api", false, 1, 4, &x)) {
	case 0:
		node->fabric_api = (int)x;
		break;
	case 1:
		node->fabric_api = VGPU_SIM_FABRIC_API_DEFAULT;
		break;
	default:
		return -1;
	}
	if (json_object_object_get_ex(root, "nvswitches", &v) && parse_switches(c, v, node) != 0)
		return -1;
	if (!json_object_object_get_ex(root, "gpus", &v))
		return fail(c, "gpus", "missing");
	if (!json_object_is_type(v, json_type_array))
		return fail(c, "gpus", "expected an array");
	n = json_object_array_length(v);
	if (n < 1 || n > VGPU_SIM_MAX_GPUS)
		return fail(c, "gpus", "%zu GPUs; expected 1 to %d", n, VGPU_SIM_MAX_GPUS);
	for (size_t i = 0; i < n; i++) {
		if (parse_gpu(c, json_object_array_get_idx(v, i), (int)i, &node->gpus[i]) != 0)
			return -1;
		node->ngpus = (int)i + 1;
	}
	return check_node(c, node);
}

/* Bytes the tokener consumed (json_tokener_get_parse_end is json-c >= 0.15). */
static size_t parse_end(json_tokener *tok)
{
#if defined(JSON_C_VERSION_NUM) && JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
	return json_tokener_get_parse_end(tok);
#else
	return (size_t)tok->char_offset;
#endif
}

int vgpu_sim_node_parse(const char *text, size_t len, const char *source, struct vgpu_sim_node *node,
			char *err, size_t errlen)
{
	struct ctx c = { source ? source : "node", err, errlen };
	json_tokener *tok;
	json_object *root;
	int rc = -1;

	memset(node, 0, sizeof(*node));
	if (len > NODE_FILE_MAX || len > INT32_MAX)
		return fail(&c, "", "larger than %u bytes", NODE_FILE_MAX);
	tok = json_tokener_new();
	if (!tok)
		return fail(&c, "", "out of memory");
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		fail(&c, "", "invalid JSON near byte %zu: %s", parse_end(tok),
		     e == json_tokener_continue || e == json_tokener_success ? "unexpected end of input"
									      : json_tokener_error_desc(e));
		goto out;
	}
	if (parse_end(tok) < len) {
		for (size_t i = parse_end(tok); i < len; i++)
			if (!isspace((unsigned char)text[i])) {
				fail(&c, "", "trailing data at byte %zu", i);
				goto out;
			}
	}
	rc = parse_top(&c, root, node);
out:
	if (root)
		json_object_put(root);
	json_tokener_free(tok);
	if (rc != 0)
		memset(node, 0, sizeof(*node));
	return rc;
}

int vgpu_sim_node_load(const char *path, struct vgpu_sim_node *node, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)NODE_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path, NODE_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)(st.st_size - got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: read: %s", path, n < 0 ? strerror(errno) : "short read");
			goto out;
		}
		got += n;
	}
	rc = vgpu_sim_node_parse(buf, (size_t)got, path, node, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}
