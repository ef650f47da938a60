/*
 * vgpu_trace.c - the trace CSV parser and writer (vgpu_trace.h; format in
 * doc/replay.md).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vgpu_file.h"
#include "vgpu_trace.h"

enum { C_SUBMIT, C_DURATION, C_NODES, C_GPUS, C_MEM, C_CORES, C_KIND, C_N };

static const char *const col_names[C_N] = {
	"submit_s", "duration_s", "nodes", "gpus_per_node", "gpu_mem_mib", "gpu_cores_pct", "kind",
};

#define FIELDS_MAX 256

/* One line split into fields (pointers into buf, NUL-terminated). */
typedef struct fields {
	char buf[VGPU_TRACE_LINE_MAX + 1];
	char *f[FIELDS_MAX];
	size_t n;
} fields_t;

typedef struct ctx {
	const char *name;
	unsigned line;
	vgpu_err_t *err;
} ctx_t;

static int fail(const ctx_t *c, const char *col, const char *what, const char *val)
{
	char q[80];

	if (val)
		vgpu_err_quote(q, sizeof(q), val, 40);
	if (col && val)
		return vgpu_err_set(c->err, "%s:%u: column %s: '%s' %s", c->name, c->line, col, q, what);
	if (col)
		return vgpu_err_set(c->err, "%s:%u: column %s: %s", c->name, c->line, col, what);
	return vgpu_err_set(c->err, "%s:%u: %s", c->name, c->line, what);
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Split line (len bytes, no newline) into fl. */
static int split(const ctx_t *c, const char *line, size_t len, fields_t *fl)
{
	size_t i = 0, o = 0;

	fl->n = 0;
	for (;;) {
		char *start;
		int quoted = 0;

		while (i < len && is_blank(line[i]))
			i++;
		if (fl->n == FIELDS_MAX)
			return fail(c, NULL, "more than 256 columns", NULL);
		start = fl->buf + o;
		fl->f[fl->n++] = start;
		if (i < len && line[i] == '"') {
			quoted = 1;
			for (i++;; i++) {
				if (i == len)
					return fail(c, NULL, "a quoted field is not closed", NULL);
				if (line[i] == '"') {
					if (i + 1 < len && line[i + 1] == '"') {
						fl->buf[o++] = '"';
						i++;
						continue;
					}
					i++;
					break;
				}
				fl->buf[o++] = line[i];
			}
			while (i < len && is_blank(line[i]))
				i++;
			if (i < len && line[i] != ',')
				return fail(c, NULL, "text after a quoted field's closing quote", NULL);
		} else {
			size_t end;

			while (i < len && line[i] != ',') {
				if (line[i] == '"')
					return fail(c, NULL, "a quote inside an unquoted field", NULL);
				fl->buf[o++] = line[i++];
			}
			end = o;
			while (end > (size_t)(start - fl->buf) && is_blank(fl->buf[end - 1]))
				end--;
			o = end;
		}
		(void)quoted;
		fl->buf[o++] = '\0';
		if (i >= len)
			return 0;
		i++; /* the comma */
	}
}

/* A whole number in [0, max]. */
static int parse_uint(const ctx_t *c, const char *col, const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return fail(c, col, "is empty", NULL);
	if (*s == '-')
		return fail(c, col, "is negative", s);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail(c, col, "is not a whole number", s);
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return fail(c, col, "is too large", s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return fail(c, col, "is too large", s);
	*out = v;
	return 0;
}

/* Seconds with at most 3 decimals, into ms. */
static int parse_secs(const ctx_t *c, const char *col, const char *s, uint64_t *out)
{
	uint64_t whole = 0, frac = 0;
	const char *p = s;
	int nd = 0;

	if (!*s)
		return fail(c, col, "is empty", NULL);
	if (*s == '-')
		return fail(c, col, "is negative", s);
	if (*p == '.' && !p[1])
		return fail(c, col, "is not a number of seconds", s);
	for (; *p && *p != '.'; p++) {
		if (*p < '0' || *p > '9')
			return fail(c, col, "is not a number of seconds", s);
		if (whole > VGPU_TRACE_TIME_MAX_MS / 1000)
			return fail(c, col, "is more than 100 years", s);
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p; p++) {
			if (*p < '0' || *p > '9')
				return fail(c, col, "is not a number of seconds", s);
			if (++nd > 3)
				return fail(c, col, "has more than 3 decimals (ms is the resolution)", s);
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
	}
	for (; nd < 3; nd++)
		frac *= 10;
	if (whole > VGPU_TRACE_TIME_MAX_MS / 1000 || whole * 1000 + frac > VGPU_TRACE_TIME_MAX_MS)
		return fail(c, col, "is more than 100 years", s);
	*out = whole * 1000 + frac;
	return 0;
}

static int kind_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= VGPU_TRACE_KIND_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static int parse_header(const ctx_t *c, const fields_t *fl, int *idx)
{
	for (int k = 0; k < C_N; k++)
		idx[k] = -1;
	for (size_t i = 0; i < fl->n; i++)
		for (int k = 0; k < C_N; k++) {
			if (strcasecmp(fl->f[i], col_names[k]) != 0)
				continue;
			if (idx[k] >= 0) {
				char m[96];

				snprintf(m, sizeof(m), "header: column %s is named twice", col_names[k]);
				return fail(c, NULL, m, NULL);
			}
			idx[k] = (int)i;
		}
	for (int k = 0; k < C_N; k++)
		if (idx[k] < 0) {
			char m[200];

			snprintf(m, sizeof(m),
				 "header: no column %s (the header must name submit_s, duration_s, nodes, "
				 "gpus_per_node, gpu_mem_mib, gpu_cores_pct, kind)",
				 col_names[k]);
			return fail(c, NULL, m, NULL);
		}
	return 0;
}

static int parse_row(const ctx_t *c, const fields_t *fl, size_t ncols, const int *idx, vgpu_trace_job_t *j)
{
	uint64_t v;
	const char *kind;

	if (fl->n != ncols) {
		char m[96];

		snprintf(m, sizeof(m), "%zu fields where the header has %zu", fl->n, ncols);
		return fail(c, NULL, m, NULL);
	}
	memset(j, 0, sizeof(*j));
	j->line = c->line;
	if (parse_secs(c, col_names[C_SUBMIT], fl->f[idx[C_SUBMIT]], &j->submit_ms) < 0 ||
	    parse_secs(c, col_names[C_DURATION], fl->f[idx[C_DURATION]], &j->duration_ms) < 0)
		return -1;
	if (j->duration_ms == 0)
		return fail(c, col_names[C_DURATION], "must be more than 0", NULL);
	if (parse_uint(c, col_names[C_NODES], fl->f[idx[C_NODES]], VGPU_TRACE_NODES_MAX, &v) < 0)
		return -1;
	if (v == 0)
		return fail(c, col_names[C_NODES], "must be at least 1", NULL);
	j->nodes = (unsigned)v;
	if (parse_uint(c, col_names[C_GPUS], fl->f[idx[C_GPUS]], VGPU_TRACE_GPUS_MAX, &v) < 0)
		return -1;
	if (v == 0)
		return fail(c, col_names[C_GPUS], "must be at least 1 (a job without GPUs is not replayed)",
			    NULL);
	j->gpus_per_node = (unsigned)v;
	if (parse_uint(c, col_names[C_MEM], fl->f[idx[C_MEM]], VGPU_TRACE_MEM_MAX_MIB, &j->gpu_mem_mib) < 0)
		return -1;
	if (parse_uint(c, col_names[C_CORES], fl->f[idx[C_CORES]], 100, &v) < 0)
		return -1;
	j->gpu_cores_pct = (unsigned)v;
	kind = fl->f[idx[C_KIND]];
	if (!kind_ok(kind))
		return fail(c, col_names[C_KIND], "is not a job kind (1-31 of A-Z a-z 0-9 _ . -)", kind);
	memcpy(j->kind, kind, strlen(kind) + 1);
	if (j->gpu_mem_mib > 0 && j->gpus_per_node != 1)
		return fail(c, col_names[C_GPUS],
			    "must be 1 for a slice (gpu_mem_mib > 0 is a part of one GPU per node)", NULL);
	if (j->gpu_mem_mib == 0 && j->gpu_cores_pct != 0 && j->gpu_cores_pct != 100)
		return fail(c, col_names[C_CORES],
			    "must be 0 or 100 for whole GPUs (gpu_mem_mib 0); a slice needs gpu_mem_mib", NULL);
	return 0;
}

static int by_submit(const void *a, const void *b)
{
	const vgpu_trace_job_t *x = a, *y = b;

	if (x->submit_ms != y->submit_ms)
		return x->submit_ms < y->submit_ms ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

int vgpu_trace_parse(const char *text, size_t len, const char *name, vgpu_trace_t *out, vgpu_err_t *err)
{
	ctx_t c = { name ? name : "trace", 0, err };
	fields_t *fl;
	int idx[C_N], have_header = 0;
	size_t ncols = 0, cap = 0, pos = 0;

	out->jobs = NULL;
	out->n = 0;
	if (memchr(text, '\0', len))
		return vgpu_err_set(err, "%s: contains a NUL byte (not a CSV text file)", c.name);
	if (!(fl = malloc(sizeof(*fl))))
		return vgpu_err_set(err, "%s: out of memory", c.name);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos, s = 0;
		const char *line = text + pos;

		pos += ll + (nl ? 1 : 0);
		c.line++;
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll > VGPU_TRACE_LINE_MAX) {
			fail(&c, NULL, "line longer than 4096 bytes", NULL);
			goto bad;
		}
		while (s < ll && is_blank(line[s]))
			s++;
		if (s == ll || line[s] == '#')
			continue;
		if (split(&c, line, ll, fl) < 0)
			goto bad;
		if (!have_header) {
			if (parse_header(&c, fl, idx) < 0)
				goto bad;
			ncols = fl->n;
			have_header = 1;
			continue;
		}
		if (out->n == VGPU_TRACE_JOBS_MAX) {
			fail(&c, NULL, "more than 1000000 jobs", NULL);
			goto bad;
		}
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			vgpu_trace_job_t *nj = realloc(out->jobs, nc * sizeof(*nj));

			if (!nj) {
				fail(&c, NULL, "out of memory", NULL);
				goto bad;
			}
			out->jobs = nj;
			cap = nc;
		}
		if (parse_row(&c, fl, ncols, idx, &out->jobs[out->n]) < 0)
			goto bad;
		out->n++;
	}
	free(fl);
	if (!have_header) {
		vgpu_trace_free(out);
		return vgpu_err_set(err,
				    "%s: no header line (submit_s,duration_s,nodes,gpus_per_node,"
				    "gpu_mem_mib,gpu_cores_pct,kind)",
				    c.name);
	}
	if (out->n)
		qsort(out->jobs, out->n, sizeof(out->jobs[0]), by_submit);
	return 0;
bad:
	free(fl);
	vgpu_trace_free(out);
	return -1;
}

