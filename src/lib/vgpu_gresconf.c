/* vgpu_gresconf.c - see vgpu_gresconf.h */
#include "vgpu_gresconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vgpu_hostlist.h"

#define LINE_MAX_BYTES 65536
#define FIELD_MAX 16

typedef struct field {
	const char *key, *val;  /* NUL-terminated inside the line buffer */
} field_t;

/* One logical line: text after `\`-joining and without its comment. */
typedef struct line {
	char buf[LINE_MAX_BYTES];
	unsigned no;            /* first physical line number */
	field_t f[FIELD_MAX];
	unsigned nf;
} line_t;

typedef struct state {
	const char *file, *node;
	vgpu_gresconf_links_t *out;
	int row_seen[VGPU_GRESCONF_GPUS_MAX];
	int any_links;          /* some record of the node has Links= */
	int autodetect;         /* AutoDetect other than off applies */
	unsigned autodetect_line;
} state_t;

static void note(state_t *s, unsigned no, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(state_t *s, unsigned no, const char *fmt, ...)
{
	char tmp[VGPU_GRESCONF_NOTE_MAX / 2];
	va_list ap;

	if (s->out->note[0])
		return;         /* the first reason is kept */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	snprintf(s->out->note, sizeof(s->out->note), "%.200s:%u: %s", s->file, no, tmp);
}

/* Split ln->buf into KEY=value fields; -1 with err on a word without '='. */
static int split(line_t *ln, const char *file, vgpu_err_t *err)
{
	char *p = ln->buf, q[64];

	ln->nf = 0;
	for (;;) {
		char *w, *eq;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		w = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
		eq = strchr(w, '=');
		if (strncasecmp(w, "include", 7) == 0 && (!eq || eq - w == 7))
			return vgpu_err_set(err, "%s:%u: Include is not followed by this reader; "
					    "give the links in this file", file, ln->no);
		if (!eq || eq == w)
			return vgpu_err_set(err, "%s:%u: '%s': expected KEY=value", file, ln->no,
					    vgpu_err_quote(q, sizeof(q), w, 40));
		if (ln->nf == FIELD_MAX)
			return vgpu_err_set(err, "%s:%u: more than %d KEY=value pairs", file, ln->no,
					    FIELD_MAX);
		*eq = '\0';
		ln->f[ln->nf].key = w;
		ln->f[ln->nf].val = eq + 1;
		ln->nf++;
	}
}

static const char *get(const line_t *ln, const char *key)
{
	unsigned i;
	const char *v = NULL;

	for (i = 0; i < ln->nf; i++)
		if (strcasecmp(ln->f[i].key, key) == 0)
			v = ln->f[i].val;      /* the last one wins */
	return v;
}

/* Does the line's NodeName= name s->node? 1, 0, or -1 with err. */
static int for_node(const state_t *s, const line_t *ln, vgpu_err_t *err)
{
	const char *nn = get(ln, "NodeName");
	char **names = NULL;
	size_t n = 0, i;
	int hit = 0;

	if (!nn)
		return 1;
	if (vgpu_hostlist_expand(nn, &names, &n, err) != 0)
		return vgpu_err_prefix(err, "%s:%u: NodeName", s->file, ln->no);
	for (i = 0; i < n && !hit; i++)
		hit = strcmp(names[i], s->node) == 0;
	vgpu_hostlist_free(names, n);
	return hit;
}

/* GPUs one record stands for: File= names, else Count=; -1 with err. */
static int record_gpus(const state_t *s, const line_t *ln, unsigned *n, vgpu_err_t *err)
{
	const char *file = get(ln, "File"), *cnt = get(ln, "Count");
	char q[64];

	if (!file)
		file = get(ln, "Files");
	if (get(ln, "MultipleFiles")) {
		*n = 1;
	} else if (file) {
		char **names = NULL;
		size_t k = 0;

		if (vgpu_hostlist_expand(file, &names, &k, err) != 0)
			return vgpu_err_prefix(err, "%s:%u: File", s->file, ln->no);
		vgpu_hostlist_free(names, k);
		if (k > VGPU_GRESCONF_GPUS_MAX)
			return vgpu_err_set(err, "%s:%u: File=%s names more than %d GPUs", s->file,
					    ln->no, vgpu_err_quote(q, sizeof(q), file, 40),
					    VGPU_GRESCONF_GPUS_MAX);
		*n = (unsigned)k;
	} else if (cnt) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(cnt, &end, 10);
		if (!isdigit((unsigned char)cnt[0]) || errno || v > VGPU_GRESCONF_GPUS_MAX ||
		    (*end && strchr("kKmMgG", *end) == NULL) || (*end && end[1]))
			return vgpu_err_set(err, "%s:%u: Count=%s: expected a number of GPUs up to %d",
					    s->file, ln->no, vgpu_err_quote(q, sizeof(q), cnt, 40),
					    VGPU_GRESCONF_GPUS_MAX);
		if (*end)
			return vgpu_err_set(err, "%s:%u: Count=%s: more than %d GPUs", s->file, ln->no,
					    vgpu_err_quote(q, sizeof(q), cnt, 40), VGPU_GRESCONF_GPUS_MAX);
		*n = (unsigned)v;
	} else {
		*n = 1;
	}
	return 0;
}

