/* vgpu_account.c - see vgpu_account.h and doc/request.md ("How shards are
 * computed"). All arithmetic is exact on 64-bit values: products go through
 * a 96-bit intermediate (muldiv) so no request or GPU size overflows. */
#include "vgpu_account.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vgpu_size.h"

/* Memory mode: more shards than this per GPU is a configuration error. */
#define SHARDS_MAX VGPU_CONF_MEM_SHARDS_MAX

/* a * b as a 128-bit value hi:lo (b fits 32 bits). */
static void mul64x32(uint64_t a, uint32_t b, uint64_t *hi, uint64_t *lo)
{
	uint64_t p0 = (a & 0xffffffffu) * b;
	uint64_t p1 = (a >> 32) * b;

	*lo = p0 + (p1 << 32);
	*hi = (p1 >> 32) + (*lo < p0);
}

/* floor(a * b / d) and whether the division left a remainder; -1 when the
 * quotient does not fit 64 bits or d is 0. */
static int muldiv(uint64_t a, uint32_t b, uint64_t d, uint64_t *quot, int *inexact)
{
	uint64_t hi, lo, r, qv = 0;
	int i;

	if (d == 0)
		return -1;
	mul64x32(a, b, &hi, &lo);
	if (hi >= d)
		return -1;
	r = hi;
	for (i = 63; i >= 0; i--) {
		uint64_t top = r >> 63;

		r = (r << 1) | ((lo >> i) & 1);
		qv <<= 1;
		if (top || r >= d) {
			r -= d;
			qv |= 1;
		}
	}
	*quot = qv;
	if (inexact)
		*inexact = r != 0;
	return 0;
}

/* ceil(a * b / d), saturating at UINT64_MAX. */
static uint64_t muldiv_ceil(uint64_t a, uint32_t b, uint64_t d)
{
	uint64_t qv;
	int inexact;

	if (muldiv(a, b, d, &qv, &inexact) != 0)
		return UINT64_MAX;
	return qv + (inexact && qv < UINT64_MAX);
}

/* The request in canonical form, for messages. */
static const char *req_text(const vgpu_request_t *req, char *buf, size_t len)
{
	vgpu_request_format(req, buf, len);
	return buf;
}

int vgpu_account_usable(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
			uint64_t *usable, vgpu_err_t *err)
{
	uint64_t reserve = vgpu_conf_type_reserve(conf, type);
	char a[32], b[32];

	if (type->driver_bytes >= type->mem_bytes || reserve >= type->mem_bytes - type->driver_bytes) {
		vgpu_size_human(reserve + type->driver_bytes, a, sizeof(a));
		vgpu_size_human(type->mem_bytes, b, sizeof(b));
		return vgpu_err_set(err, "GPU type '%s': MemoryReserve and DriverReserved (%s) leave nothing of its %s",
				    type->name, a, b);
	}
	*usable = type->mem_bytes - type->driver_bytes - reserve;
	return 0;
}

unsigned vgpu_account_gpu_shards(const vgpu_conf_t *conf,
				 const vgpu_gpu_type_t *type, vgpu_err_t *err)
{
	uint64_t usable, n;
	char a[32], b[32];

	if (vgpu_account_usable(conf, type, &usable, err) != 0)
		return 0;
	if (conf->mode == VGPU_MODE_STRICT) {
		if (conf->shards_per_gpu < 1 || conf->shards_per_gpu > VGPU_SHARE_FULL) {
			vgpu_err_set(err, "ShardsPerGpu %u is outside 1..%u", conf->shards_per_gpu,
				     VGPU_SHARE_FULL);
			return 0;
		}
		if (usable < conf->shards_per_gpu) {
			vgpu_err_set(err, "GPU type '%s': %llu usable bytes cannot hold %u shards",
				     type->name, (unsigned long long)usable, conf->shards_per_gpu);
			return 0;
		}
		return conf->shards_per_gpu;
	}
	n = conf->shard_bytes ? usable / conf->shard_bytes : 0;
	vgpu_size_human(usable, a, sizeof(a));
	vgpu_size_human(conf->shard_bytes, b, sizeof(b));
	if (n == 0) {
		vgpu_err_set(err, "GPU type '%s': usable memory %s is less than one shard (ShardMemory %s)",
			     type->name, a, b);
		return 0;
	}
	if (n > SHARDS_MAX) {
		vgpu_err_set(err, "GPU type '%s': %s in shards of %s is more than %u shards (raise ShardMemory)",
			     type->name, a, b, SHARDS_MAX);
		return 0;
	}
	return (unsigned)n;
}

/* "(78.6 GiB usable of 79.6 GiB, 1 GiB reserved)" or "(79.6 GiB usable)". */
static void offer_text(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type, uint64_t usable,
		       char *buf, size_t len)
{
	uint64_t reserve = vgpu_conf_type_reserve(conf, type) + type->driver_bytes;
	char u[32], m[32], r[32];

	vgpu_size_human(usable, u, sizeof(u));
	vgpu_size_human(type->mem_bytes, m, sizeof(m));
	vgpu_size_human(reserve, r, sizeof(r));
	if (reserve)
		snprintf(buf, len, "%s usable of %s, %s reserved", u, m, r);
	else
		snprintf(buf, len, "%s usable", u);
}

