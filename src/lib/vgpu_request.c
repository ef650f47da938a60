/* vgpu_request.c - see vgpu_request.h */
#include "vgpu_request.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vgpu_size.h"

#define QUOTE_MAX 64

enum { KEY_MEM, KEY_SHARE, KEY_CORES, KEY_CTX, KEY_TYPE, KEY_GPUS, KEY_COUNT };

static const char *const key_names[KEY_COUNT] = { "mem", "share", "cores", "ctx", "type", "gpus" };
static const char *const key_example[KEY_COUNT] = { "mem=10G", "share=1/3", "cores=25", "ctx=512M",
						    "type=h100", "gpus=2" };

/* Parse a decimal number of at most 9 digits (no sign) from the whole of
 * s; returns 0 and sets *out, -1 when s is no number, 1 when it has more
 * digits than any valid value. A trailing '%' is accepted when pct_ok. */
static int parse_count(const char *s, int pct_ok, unsigned *out)
{
	size_t n = 0;
	unsigned long v = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || !(s[n] == '\0' || (pct_ok && s[n] == '%' && s[n + 1] == '\0')))
		return -1;
	while (*s == '0' && n > 1) {
		s++;
		n--;
	}
	if (n > 9)
		return 1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	*out = (unsigned)v;
	return 0;
}

int vgpu_request_check_name(const char *name, const char *what, vgpu_err_t *err)
{
	char q[4 * QUOTE_MAX + 16];
	size_t i, n = strlen(name);

	vgpu_err_quote(q, sizeof(q), name, QUOTE_MAX);
	if (n == 0)
		return vgpu_err_set(err, "%s: empty name", what);
	if (n >= VGPU_NAME_MAX)
		return vgpu_err_set(err, "%s: name '%s' is too long (%zu characters, at most %d)",
				    what, q, n, VGPU_NAME_MAX - 1);
	if (!isalpha((unsigned char)name[0]) || (unsigned char)name[0] > 127)
		return vgpu_err_set(err, "%s: name '%s' does not start with a letter", what, q);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c > 127 || !(isalnum(c) || c == '_' || c == '.' || c == '-'))
			return vgpu_err_set(err, "%s: name '%s' has a character other than letters, digits, '_', '.', '-'",
					    what, q);
	}
	return 0;
}

/* "mem=P%": a percentage of what one GPU offers. */
static int parse_mem_pct(const char *val, const char *qi, vgpu_request_t *req, vgpu_err_t *err)
{
	unsigned n = 0;
	int rc = parse_count(val, 1, &n);

	if (rc < 0)
		return vgpu_err_set(err, "mem: '%s' is not a whole percentage (expected 1%%..100%%, e.g. mem=33%%)",
				    qi);
	if (rc > 0 || n < 1 || n > 100)
		return vgpu_err_set(err, "mem: '%s' is out of range (expected 1%%..100%%)", qi);
	req->mem_pct = n;
	return 0;
}

/* "share=K/N", 1 <= K <= N <= VGPU_REQUEST_SHARE_MAX. */
static int parse_share(char *val, const char *qi, vgpu_request_t *req, vgpu_err_t *err)
{
	char *slash = strchr(val, '/');
	unsigned k = 0, n = 0;
	int rk, rn;

	if (!slash)
		return vgpu_err_set(err, "share: '%s' is not a fraction K/N (e.g. share=1/3)", qi);
	*slash = '\0';
	rk = parse_count(val, 0, &k);
	rn = parse_count(slash + 1, 0, &n);
	*slash = '/';
	if (rk < 0 || rn < 0)
		return vgpu_err_set(err, "share: '%s' is not a fraction K/N of whole numbers (e.g. share=1/3)", qi);
	if (rk > 0 || rn > 0 || k < 1 || n < 1 || n > VGPU_REQUEST_SHARE_MAX || k > n)
		return vgpu_err_set(err, "share: '%s' is out of range (expected K/N with 1 <= K <= N <= %d)", qi,
				    VGPU_REQUEST_SHARE_MAX);
	req->share_num = k;
	req->share_den = n;
	return 0;
}

