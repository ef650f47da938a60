/* vgpu_stepdesc.c - see vgpu_stepdesc.h */
#include "vgpu_stepdesc.h"
#include "vgpu_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define QBUF 96    /* quoted copies of bad input in messages */
#define QMAX 40    /* bytes of bad input shown */

/* Bits of `seen` for the scalar keys and the gpu fields. */
enum { SEEN_STEP = 1, SEEN_ACCT = 2, SEEN_CUDA = 4, SEEN_NVML = 8, SEEN_LOG = 16, SEEN_LOGFILE = 32 };
enum { F_UUID = 1, F_MEM = 2, F_SM = 4, F_CTX = 8 };

typedef struct parse_state {
	vgpu_stepdesc_t *d;
	unsigned line;
	int have_version;
	unsigned seen;
} parse_state_t;

static const char *const level_names[] = { "off", "error", "warn", "info", "debug" };

static const char *q(char *buf, const char *text)
{
	return vgpu_err_quote(buf, QBUF, text, QMAX);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- values --------------------------------------------------------------- */

/* Decimal uint64 without sign or spaces; 0 or -1 (empty, junk, overflow). */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s[0])
		return -1;
	for (i = 0; s[i]; i++) {
		unsigned dgt;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		dgt = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - dgt) / 10)
			return -1;
		v = v * 10 + dgt;
	}
	if (i > 1 && s[0] == '0')
		return -1; /* no leading zeros: one spelling per value */
	*out = v;
	return 0;
}

int vgpu_stepdesc_uuid_valid(const char *text)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (!text || (strncmp(text, "GPU-", 4) != 0 && strncmp(text, "MIG-", 4) != 0))
		return 0;
	for (i = 0; shape[i]; i++) {
		char c = text[4 + i];

		if (shape[i] == '-' ? c != '-' : !isxdigit((unsigned char)c))
			return 0;
	}
	return text[4 + i] == '\0';
}

const char *vgpu_stepdesc_level_name(vgpu_log_level_t level)
{
	if ((unsigned)level < sizeof(level_names) / sizeof(level_names[0]))
		return level_names[level];
	return "?";
}

int vgpu_stepdesc_level_parse(const char *text, vgpu_log_level_t *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (text && strcmp(text, level_names[i]) == 0) {
			*out = (vgpu_log_level_t)i;
			return 0;
		}
	return -1;
}

/* Copy val into dst (size len) when it fits; an absolute path when abs. */
static int set_string(const char *key, char *dst, size_t len, const char *val, int abs, vgpu_err_t *err)
{
	char qb[QBUF];
	size_t n = strlen(val);

	if (abs && val[0] != '/')
		return vgpu_err_set(err, "%s: '%s' is not an absolute path", key, q(qb, val));
	if (n >= len)
		return vgpu_err_set(err, "%s: value is too long (%zu bytes, at most %zu)", key, n, len - 1);
	memcpy(dst, val, n + 1);
	return 0;
}

/* Same UUID: the "GPU-"/"MIG-" prefix exactly, the hex digits in any case. */
static int same_uuid(const char *a, const char *b)
{
	return strncmp(a, b, 4) == 0 && strcasecmp(a + 4, b + 4) == 0;
}

