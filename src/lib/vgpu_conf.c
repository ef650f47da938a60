/* vgpu_conf.c - see vgpu_conf.h and doc/vgpu.conf.5
 *
 * One table of keys per kind of line (settings, and the keys of a GpuType
 * line), each key with a handler that checks and stores its value. A line is
 * split into Key=Value pairs by next_pair(); the handlers see one value,
 * NUL-terminated, and write messages "Key: what was wrong with 'value'"
 * that parse_text() prefixes with "NAME:LINE".
 */
#include "vgpu_conf.h"
#include "vgpu_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vgpu_size.h"

#define QUOTE_MAX 64
#define QBUF (4 * QUOTE_MAX + 16)

typedef struct key_def key_def_t;

/* A handler stores the value of def into the object at obj (a vgpu_conf_t
 * or a vgpu_gpu_type_t); returns 0 or -1 with err set. */
typedef int (*key_set_fn)(const key_def_t *def, void *obj, const char *val,
			  vgpu_err_t *err);

struct key_def {
	const char *name;
	key_set_fn set;
	size_t offset;          /* of the field in the object */
	size_t size;            /* strings: size of the field */
	unsigned min, max;      /* numbers */
};

typedef struct pair {
	const char *key;
	const char *val;
} pair_t;

static int set_mode(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err);
static int set_uint(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err);
static int set_size(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err);
static int set_size0(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err);
static int set_abspath(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err);
static int set_string(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err);
static int set_type_reserve(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err);
static int set_size1(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err);

#define CONF(f) offsetof(vgpu_conf_t, f), sizeof(((vgpu_conf_t *)0)->f)
#define TYPE(f) offsetof(vgpu_gpu_type_t, f), sizeof(((vgpu_gpu_type_t *)0)->f)

/* Settings: one per line. GpuType (set == NULL) starts a GpuType line. */
static const key_def_t conf_keys[] = {
	{ "AccountingMode", set_mode, CONF(mode), 0, 0 },
	{ "ShardsPerGpu", set_uint, CONF(shards_per_gpu), VGPU_CONF_SHARDS_MIN, VGPU_CONF_SHARDS_MAX },
	{ "ShardMemory", set_size, CONF(shard_bytes), 0, 0 },
	{ "DefaultCores", set_uint, CONF(default_cores), 1, 100 },
	{ "MemoryReserve", set_size0, CONF(reserve_bytes), 0, 0 },
	{ "StateDir", set_abspath, CONF(state_dir), 0, 0 },
	{ "ShimLibrary", set_abspath, CONF(shim_path), 0, 0 },
	{ "NvmlLibrary", set_string, CONF(nvml_path), 0, 0 },
	{ "CudaLibrary", set_string, CONF(cuda_path), 0, 0 },
	{ "CliqueMap", set_abspath, CONF(cliquemap_path), 0, 0 },
	{ "GpuType", NULL, 0, 0, 0, 0 },
};
#define NCONF_KEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

/* The keys that may follow GpuType=NAME on its line. */
static const key_def_t type_keys[] = {
	{ "Memory", set_size, TYPE(mem_bytes), 0, 0 },
	{ "SMs", set_uint, TYPE(sms), 1, VGPU_CONF_SMS_MAX },
	{ "Model", set_string, TYPE(model), 0, 0 },
	{ "MemoryReserve", set_type_reserve, TYPE(reserve_bytes), 0, 0 },
	{ "DriverReserved", set_size0, TYPE(driver_bytes), 0, 0 },
	{ "ContextMemory", set_size1, TYPE(ctx_bytes), 0, 0 },
};
#define NTYPE_KEYS (sizeof(type_keys) / sizeof(type_keys[0]))

typedef struct state {
	vgpu_conf_t *conf;
	unsigned line;
	unsigned conf_line[NCONF_KEYS];         /* line a setting was given on, 0: not yet */
	unsigned type_line[VGPU_CONF_TYPES_MAX];
} state_t;

static const char *q(char *buf, const char *text)
{
	return vgpu_err_quote(buf, QBUF, text, QUOTE_MAX);
}

/* ---- handlers ---------------------------------------------------------- */

