/* vgpu_slurmgres.c - see vgpu_slurmgres.h */
#include "vgpu_slurmgres.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Parsing state: the whole string (for messages) and the cursor. */
typedef struct cursor {
	const char *text;
	const char *p;
	const char *end;
} cursor_t;

static int fail(const cursor_t *c, vgpu_err_t *err, const char *what)
{
	char q[96];

	vgpu_err_quote(q, sizeof(q), c->text, 64);
	return vgpu_err_set(err, "GRES '%s': %s", q, what);
}

static int is_name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '.' || ch == '-';
}

/* Copy [s, s+n) into dst as a name; -1 when empty, too long or with other
 * characters. */
static int copy_name(char *dst, const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= VGPU_SLURMGRES_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_name_char(s[i]))
			return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* A count: digits with an optional k/M/G/T/P suffix (1024-based). */
static int parse_count(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	size_t i = 0;

	if (n == 0 || !isdigit((unsigned char)s[0]))
		return -1;
	for (; i < n && isdigit((unsigned char)s[i]); i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < n) {
		const char *units = "kmgtp", *u;

		if (i + 1 != n || !(u = strchr(units, tolower((unsigned char)s[i]))))
			return -1;
		for (mult = 1024; u > units; u--)
			mult *= 1024;
		if (v > UINT64_MAX / mult)
			return -1;
		v *= mult;
	}
	*out = v;
	return 0;
}

static int parse_uint(cursor_t *c, unsigned *out)
{
	unsigned v = 0;

	if (c->p >= c->end || !isdigit((unsigned char)*c->p))
		return -1;
	while (c->p < c->end && isdigit((unsigned char)*c->p)) {
		if (v > 100000)
			return -1;
		v = v * 10 + (unsigned)(*c->p - '0');
		c->p++;
	}
	*out = v;
	return 0;
}

/* Skip a "(...)" group at the cursor, nested groups included. */
static int skip_group(cursor_t *c)
{
	int depth = 0;

	do {
		if (c->p >= c->end)
			return -1;
		if (*c->p == '(')
			depth++;
		else if (*c->p == ')')
			depth--;
		c->p++;
	} while (depth > 0);
	return 0;
}

/* LIST := ELEM {',' ELEM}; ELEM := "N/A" | N ['-' M] ['(' ... ')'].
 * Indexes go to *mask (when not NULL). Stops before a ',' that does not
 * start another element, or at the end of the group. */
static int parse_list(cursor_t *c, uint64_t *mask, int *any, vgpu_err_t *err)
{
	for (;;) {
		unsigned a, b;

		if (c->end - c->p >= 3 && strncmp(c->p, "N/A", 3) == 0) {
			c->p += 3;
		} else {
			if (parse_uint(c, &a) != 0)
				return fail(c, err, "expected an index or N/A in (...)");
			b = a;
			if (c->p < c->end && *c->p == '-') {
				c->p++;
				if (parse_uint(c, &b) != 0 || b < a)
					return fail(c, err, "bad index range in (...)");
			}
			if (mask) {
				if (b >= VGPU_SLURMGRES_IDX_MAX)
					return fail(c, err, "GPU index beyond 63");
				for (; a <= b; a++)
					*mask |= UINT64_C(1) << a;
				*any = 1;
			}
			if (c->p < c->end && *c->p == '(' && skip_group(c) != 0)
				return fail(c, err, "unbalanced '(' in (...)");
		}
		if (c->p + 1 < c->end && *c->p == ',' &&
		    (isdigit((unsigned char)c->p[1]) || c->p[1] == 'N')) {
			c->p++;
			continue;
		}
		return 0;
	}
}

/* A plain decimal uint64 at the cursor: 0, -1 when there is no digit, -2
 * when it does not fit. */