/* The step label: letters, digits, '.', '_', '-'. */
static int label_valid(const char *s)
{
	for (size_t i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* ---- lines ---------------------------------------------------------------- */

static int parse_version(parse_state_t *st, const char *line, vgpu_err_t *err)
{
	char qb[QBUF];
	uint64_t v;

	if (strncmp(line, "vgpu-step", 9) != 0 || !is_blank(line[9]))
		return vgpu_err_set(err, "expected 'vgpu-step %d' as the first line, got '%s'", VGPU_STEPDESC_VERSION,
				    q(qb, line));
	line += 10;
	while (is_blank(*line))
		line++;
	if (parse_u64(line, &v) != 0)
		return vgpu_err_set(err, "vgpu-step: bad version '%s'", q(qb, line));
	if (v != VGPU_STEPDESC_VERSION)
		return vgpu_err_set(err, "vgpu-step: unsupported version %llu (this reader knows %d)",
				    (unsigned long long)v, VGPU_STEPDESC_VERSION);
	st->d->version = (unsigned)v;
	st->have_version = 1;
	return 0;
}

/* One field of a gpu line, or of a job line (job: no ctx; key and val
 * NUL-terminated). Messages start with the line's keyword. */
static int gpu_field(vgpu_stepdesc_gpu_t *g, unsigned *fields, const char *key, const char *val, int job,
		     vgpu_err_t *err)
{
	static const char *const names[] = { "uuid", "mem", "sm", "ctx" };
	const char *w = job ? "job" : "gpu";
	char qb[QBUF], qk[QBUF];
	unsigned bit = 0;
	uint64_t v = 0;

	for (unsigned i = 0; i < 4; i++)
		if (strcmp(key, names[i]) == 0 && (i != 3 || !job))
			bit = 1u << i;
	if (!bit)
		return vgpu_err_set(err, "%s: unknown field '%s' (known: uuid, mem, sm%s)", w, q(qk, key),
				    job ? "" : ", ctx");
	if (*fields & bit)
		return vgpu_err_set(err, "%s: %s given twice", w, key);
	*fields |= bit;
	if (bit == F_UUID) {
		if (!vgpu_stepdesc_uuid_valid(val))
			return vgpu_err_set(err, "%s: uuid: '%s' is not a GPU UUID (GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
					    w, q(qb, val));
		memcpy(g->uuid, val, VGPU_STEPDESC_UUID_LEN + 1);
		return 0;
	}
	if (parse_u64(val, &v) != 0)
		return vgpu_err_set(err, "%s: %s: '%s' is not a decimal number", w, key, q(qb, val));
	if (bit == F_MEM) {
		if (v == 0)
			return vgpu_err_set(err, "%s: mem: must be at least 1 byte", w);
		g->mem_bytes = v;
	} else if (bit == F_SM) {
		if (v < 1 || v > VGPU_STEPDESC_SM_FULL)
			return vgpu_err_set(err, "%s: sm: %llu is out of range (1..%u basis points)", w,
					    (unsigned long long)v, VGPU_STEPDESC_SM_FULL);
		g->sm_bp = (unsigned)v;
	} else {
		g->ctx_bytes = v;
	}
	return 0;
}

/* The fields of a gpu or job line (rest: what follows the keyword) into g. */
static int line_fields(char *rest, vgpu_stepdesc_gpu_t *g, unsigned *fields, int job, vgpu_err_t *err)
{
	char *p = rest;

	while (*p) {
		char *key, *eq;

		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		key = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p)
			*p++ = '\0';
		eq = strchr(key, '=');
		if (!eq || eq == key || !eq[1]) {
			char qb[QBUF];

			return vgpu_err_set(err, "%s: '%s' is not field=value", job ? "job" : "gpu", q(qb, key));
		}
		*eq = '\0';
		if (gpu_field(g, fields, key, eq + 1, job, err) != 0)
			return -1;
	}
	if (!(*fields & F_UUID))
		return vgpu_err_set(err, "%s: uuid= is missing", job ? "job" : "gpu");
	if (!(*fields & F_MEM))
		return vgpu_err_set(err, "%s: mem= is missing", job ? "job" : "gpu");
	if (g->mem_bytes > VGPU_STEPDESC_MEM_MAX)
		return vgpu_err_set(err, "%s: mem: %llu is above %llu", job ? "job" : "gpu",
				    (unsigned long long)g->mem_bytes, (unsigned long long)VGPU_STEPDESC_MEM_MAX);
	return 0;
}

/* "gpu uuid=... mem=... [sm=...] [ctx=...]"; rest is what follows "gpu". */
static int parse_gpu(parse_state_t *st, char *rest, vgpu_err_t *err)
{
	vgpu_stepdesc_t *d = st->d;
	vgpu_stepdesc_gpu_t g;
	unsigned fields = 0;

	memset(&g, 0, sizeof(g));
	g.sm_bp = VGPU_STEPDESC_SM_FULL;
	if (line_fields(rest, &g, &fields, 0, err) != 0)
		return -1;
	if (g.ctx_bytes >= g.mem_bytes)
		return vgpu_err_set(err, "gpu: ctx: %llu is not smaller than mem %llu", (unsigned long long)g.ctx_bytes,
				    (unsigned long long)g.mem_bytes);
	if (vgpu_stepdesc_find_gpu(d, g.uuid))
		return vgpu_err_set(err, "gpu: %s is listed twice", g.uuid);
	if (d->ngpus >= VGPU_STEPDESC_MAX_GPUS)
		return vgpu_err_set(err, "gpu: more than %d GPUs", VGPU_STEPDESC_MAX_GPUS);
	d->gpus[d->ngpus++] = g;
	return 0;
}

/* "job uuid=... mem=... [sm=...]": the job's cap on a GPU of an earlier gpu
 * line; rest is what follows "job". */
static int parse_job(parse_state_t *st, char *rest, vgpu_err_t *err)
{
	vgpu_stepdesc_gpu_t j, *g;
	unsigned fields = 0;

	memset(&j, 0, sizeof(j));
	if (line_fields(rest, &j, &fields, 1, err) != 0)
		return -1;
	g = (vgpu_stepdesc_gpu_t *)vgpu_stepdesc_find_gpu(st->d, j.uuid);
	if (!g)
		return vgpu_err_set(err, "job: %s is not a GPU of an earlier gpu line", j.uuid);
	if (g->job_mem_bytes)
		return vgpu_err_set(err, "job: %s given twice", j.uuid);
	if (j.mem_bytes < g->mem_bytes)
		return vgpu_err_set(err, "job: mem: %llu is smaller than the step's %llu",
				    (unsigned long long)j.mem_bytes, (unsigned long long)g->mem_bytes);
	if ((fields & F_SM) && j.sm_bp < g->sm_bp)
		return vgpu_err_set(err, "job: sm: %u is smaller than the step's %u", j.sm_bp, g->sm_bp);
	g->job_mem_bytes = j.mem_bytes;
	g->job_sm_bp = (fields & F_SM) ? j.sm_bp : 0;
	return 0;
}

static int parse_scalar(parse_state_t *st, const char *key, const char *val, vgpu_err_t *err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} keys[] = { { "step", SEEN_STEP }, { "acct", SEEN_ACCT },  { "cuda", SEEN_CUDA },
		     { "nvml", SEEN_NVML }, { "log", SEEN_LOG },	{ "logfile", SEEN_LOGFILE } };
	vgpu_stepdesc_t *d = st->d;
	char qb[QBUF], qk[QBUF];
	unsigned bit = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].name) == 0)
			bit = keys[i].bit;
	if (!bit)
		return vgpu_err_set(err, "unknown key '%s' (known: step, acct, cuda, nvml, log, logfile, gpu, job)",
				    q(qk, key));
	if (st->seen & bit)
		return vgpu_err_set(err, "%s given twice", key);
	st->seen |= bit;
	if (!val[0])
		return vgpu_err_set(err, "%s: empty value", key);
	if (strchr(val, '\t'))
		return vgpu_err_set(err, "%s: tab in the value", key);
	switch (bit) {
	case SEEN_STEP:
		if (!label_valid(val))
			return vgpu_err_set(err, "step: '%s' may hold only letters, digits, '.', '_' and '-'", q(qb, val));
		return set_string(key, d->step, sizeof(d->step), val, 0, err);
	case SEEN_ACCT:
		return set_string(key, d->acct_dir, sizeof(d->acct_dir), val, 1, err);
	case SEEN_CUDA:
		return set_string(key, d->cuda_path, sizeof(d->cuda_path), val, 1, err);
	case SEEN_NVML:
		return set_string(key, d->nvml_path, sizeof(d->nvml_path), val, 1, err);
	case SEEN_LOG:
		if (vgpu_stepdesc_level_parse(val, &d->log_level) != 0)
			return vgpu_err_set(err, "log: unknown level '%s' (off, error, warn, info, debug)", q(qb, val));
		return 0;
	default:
		if (strcmp(val, "stderr") == 0) {
			d->log_file[0] = '\0';
			return 0;
		}
		return set_string(key, d->log_file, sizeof(d->log_file), val, 1, err);
	}
}