int vgpu_trace_load(const char *path, vgpu_trace_t *out, vgpu_err_t *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	out->jobs = NULL;
	out->n = 0;
	if (strcmp(path, "-") == 0) {
		size_t cap = 0;

		for (;;) {
			size_t got;

			if (len == cap) {
				char *nt;

				if (cap >= (size_t)1 << 30) {
					free(text);
					return vgpu_err_set(err, "stdin: trace larger than 1 GiB");
				}
				cap = cap ? cap * 2 : 65536;
				if (!(nt = realloc(text, cap))) {
					free(text);
					return vgpu_err_set(err, "stdin: out of memory");
				}
				text = nt;
			}
			got = fread(text + len, 1, cap - len, stdin);
			len += got;
			if (got == 0)
				break;
		}
		if (ferror(stdin)) {
			free(text);
			return vgpu_err_set(err, "stdin: read error: %s", strerror(errno));
		}
		path = "stdin";
	} else if (vgpu_file_read(path, (size_t)1 << 30, &text, &len, err) < 0) {
		return -1;
	}
	rc = vgpu_trace_parse(text ? text : "", len, path, out, err);
	free(text);
	return rc;
}

void vgpu_trace_free(vgpu_trace_t *t)
{
	free(t->jobs);
	t->jobs = NULL;
	t->n = 0;
}

