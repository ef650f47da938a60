/*
 * vgpu_jsonl.c - JSON with lines (vgpu_jsonl.h): a recursive-descent reader
 * of RFC 8259 text that refuses what a hand-edited file should not hold.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_jsonl.h"

typedef struct rd {
	const char *s;
	size_t len, pos;
	unsigned line, col;
	const char *name;
	vgpu_err_t *err;
} rd_t;

static int fail(rd_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(rd_t *r, const char *fmt, ...)
{
	char msg[VGPU_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vgpu_err_set(r->err, "%s:%u:%u: %s", r->name, r->line, r->col, msg);
}

static int peek(const rd_t *r)
{
	return r->pos < r->len ? (unsigned char)r->s[r->pos] : -1;
}

static void advance(rd_t *r)
{
	if (r->s[r->pos] == '\n') {
		r->line++;
		r->col = 1;
	} else if (((unsigned char)r->s[r->pos] & 0xc0) != 0x80) {
		r->col++; /* columns count characters, not UTF-8 continuation bytes */
	}
	r->pos++;
}

static void skip_ws(rd_t *r)
{
	int c;

	while ((c = peek(r)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		advance(r);
}

static const char *show(int c, char *buf, size_t len)
{
	if (c < 0)
		snprintf(buf, len, "the end of the file");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", (unsigned)c);
	return buf;
}

static vgpu_jsonl_t *new_value(rd_t *r, vgpu_jsonl_type_t type)
{
	vgpu_jsonl_t *v = calloc(1, sizeof(*v));

	if (!v) {
		fail(r, "out of memory");
		return NULL;
	}
	v->type = type;
	v->line = r->line;
	v->col = r->col;
	return v;
}

/* Length of the UTF-8 sequence at s (n bytes left) when it is well formed
 * (shortest form, no surrogates, at most U+10FFFF), else 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t k;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hex4(rd_t *r, unsigned *cp)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int c = peek(r);

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return fail(r, "\\u needs four hex digits");
		advance(r);
	}
	*cp = v;
	return 0;
}

/* A string at r->pos (on '"'): decoded into *out (malloc'ed). Decoding
 * never makes text longer than its escaped form. */
static int read_string(rd_t *r, char **out)
{
	size_t start = r->pos + 1, cap, o = 0;
	char *buf;
	char sh[32];

	advance(r);
	/* bound the output by the raw length up to the closing quote */
	for (cap = start; cap < r->len && r->s[cap] != '"'; cap++)
		if (r->s[cap] == '\\' && cap + 1 < r->len)
			cap++;
	buf = malloc(cap - start + 1);
	if (!buf)
		return fail(r, "out of memory");
	for (;;) {
		int c = peek(r);

		if (c < 0) {
			free(buf);
			return fail(r, "a string is not closed (missing '\"')");
		}
		if (c == '"') {
			advance(r);
			break;
		}
		if (c < 0x20) {
			free(buf);
			return fail(r, "%s inside a string (write it as an escape, e.g. \\n)",
				    show(c, sh, sizeof(sh)));
		}
		if (c == '\\') {
			unsigned cp;

			advance(r);
			c = peek(r);
			switch (c) {
			case '"': case '\\': case '/':
				buf[o++] = (char)c;
				advance(r);
				continue;
			case 'b': buf[o++] = '\b'; advance(r); continue;
			case 'f': buf[o++] = '\f'; advance(r); continue;
			case 'n': buf[o++] = '\n'; advance(r); continue;
			case 'r': buf[o++] = '\r'; advance(r); continue;
			case 't': buf[o++] = '\t'; advance(r); continue;
			case 'u':
				advance(r);
				if (hex4(r, &cp) < 0)
					goto bad;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					unsigned lo;

					if (peek(r) != '\\' || r->pos + 1 >= r->len || r->s[r->pos + 1] != 'u') {
						fail(r, "\\u%04X is half of a surrogate pair without its other half", cp);
						goto bad;
					}
					advance(r);
					advance(r);
					if (hex4(r, &lo) < 0)
						goto bad;
					if (lo < 0xdc00 || lo > 0xdfff) {
						fail(r, "\\u%04X\\u%04X is not a surrogate pair", cp, lo);
						goto bad;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					fail(r, "\\u%04X is half of a surrogate pair without its other half", cp);
					goto bad;
				} else if (cp == 0) {
					fail(r, "\\u0000 (a NUL) is not allowed in a string");
					goto bad;
				}
				o += put_utf8(buf + o, cp);
				continue;
			default:
				fail(r, "bad escape: '\\' then %s in a string (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
				     show(c, sh, sizeof(sh)));
				goto bad;
			}
		}
		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)r->s + r->pos, r->len - r->pos);

			if (k == 0) {
				fail(r, "bad UTF-8 (byte 0x%02x) in a string", (unsigned)c);
				goto bad;
			}
			for (size_t i = 0; i < k; i++) {
				buf[o++] = r->s[r->pos];
				advance(r);
			}
			continue;
		}
		buf[o++] = (char)c;
		advance(r);
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
bad:
	free(buf);
	return -1;
}