static int parse_line(parse_state_t *st, char *line, vgpu_err_t *err)
{
	char qb[QBUF];
	size_t n = strlen(line), i;
	char *eq;

	while (n > 0 && (is_blank(line[n - 1]) || line[n - 1] == '\r'))
		line[--n] = '\0';
	while (is_blank(*line))
		line++;
	if (!line[0] || line[0] == '#')
		return 0;
	for (i = 0; line[i]; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			return vgpu_err_set(err, "control character at column %zu", i + 1);
	if (!st->have_version)
		return parse_version(st, line, err);
	if (strncmp(line, "gpu", 3) == 0 && (is_blank(line[3]) || !line[3]))
		return parse_gpu(st, line + 3, err);
	if (strncmp(line, "job", 3) == 0 && (is_blank(line[3]) || !line[3]))
		return parse_job(st, line + 3, err);
	eq = strchr(line, '=');
	if (!eq)
		return vgpu_err_set(err, "'%s' is not key=value", q(qb, line));
	*eq = '\0';
	for (i = 0; line[i]; i++)
		if (!islower((unsigned char)line[i]))
			return vgpu_err_set(err, "unknown key '%s' (keys are lower-case words, no spaces around '=')",
					    q(qb, line));
	return parse_scalar(st, line, eq + 1, err);
}

static int check_required(const parse_state_t *st, vgpu_err_t *err)
{
	static const struct {
		unsigned bit;
		const char *key;
	} req[] = { { SEEN_ACCT, "acct" }, { SEEN_CUDA, "cuda" }, { SEEN_NVML, "nvml" } };

	if (!st->have_version)
		return vgpu_err_set(err, "empty description (expected 'vgpu-step %d')", VGPU_STEPDESC_VERSION);
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!(st->seen & req[i].bit))
			return vgpu_err_set(err, "%s= is missing", req[i].key);
	if (st->d->ngpus == 0)
		return vgpu_err_set(err, "no gpu line");
	return 0;
}