static int set_mode(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err)
{
	vgpu_mode_t *mode = (vgpu_mode_t *)((char *)obj + def->offset);
	char qb[QBUF];

	if (strcasecmp(val, "strict") == 0)
		*mode = VGPU_MODE_STRICT;
	else if (strcasecmp(val, "memory") == 0)
		*mode = VGPU_MODE_MEMORY;
	else
		return vgpu_err_set(err, "%s: '%s' is not an accounting mode (expected strict or memory)",
				    def->name, q(qb, val));
	return 0;
}

/* Whole numbers; DefaultCores may end in '%' as a request's cores. */
static int set_uint(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err)
{
	unsigned *field = (unsigned *)((char *)obj + def->offset);
	int pct_ok = def->max == 100;
	unsigned long v = 0;
	size_t n = 0;
	char qb[QBUF];

	while (val[n] >= '0' && val[n] <= '9') {
		if (v <= 100000000ul)
			v = v * 10 + (unsigned long)(val[n] - '0');
		n++;
	}
	if (n == 0 || !(val[n] == '\0' || (pct_ok && val[n] == '%' && val[n + 1] == '\0')))
		return vgpu_err_set(err, "%s: '%s' is not a whole number (expected %u..%u)",
				    def->name, q(qb, val), def->min, def->max);
	if (v < def->min || v > def->max)
		return vgpu_err_set(err, "%s: '%s' is out of range (expected %u..%u)",
				    def->name, q(qb, val), def->min, def->max);
	*field = (unsigned)v;
	return 0;
}

static int set_size(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err)
{
	uint64_t *field = (uint64_t *)((char *)obj + def->offset);
	uint64_t v;
	char qb[QBUF];

	if (vgpu_size_parse(val, strlen(val), def->name, &v, err) != 0)
		return -1;
	if (v < VGPU_CONF_MIN_BYTES)
		return vgpu_err_set(err, "%s: '%s' is less than the minimum of 1M", def->name,
				    q(qb, val));
	*field = v;
	return 0;
}

static int set_size0(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err)
{
	return vgpu_size_parse_ex(val, strlen(val), def->name, VGPU_SIZE_ZERO_OK,
				  (uint64_t *)((char *)obj + def->offset), err);
}

/* A size of at least one byte (ContextMemory=0 would leave contexts free). */
static int set_size1(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err)
{
	char qb[QBUF];

	if (set_size0(def, obj, val, err) != 0)
		return -1;
	if (*(uint64_t *)((char *)obj + def->offset) == 0)
		return vgpu_err_set(err, "%s: '%s': every CUDA context takes memory (give what one takes, e.g. 300M)",
				    def->name, q(qb, val));
	return 0;
}

static int set_type_reserve(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err)
{
	if (set_size0(def, obj, val, err) != 0)
		return -1;
	((vgpu_gpu_type_t *)obj)->reserve_set = 1;
	return 0;
}

/* A string that must fit its field (never cut). */
static int set_string(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err)
{
	char *field = (char *)obj + def->offset;
	size_t n = strlen(val);
	char qb[QBUF];

	if (n >= def->size)
		return vgpu_err_set(err, "%s: value '%s' is too long (%zu bytes, at most %zu)",
				    def->name, q(qb, val), n, def->size - 1);
	memcpy(field, val, n + 1);
	return 0;
}

static int set_abspath(const key_def_t *def, void *obj, const char *val, vgpu_err_t *err)
{
	char qb[QBUF];

	if (val[0] != '/')
		return vgpu_err_set(err, "%s: '%s' is not an absolute path", def->name, q(qb, val));
	return set_string(def, obj, val, err);
}

/* ---- lines ------------------------------------------------------------- */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static const key_def_t *find_key(const key_def_t *table, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(table[i].name, key) == 0)
			return &table[i];
	return NULL;
}

/* Split the next Key=Value pair off line at *pos, NUL-terminating key and
 * value in place. Returns 1 with *p set, 0 at the end of the line (or at a
 * comment), -1 on a malformed pair. */