/* Apply one item "key=value" (NUL-terminated copy in item) to req. */
static int parse_item(char *item, vgpu_request_t *req, int *seen, vgpu_err_t *err)
{
	char qi[4 * QUOTE_MAX + 16], qk[4 * QUOTE_MAX + 16];
	char *eq = strchr(item, '=');
	char *val;
	unsigned n = 0;
	int key, rc;

	vgpu_err_quote(qi, sizeof(qi), item, QUOTE_MAX);
	if (!eq)
		return vgpu_err_set(err, "item '%s' has no '=' (expected key=value, e.g. mem=10G)", qi);
	*eq = '\0';
	val = eq + 1;
	vgpu_err_quote(qk, sizeof(qk), item, QUOTE_MAX);
	for (key = 0; key < KEY_COUNT; key++)
		if (strcasecmp(item, key_names[key]) == 0)
			break;
	*eq = '=';
	if (key == KEY_COUNT)
		return vgpu_err_set(err, "unknown key '%s' in '%s' (expected mem, share, cores, ctx, type or gpus)",
				    qk, qi);
	if (seen[key])
		return vgpu_err_set(err, "duplicate key '%s' in '%s' (each key may appear once)",
				    key_names[key], qi);
	seen[key] = 1;
	if (*val == '\0')
		return vgpu_err_set(err, "empty value in '%s' (e.g. %s)", qi, key_example[key]);
	switch (key) {
	case KEY_MEM:
		if (val[strlen(val) - 1] == '%')
			return parse_mem_pct(val, qi, req, err);
		return vgpu_size_parse(val, strlen(val), "mem", &req->mem_bytes, err);
	case KEY_SHARE:
		return parse_share(val, qi, req, err);
	case KEY_CTX:
		return vgpu_size_parse(val, strlen(val), "ctx", &req->ctx_bytes, err);
	case KEY_CORES:
		rc = parse_count(val, 1, &n);
		if (rc < 0)
			return vgpu_err_set(err, "cores: '%s' is not a whole percentage (expected 1..100, e.g. cores=25)",
					    qi);
		if (rc > 0 || n < 1 || n > 100)
			return vgpu_err_set(err, "cores: '%s' is out of range (expected 1..100)", qi);
		req->cores_pct = n;
		return 0;
	case KEY_TYPE:
		if (vgpu_request_check_name(val, "type", err) != 0)
			return -1;
		for (size_t i = 0; val[i]; i++)
			req->type[i] = (char)tolower((unsigned char)val[i]);
		req->type[strlen(val)] = '\0';
		return 0;
	default:
		rc = parse_count(val, 0, &n);
		if (rc < 0)
			return vgpu_err_set(err, "gpus: '%s' is not a whole number (expected 1..%d)", qi,
					    VGPU_REQUEST_GPUS_MAX);
		if (rc > 0 || n < 1 || n > VGPU_REQUEST_GPUS_MAX)
			return vgpu_err_set(err, "gpus: '%s' is out of range (expected 1..%d)", qi,
					    VGPU_REQUEST_GPUS_MAX);
		req->gpus = n;
		return 0;
	}
}

/* The parse itself; messages without the `where` prefix. */
static int parse(const char *text, vgpu_request_t *req, vgpu_err_t *err)
{
	char buf[VGPU_REQUEST_TEXT_MAX];
	char q[4 * QUOTE_MAX + 16];
	int seen[KEY_COUNT] = { 0 };
	size_t len, start = 0;

	if (!text || text[0] == '\0')
		return vgpu_err_set(err, "empty request (expected e.g. mem=10G or mem=10G,cores=25)");
	len = strnlen(text, VGPU_REQUEST_TEXT_MAX);
	vgpu_err_quote(q, sizeof(q), text, QUOTE_MAX);
	if (len >= VGPU_REQUEST_TEXT_MAX)
		return vgpu_err_set(err, "request '%s' is too long (at most %d characters)", q,
				    VGPU_REQUEST_TEXT_MAX - 1);
	memcpy(buf, text, len + 1);
	while (start <= len) {
		size_t end = start + strcspn(buf + start, ",:");
		char sep = buf[end];

		if (end == start)
			return vgpu_err_set(err, "empty item in '%s' (items are separated by one ',' or ':')", q);
		buf[end] = '\0';
		if (parse_item(buf + start, req, seen, err) != 0)
			return -1;
		buf[end] = sep;
		start = end + 1;
	}
	if (!seen[KEY_MEM] && !seen[KEY_CORES] && !seen[KEY_SHARE])
		return vgpu_err_set(err, "request '%s' gives neither mem, share nor cores (e.g. mem=10G, share=1/3 or cores=25)",
				    q);
	if (seen[KEY_SHARE] && (seen[KEY_MEM] || seen[KEY_CORES]))
		return vgpu_err_set(err, "request '%s': share= sets both memory and SMs; give it without mem= and cores=",
				    q);
	return 0;
}

int vgpu_request_parse(const char *text, const char *where,
		       vgpu_request_t *req, vgpu_err_t *err)
{
	vgpu_request_t r;

	memset(&r, 0, sizeof(r));
	if (parse(text, &r, err) != 0) {
		if (where && *where)
			vgpu_err_prefix(err, "%s", where);
		memset(req, 0, sizeof(*req));
		return -1;
	}
	*req = r;
	return 0;
}

int vgpu_request_format(const vgpu_request_t *req, char *buf, size_t len)
{
	char out[VGPU_REQUEST_TEXT_MAX + 64];
	char mem[32];
	size_t o = 0;

	out[0] = '\0';
	if (req->mem_bytes) {
		vgpu_size_format(req->mem_bytes, mem, sizeof(mem));
		o += (size_t)snprintf(out + o, sizeof(out) - o, "mem=%s", mem);
	} else if (req->mem_pct) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, "mem=%u%%", req->mem_pct);
	}
	if (req->share_den)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%sshare=%u/%u", o ? "," : "",
				      req->share_num, req->share_den);
	if (req->cores_pct)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%scores=%u", o ? "," : "",
				      req->cores_pct);
	if (req->ctx_bytes) {
		vgpu_size_format(req->ctx_bytes, mem, sizeof(mem));
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%sctx=%s", o ? "," : "", mem);
	}
	if (req->type[0])
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%stype=%.*s", o ? "," : "",
				      VGPU_NAME_MAX - 1, req->type);
	if (req->gpus)
		snprintf(out + o, sizeof(out) - o, "%sgpus=%u", o ? "," : "", req->gpus);
	return snprintf(buf, len, "%s", out);
}

int vgpu_request_relative(const vgpu_request_t *req)
{
	return req->mem_pct != 0 || req->share_den != 0;
}
