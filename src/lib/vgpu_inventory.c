/* vgpu_inventory.c - see vgpu_inventory.h: type names, ids, comparison.
 * The JSON form is in vgpu_inventory_json.c. */
#include "vgpu_inventory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 48


/* ---- type names --------------------------------------------------------- */

/* Words glued in front of the model number ("RTX 4090" -> "rtx4090"). */
static const char *const glue_words[] = { "rtx", "gtx", "pro" };
/* Words after the model number that name another product ("4070 Ti"). */
static const char *const suffix_words[] = { "ti", "super", "ada" };

static int in_list(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

#define TYPE_TOKENS 16
#define TOKEN_LEN 32

/* Split model into lower-case alphanumeric tokens at anything else. */
static size_t tokenize(const char *model, char tok[][TOKEN_LEN], size_t max)
{
	size_t n = 0, len = 0;

	for (const char *p = model;; p++) {
		unsigned char c = (unsigned char)*p;
		int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (alnum && n < max) {
			if (len + 1 < TOKEN_LEN)
				tok[n][len++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		} else if (len > 0) {
			tok[n++][len] = '\0';
			len = 0;
		}
		if (c == '\0')
			break;
	}
	return n;
}

static int has_digit(const char *s)
{
	return strpbrk(s, "0123456789") != NULL;
}

static int append(char *out, size_t cap, size_t *used, const char *s)
{
	size_t n = strlen(s);

	if (*used + n >= cap)
		return -1;
	memcpy(out + *used, s, n + 1);
	*used += n;
	return 0;
}

int vgpu_inventory_type_name(const char *model, char *buf, size_t len)
{
	char tok[TYPE_TOKENS][TOKEN_LEN];
	char out[VGPU_NAME_MAX];
	size_t ntok, used = 0, m, first, i;
	int rc = -1;

	if (!model || !buf || len == 0)
		return -1;
	buf[0] = '\0';
	out[0] = '\0';
	ntok = tokenize(model, tok, TYPE_TOKENS);
	for (m = 0; m < ntok && !has_digit(tok[m]); m++)
		;
	if (m < ntok) {
		/* The model number, the glue words right before it, the
		 * distinguishing words anywhere after it. */
		for (first = m; first > 0 && in_list(tok[first - 1], glue_words, 3); first--)
			;
		for (i = first; i <= m; i++)
			if (append(out, sizeof(out), &used, tok[i]) != 0)
				goto out;
		for (i = m + 1; i < ntok; i++)
			if (in_list(tok[i], suffix_words, 3) && append(out, sizeof(out), &used, tok[i]) != 0)
				goto out;
	} else {
		/* No model number: only the TITAN family ("TITAN RTX", "TITAN V"). */
		for (first = 0; first < ntok && strcmp(tok[first], "titan") != 0; first++)
			;
		if (first == ntok)
			goto out;
		for (i = first; i < ntok; i++)
			if (append(out, sizeof(out), &used, tok[i]) != 0)
				goto out;
	}
	if (used == 0 || out[0] < 'a' || out[0] > 'z' || used + 1 > len)
		goto out;
	memcpy(buf, out, used + 1);
	rc = 0;
out:
	return rc;
}

/* ---- bus ids, uuids ------------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read exactly `min`..`max` hex digits at *p; returns the count or -1. */
static int read_hex(const char **p, int min, int max, unsigned long *val)
{
	int n = 0;

	*val = 0;
	while (n < max && hexval((unsigned char)(*p)[n]) >= 0) {
		*val = *val * 16 + (unsigned long)hexval((unsigned char)(*p)[n]);
		n++;
	}
	if (n < min || hexval((unsigned char)(*p)[n]) >= 0)
		return -1;
	*p += n;
	return n;
}

int vgpu_inventory_busid(const char *in, char *out, size_t len, vgpu_err_t *err)
{
	char q[4 * QUOTE_MAX + 8];
	unsigned long dom, bus, dev, fn;
	const char *p = in;
	int n;

	vgpu_err_quote(q, sizeof(q), in, QUOTE_MAX);
	if (!in || read_hex(&p, 1, 8, &dom) < 0 || *p++ != ':' || read_hex(&p, 2, 2, &bus) < 0 ||
	    *p++ != ':' || read_hex(&p, 2, 2, &dev) < 0 || *p++ != '.' ||
	    read_hex(&p, 1, 1, &fn) < 0 || *p != '\0')
		return vgpu_err_set(err, "bus id '%s': expected DOMAIN:BUS:DEVICE.FUNCTION in hex, e.g. 0000:1b:00.0", q);
	if (dev > 0x1f || fn > 7)
		return vgpu_err_set(err, "bus id '%s': device above 1f or function above 7", q);
	n = snprintf(out, len, "%04lx:%02lx:%02lx.%lx", dom, bus, dev, fn);
	if (n < 0 || (size_t)n >= len)
		return vgpu_err_set(err, "bus id '%s': no room for the canonical form", q);
	return 0;
}

const char *vgpu_inventory_uuid_format(const unsigned char uuid[16], char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[37];
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			tmp[o++] = '-';
		tmp[o++] = hex[uuid[i] >> 4];
		tmp[o++] = hex[uuid[i] & 15];
	}
	tmp[o] = '\0';
	if (len > 0) {
		size_t n = len - 1 < o ? len - 1 : o;

		memcpy(buf, tmp, n);
		buf[n] = '\0';
	}
	return buf;
}

int vgpu_inventory_uuid_parse(const char *text, unsigned char uuid[16])
{
	unsigned char tmp[16];
	int b = 0;

	if (!text || strlen(text) != 36)
		return -1;
	for (int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i++] != '-')
				return -1;
			continue;
		}
		int hi = hexval((unsigned char)text[i]), lo = hexval((unsigned char)text[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		tmp[b++] = (unsigned char)(hi * 16 + lo);
		i += 2;
	}
	memcpy(uuid, tmp, 16);
	return 0;
}