static int parse_u64(cursor_t *c, uint64_t *out)
{
	uint64_t v = 0;

	if (c->p >= c->end || !isdigit((unsigned char)*c->p))
		return -1;
	for (; c->p < c->end && isdigit((unsigned char)*c->p); c->p++) {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Per-GPU counts, the whole of an item's "(...)" (the cursor's end is the
 * ')'): "A/B,C/D,...", field i the item's count on GPU i over that GPU's
 * total, as Slurm 23.11 on prints a shared GRES of a job ("shard:30(30/100,
 * 0/100)"); a count '-' is 0 (26.05's node GresUsed for a GPU a job holds
 * whole: "shard:h100:22(-/100,22/100)"). Sets gpu_count, ngpus,
 * has_gpu_count, and idx_mask/has_idx for the GPUs with a count above 0. */
static int parse_gpu_counts(cursor_t *c, vgpu_slurmgres_item_t *it, vgpu_err_t *err)
{
	for (;;) {
		uint64_t a, b;
		char what[128];
		int r;

		if (it->ngpus == VGPU_SLURMGRES_IDX_MAX)
			return fail(c, err, "more than 64 GPUs in (...)");
		if (c->p < c->end && *c->p == '-') {    /* 26.05 node GresUsed: GPU held whole */
			c->p++;
			a = 0;
			r = 0;
		} else {
			r = parse_u64(c, &a);
		}
		if (r == 0) {
			if (c->p >= c->end || *c->p != '/')
				r = -1;
			else {
				c->p++;
				r = parse_u64(c, &b);
			}
		}
		if (r == -2)
			return fail(c, err, "per-GPU count too large in (...)");
		if (r != 0)
			return fail(c, err, "expected COUNT/TOTAL for each GPU in (...)");
		if (a > b) {
			snprintf(what, sizeof(what), "GPU %u count %" PRIu64 " above its total %"
				 PRIu64 " in (...)", it->ngpus, a, b);
			return fail(c, err, what);
		}
		if (a > UINT32_MAX)
			return fail(c, err, "per-GPU count too large in (...)");
		it->gpu_count[it->ngpus] = (uint32_t)a;
		if (a > 0) {
			it->idx_mask |= UINT64_C(1) << it->ngpus;
			it->has_idx = 1;
		}
		it->ngpus++;
		it->has_gpu_count = 1;
		if (c->p >= c->end)
			return 0;
		if (*c->p != ',')
			return fail(c, err, "unexpected text inside (...)");
		c->p++;
	}
}

/* The fields inside an item's "(...)": the cursor's end is the ')'. */
static int parse_fields(cursor_t *c, vgpu_slurmgres_item_t *it, vgpu_err_t *err)
{
	while (c->p < c->end) {
		const char *key = c->p;
		size_t klen;

		while (c->p < c->end && isalpha((unsigned char)*c->p))
			c->p++;
		klen = (size_t)(c->p - key);
		if (klen == 3 && strncmp(key, "IDX", 3) == 0 && c->p < c->end && *c->p == ':') {
			c->p++;
			if (parse_list(c, &it->idx_mask, &it->has_idx, err) != 0)
				return -1;
		} else {
			/* Another field (S:0-1, counts of newer Slurm): skip it. */
			int depth = 0;

			while (c->p < c->end && (depth > 0 || *c->p != ',' ||
						 !(c->p + 1 < c->end && isalpha((unsigned char)c->p[1])))) {
				if (*c->p == '(')
					depth++;
				else if (*c->p == ')')
					depth--;
				c->p++;
			}
		}
		if (c->p < c->end) {
			if (*c->p != ',')
				return fail(c, err, "unexpected text inside (...)");
			c->p++;
		}
	}
	return 0;
}