static int next_pair(char *line, size_t *pos, pair_t *p, vgpu_err_t *err)
{
	char qb[QBUF], qc[QBUF];
	size_t i = *pos, k, v;

	while (is_space(line[i]))
		i++;
	if (line[i] == '\0' || line[i] == '#')
		return 0;
	k = i;
	while (line[i] && !is_space(line[i]) && line[i] != '=' && line[i] != '#')
		i++;
	if (i == k)
		return vgpu_err_set(err, "missing key before '=' in '%s' (expected Key=Value)",
				    q(qb, line + k));
	if (line[i] != '=') {
		size_t end = strlen(line);

		while (end > k && is_space(line[end - 1]))
			end--;
		line[end] = '\0';
		q(qb, line + k);
		line[i] = '\0';
		return vgpu_err_set(err, "%s: missing '=' in '%s' (expected Key=Value, no spaces around '=')",
				    q(qc, line + k), qb);
	}
	line[i++] = '\0';
	p->key = line + k;
	if (line[i] == '"') {
		char *close = strchr(line + i + 1, '"');

		if (!close)
			return vgpu_err_set(err, "%s: unterminated quote in '%s'", q(qc, p->key),
					    q(qb, line + i));
		*close = '\0';
		v = i + 1;
		i = (size_t)(close - line) + 1;
		if (line[i] && !is_space(line[i]) && line[i] != '#')
			return vgpu_err_set(err, "%s: unexpected '%s' after the closing quote",
					    q(qc, p->key), q(qb, line + i));
	} else {
		v = i;
		while (line[i] && !is_space(line[i]) && line[i] != '#') {
			if (line[i] == '"')
				return vgpu_err_set(err, "%s: stray '\"' in '%s' (quote the whole value)",
						    q(qc, p->key), q(qb, line + v));
			i++;
		}
		if (line[i] == '#')
			line[i] = '\0';
		else if (line[i])
			line[i++] = '\0';
	}
	p->val = line + v;
	for (k = 0; p->val[k]; k++)
		if ((unsigned char)p->val[k] < 0x20 || p->val[k] == 0x7f)
			return vgpu_err_set(err, "%s: control character in '%s'", q(qc, p->key),
					    q(qb, p->val));
	if (p->val[0] == '\0')
		return vgpu_err_set(err, "%s: empty value", q(qc, p->key));
	*pos = i;
	return 1;
}

/* What follows the last pair of a line must be nothing or a comment. */
static int expect_end(const char *line, size_t pos, const char *key, vgpu_err_t *err)
{
	char qb[QBUF];

	while (is_space(line[pos]))
		pos++;
	if (line[pos] == '\0' || line[pos] == '#')
		return 0;
	return vgpu_err_set(err, "%s: unexpected '%s' after the value (one setting per line; only GpuType lines hold several)",
			    key, q(qb, line + pos));
}