static int read_number(rd_t *r, vgpu_jsonl_t *v)
{
	size_t start = r->pos;
	int c;

	if (peek(r) == '-')
		advance(r);
	c = peek(r);
	if (c == '0') {
		advance(r);
		if ((c = peek(r)) >= '0' && c <= '9')
			return fail(r, "a number with a leading zero");
	} else if (c >= '1' && c <= '9') {
		while ((c = peek(r)) >= '0' && c <= '9')
			advance(r);
	} else {
		return fail(r, "expected a digit");
	}
	if (peek(r) == '.') {
		advance(r);
		if (!((c = peek(r)) >= '0' && c <= '9'))
			return fail(r, "expected a digit after '.'");
		while ((c = peek(r)) >= '0' && c <= '9')
			advance(r);
	}
	if ((c = peek(r)) == 'e' || c == 'E') {
		advance(r);
		if ((c = peek(r)) == '+' || c == '-')
			advance(r);
		if (!((c = peek(r)) >= '0' && c <= '9'))
			return fail(r, "expected a digit in the exponent");
		while ((c = peek(r)) >= '0' && c <= '9')
			advance(r);
	}
	v->str = malloc(r->pos - start + 1);
	if (!v->str)
		return fail(r, "out of memory");
	memcpy(v->str, r->s + start, r->pos - start);
	v->str[r->pos - start] = '\0';
	return 0;
}

static int add_item(rd_t *r, vgpu_jsonl_t *v, size_t *cap, char *key, vgpu_jsonl_t *item)
{
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		vgpu_jsonl_t **items = realloc(v->items, nc * sizeof(*items));

		if (!items)
			goto oom;
		v->items = items;
		if (v->type == VGPU_JSONL_OBJECT) {
			char **keys = realloc(v->keys, nc * sizeof(*keys));

			if (!keys)
				goto oom;
			v->keys = keys;
		}
		*cap = nc;
	}
	v->items[v->n] = item;
	if (v->type == VGPU_JSONL_OBJECT)
		v->keys[v->n] = key;
	v->n++;
	return 0;
oom:
	free(key);
	vgpu_jsonl_free(item);
	return fail(r, "out of memory");
}

static int read_value(rd_t *r, unsigned depth, vgpu_jsonl_t **out);

static int read_container(rd_t *r, unsigned depth, vgpu_jsonl_t *v)
{
	int close = v->type == VGPU_JSONL_OBJECT ? '}' : ']';
	size_t cap = 0;
	char sh[32];

	if (depth >= VGPU_JSONL_DEPTH)
		return fail(r, "nested more than %d deep", VGPU_JSONL_DEPTH);
	advance(r);
	skip_ws(r);
	if (peek(r) == close) {
		advance(r);
		return 0;
	}
	for (;;) {
		char *key = NULL;
		vgpu_jsonl_t *item;
		int c;

		skip_ws(r);
		if (v->type == VGPU_JSONL_OBJECT) {
			unsigned kline = r->line, kcol = r->col;

			if (peek(r) != '"')
				return fail(r, "expected a key in double quotes, found %s",
					    show(peek(r), sh, sizeof(sh)));
			if (read_string(r, &key) < 0)
				return -1;
			for (size_t i = 0; i < v->n; i++)
				if (strcmp(v->keys[i], key) == 0) {
					vgpu_err_set(r->err,
						     "%s:%u:%u: duplicate key '%.64s' (first at line %u): a key appears once in an object",
						     r->name, kline, kcol, key, v->items[i]->line);
					free(key);
					return -1;
				}
			skip_ws(r);
			if (peek(r) != ':') {
				free(key);
				return fail(r, "expected ':' after a key, found %s", show(peek(r), sh, sizeof(sh)));
			}
			advance(r);
			skip_ws(r);
		}
		if (read_value(r, depth + 1, &item) < 0) {
			free(key);
			return -1;
		}
		if (add_item(r, v, &cap, key, item) < 0)
			return -1;
		skip_ws(r);
		c = peek(r);
		if (c == close) {
			advance(r);
			return 0;
		}
		if (c != ',')
			return fail(r, "expected ',' or '%c', found %s", close, show(c, sh, sizeof(sh)));
		advance(r);
		skip_ws(r);
		if (peek(r) == close)
			return fail(r, "a ',' before '%c' (JSON has no trailing commas)", close);
	}
}

