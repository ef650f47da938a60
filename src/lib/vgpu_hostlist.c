/*
 * vgpu_hostlist.c - Slurm hostlist syntax without Slurm (vgpu_hostlist.h).
 *
 * What Slurm 22.05's `scontrol show hostnames` / `show hostlist` were seen to
 * do, and what is done here:
 *  - items are separated by ',' or blanks; empty items are skipped;
 *  - an item is a prefix then bracket groups "[a-b,c]", several giving their
 *    product ("n[1-2]x[3-4]": n1x3 n1x4 n2x3 n2x4), and a suffix
 *    ("a1b[1-2]c": a1b1c a1b2c, as 26.05 expands it; 22.05 refuses it);
 *  - a range takes the width of its low bound ("[01-3]": n01..n03,
 *    "[1-03]": n1..n3); "[3-1]", "[]", "[1,,2]", "[a-b]" are refused;
 *  - compress merges only names next to each other with the same prefix
 *    ("n1,m1,n2" stays), and folds runs that expand back to the same names.
 * Stricter than Slurm, on purpose: an unbalanced bracket ("n[1-2" is "n]"
 * to Slurm), blanks inside brackets, "[1-]".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_hostlist.h"

#define NUM_DIGITS_MAX 18 /* bounds fit a uint64_t */
#define NAME_LEN_MAX 255  /* bytes of one host name (VGPU_HOST_MAX - 1) */

typedef struct names {
	char **v;
	size_t n, cap;
} names_t;