/* Parse Links= into row[] (*n entries); -1 with err. */
static int parse_links(const state_t *s, const line_t *ln, const char *v, int *row, unsigned *n,
		       vgpu_err_t *err)
{
	const char *p = v;
	char q[64];

	*n = 0;
	for (;;) {
		char *end;
		long x;

		errno = 0;
		x = strtol(p, &end, 10);
		if (end == p || errno || x < -2 || x > 1000000 || (*end && *end != ','))
			return vgpu_err_set(err, "%s:%u: Links=%s: expected comma-separated link counts "
					    "(-1 for the GPU itself)", s->file, ln->no,
					    vgpu_err_quote(q, sizeof(q), v, 60));
		if (*n == VGPU_GRESCONF_GPUS_MAX)
			return vgpu_err_set(err, "%s:%u: Links= has more than %d entries", s->file,
					    ln->no, VGPU_GRESCONF_GPUS_MAX);
		row[(*n)++] = (int)x;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

static int take_record(state_t *s, const line_t *ln, vgpu_err_t *err)
{
	vgpu_gresconf_links_t *out = s->out;
	int row[VGPU_GRESCONF_GPUS_MAX];
	const char *links = get(ln, "Links");
	unsigned n = 0, nl = 0, i, self = 0, nself = 0;

	if (record_gpus(s, ln, &n, err) != 0)
		return -1;
	if (n > VGPU_GRESCONF_GPUS_MAX - out->ngpus)
		return vgpu_err_set(err, "%s:%u: node %s has more than %d GPUs", s->file, ln->no,
				    s->node, VGPU_GRESCONF_GPUS_MAX);
	out->ngpus += n;
	if (!links) {
		note(s, ln->no, "GPU line without Links=");
		return 0;
	}
	if (parse_links(s, ln, links, row, &nl, err) != 0)
		return -1;
	s->any_links = 1;
	if (n != 1) {
		note(s, ln->no, "Links= on a line of %u GPUs (Slurm needs one line per GPU)", n);
		return 0;
	}
	for (i = 0; i < nl; i++)
		if (row[i] == -1) {
			self = i;
			nself++;
		}
	if (nself != 1) {
		note(s, ln->no, "Links=%.60s has %u entries of -1 (the GPU itself), expected one",
		     links, nself);
		return 0;
	}
	if (s->row_seen[self]) {
		note(s, ln->no, "Links=%.60s: a second GPU with -1 in place %u", links, self);
		return 0;
	}
	s->row_seen[self] = (int)nl;    /* entries; checked against ngpus at the end */
	for (i = 0; i < nl; i++)
		out->links[self][i] = row[i];
	return 0;
}

/* The next logical line from text at *pos into ln (comment cut, `\` joined);
 * 0 at the end, 1 with a line, -1 with err when too long. */
static int next_line(const char *text, size_t len, size_t *pos, unsigned *lineno, line_t *ln,
		     const char *file, vgpu_err_t *err)
{
	size_t o = 0;
	int in_comment = 0;

	if (*pos >= len)
		return 0;
	ln->no = *lineno;
	while (*pos < len) {
		char c = text[(*pos)++];

		if (c == '\n') {
			(*lineno)++;
			if (!in_comment && o > 0 && ln->buf[o - 1] == '\\') {
				o--;
				ln->buf[o++] = ' ';
				continue;
			}
			break;
		}
		if (c == '#')
			in_comment = 1;
		if (in_comment)
			continue;
		if (c == '\0' || c == '\r' || c == '\t')
			c = ' ';
		if (o + 1 >= sizeof(ln->buf))
			return vgpu_err_set(err, "%s:%u: line longer than %d bytes", file, ln->no,
					    LINE_MAX_BYTES - 1);
		ln->buf[o++] = c;
	}
	ln->buf[o] = '\0';
	return 1;
}

static int do_line(state_t *s, line_t *ln, vgpu_err_t *err)
{
	const char *name, *ad;
	int mine;

	if (split(ln, s->file, err) != 0)
		return -1;
	if (ln->nf == 0)
		return 0;
	if ((mine = for_node(s, ln, err)) < 0)
		return -1;
	if ((ad = get(ln, "AutoDetect")) && mine) {
		s->autodetect = strcasecmp(ad, "off") != 0 && strcasecmp(ad, "none") != 0;
		s->autodetect_line = ln->no;
	}
	name = get(ln, "Name");
	if (!mine || !name || strcasecmp(name, "gpu") != 0)
		return 0;
	return take_record(s, ln, err);
}

int vgpu_gresconf_node_links(const char *text, size_t len, const char *file, const char *node,
			     vgpu_gresconf_links_t *out, vgpu_err_t *err)
{
	state_t *s = calloc(1, sizeof(*s));
	line_t *ln = malloc(sizeof(*ln));
	size_t pos = 0;
	unsigned lineno = 1, i;
	int rc = -1, r;

	memset(out, 0, sizeof(*out));
	if (!s || !ln) {
		vgpu_err_set(err, "%s: out of memory", file);
		goto done;
	}
	s->file = file;
	s->node = node;
	s->out = out;
	while ((r = next_line(text, len, &pos, &lineno, ln, file, err)) == 1)
		if (do_line(s, ln, err) != 0)
			goto done;
	if (r < 0)
		goto done;
	if (out->ngpus == 0) {
		snprintf(out->note, sizeof(out->note), "%s: no Name=gpu line for node %s", file, node);
	} else if (!s->any_links && s->autodetect) {
		snprintf(out->note, sizeof(out->note),
			 "%s:%u: AutoDetect: Slurm takes the links from the driver", file,
			 s->autodetect_line);
	} else if (!out->note[0]) {
		for (i = 0; i < out->ngpus && !out->note[0]; i++) {
			if (!s->row_seen[i])
				snprintf(out->note, sizeof(out->note),
					 "%s: node %s: no Links= has -1 in place %u (GPU %u of %u)",
					 file, node, i, i, out->ngpus);
			else if (s->row_seen[i] != (int)out->ngpus)
				snprintf(out->note, sizeof(out->note),
					 "%s: node %s: the Links= of GPU %u has %d entries, the node has %u GPUs",
					 file, node, i, s->row_seen[i], out->ngpus);
		}
	}
	out->known = out->note[0] == '\0';
	rc = 0;
done:
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	free(s);
	free(ln);
	return rc;
}