int vgpu_account_ctx(const vgpu_gpu_type_t *type, const vgpu_request_t *req, uint64_t *ctx,
		     vgpu_err_t *err)
{
	uint64_t measured = vgpu_conf_type_context(type);
	char a[32], b[32];

	*ctx = measured;
	if (!req || !req->ctx_bytes)
		return 0;
	if (req->ctx_bytes < measured) {
		vgpu_size_human(req->ctx_bytes, a, sizeof(a));
		vgpu_size_human(measured, b, sizeof(b));
		return vgpu_err_set(err, "ctx=%s is less than a CUDA context takes on one %s GPU (%s, vgpu.conf GpuType=%s ContextMemory%s): leave ctx= out or give at least that",
				    a, type->name, b, type->name, type->ctx_bytes ? "" : ", the default");
	}
	*ctx = req->ctx_bytes;
	return 0;
}

/* Shards of a relative request (mem=P%, share=K/N) on a GPU of `gpu`
 * shards: rounded down, so that floor(100/N)% and 1/N fit N times. */
static uint64_t relative_shards(const vgpu_request_t *req, unsigned gpu)
{
	if (req->share_den)
		return (uint64_t)req->share_num * gpu / req->share_den;
	return (uint64_t)req->mem_pct * gpu / 100;
}

int vgpu_account_shards(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
			const vgpu_request_t *req, unsigned *shards,
			vgpu_err_t *err)
{
	char rt[VGPU_REQUEST_TEXT_MAX + 64], off[128], need[32], cx[32];
	uint64_t usable, k = 0, ks, ctx, want;
	vgpu_limits_t lim;
	unsigned gpu;

	req_text(req, rt, sizeof(rt));
	if (req->type[0] && strcasecmp(req->type, type->name) != 0)
		return vgpu_err_set(err, "request '%s' asks for type '%s', not '%s'", rt, req->type,
				    type->name);
	if (conf->mode == VGPU_MODE_MEMORY && req->mem_bytes == 0 && !vgpu_request_relative(req))
		return vgpu_err_set(err, "request '%s': memory accounting needs mem= or share= (e.g. mem=10G)", rt);
	if (!req->mem_bytes && !req->cores_pct && !vgpu_request_relative(req))
		return vgpu_err_set(err, "request '%s' gives neither mem, share nor cores", rt);
	if (req->cores_pct > 100 || req->mem_pct > 100 ||
	    (req->share_den && (req->share_num < 1 || req->share_num > req->share_den)))
		return vgpu_err_set(err, "request '%s': a share above 100%%", rt);
	if (vgpu_account_ctx(type, req, &ctx, err) != 0)
		return vgpu_err_prefix(err, "request '%s'", rt);
	gpu = vgpu_account_gpu_shards(conf, type, err);
	if (gpu == 0 || vgpu_account_usable(conf, type, &usable, err) != 0)
		return -1;
	offer_text(conf, type, usable, off, sizeof(off));
	vgpu_size_human(ctx, cx, sizeof(cx));
	/* mem= is what the job's allocations get: its first context on top. */
	want = req->mem_bytes > usable ? req->mem_bytes : req->mem_bytes ? req->mem_bytes + ctx : 0;
	vgpu_size_human(req->mem_bytes, need, sizeof(need));
	if (want > usable)
		return vgpu_err_set(err, "request '%s' needs %s and %s for its first context, more than one %s GPU offers (%s)",
				    rt, need, cx, type->name, off);
	if (vgpu_request_relative(req)) {
		k = relative_shards(req, gpu);
		if (k < 1)
			return vgpu_err_set(err, "request '%s' is less than one of the %u shards of a %s GPU", rt,
					    gpu, type->name);
	} else if (conf->mode == VGPU_MODE_STRICT) {
		if (want)
			k = muldiv_ceil(want, gpu, usable);
	} else {
		k = want / conf->shard_bytes + (want % conf->shard_bytes != 0);
		if (k > gpu) {
			char sh[32];

			vgpu_size_human(conf->shard_bytes, sh, sizeof(sh));
			return vgpu_err_set(err, "request '%s' needs %llu shards of %s, more than one %s GPU offers (%u shards, %s)",
					    rt, (unsigned long long)k, sh, type->name, gpu, off);
		}
	}
	/* Strict: the dominant share, for mem=, mem=P% and cores= alike. */
	ks = ((uint64_t)req->cores_pct * gpu + 99) / 100;
	if (conf->mode == VGPU_MODE_STRICT && ks > k)
		k = ks;
	if (k < 1)
		k = 1;
	if (k > gpu)
		k = gpu;
	/* Every slice must hold its first context (cores=1 of a small GPU). */
	if (vgpu_account_limits(conf, type, (unsigned)k, req, &lim, err) != 0)
		return vgpu_err_prefix(err, "request '%s'", rt);
	if (lim.mem_bytes <= lim.ctx_bytes) {
		vgpu_size_human(lim.mem_bytes, need, sizeof(need));
		return vgpu_err_set(err, "request '%s': its %llu shards of a %s GPU (%s) cannot hold one CUDA context (%s)",
				    rt, (unsigned long long)k, type->name, need, cx);
	}
	*shards = (unsigned)k;
	return 0;
}