const char *vgpu_trace_fmt_s(char *buf, size_t len, uint64_t ms)
{
	unsigned f = (unsigned)(ms % 1000);

	if (f == 0)
		snprintf(buf, len, "%llu", (unsigned long long)(ms / 1000));
	else if (f % 100 == 0)
		snprintf(buf, len, "%llu.%u", (unsigned long long)(ms / 1000), f / 100);
	else if (f % 10 == 0)
		snprintf(buf, len, "%llu.%02u", (unsigned long long)(ms / 1000), f / 10);
	else
		snprintf(buf, len, "%llu.%03u", (unsigned long long)(ms / 1000), f);
	return buf;
}

int vgpu_trace_write(FILE *f, const vgpu_trace_t *t)
{
	fprintf(f, "submit_s,duration_s,nodes,gpus_per_node,gpu_mem_mib,gpu_cores_pct,kind\n");
	for (size_t i = 0; i < t->n; i++) {
		const vgpu_trace_job_t *j = &t->jobs[i];
		char a[32], b[32];

		fprintf(f, "%s,%s,%u,%u,%llu,%u,%s\n", vgpu_trace_fmt_s(a, sizeof(a), j->submit_ms),
			vgpu_trace_fmt_s(b, sizeof(b), j->duration_ms), j->nodes, j->gpus_per_node,
			(unsigned long long)j->gpu_mem_mib, j->gpu_cores_pct, j->kind);
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