/* ---- public --------------------------------------------------------------- */

void vgpu_stepdesc_init(vgpu_stepdesc_t *d)
{
	memset(d, 0, sizeof(*d));
	d->version = VGPU_STEPDESC_VERSION;
	d->log_level = VGPU_LOG_WARN;
}

int vgpu_stepdesc_parse(const char *text, size_t len, const char *name, vgpu_stepdesc_t *d, vgpu_err_t *err)
{
	char line[VGPU_STEPDESC_LINE_MAX];
	parse_state_t st;
	size_t pos = 0;
	int rc = -1;

	memset(&st, 0, sizeof(st));
	st.d = d;
	vgpu_stepdesc_init(d);
	name = name ? name : "stepdesc";
	if (len > 0 && !text) {
		vgpu_err_set(err, "no text");
		goto out;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		st.line++;
		if (memchr(text + pos, '\0', n)) {
			vgpu_err_set(err, "NUL byte (a text file was expected)");
			goto out;
		}
		if (n >= sizeof(line)) {
			vgpu_err_set(err, "line is too long (%zu bytes, at most %zu)", n, sizeof(line) - 1);
			goto out;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (parse_line(&st, line, err) != 0)
			goto out;
		pos += n + 1;
	}
	if (check_required(&st, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		vgpu_err_prefix(err, "%s:%u", name, st.line);
		vgpu_stepdesc_init(d);
	}
	return rc;
}

int vgpu_stepdesc_load(const char *path, vgpu_stepdesc_t *d, vgpu_err_t *err)
{
	char *buf;
	size_t len;
	int rc;

	vgpu_stepdesc_init(d);
	if (vgpu_file_read(path, VGPU_STEPDESC_FILE_MAX, &buf, &len, err) != 0)
		return -1;
	rc = vgpu_stepdesc_parse(buf, len, path, d, err);
	free(buf);
	return rc;
}

/* A string field: terminated within len, no control character, and an
 * absolute path when abs (empty allowed only when may_be_empty). */
static int check_string(const char *key, const char *s, size_t len, int abs, int may_be_empty, vgpu_err_t *err)
{
	size_t n = strnlen(s, len);

	if (n == len)
		return vgpu_err_set(err, "%s: not NUL-terminated", key);
	if (n == 0)
		return may_be_empty ? 0 : vgpu_err_set(err, "%s= is missing", key);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return vgpu_err_set(err, "%s: control character in the value", key);
	if (is_blank(s[0]) || is_blank(s[n - 1]))
		return vgpu_err_set(err, "%s: value starts or ends with a blank", key);
	if (abs && s[0] != '/')
		return vgpu_err_set(err, "%s: not an absolute path", key);
	return 0;
}

int vgpu_stepdesc_check(const vgpu_stepdesc_t *d, vgpu_err_t *err)
{
	if (d->version != VGPU_STEPDESC_VERSION)
		return vgpu_err_set(err, "unsupported version %u", d->version);
	if (check_string("step", d->step, sizeof(d->step), 0, 1, err) != 0)
		return -1;
	if (!label_valid(d->step))
		return vgpu_err_set(err, "step: may hold only letters, digits, '.', '_' and '-'");
	if (check_string("acct", d->acct_dir, sizeof(d->acct_dir), 1, 0, err) != 0 ||
	    check_string("cuda", d->cuda_path, sizeof(d->cuda_path), 1, 0, err) != 0 ||
	    check_string("nvml", d->nvml_path, sizeof(d->nvml_path), 1, 0, err) != 0 ||
	    check_string("logfile", d->log_file, sizeof(d->log_file), 1, 1, err) != 0)
		return -1;
	if ((unsigned)d->log_level > VGPU_LOG_DEBUG)
		return vgpu_err_set(err, "log: bad level %d", (int)d->log_level);
	if (d->ngpus == 0 || d->ngpus > VGPU_STEPDESC_MAX_GPUS)
		return vgpu_err_set(err, "%zu GPUs (1..%d)", d->ngpus, VGPU_STEPDESC_MAX_GPUS);
	for (size_t i = 0; i < d->ngpus; i++) {
		const vgpu_stepdesc_gpu_t *g = &d->gpus[i];

		if (!memchr(g->uuid, '\0', sizeof(g->uuid)) || !vgpu_stepdesc_uuid_valid(g->uuid))
			return vgpu_err_set(err, "gpu %zu: bad uuid", i);
		if (g->mem_bytes == 0 || g->mem_bytes > VGPU_STEPDESC_MEM_MAX || g->sm_bp < 1 ||
		    g->sm_bp > VGPU_STEPDESC_SM_FULL || g->ctx_bytes >= g->mem_bytes)
			return vgpu_err_set(err, "gpu %s: mem/sm/ctx out of range", g->uuid);
		if ((g->job_mem_bytes && (g->job_mem_bytes < g->mem_bytes || g->job_mem_bytes > VGPU_STEPDESC_MEM_MAX)) ||
		    (g->job_sm_bp && (g->job_sm_bp < g->sm_bp || g->job_sm_bp > VGPU_STEPDESC_SM_FULL || !g->job_mem_bytes)))
			return vgpu_err_set(err, "gpu %s: job cap below the step's limits, out of range or sm without mem",
					    g->uuid);
		for (size_t j = 0; j < i; j++)
			if (same_uuid(d->gpus[j].uuid, g->uuid))
				return vgpu_err_set(err, "gpu %s: listed twice", g->uuid);
	}
	return 0;
}

int vgpu_stepdesc_format(const vgpu_stepdesc_t *d, char *buf, size_t len, vgpu_err_t *err)
{
	size_t o = 0;
	int n;

	if (vgpu_stepdesc_check(d, err) != 0)
		return -1;
#define EMIT(...)                                                                        \
	do {                                                                             \
		n = snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__);              \
		if (n < 0 || (size_t)n >= (o < len ? len - o : 0))                       \
			return vgpu_err_set(err, "step description does not fit in %zu bytes", len); \
		o += (size_t)n;                                                          \
	} while (0)
	EMIT("vgpu-step %d\n", VGPU_STEPDESC_VERSION);
	if (d->step[0])
		EMIT("step=%s\n", d->step);
	EMIT("acct=%s\ncuda=%s\nnvml=%s\nlog=%s\nlogfile=%s\n", d->acct_dir, d->cuda_path, d->nvml_path,
	     vgpu_stepdesc_level_name(d->log_level), d->log_file[0] ? d->log_file : "stderr");
	for (size_t i = 0; i < d->ngpus; i++) {
		const vgpu_stepdesc_gpu_t *g = &d->gpus[i];

		EMIT("gpu uuid=%s mem=%llu sm=%u ctx=%llu\n", g->uuid, (unsigned long long)g->mem_bytes, g->sm_bp,
		     (unsigned long long)g->ctx_bytes);
		if (g->job_mem_bytes)
			EMIT("job uuid=%s mem=%llu", g->uuid, (unsigned long long)g->job_mem_bytes);
		if (g->job_mem_bytes && g->job_sm_bp)
			EMIT(" sm=%u", g->job_sm_bp);
		if (g->job_mem_bytes)
			EMIT("\n");
	}
#undef EMIT
	return (int)o;
}

int vgpu_stepdesc_write(const char *path, const vgpu_stepdesc_t *d, vgpu_err_t *err)
{
	char buf[VGPU_STEPDESC_FILE_MAX];
	char tmp[VGPU_STEPDESC_PATH_MAX + 16];
	int len, fd, n, rc = -1;
	size_t off = 0;

	len = vgpu_stepdesc_format(d, buf, sizeof(buf), err);
	if (len < 0)
		return vgpu_err_prefix(err, "%s", path);
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return vgpu_err_set(err, "%s: path is too long", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return vgpu_err_set(err, "%s: cannot create a temporary file: %s", path, strerror(errno));
	while (off < (size_t)len) {
		ssize_t w = write(fd, buf + off, (size_t)len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			vgpu_err_set(err, "%s: cannot write: %s", tmp, w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, 0644) != 0) {
		vgpu_err_set(err, "%s: cannot chmod: %s", tmp, strerror(errno));
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		vgpu_err_set(err, "%s: cannot close: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		vgpu_err_set(err, "%s: cannot rename into place: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

const vgpu_stepdesc_gpu_t *vgpu_stepdesc_find_gpu(const vgpu_stepdesc_t *d, const char *uuid)
{
	if (!uuid)
		return NULL;
	for (size_t i = 0; i < d->ngpus; i++)
		if (same_uuid(d->gpus[i].uuid, uuid))
			return &d->gpus[i];
	return NULL;
}