static int read_word(rd_t *r, const char *word)
{
	size_t n = strlen(word);

	if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		advance(r);
	return 0;
}

static int read_value(rd_t *r, unsigned depth, vgpu_jsonl_t **out)
{
	vgpu_jsonl_t *v;
	int c = peek(r), rc;
	char sh[32];

	*out = NULL;
	if (c == '{' || c == '[')
		v = new_value(r, c == '{' ? VGPU_JSONL_OBJECT : VGPU_JSONL_ARRAY);
	else if (c == '"')
		v = new_value(r, VGPU_JSONL_STRING);
	else if (c == '-' || (c >= '0' && c <= '9'))
		v = new_value(r, VGPU_JSONL_NUMBER);
	else if (c == 't' || c == 'f')
		v = new_value(r, VGPU_JSONL_BOOL);
	else if (c == 'n')
		v = new_value(r, VGPU_JSONL_NULL);
	else
		return fail(r, "expected a value, found %s", show(c, sh, sizeof(sh)));
	if (!v)
		return -1;
	switch (v->type) {
	case VGPU_JSONL_OBJECT:
	case VGPU_JSONL_ARRAY:
		rc = read_container(r, depth, v);
		break;
	case VGPU_JSONL_STRING:
		rc = read_string(r, &v->str);
		break;
	case VGPU_JSONL_NUMBER:
		rc = read_number(r, v);
		break;
	case VGPU_JSONL_BOOL:
		v->boolean = c == 't';
		rc = read_word(r, c == 't' ? "true" : "false");
		if (rc < 0)
			fail(r, "expected true or false");
		break;
	default:
		rc = read_word(r, "null");
		if (rc < 0)
			fail(r, "expected null");
		break;
	}
	if (rc == 0 && (v->type == VGPU_JSONL_BOOL || v->type == VGPU_JSONL_NULL ||
			v->type == VGPU_JSONL_NUMBER)) {
		c = peek(r);
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.')
			rc = fail(r, "unexpected %s after a value", show(c, sh, sizeof(sh)));
	}
	if (rc < 0) {
		vgpu_jsonl_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

int vgpu_jsonl_parse(const char *text, size_t len, const char *name, vgpu_jsonl_t **root,
		     vgpu_err_t *err)
{
	rd_t r = { .s = text, .len = len, .line = 1, .col = 1, .name = name ? name : "(json)", .err = err };
	vgpu_jsonl_t *v;
	char sh[32];

	*root = NULL;
	if (len > VGPU_JSONL_SIZE)
		return vgpu_err_set(err, "%s: larger than %u bytes", r.name, VGPU_JSONL_SIZE);
	if (memchr(text, '\0', len)) {
		const char *z = memchr(text, '\0', len);

		while (r.pos < (size_t)(z - text))
			advance(&r);
		return fail(&r, "a NUL byte (this is not a text file)");
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		return fail(&r, "a byte order mark (save the file as UTF-8 without BOM)");
	skip_ws(&r);
	if (read_value(&r, 0, &v) < 0)
		return -1;
	skip_ws(&r);
	if (r.pos < r.len) {
		vgpu_jsonl_free(v);
		return fail(&r, "%s after the end of the JSON value", show(peek(&r), sh, sizeof(sh)));
	}
	*root = v;
	return 0;
}

void vgpu_jsonl_free(vgpu_jsonl_t *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		vgpu_jsonl_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

const vgpu_jsonl_t *vgpu_jsonl_get(const vgpu_jsonl_t *obj, const char *key)
{
	if (!obj || obj->type != VGPU_JSONL_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

int vgpu_jsonl_int(const vgpu_jsonl_t *v, int64_t min, int64_t max, int64_t *out)
{
	long long x;
	char *end;

	if (!v || v->type != VGPU_JSONL_NUMBER || strpbrk(v->str, ".eE"))
		return -1;
	errno = 0;
	x = strtoll(v->str, &end, 10);
	if (errno || *end || x < min || x > max)
		return -1;
	*out = (int64_t)x;
	return 0;
}

const char *vgpu_jsonl_type_name(vgpu_jsonl_type_t type)
{
	static const char *const names[] = { "null", "a boolean", "a number", "a string", "an array",
					     "an object" };

	return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : "a value";
}
