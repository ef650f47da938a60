/* vgpu_stepplan.c - see vgpu_stepplan.h */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_slurmcheck.h"
#include "vgpu_stepplan.h"

/* ---- small readers ------------------------------------------------------ */

/* An unsigned decimal of at most 20 digits at *p (no sign, no blank):
 * advances *p; 0, or -1. */
static int read_u64(const char **p, const char *end, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *s = *p;

	if (s >= end || !isdigit((unsigned char)*s))
		return -1;
	for (; s < end && isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (~0ULL - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

/* A word of characters that are not blanks or control characters, at
 * most max-1 bytes, copied to out (when not NULL). */
static int read_word(const char **p, const char *end, char *out, size_t max)
{
	const char *s = *p;
	size_t n;

	while (s < end && (unsigned char)*s > ' ' && (unsigned char)*s < 0x7f)
		s++;
	n = (size_t)(s - *p);
	if (n == 0 || n >= max)
		return -1;
	if (out) {
		memcpy(out, *p, n);
		out[n] = '\0';
	}
	*p = s;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

/* The end of text: nothing, or one newline. */
static int at_end(const char *p, const char *end)
{
	return p == end || (p + 1 == end && *p == '\n');
}

/* ---- owner ---------------------------------------------------------------- */

int vgpu_stepplan_owner_format(long pid, unsigned long long start, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%ld %llu\n", pid, start);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

int vgpu_stepplan_owner_parse(const char *text, size_t len, long *pid, unsigned long long *start)
{
	const char *p = text, *end = text + len;
	unsigned long long a, b;

	if (read_u64(&p, end, &a) != 0 || a == 0 || a > 0x7fffffffULL || expect(&p, end, ' ') != 0 ||
	    read_u64(&p, end, &b) != 0 || b == 0 || !at_end(p, end))
		return -1;
	*pid = (long)a;
	*start = b;
	return 0;
}

/* ---- gpu ------------------------------------------------------------------ */

static int host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n >= VGPU_STEPPLAN_HOST_MAX)
		return 0;
	for (; *h; h++)
		if ((unsigned char)*h <= ' ' || (unsigned char)*h >= 0x7f)
			return 0;
	return 1;
}

int vgpu_stepplan_gpus_format(const vgpu_stepplan_gpus_t *g, char *buf, size_t len)
{
	size_t o = 0;

	if (g->n == 0 || g->n > VGPU_STEPPLAN_GPUS_MAX || (!g->whole && g->n != 1) || !host_ok(g->host) || len == 0)
		return -1;
	for (unsigned i = 0; i < g->n; i++) {
		int n;

		if (g->index[i] > VGPU_STEPPLAN_INDEX_MAX)
			return -1;
		n = snprintf(buf + o, len - o, "%u %s%s\n", g->index[i], g->host, g->whole ? " whole" : "");
		if (n < 0 || (size_t)n >= len - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

int vgpu_stepplan_gpus_parse(const char *text, size_t len, const char *name, vgpu_stepplan_gpus_t *g,
			     vgpu_err_t *err)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;

	memset(g, 0, sizeof(*g));
	while (p < end) {
		char host[VGPU_STEPPLAN_HOST_MAX], word[8];
		unsigned long long idx;
		int whole = 0;

		line++;
		if (read_u64(&p, end, &idx) != 0 || idx > VGPU_STEPPLAN_INDEX_MAX || expect(&p, end, ' ') != 0 ||
		    read_word(&p, end, host, sizeof(host)) != 0)
			return vgpu_err_set(err, "%s:%u: not \"IDX HOST\" or \"IDX HOST whole\" (IDX 0-%u)", name,
					    line, VGPU_STEPPLAN_INDEX_MAX);
		if (p < end && *p == ' ') {
			p++;
			if (read_word(&p, end, word, sizeof(word)) != 0 || strcmp(word, "whole") != 0)
				return vgpu_err_set(err, "%s:%u: the third field must be \"whole\"", name, line);
			whole = 1;
		}
		if (p < end && expect(&p, end, '\n') != 0)
			return vgpu_err_set(err, "%s:%u: more than three fields", name, line);
		if (line == 1) {
			snprintf(g->host, sizeof(g->host), "%s", host);
			g->whole = whole;
		} else if (!g->whole || !whole) {
			return vgpu_err_set(err, "%s:%u: a slice step has one GPU line", name, line);
		} else if (strcmp(host, g->host) != 0) {
			return vgpu_err_set(err, "%s:%u: host '%s' is not line 1's '%s'", name, line, host, g->host);
		}
		if (g->n == VGPU_STEPPLAN_GPUS_MAX)
			return vgpu_err_set(err, "%s:%u: more than %u GPUs", name, line, VGPU_STEPPLAN_GPUS_MAX);
		g->index[g->n++] = (unsigned)idx;
	}
	if (g->n == 0)
		return vgpu_err_set(err, "%s: empty", name);
	return 0;
}

/* ---- cap ------------------------------------------------------------------ */

int vgpu_stepplan_cap_format(const char *uuid, uint64_t mem, unsigned sm, char *buf, size_t len)
{
	int n;

	if (!vgpu_stepdesc_uuid_valid(uuid) || mem == 0 || mem > VGPU_STEPDESC_MEM_MAX || sm > VGPU_STEPDESC_SM_FULL)
		return -1;
	n = snprintf(buf, len, "%s %llu %u\n", uuid, (unsigned long long)mem, sm);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int vgpu_stepplan_cap_parse(const char *text, size_t len, const char *name, char *uuid, size_t uuid_len,
			    uint64_t *mem, unsigned *sm, vgpu_err_t *err)
{
	const char *p = text, *end = text + len;
	char u[VGPU_STEPDESC_UUID_LEN + 2];
	unsigned long long m, s;

	if (read_word(&p, end, u, sizeof(u)) != 0 || !vgpu_stepdesc_uuid_valid(u) || expect(&p, end, ' ') != 0 ||
	    read_u64(&p, end, &m) != 0 || m == 0 || m > VGPU_STEPDESC_MEM_MAX || expect(&p, end, ' ') != 0 ||
	    read_u64(&p, end, &s) != 0 || s > VGPU_STEPDESC_SM_FULL || !at_end(p, end))
		return vgpu_err_set(err, "%s: not \"UUID MEM SM\" (MEM 1-%llu bytes, SM 0-%u)", name,
				    (unsigned long long)VGPU_STEPDESC_MEM_MAX, VGPU_STEPDESC_SM_FULL);
	if ((size_t)snprintf(uuid, uuid_len, "%s", u) >= uuid_len)
		return vgpu_err_set(err, "%s: UUID too long", name);
	*mem = m;
	*sm = (unsigned)s;
	return 0;
}

/* ---- view ----------------------------------------------------------------- */

void vgpu_stepplan_view_init(vgpu_stepplan_view_t *v, const char *state_dir)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->state_dir, sizeof(v->state_dir), "%s", state_dir);
	v->complete = 1;
}

void vgpu_stepplan_view_fail(vgpu_stepplan_view_t *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->complete)
		return; /* the first reason stays */
	v->complete = 0;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

int vgpu_stepplan_view_add(vgpu_stepplan_view_t *v, const vgpu_stepplan_entry_t *e)
{
	if (v->n == v->room) {
		size_t room = v->room ? 2 * v->room : 16;
		vgpu_stepplan_entry_t *n = realloc(v->e, room * sizeof(*n));

		if (!n) {
			vgpu_stepplan_view_fail(v, "StateDir %s: out of memory for %zu entries", v->state_dir, room);
			return -1;
		}
		v->e = n;
		v->room = room;
	}
	v->e[v->n++] = *e;
	return 0;
}

void vgpu_stepplan_view_free(vgpu_stepplan_view_t *v)
{
	free(v->e);
	v->e = NULL;
	v->n = v->room = 0;
}

int vgpu_stepplan_name(const char *name, unsigned long *job, unsigned long *node)
{
	const char *p = name, *end = name + strlen(name);
	unsigned long long a, b;
	int kind = 1;

	if (strncmp(p, "job.", 4) == 0) {
		kind = 2;
		p += 4;
	}
	if (read_u64(&p, end, &a) != 0 || a > 0xffffffffULL || expect(&p, end, '.') != 0)
		return 0;
	if (kind == 1) {
		unsigned long long s;

		if (strncmp(p, "batch", 5) == 0)
			p += 5;
		else if (read_u64(&p, end, &s) != 0)
			return 0;
		if (expect(&p, end, '.') != 0)
			return 0;
	}
	if (read_u64(&p, end, &b) != 0 || b > 0xffffffffULL)
		return 0;
	if (*p != '\0' && strcmp(p, ".new") != 0)
		return 0;
	*job = (unsigned long)a;
	*node = (unsigned long)b;
	return *p ? kind + 10 : kind;
}

int vgpu_stepplan_job_steps(const vgpu_stepplan_view_t *v, unsigned long job, unsigned long node,
			    const char *except)
{
	int live = 0;

	for (size_t i = 0; i < v->n; i++) {
		const vgpu_stepplan_entry_t *e = &v->e[i];

		if (e->kind == VGPU_STEPPLAN_STEPDIR && e->job == job && e->node == node && e->alive &&
		    (!except || strcmp(e->name, except) != 0))
			live++;
	}
	return live;
}

/* ---- the step ------------------------------------------------------------- */

int vgpu_stepplan_refuse(vgpu_stepplan_t *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->why, sizeof(p->why), "vgpu: ");

	va_start(ap, fmt);
	vsnprintf(p->why + n, sizeof(p->why) - (size_t)n, fmt, ap);
	va_end(ap);
	p->state = VGPU_STEPPLAN_REFUSED;
	return -1;
}

/* A comma list of Slurm GPU indices ("0,1") into g; -1 when malformed. */
static int gpu_list(const char *text, vgpu_stepplan_gpus_t *g)
{
	const char *p = text, *end = text + strlen(text);

	g->n = 0;
	while (p < end) {
		unsigned long long v;

		if (read_u64(&p, end, &v) != 0 || v > VGPU_STEPPLAN_INDEX_MAX || g->n >= VGPU_STEPPLAN_GPUS_MAX ||
		    (p < end && expect(&p, end, ',') != 0))
			return -1;
		g->index[g->n++] = (unsigned)v;
	}
	return g->n ? 0 : -1;
}

vgpu_stepplan_state_t vgpu_stepplan_begin(const vgpu_stepplan_in_t *in, vgpu_stepplan_t *p)
{
	const char *gpus = in->step_gpus && *in->step_gpus ? in->step_gpus : in->job_gpus;
	const char *gvar = in->step_gpus && *in->step_gpus ? "SLURM_STEP_GPUS" : "SLURM_JOB_GPUS";
	vgpu_slurmcheck_step_env_t env = { in->step_gpus, in->job_gpus, in->cuda_visible };
	vgpu_err_t err;

	memset(p, 0, sizeof(*p));
	p->state = VGPU_STEPPLAN_NONE;
	if (in->extern_step)
		return p->state;
	if (!in->shards_on_node || !*in->shards_on_node) {
		/* no shards: whole GPUs or none */
		if (!gpus || !*gpus)
			return p->state;
		if (gpu_list(gpus, &p->whole) != 0) {
			if (!in->guard)
				return p->state; /* nothing to guard: Slurm's own list */
			vgpu_stepplan_refuse(p, "%s='%.200s' is not a list of GPU indices 0-%u; a whole-GPU step is not "
					     "run without the check against slices on its GPUs (Slurm 22.05 shard bug)",
					     gvar, gpus, VGPU_STEPPLAN_INDEX_MAX);
			return p->state;
		}
		snprintf(p->whole.host, sizeof(p->whole.host), "%s", in->host ? in->host : "");
		p->whole.whole = 1;
		if (!in->guard) {
			p->state = VGPU_STEPPLAN_WHOLE_PLAIN;
			return p->state;
		}
		if (in->config_invalid && in->config_args_bad) {
			/* the check needs the plugin's configuration (not the shim) */
			vgpu_stepplan_refuse(p, "%.500s; a whole-GPU step is not run without the check against slices "
					     "on its GPU (Slurm 22.05 shard bug)", in->config_invalid);
			return p->state;
		}
		if (!host_ok(p->whole.host)) {
			vgpu_stepplan_refuse(p, "this node's name '%.100s' cannot be recorded in StateDir; a whole-GPU "
					     "step is not run without the check against slices (Slurm 22.05 shard bug)",
					     p->whole.host);
			return p->state;
		}
		p->state = VGPU_STEPPLAN_WHOLE;
		return p->state;
	}
	p->slice = 1;
	{
		const char *s = in->shards_on_node, *end = s + strlen(s);
		unsigned long long v;

		if (read_u64(&s, end, &v) != 0 || s != end || v == 0 || v > 1000000) {
			vgpu_stepplan_refuse(p, "SLURM_SHARDS_ON_NODE='%.100s' is not a shard count", in->shards_on_node);
			return p->state;
		}
		p->shards = (unsigned)v;
	}
	if (in->config_invalid) {
		vgpu_stepplan_refuse(p, "%s", in->config_invalid);
		return p->state;
	}
	if (vgpu_slurmcheck_slice_gpu(&env, &p->index, &err) != 0) {
		vgpu_stepplan_refuse(p, "%s", err.msg);
		return p->state;
	}
	if (!in->host || !host_ok(in->host)) {
		vgpu_stepplan_refuse(p, "this node's name '%.100s' cannot be recorded in StateDir",
				     in->host ? in->host : "");
		return p->state;
	}
	p->state = VGPU_STEPPLAN_SLICE;
	return p->state;
}

/* Append job j to the list jobs ("12,14", *o bytes used of len) unless it
 * is there already. Returns 1 when it was new. */
static int add_job(char *jobs, size_t len, size_t *o, unsigned long j)
{
	char id[32], hay[512];

	snprintf(id, sizeof(id), ",%lu,", j);
	snprintf(hay, sizeof(hay), ",%s,", jobs);
	if (strstr(hay, id))
		return 0;
	if (*o < len)
		*o += (size_t)snprintf(jobs + *o, len - *o, "%s%lu", *o ? "," : "", j);
	return 1;
}

static int has_gpu(const vgpu_stepplan_gpus_t *g, unsigned idx)
{
	for (unsigned i = 0; i < g->n; i++)
		if (g->index[i] == idx)
			return 1;
	return 0;
}

vgpu_stepplan_state_t vgpu_stepplan_whole_check(const vgpu_stepplan_view_t *v, const char *host, uint32_t job,
						vgpu_stepplan_t *p)
{
	char jobs[200] = "";
	size_t o = 0;
	unsigned gpu = 0;
	int found = 0;

	if (p->state != VGPU_STEPPLAN_WHOLE)
		return p->state;
	if (!v->complete) {
		vgpu_stepplan_refuse(p, "%s; a whole-GPU step is not run without the check against slices on its "
				     "GPUs (Slurm 22.05 shard bug)", v->why);
		return p->state;
	}
	for (size_t i = 0; i < v->n; i++) {
		const vgpu_stepplan_entry_t *e = &v->e[i];

		if (e->kind != VGPU_STEPPLAN_STEPDIR || e->job == job || !e->alive)
			continue;
		if (!e->gpus_ok) {
			vgpu_stepplan_refuse(p, "%s; a whole-GPU step is not run without the check against slices on "
					     "its GPUs (Slurm 22.05 shard bug)", e->gpus_why);
			return p->state;
		}
		if (e->gpus.whole || strcmp(e->gpus.host, host) != 0 || !has_gpu(&p->whole, e->gpus.index[0]) ||
		    (found && gpu != e->gpus.index[0]))
			continue;
		gpu = e->gpus.index[0];
		found += add_job(jobs, sizeof(jobs), &o, e->job);
	}
	if (found)
		vgpu_stepplan_refuse(p, "GPU %u holds slices of job(s) %s; Slurm allocated it whole to this job (Slurm "
				     "22.05 shard bug, see slurm-vgpu doc/slurm-integration.md); not running", gpu, jobs);
	return p->state;
}

vgpu_stepplan_state_t vgpu_stepplan_slice_check(const vgpu_stepplan_view_t *v, const char *host, uint32_t job,
						int guard, vgpu_stepplan_t *p)
{
	char jobs[200] = "";
	size_t o = 0;
	int found = 0;

	if (p->state != VGPU_STEPPLAN_SLICE)
		return p->state;
	if (!v->complete) {
		vgpu_stepplan_refuse(p, "%s; a slice is not set up without knowing what else is on its GPU", v->why);
		return p->state;
	}
	if (!guard)
		return p->state;
	for (size_t i = 0; i < v->n; i++) {
		const vgpu_stepplan_entry_t *e = &v->e[i];

		if (e->kind == VGPU_STEPPLAN_STEPDIR && e->job != job && e->alive && e->gpus_ok && e->gpus.whole &&
		    strcmp(e->gpus.host, host) == 0 && has_gpu(&e->gpus, p->index))
			found += add_job(jobs, sizeof(jobs), &o, e->job);
	}
	if (found)
		vgpu_stepplan_refuse(p, "GPU %u is held whole by job(s) %s (Slurm 22.05 shard bug, see slurm-vgpu "
				     "doc/slurm-integration.md)", p->index, jobs);
	return p->state;
}

vgpu_stepplan_state_t vgpu_stepplan_slice(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
					  const char *uuid, const vgpu_request_t *req, uint64_t ctx_bytes,
					  int batch, const char *cap_text, size_t cap_len, vgpu_stepplan_t *p)
{
	vgpu_request_t r;
	vgpu_err_t err;

	if (p->state != VGPU_STEPPLAN_SLICE)
		return p->state;
	if (req) {
		r = *req;
		if (r.type[0] && strcmp(r.type, type->name) != 0)
			r.type[0] = '\0'; /* the shards decide; the type was checked at submit */
		req = &r;
	}
	if (vgpu_account_limits(conf, type, p->shards, req, &p->lim, &err) != 0) {
		vgpu_stepplan_refuse(p, "GPU %u (%s): %s", p->index, uuid, err.msg);
		return p->state;
	}
	if (ctx_bytes >= p->lim.mem_bytes) {
		vgpu_stepplan_refuse(p, "plugstack.conf ctx=%llu is not less than the slice (%llu bytes)",
				     (unsigned long long)ctx_bytes, (unsigned long long)p->lim.mem_bytes);
		return p->state;
	}
	memset(&p->gpu, 0, sizeof(p->gpu));
	if ((size_t)snprintf(p->gpu.uuid, sizeof(p->gpu.uuid), "%s", uuid) >= sizeof(p->gpu.uuid)) {
		vgpu_stepplan_refuse(p, "GPU %u: UUID '%.100s' too long", p->index, uuid);
		return p->state;
	}
	p->gpu.mem_bytes = p->lim.mem_bytes;
	p->gpu.sm_bp = p->lim.sm_share;
	/* every context is charged at least what one takes on this GPU type
	 * (vgpu.conf ContextMemory=, vgpu_account_limits); ctx= may add to it */
	p->gpu.ctx_bytes = ctx_bytes > p->lim.ctx_bytes ? ctx_bytes : p->lim.ctx_bytes;
	if (p->gpu.ctx_bytes >= p->gpu.mem_bytes) {
		vgpu_stepplan_refuse(p, "GPU %u (%s): its slice (%llu bytes) cannot hold one CUDA context (%llu bytes, vgpu.conf GpuType=%s ContextMemory)",
				     p->index, uuid, (unsigned long long)p->gpu.mem_bytes,
				     (unsigned long long)p->gpu.ctx_bytes, type->name);
		return p->state;
	}
	p->need_job_cap = 0;
	if (batch) {
		/* the batch step holds the job's whole allocation on the node */
		p->gpu.job_mem_bytes = p->lim.mem_bytes;
		p->gpu.job_sm_bp = p->lim.sm_share;
	} else {
		char u[VGPU_STEPDESC_UUID_LEN + 2];
		uint64_t mem = 0;
		unsigned sm = 0;

		/* a cap the batch step recorded for this GPU, not below the
		 * step's own limits; else slurmctld is asked when other steps
		 * of the job are live */
		if (cap_text && vgpu_stepplan_cap_parse(cap_text, cap_len, "cap", u, sizeof(u), &mem, &sm, &err) == 0 &&
		    strcmp(u, uuid) == 0 && mem >= p->gpu.mem_bytes && sm >= p->gpu.sm_bp) {
			p->gpu.job_mem_bytes = mem;
			p->gpu.job_sm_bp = sm;
		} else {
			p->need_job_cap = 1;
		}
	}
	return p->state;
}

int vgpu_stepplan_job_cap(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type, const vgpu_request_t *req,
			  unsigned jshards, vgpu_stepplan_t *p, vgpu_err_t *err)
{
	vgpu_request_t r;
	vgpu_limits_t jlim;

	if (jshards < p->shards)
		return 0; /* not the job's: the step's own limits hold */
	if (req) {
		r = *req;
		if (r.type[0] && strcmp(r.type, type->name) != 0)
			r.type[0] = '\0';
		req = &r;
	}
	if (vgpu_account_limits(conf, type, jshards, req, &jlim, err) != 0)
		return vgpu_err_prefix(err, "GPU %u (%s), the job's %u shards", p->index, p->gpu.uuid, jshards);
	p->gpu.job_mem_bytes = jlim.mem_bytes;
	p->gpu.job_sm_bp = conf->mode == VGPU_MODE_MEMORY ? 0 : jlim.sm_share;
	return 0;
}