/* The rest of a GpuType line: NAME is p->val. */
static int parse_type_line(state_t *st, const pair_t *first, char *line, size_t pos,
			   vgpu_err_t *err)
{
	vgpu_conf_t *c = st->conf;
	vgpu_gpu_type_t t;
	unsigned seen = 0;
	char qb[QBUF], qk[QBUF];
	pair_t p;
	size_t i;
	int rc;

	memset(&t, 0, sizeof(t));
	if (vgpu_request_check_name(first->val, "GpuType", err) != 0)
		return -1;
	for (i = 0; first->val[i]; i++)
		t.name[i] = (char)tolower((unsigned char)first->val[i]);
	for (i = 0; i < c->ntypes; i++)
		if (strcmp(c->types[i].name, t.name) == 0)
			return vgpu_err_set(err, "GpuType: duplicate type '%s' (first on line %u)",
					    t.name, st->type_line[i]);
	if (c->ntypes >= VGPU_CONF_TYPES_MAX)
		return vgpu_err_set(err, "GpuType: too many GPU types at '%s' (at most %d)",
				    t.name, VGPU_CONF_TYPES_MAX);
	while ((rc = next_pair(line, &pos, &p, err)) > 0) {
		const key_def_t *def = find_key(type_keys, NTYPE_KEYS, p.key);

		if (!def) {
			if (strcasecmp(p.key, "GpuType") == 0)
				return vgpu_err_set(err, "GpuType: a second type '%s' on one line (one GpuType per line)",
						    q(qb, p.val));
			if (find_key(conf_keys, NCONF_KEYS, p.key))
				return vgpu_err_set(err, "%s: not a GpuType key (give it on a line of its own)",
						    q(qk, p.key));
			return vgpu_err_set(err, "%s: unknown GpuType key (value '%s'; expected Memory, SMs, Model, MemoryReserve, DriverReserved or ContextMemory)",
					    q(qk, p.key), q(qb, p.val));
		}
		if (seen & (1u << (def - type_keys)))
			return vgpu_err_set(err, "%s: given twice on this GpuType line ('%s')",
					    def->name, q(qb, p.val));
		seen |= 1u << (def - type_keys);
		if (def->set(def, &t, p.val, err) != 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (!t.mem_bytes || !t.sms)
		return vgpu_err_set(err, "GpuType: '%s' has no %s= (e.g. GpuType=h100 Memory=81559M SMs=132)",
				    t.name, !t.mem_bytes ? "Memory" : "SMs");
	for (i = 0; t.model[0] && i < c->ntypes; i++)
		if (strcasecmp(c->types[i].model, t.model) == 0)
			return vgpu_err_set(err, "Model: '%s' already names GpuType '%s' (line %u)",
					    q(qb, t.model), c->types[i].name, st->type_line[i]);
	st->type_line[c->ntypes] = st->line;
	c->types[c->ntypes++] = t;
	return 0;
}

static int parse_line(state_t *st, char *line, vgpu_err_t *err)
{
	const key_def_t *def;
	char qk[QBUF], qb[QBUF];
	size_t pos = 0;
	pair_t p;
	int rc;

	rc = next_pair(line, &pos, &p, err);
	if (rc <= 0)
		return rc;
	def = find_key(conf_keys, NCONF_KEYS, p.key);
	if (!def) {
		if (find_key(type_keys, NTYPE_KEYS, p.key))
			return vgpu_err_set(err, "%s: only valid on a GpuType line (e.g. GpuType=h100 Memory=81559M SMs=132)",
					    q(qk, p.key));
		return vgpu_err_set(err, "%s: unknown key (value '%s'; expected AccountingMode, ShardsPerGpu, ShardMemory, DefaultCores, MemoryReserve, StateDir, ShimLibrary, NvmlLibrary, CudaLibrary, CliqueMap or GpuType)",
				    q(qk, p.key), q(qb, p.val));
	}
	if (!def->set)
		return parse_type_line(st, &p, line, pos, err);
	if (st->conf_line[def - conf_keys])
		return vgpu_err_set(err, "%s: duplicate setting '%s' (first on line %u)", def->name,
				    q(qb, p.val), st->conf_line[def - conf_keys]);
	st->conf_line[def - conf_keys] = st->line;
	if (def->set(def, st->conf, p.val, err) != 0)
		return -1;
	return expect_end(line, pos, def->name, err);
}

/* Checks that need every setting: each type keeps memory after its
 * reserve, room for one shard in memory mode, and at least one byte per
 * shard in strict mode, at most a million shards in memory mode (so
 * vgpu_account_gpu_shards never fails on a parsed conf). */
static int check_types(state_t *st, vgpu_err_t *err)
{
	const vgpu_conf_t *c = st->conf;
	char a[32], b[32];
	size_t i;

	for (i = 0; i < c->ntypes; i++) {
		const vgpu_gpu_type_t *t = &c->types[i];
		uint64_t reserve = vgpu_conf_type_reserve(c, t);

		st->line = st->type_line[i];
		vgpu_size_human(t->mem_bytes, b, sizeof(b));
		if (t->driver_bytes >= t->mem_bytes) {
			vgpu_size_human(t->driver_bytes, a, sizeof(a));
			return vgpu_err_set(err, "GpuType: '%s': DriverReserved %s leaves nothing of its Memory %s",
					    t->name, a, b);
		}
		vgpu_size_human(reserve, a, sizeof(a));
		if (reserve >= t->mem_bytes - t->driver_bytes)
			return vgpu_err_set(err, "GpuType: '%s': MemoryReserve %s%s leaves nothing of its Memory %s%s",
					    t->name, a, t->reserve_set ? "" : " (global)", b,
					    t->driver_bytes ? " less DriverReserved" : "");
		reserve += t->driver_bytes;
		if (c->mode == VGPU_MODE_STRICT && t->mem_bytes - reserve < c->shards_per_gpu)
			return vgpu_err_set(err, "GpuType: '%s': usable memory of %llu bytes cannot hold %u shards",
					    t->name, (unsigned long long)(t->mem_bytes - reserve),
					    c->shards_per_gpu);
		if (c->mode == VGPU_MODE_MEMORY && t->mem_bytes - reserve < c->shard_bytes) {
			vgpu_size_human(t->mem_bytes - reserve, a, sizeof(a));
			vgpu_size_human(c->shard_bytes, b, sizeof(b));
			return vgpu_err_set(err, "GpuType: '%s': usable memory %s is less than one shard (ShardMemory %s)",
					    t->name, a, b);
		}
		vgpu_size_human(c->shard_bytes, b, sizeof(b));
		if (c->mode == VGPU_MODE_MEMORY &&
		    (t->mem_bytes - reserve) / c->shard_bytes > VGPU_CONF_MEM_SHARDS_MAX)
			return vgpu_err_set(err, "GpuType: '%s': more than %u shards of ShardMemory %s (raise ShardMemory)",
					    t->name, VGPU_CONF_MEM_SHARDS_MAX, b);
	}
	return 0;
}

static int parse_text(state_t *st, const char *text, size_t len, vgpu_err_t *err)
{
	char line[VGPU_CONF_LINE_MAX];
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *nul = memchr(text + pos, '\0', n);

		st->line++;
		if (nul)
			return vgpu_err_set(err, "NUL byte at column %zu (a text file was expected)",
					    (size_t)(nul - (text + pos)) + 1);
		if (n >= sizeof(line))
			return vgpu_err_set(err, "line is too long (%zu bytes, at most %zu)", n,
					    sizeof(line) - 1);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (parse_line(st, line, err) != 0)
			return -1;
		pos += n + 1;
	}
	return check_types(st, err);
}

/* ---- public ------------------------------------------------------------ */

void vgpu_conf_init(vgpu_conf_t *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->mode = VGPU_MODE_STRICT;
	conf->shards_per_gpu = VGPU_CONF_DEFAULT_SHARDS;
	conf->shard_bytes = VGPU_CONF_DEFAULT_SHARD_BYTES;
	conf->default_cores = VGPU_CONF_DEFAULT_CORES;
	conf->reserve_bytes = 0;
	snprintf(conf->state_dir, sizeof(conf->state_dir), "%s", VGPU_CONF_DEFAULT_STATE_DIR);
	snprintf(conf->shim_path, sizeof(conf->shim_path), "%s", VGPU_CONF_DEFAULT_SHIM);
	snprintf(conf->nvml_path, sizeof(conf->nvml_path), "%s", VGPU_CONF_DEFAULT_NVML);
	snprintf(conf->cuda_path, sizeof(conf->cuda_path), "%s", VGPU_CONF_DEFAULT_CUDA);
}

int vgpu_conf_parse(const char *text, size_t len, const char *name,
		    vgpu_conf_t *conf, vgpu_err_t *err)
{
	state_t st;

	memset(&st, 0, sizeof(st));
	st.conf = conf;
	vgpu_conf_init(conf);
	if (len > 0 && !text)
		return vgpu_err_set(err, "%s: no text", name ? name : "vgpu.conf");
	if (parse_text(&st, text, len, err) != 0) {
		vgpu_err_prefix(err, "%s:%u", name ? name : "vgpu.conf", st.line);
		vgpu_conf_init(conf);
		return -1;
	}
	return 0;
}

int vgpu_conf_load(const char *path, vgpu_conf_t *conf, vgpu_err_t *err)
{
	char *buf;
	size_t len;
	int rc;

	vgpu_conf_init(conf);
	if (vgpu_file_read(path, VGPU_CONF_FILE_MAX, &buf, &len, err) != 0)
		return -1;
	rc = vgpu_conf_parse(buf, len, path, conf, err);
	free(buf);
	return rc;
}

const vgpu_gpu_type_t *vgpu_conf_find_type(const vgpu_conf_t *conf, const char *name)
{
	size_t i;

	if (!name || !*name)
		return NULL;
	for (i = 0; i < conf->ntypes && i < VGPU_CONF_TYPES_MAX; i++)
		if (strcasecmp(conf->types[i].name, name) == 0)
			return &conf->types[i];
	return NULL;
}

uint64_t vgpu_conf_type_reserve(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type)
{
	return type->reserve_set ? type->reserve_bytes : conf->reserve_bytes;
}

uint64_t vgpu_conf_type_context(const vgpu_gpu_type_t *type)
{
	return type->ctx_bytes ? type->ctx_bytes : VGPU_CONF_DEFAULT_CONTEXT;
}

const char *vgpu_conf_mode_name(vgpu_mode_t mode)
{
	return mode == VGPU_MODE_MEMORY ? "memory" : "strict";
}