static const char *const fabric_names[] = { "none", "not_started", "in_progress", "completed" };

const char *vgpu_inventory_fabric_state_name(vgpu_fabric_state_t state)
{
	if ((unsigned)state < sizeof(fabric_names) / sizeof(fabric_names[0]))
		return fabric_names[state];
	return "unknown";
}

static const char *const health_names[] = { "not_supported", "healthy", "unhealthy", "limited_capacity" };

const char *vgpu_inventory_fabric_health_name(vgpu_fabric_health_t health)
{
	if ((unsigned)health < sizeof(health_names) / sizeof(health_names[0]))
		return health_names[health];
	return "unknown";
}

static const char *const clique_names[] = { "unicast_pointer", "multicast_pointer", "unicast_logical_endpoint",
					    "multicast_logical_endpoint" };

const char *vgpu_inventory_clique_type_name(unsigned type)
{
	return type < sizeof(clique_names) / sizeof(clique_names[0]) ? clique_names[type] : NULL;
}

int vgpu_inventory_fabric_attached(const vgpu_fabric_t *f)
{
	static const unsigned char zero[16];

	return f->state == VGPU_FABRIC_COMPLETED && f->status == 0 &&
	       memcmp(f->cluster_uuid, zero, sizeof(zero)) != 0;
}

const vgpu_gpu_t *vgpu_inventory_find_busid(const vgpu_inventory_t *inv, const char *bus_id)
{
	for (size_t i = 0; i < inv->ngpus && i < VGPU_GPUS_MAX; i++)
		if (strcmp(inv->gpus[i].bus_id, bus_id) == 0)
			return &inv->gpus[i];
	return NULL;
}

/* ---- compare ------------------------------------------------------------- */

static int differ(char *what, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int differ(char *what, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (what && len) {
		va_start(ap, fmt);
		vsnprintf(what, len, fmt, ap);
		va_end(ap);
	}
	return 1;
}

#define STR_NE(a, b) (strncmp((a), (b), sizeof(a)) != 0)

static int compare_gpu(const vgpu_gpu_t *a, const vgpu_gpu_t *b, size_t i, char *what, size_t len)
{
	static const char *const f[] = { "index", "minor", "uuid", "bus_id", "model", "type", "memory",
					 "sms", "mig_enabled", "numa_node", "cpus", "cores", "nvlink", "fabric",
					 "reserved", "context" };
	const int ne[] = { a->index != b->index, a->minor != b->minor, STR_NE(a->uuid, b->uuid),
			   STR_NE(a->bus_id, b->bus_id), STR_NE(a->model, b->model),
			   STR_NE(a->type, b->type), a->mem_bytes != b->mem_bytes, a->sms != b->sms,
			   (a->mig_enabled != 0) != (b->mig_enabled != 0), a->numa_node != b->numa_node,
			   STR_NE(a->cpus, b->cpus), STR_NE(a->cores, b->cores), a->nlinks != b->nlinks,
			   memcmp(a->fabric.cluster_uuid, b->fabric.cluster_uuid, 16) != 0 ||
				   a->fabric.clique_id != b->fabric.clique_id ||
				   a->fabric.state != b->fabric.state || a->fabric.status != b->fabric.status ||
				   a->fabric.health_mask != b->fabric.health_mask ||
				   a->fabric.health_summary != b->fabric.health_summary ||
				   STR_NE(a->fabric.source, b->fabric.source) ||
				   a->fabric.ncliques != b->fabric.ncliques,
			   a->reserved_bytes != b->reserved_bytes, a->context_bytes != b->context_bytes };

	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
		if (ne[k])
			return differ(what, len, "gpus[%zu].%s", i, f[k]);
	for (size_t k = 0; k < a->nlinks && k < VGPU_GPUS_MAX; k++) {
		const vgpu_nvlink_t *x = &a->links[k], *y = &b->links[k];

		if (x->peer != y->peer || STR_NE(x->peer_bus_id, y->peer_bus_id) || x->links != y->links ||
		    x->bw_mbps != y->bw_mbps)
			return differ(what, len, "gpus[%zu].nvlink[%zu]", i, k);
	}
	for (size_t k = 0; k < a->fabric.ncliques && k < VGPU_FABRIC_CLIQUES_MAX; k++)
		if (a->fabric.cliques[k].type != b->fabric.cliques[k].type ||
		    a->fabric.cliques[k].id != b->fabric.cliques[k].id)
			return differ(what, len, "gpus[%zu].fabric.cliques[%zu]", i, k);
	return 0;
}

int vgpu_inventory_compare(const vgpu_inventory_t *a, const vgpu_inventory_t *b,
			   char *what, size_t len)
{
	if (STR_NE(a->hostname, b->hostname))
		return differ(what, len, "hostname");
	if (STR_NE(a->driver_version, b->driver_version))
		return differ(what, len, "driver_version");
	if (a->cuda_driver_version != b->cuda_driver_version)
		return differ(what, len, "cuda_driver_version");
	if (STR_NE(a->source, b->source))
		return differ(what, len, "source");
	if (a->ngpus != b->ngpus)
		return differ(what, len, "gpus");
	for (size_t i = 0; i < a->ngpus && i < VGPU_GPUS_MAX; i++)
		if (compare_gpu(&a->gpus[i], &b->gpus[i], i, what, len))
			return 1;
	if (what && len)
		what[0] = '\0';
	return 0;
}