int vgpu_account_limits(const vgpu_conf_t *conf, const vgpu_gpu_type_t *type,
			unsigned shards, const vgpu_request_t *req,
			vgpu_limits_t *limits, vgpu_err_t *err)
{
	unsigned gpu = vgpu_account_gpu_shards(conf, type, err);
	uint64_t usable, mem;

	if (gpu == 0 || vgpu_account_usable(conf, type, &usable, err) != 0)
		return -1;
	if (shards == 0 || shards > gpu)
		return vgpu_err_set(err, "%u shards of a %s GPU: expected 1..%u", shards, type->name,
				    gpu);
	memset(limits, 0, sizeof(*limits));
	limits->shards = shards;
	limits->ctx_bytes = vgpu_conf_type_context(type);
	if (req && req->ctx_bytes > limits->ctx_bytes)
		limits->ctx_bytes = req->ctx_bytes;
	if (conf->mode == VGPU_MODE_STRICT) {
		if (muldiv(usable, shards, gpu, &mem, NULL) != 0)
			return vgpu_err_set(err, "%u shards of a %s GPU: arithmetic overflow", shards,
					    type->name);
		limits->mem_bytes = mem;
		limits->sm_share = (unsigned)((uint64_t)shards * VGPU_SHARE_FULL / gpu);
	} else {
		unsigned cores = req && req->cores_pct ? req->cores_pct : conf->default_cores;

		if (cores < 1 || cores > 100)
			return vgpu_err_set(err, "SM cap %u%% is outside 1..100", cores);
		limits->mem_bytes = (uint64_t)shards * conf->shard_bytes;
		limits->sm_share = cores * 100;
		if (req && req->share_den && req->share_num <= req->share_den && !req->cores_pct)
			limits->sm_share = (unsigned)((uint64_t)req->share_num * VGPU_SHARE_FULL /
						      req->share_den);
		if (limits->sm_share < 1)
			limits->sm_share = 1;
	}
	return 0;
}

int vgpu_account_shards_any(const vgpu_conf_t *conf, const vgpu_request_t *req,
			    unsigned *shards, const vgpu_gpu_type_t **type_out,
			    vgpu_err_t *err)
{
	char rt[VGPU_REQUEST_TEXT_MAX + 64], list[VGPU_ERR_MAX];
	const vgpu_gpu_type_t *best = NULL;
	unsigned best_k = 0;
	size_t i, o = 0;

	req_text(req, rt, sizeof(rt));
	list[0] = '\0';
	if (conf->ntypes == 0)
		return vgpu_err_set(err, "request '%s': no GpuType is configured in vgpu.conf", rt);
	if (req->type[0]) {
		const vgpu_gpu_type_t *t = vgpu_conf_find_type(conf, req->type);

		if (!t) {
			for (i = 0; i < conf->ntypes && o < sizeof(list); i++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
						      conf->types[i].name);
			return vgpu_err_set(err, "request '%s': type '%s' is not configured (configured: %s)",
					    rt, req->type, list);
		}
		if (vgpu_account_shards(conf, t, req, shards, err) != 0)
			return -1;
		if (type_out)
			*type_out = t;
		return 0;
	}
	if (conf->mode == VGPU_MODE_MEMORY && req->mem_bytes == 0 && !vgpu_request_relative(req))
		return vgpu_err_set(err, "request '%s': memory accounting needs mem= or share= (e.g. mem=10G)", rt);
	for (i = 0; i < conf->ntypes && i < VGPU_CONF_TYPES_MAX; i++) {
		const vgpu_gpu_type_t *t = &conf->types[i];
		unsigned k;
		uint64_t usable;
		char u[32];

		if (vgpu_account_shards(conf, t, req, &k, NULL) == 0) {
			/* a part of a GPU: the count that fits N on every type */
			if (!best || (vgpu_request_relative(req) ? k < best_k : k > best_k)) {
				best_k = k;
				best = t;
			}
		} else if (o < sizeof(list)) {
			if (vgpu_account_usable(conf, t, &usable, NULL) == 0)
				vgpu_size_human(usable, u, sizeof(u));
			else
				snprintf(u, sizeof(u), "no");
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s: %s usable",
					      o ? ", " : "", t->name, u);
		}
	}
	if (!best && conf->ntypes == 1) /* one type: its own reason (a ctx= too small, ...) */
		return vgpu_account_shards(conf, &conf->types[0], req, shards, err);
	if (!best)
		return vgpu_err_set(err, "request '%s' fits no configured GPU type (%s)", rt, list);
	*shards = best_k;
	if (type_out)
		*type_out = best;
	return 0;
}