/* One item from the cursor up to ',' ';' or the end. */
static int parse_item(cursor_t *c, vgpu_slurmgres_item_t *it, vgpu_err_t *err)
{
	const char *head = c->p, *he, *f[4], *eq;
	size_t fl[4], nf = 0;
	const char *s;

	while (c->p < c->end && *c->p != '(' && *c->p != ',' && *c->p != ';')
		c->p++;
	he = c->p;
	if ((size_t)(he - head) > 5 &&
	    (strncmp(head, "gres:", 5) == 0 || strncmp(head, "gres/", 5) == 0))
		head += 5;
	eq = memchr(head, '=', (size_t)(he - head));
	for (s = head; nf < 4;) {
		const char *stop = eq ? eq : he, *colon = memchr(s, ':', (size_t)(stop - s));

		f[nf] = s;
		fl[nf] = (size_t)((colon ? colon : stop) - s);
		nf++;
		if (!colon)
			break;
		s = colon + 1;
	}
	if (nf == 4 || (eq && nf > 2))
		return fail(c, err, "too many ':' fields in an item (expected NAME[:TYPE][:COUNT])");
	if (copy_name(it->name, f[0], fl[0]) != 0)
		return fail(c, err, "missing or bad GRES name (letters, digits, '_', '.', '-')");
	it->count = 1;
	if (eq) {
		if (nf == 2 && copy_name(it->type, f[1], fl[1]) != 0)
			return fail(c, err, "bad GRES type name");
		if (parse_count(eq + 1, (size_t)(he - eq - 1), &it->count) != 0)
			return fail(c, err, "count after '=' is not a number");
		it->has_count = 1;
	} else if (nf == 2) {
		if (isdigit((unsigned char)f[1][0])) {
			if (parse_count(f[1], fl[1], &it->count) != 0)
				return fail(c, err, "count is not a number");
			it->has_count = 1;
		} else if (copy_name(it->type, f[1], fl[1]) != 0) {
			return fail(c, err, "bad GRES type name");
		}
	} else if (nf == 3) {
		if (copy_name(it->type, f[1], fl[1]) != 0)
			return fail(c, err, "bad GRES type name");
		if (parse_count(f[2], fl[2], &it->count) != 0)
			return fail(c, err, "count is not a number");
		it->has_count = 1;
	}
	if (c->p < c->end && *c->p == '(') {
		cursor_t in = *c;
		const char *open = c->p;

		if (skip_group(c) != 0)
			return fail(c, err, "unbalanced '('");
		in.p = open + 1;
		in.end = c->p - 1;
		if (in.p < in.end && (isdigit((unsigned char)*in.p) || *in.p == '-')) {
			if (parse_gpu_counts(&in, it, err) != 0)
				return -1;
		} else if (parse_fields(&in, it, err) != 0) {
			return -1;
		}
		if (c->p < c->end && *c->p != ',' && *c->p != ';')
			return fail(c, err, "unexpected text after ')'");
	}
	return 0;
}

int vgpu_slurmgres_parse(const char *text, vgpu_slurmgres_t *out, vgpu_err_t *err)
{
	cursor_t c;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!text)
		return 0;
	len = strnlen(text, VGPU_SLURMGRES_TEXT_MAX + 1);
	c.text = text;
	c.p = text;
	c.end = text + len;
	if (len > VGPU_SLURMGRES_TEXT_MAX)
		return fail(&c, err, "longer than 4096 characters");
	if (len == 0 || strcmp(text, "(null)") == 0 || strcmp(text, "N/A") == 0)
		return 0;
	while (c.p < c.end) {
		if (*c.p == ',' || *c.p == ';') {       /* tolerate empty items */
			c.p++;
			continue;
		}
		if (out->nitems == VGPU_SLURMGRES_ITEMS_MAX) {
			fail(&c, err, "more than 16 items");
			goto bad;
		}
		if (parse_item(&c, &out->items[out->nitems], err) != 0)
			goto bad;
		out->nitems++;
	}
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

const vgpu_slurmgres_item_t *vgpu_slurmgres_find(const vgpu_slurmgres_t *g,
						 const char *name, const char *type)
{
	unsigned i;

	for (i = 0; i < g->nitems; i++)
		if (strcmp(g->items[i].name, name) == 0 &&
		    (!type || strcmp(g->items[i].type, type) == 0))
			return &g->items[i];
	return NULL;
}

unsigned vgpu_slurmgres_idx_count(uint64_t mask)
{
	unsigned n = 0;

	for (; mask; mask &= mask - 1)
		n++;
	return n;
}