static int push(names_t *l, char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			free(s);
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

static int is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A number of 1..NUM_DIGITS_MAX digits at s[0..len). */
static int read_num(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > NUM_DIGITS_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Expand one item: base (already built prefix) + the rest, recursively over
 * bracket groups. */
static int expand_item(const char *text, const char *base, size_t blen, const char *rest,
		       size_t rlen, names_t *out, vgpu_err_t *err)
{
	const char *open = memchr(rest, '[', rlen);
	const char *close;
	char *buf;
	size_t plen, glen, tail_len;
	int rc = 0;

	if (!open) {
		if (memchr(rest, ']', rlen))
			return vgpu_err_set(err, "hostlist '%s': ']' without '['", text);
		if (blen + rlen == 0)
			return 0;
		if (blen + rlen > NAME_LEN_MAX)
			return vgpu_err_set(err, "hostlist '%s': a host name longer than %d bytes", text,
					    NAME_LEN_MAX);
		buf = malloc(blen + rlen + 1);
		if (!buf)
			return vgpu_err_set(err, "out of memory");
		memcpy(buf, base, blen);
		memcpy(buf + blen, rest, rlen);
		buf[blen + rlen] = '\0';
		if (push(out, buf) < 0)
			return vgpu_err_set(err, "out of memory");
		return 0;
	}
	plen = (size_t)(open - rest);
	if (memchr(rest, ']', plen))
		return vgpu_err_set(err, "hostlist '%s': ']' without '['", text);
	close = memchr(open, ']', rlen - plen);
	if (!close)
		return vgpu_err_set(err, "hostlist '%s': '[' without ']'", text);
	glen = (size_t)(close - open - 1);
	if (memchr(open + 1, '[', glen))
		return vgpu_err_set(err, "hostlist '%s': '[' inside brackets", text);
	if (glen == 0)
		return vgpu_err_set(err, "hostlist '%s': empty brackets '[]'", text);
	tail_len = rlen - plen - glen - 2;
	buf = malloc(blen + plen + NUM_DIGITS_MAX + 2 + 1);
	if (!buf)
		return vgpu_err_set(err, "out of memory");
	memcpy(buf, base, blen);
	memcpy(buf + blen, rest, plen);
	for (const char *p = open + 1, *end = close; p <= end && rc == 0;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *r_end = comma ? comma : end;
		const char *dash = memchr(p, '-', (size_t)(r_end - p));
		uint64_t lo, hi;
		size_t width;

		if (r_end == p) {
			rc = vgpu_err_set(err, "hostlist '%s': an empty range in '[...]'", text);
			break;
		}
		width = dash ? (size_t)(dash - p) : (size_t)(r_end - p);
		if (read_num(p, width, &lo) < 0 ||
		    (dash && read_num(dash + 1, (size_t)(r_end - dash - 1), &hi) < 0)) {
			rc = vgpu_err_set(err, "hostlist '%s': range '%.*s' is not N or N-M (digits, at most %d)",
					  text, (int)(r_end - p), p, NUM_DIGITS_MAX);
			break;
		}
		if (!dash)
			hi = lo;
		if (hi < lo) {
			rc = vgpu_err_set(err, "hostlist '%s': range %.*s goes backwards", text,
					  (int)(r_end - p), p);
			break;
		}
		if (hi - lo >= VGPU_HOSTLIST_MAX || out->n + (hi - lo) >= VGPU_HOSTLIST_MAX) {
			rc = vgpu_err_set(err, "hostlist '%s': more than %d host names", text, VGPU_HOSTLIST_MAX);
			break;
		}
		for (uint64_t v = lo; rc == 0; v++) {
			int k = snprintf(buf + blen + plen, NUM_DIGITS_MAX + 2, "%0*llu", (int)width,
					 (unsigned long long)v);

			if (k > NUM_DIGITS_MAX) {
				rc = vgpu_err_set(err, "hostlist '%s': number %llu too long", text,
						  (unsigned long long)v);
				break;
			}
			rc = expand_item(text, buf, blen + plen + (size_t)k, close + 1, tail_len, out, err);
			if (v == hi)
				break;
		}
		p = r_end + 1;
	}
	free(buf);
	return rc;
}

int vgpu_hostlist_expand(const char *text, char ***names, size_t *n, vgpu_err_t *err)
{
	names_t l = { 0 };
	const char *p = text;

	*names = NULL;
	*n = 0;
	if (!text)
		return vgpu_err_set(err, "hostlist: none given");
	while (*p) {
		const char *start, *q;
		int depth = 0;

		while (*p && is_sep(*p))
			p++;
		if (!*p)
			break;
		start = p;
		for (q = p; *q && (depth > 0 || !is_sep(*q)); q++) {
			if ((unsigned char)*q < 0x20 || *q == 0x7f) {
				char qb[96];

				vgpu_hostlist_free(l.v, l.n);
				return vgpu_err_set(err, "hostlist %s: a control character",
						    vgpu_err_quote(qb, sizeof(qb), text, 64));
			}
			if (*q == '[')
				depth++;
			else if (*q == ']' && depth > 0)
				depth--;
			if (depth > 0 && (*q == ' ' || *q == '\t'))
				break;
		}
		if (expand_item(text, "", 0, start, (size_t)(q - start), &l, err) < 0) {
			vgpu_hostlist_free(l.v, l.n);
			return -1;
		}
		p = q;
	}
	*names = l.v;
	*n = l.n;
	return 0;
}

/* The name split into prefix and trailing digits (dlen 0: none, or too
 * many to read). */
static void split_name(const char *s, size_t *plen, size_t *dlen, uint64_t *num)
{
	size_t len = strlen(s), i = len;

	while (i > 0 && isdigit((unsigned char)s[i - 1]))
		i--;
	*plen = i;
	*dlen = len - i;
	if (read_num(s + i, *dlen, num) < 0) {
		*plen = len;
		*dlen = 0;
	}
}

typedef struct sbuf {
	char *s;
	size_t len, cap;
	int bad;
} sbuf_t;

static void put(sbuf_t *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 64);
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->bad = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

char *vgpu_hostlist_compress(const char *const *names, size_t n)
{
	sbuf_t b = { 0 };
	size_t i = 0;

	put(&b, "", 0);
	while (i < n && !b.bad) {
		size_t plen, dlen, j;
		uint64_t num;

		if (i > 0)
			put(&b, ",", 1);
		split_name(names[i], &plen, &dlen, &num);
		/* names next to each other with this prefix and digits */
		for (j = i + 1; j < n && dlen > 0; j++) {
			size_t pl, dl;
			uint64_t nm;

			split_name(names[j], &pl, &dl, &nm);
			if (dl == 0 || pl != plen || strncmp(names[j], names[i], plen) != 0)
				break;
		}
		if (dlen == 0 || j == i + 1) {
			put(&b, names[i], strlen(names[i]));
			i++;
			continue;
		}
		put(&b, names[i], plen);
		put(&b, "[", 1);
		for (size_t k = i; k < j && !b.bad;) {
			size_t pl, dl, end = k + 1;
			uint64_t lo, last;
			const char *lo_s;

			split_name(names[k], &pl, &dl, &lo);
			lo_s = names[k] + pl;
			last = lo;
			for (; end < j; end++) {
				char want[NUM_DIGITS_MAX + 2];
				size_t p2, d2;
				uint64_t v;

				split_name(names[end], &p2, &d2, &v);
				if (v != last + 1)
					break;
				snprintf(want, sizeof(want), "%0*llu", (int)dl, (unsigned long long)v);
				if (strcmp(want, names[end] + p2) != 0)
					break;
				last = v;
			}
			if (k > i)
				put(&b, ",", 1);
			put(&b, lo_s, dl);
			if (end - k > 1) {
				const char *hi_s = names[end - 1];
				size_t p2, d2;
				uint64_t v;

				split_name(hi_s, &p2, &d2, &v);
				put(&b, "-", 1);
				put(&b, hi_s + p2, d2);
			}
			k = end;
		}
		put(&b, "]", 1);
		i = j;
	}
	if (b.bad) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

void vgpu_hostlist_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
