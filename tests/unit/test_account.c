/* Unit tests for vgpu_account: exact shard counts and limits for common
 * cases, every error, and property tests (fixed seed) that limits cover
 * requests and that co-located limits never exceed the GPU. */
#include <stdint.h>
#include <string.h>

#include "vgpu_account.h"
#include "vgpu_test.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define H100_MEM (UINT64_C(81559) * MiB)       /* 85520809984 bytes */

static vgpu_conf_t conf;

static vgpu_gpu_type_t *add_type(const char *name, uint64_t mem, unsigned sms)
{
	vgpu_gpu_type_t *t = &conf.types[conf.ntypes++];

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->mem_bytes = mem;
	t->sms = sms;
	t->ctx_bytes = 1; /* the exact cases: the shard arithmetic itself (contexts: below) */
	return t;
}

static vgpu_request_t req(const char *text)
{
	vgpu_request_t r;
	vgpu_err_t err;

	ck_assert_msg(vgpu_request_parse(text, NULL, &r, &err) == 0, "%s", err.msg);
	return r;
}

static unsigned shards(const vgpu_gpu_type_t *t, const char *text)
{
	vgpu_request_t r = req(text);
	vgpu_err_t err = { "" };
	unsigned k = 0;

	ck_assert_msg(vgpu_account_shards(&conf, t, &r, &k, &err) == 0, "%s: %s", text, err.msg);
	return k;
}

static const char *shards_err(const vgpu_gpu_type_t *t, const char *text)
{
	static vgpu_err_t err;
	vgpu_request_t r = req(text);
	unsigned k = 12345;

	ck_assert_msg(vgpu_account_shards(&conf, t, &r, &k, &err) == -1, "%s accepted", text);
	ck_assert_uint_eq(k, 12345);
	return err.msg;
}

static vgpu_limits_t limits(const vgpu_gpu_type_t *t, unsigned k, const char *text)
{
	vgpu_request_t r;
	vgpu_limits_t l;
	vgpu_err_t err = { "" };

	if (text)
		r = req(text);
	ck_assert_msg(vgpu_account_limits(&conf, t, k, text ? &r : NULL, &l, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(l.shards, k);
	return l;
}

static void setup(void)
{
	vgpu_conf_init(&conf);
	conf.shards_per_gpu = 100; /* the exact cases were written for 100 (old configs) */
}

START_TEST(strict_h100_exact)
{
	vgpu_gpu_type_t *h = add_type("h100", H100_MEM, 132);
	vgpu_err_t err;
	vgpu_limits_t l;

	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, h, &err), 100);
	/* ceil(10240 MiB * 100 / 81559 MiB) = ceil(12.56) */
	ck_assert_uint_eq(shards(h, "mem=10G"), 13);
	ck_assert_uint_eq(shards(h, "cores=25"), 25);
	ck_assert_uint_eq(shards(h, "mem=10G,cores=25"), 25);
	ck_assert_uint_eq(shards(h, "mem=40G,cores=10"), 51);
	ck_assert_uint_eq(shards(h, "mem=20G,cores=25"), 26);
	ck_assert_uint_eq(shards(h, "mem=1"), 1);
	ck_assert_uint_eq(shards(h, "cores=1"), 1);
	ck_assert_uint_eq(shards(h, "cores=100"), 100);
	ck_assert_uint_eq(shards(h, "mem=79G"), 100);
	ck_assert_uint_eq(shards(h, "mem=81558M"), 100);
	ck_assert_uint_eq(shards(h, "mem=10G,gpus=4"), 13);       /* gpus: the Slurm layer's */
	ck_assert_uint_eq(shards(h, "mem=10G,type=H100"), 13);

	l = limits(h, 13, NULL);
	ck_assert_uint_eq(l.mem_bytes, UINT64_C(11117705297)); /* floor(13 * 85520809984 / 100) */
	ck_assert_uint_eq(l.sm_share, 1300);
	l = limits(h, 25, "mem=1G,cores=5");                     /* strict ignores the request */
	ck_assert_uint_eq(l.mem_bytes, UINT64_C(21380202496));
	ck_assert_uint_eq(l.sm_share, 2500);
	l = limits(h, 100, NULL);
	ck_assert_uint_eq(l.mem_bytes, H100_MEM);
	ck_assert_uint_eq(l.sm_share, 10000);
	l = limits(h, 1, NULL);
	ck_assert_uint_eq(l.mem_bytes, UINT64_C(855208099));
	ck_assert_uint_eq(l.sm_share, 100);
}
END_TEST

START_TEST(strict_reserve_and_shard_counts)
{
	vgpu_gpu_type_t *h = add_type("h100", H100_MEM, 132);
	vgpu_limits_t l;

	h->reserve_bytes = GiB;
	h->reserve_set = 1;
	/* usable 80535 MiB: ceil(10240 * 100 / 80535) = ceil(12.72) */
	ck_assert_uint_eq(shards(h, "mem=10G"), 13);
	ck_assert_uint_eq(shards(h, "mem=40G"), 51);
	l = limits(h, 13, NULL);
	ck_assert_uint_eq(l.mem_bytes, UINT64_C(10978118860)); /* floor(13 * 84447068160 / 100) */
	ck_assert_str_eq(shards_err(h, "mem=80G"),
			 "request 'mem=80G' needs 80 GiB and 1 B for its first context, more than one h100 GPU offers (78.6 GiB usable of 79.6 GiB, 1 GiB reserved)");

	h->reserve_set = 0;
	conf.reserve_bytes = 512 * MiB;
	/* usable 81047 MiB */
	ck_assert_uint_eq(shards(h, "mem=40G"), 51);
	conf.shards_per_gpu = 1000;
	ck_assert_uint_eq(shards(h, "mem=10G"), 127); /* ceil(10240000 / 81047) = ceil(126.35) */
	ck_assert_uint_eq(shards(h, "cores=25"), 250);
	ck_assert_uint_eq(shards(h, "cores=33"), 330);
	conf.shards_per_gpu = 7;
	ck_assert_uint_eq(shards(h, "cores=50"), 4);  /* ceil(3.5) */
	l = limits(h, 4, NULL);
	ck_assert_uint_eq(l.sm_share, 5714);          /* floor(40000 / 7) */
	ck_assert_uint_eq(shards(h, "mem=10G"), 1);   /* ceil(0.88) */
}
END_TEST

START_TEST(memory_mode_exact)
{
	vgpu_gpu_type_t *h = add_type("h100", H100_MEM, 132);
	vgpu_err_t err;
	vgpu_limits_t l;

	conf.mode = VGPU_MODE_MEMORY;
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, h, &err), 79); /* floor(81559 / 1024) */
	ck_assert_uint_eq(shards(h, "mem=10G"), 11);          /* and the context's byte */
	ck_assert_uint_eq(shards(h, "mem=10239M,cores=90"), 10);
	ck_assert_uint_eq(shards(h, "mem=1536M"), 2);
	ck_assert_uint_eq(shards(h, "mem=1"), 1);
	ck_assert_uint_eq(shards(h, "mem=78G"), 79);
	ck_assert_str_eq(shards_err(h, "mem=79G"),
			 "request 'mem=79G' needs 80 shards of 1 GiB, more than one h100 GPU offers (79 shards, 79.6 GiB usable)");
	ck_assert_str_eq(shards_err(h, "mem=80897M"),
			 "request 'mem=80897M' needs 80 shards of 1 GiB, more than one h100 GPU offers (79 shards, 79.6 GiB usable)");
	ck_assert_str_eq(shards_err(h, "cores=25"),
			 "request 'cores=25': memory accounting needs mem= or share= (e.g. mem=10G)");

	l = limits(h, 10, "mem=10G,cores=25");
	ck_assert_uint_eq(l.mem_bytes, 10 * GiB);
	ck_assert_uint_eq(l.sm_share, 2500);
	l = limits(h, 10, NULL);
	ck_assert_uint_eq(l.sm_share, 10000);
	conf.default_cores = 30;
	l = limits(h, 10, "mem=10G");
	ck_assert_uint_eq(l.sm_share, 3000);

	conf.shard_bytes = 256 * MiB;
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, h, &err), 318); /* floor(81559 / 256) */
	ck_assert_uint_eq(shards(h, "mem=10G"), 41);    /* 10 GiB and the context's byte */
	ck_assert_uint_eq(shards(h, "mem=10239M"), 40);
}
END_TEST

START_TEST(errors)
{
	vgpu_gpu_type_t *h = add_type("h100", H100_MEM, 132);
	vgpu_gpu_type_t *s = add_type("small", 512 * MiB, 10);
	vgpu_request_t r;
	vgpu_limits_t l;
	vgpu_err_t err;
	uint64_t u;
	unsigned k;

	ck_assert_str_eq(shards_err(h, "mem=100G"),
			 "request 'mem=100G' needs 100 GiB and 1 B for its first context, more than one h100 GPU offers (79.6 GiB usable)");
	ck_assert_str_eq(shards_err(h, "mem=81560M,cores=5"),
			 "request 'mem=81560M,cores=5' needs 79.6 GiB and 1 B for its first context, more than one h100 GPU offers (79.6 GiB usable)");
	/* the boundary: all usable memory less the context fits, one byte more does not */
	ck_assert_uint_eq(shards(h, "mem=85520809983"), 100);
	ck_assert_str_eq(shards_err(h, "mem=85520809984"),
			 "request 'mem=81559M' needs 79.6 GiB and 1 B for its first context, more than one h100 GPU offers (79.6 GiB usable)");
	conf.mode = VGPU_MODE_MEMORY;
	ck_assert_uint_eq(shards(h, "mem=78G"), 79);
	ck_assert_str_eq(shards_err(h, "mem=84825604096"),
			 "request 'mem=79G' needs 80 shards of 1 GiB, more than one h100 GPU offers (79 shards, 79.6 GiB usable)");
	conf.mode = VGPU_MODE_STRICT;
	ck_assert_str_eq(shards_err(h, "mem=10G,type=a100"), "request 'mem=10G,type=a100' asks for type 'a100', not 'h100'");

	ck_assert_int_eq(vgpu_account_limits(&conf, h, 0, NULL, &l, &err), -1);
	ck_assert_str_eq(err.msg, "0 shards of a h100 GPU: expected 1..100");
	ck_assert_int_eq(vgpu_account_limits(&conf, h, 101, NULL, &l, &err), -1);
	ck_assert_str_eq(err.msg, "101 shards of a h100 GPU: expected 1..100");

	h->reserve_bytes = H100_MEM;
	h->reserve_set = 1;
	ck_assert_int_eq(vgpu_account_usable(&conf, h, &u, &err), -1);
	ck_assert_str_eq(err.msg, "GPU type 'h100': MemoryReserve and DriverReserved (79.6 GiB) leave nothing of its 79.6 GiB");
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, h, &err), 0);
	ck_assert_str_eq(shards_err(h, "mem=1G"), "GPU type 'h100': MemoryReserve and DriverReserved (79.6 GiB) leave nothing of its 79.6 GiB");
	h->reserve_bytes = GiB;
	ck_assert_int_eq(vgpu_account_usable(&conf, h, &u, &err), 0);
	ck_assert_uint_eq(u, UINT64_C(80535) * MiB);

	conf.mode = VGPU_MODE_MEMORY;
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, s, &err), 0);
	ck_assert_str_eq(err.msg, "GPU type 'small': usable memory 512 MiB is less than one shard (ShardMemory 1 GiB)");
	conf.shard_bytes = 0;
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, s, &err), 0);
	conf.shard_bytes = 1;
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, s, &err), 0);
	ck_assert_str_eq(err.msg, "GPU type 'small': 512 MiB in shards of 1 B is more than 1000000 shards (raise ShardMemory)");

	conf.mode = VGPU_MODE_STRICT;
	conf.shards_per_gpu = 0;
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, s, &err), 0);
	ck_assert_str_eq(err.msg, "ShardsPerGpu 0 is outside 1..10000");
	conf.shards_per_gpu = 10001;
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, s, &err), 0);
	conf.shards_per_gpu = 100;
	s->mem_bytes = 99;
	ck_assert_uint_eq(vgpu_account_gpu_shards(&conf, s, &err), 0);
	ck_assert_str_eq(err.msg, "GPU type 'small': 99 usable bytes cannot hold 100 shards");

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(vgpu_account_shards(&conf, h, &r, &k, &err), -1);
	ck_assert_str_eq(err.msg, "request '' gives neither mem, share nor cores");
}
END_TEST

START_TEST(any_type)
{
	const vgpu_gpu_type_t *t = NULL;
	vgpu_request_t r;
	vgpu_err_t err;
	unsigned k = 0;

	r = req("mem=10G");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), -1);
	ck_assert_str_eq(err.msg, "request 'mem=10G': no GpuType is configured in vgpu.conf");

	add_type("h100", H100_MEM, 132);
	add_type("a100", 40 * GiB, 108);
	add_type("l4", UINT64_C(23034) * MiB, 58);
	/* h100 13, a100 25, l4 ceil(1024000 / 23034) = 45: the largest covers all three */
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), 0);
	ck_assert_uint_eq(k, 45);
	ck_assert_str_eq(t->name, "l4");
	/* 30G (and the context's byte) does not fit an l4: h100 38, a100 76 */
	r = req("mem=30G");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, NULL, &err), 0);
	ck_assert_uint_eq(k, 76);
	r = req("cores=25");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), 0);
	ck_assert_uint_eq(k, 25);
	ck_assert_str_eq(t->name, "h100");
	r = req("mem=10G,type=A100");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), 0);
	ck_assert_uint_eq(k, 26); /* ceil((10 GiB + 1) * 100 / 40 GiB) */
	ck_assert_str_eq(t->name, "a100");
	r = req("mem=50G,type=a100");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), -1);
	ck_assert_str_eq(err.msg, "request 'mem=50G,type=a100' needs 50 GiB and 1 B for its first context, more than one a100 GPU offers (40 GiB usable)");
	r = req("mem=10G,type=v100");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), -1);
	ck_assert_str_eq(err.msg, "request 'mem=10G,type=v100': type 'v100' is not configured (configured: h100, a100, l4)");
	r = req("mem=100G");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), -1);
	ck_assert_str_eq(err.msg, "request 'mem=100G' fits no configured GPU type "
			 "(h100: 79.6 GiB usable, a100: 40 GiB usable, l4: 22.5 GiB usable)");

	conf.mode = VGPU_MODE_MEMORY;
	r = req("mem=10G");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), 0);
	ck_assert_uint_eq(k, 11);
	ck_assert_str_eq(t->name, "h100");
	r = req("cores=10");
	ck_assert_int_eq(vgpu_account_shards_any(&conf, &r, &k, &t, &err), -1);
	ck_assert_str_eq(err.msg, "request 'cores=10': memory accounting needs mem= or share= (e.g. mem=10G)");
}
END_TEST

/* ---- properties -------------------------------------------------------- */

#define ITER 20000

static uint64_t rng = UINT64_C(0x2545f4914f6cdd1d);

static uint64_t rnd(uint64_t n)      /* 0..n-1 */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : rng;
}

/* A random GPU type and settings; returns its usable memory. */
static uint64_t random_gpu(vgpu_gpu_type_t *t, vgpu_mode_t mode)
{
	static const unsigned common_s[] = { 2, 7, 10, 64, 100, 128, 1000, 10000 };

	vgpu_conf_init(&conf);
	conf.mode = mode;
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "g");
	if (rnd(2))
		t->mem_bytes = (1024 + rnd(200 * 1024 - 1024 + 1)) * MiB;     /* odd MiB, e.g. 81559M */
	else
		t->mem_bytes = GiB + rnd(199 * GiB + 1);                       /* any byte count */
	t->sms = 1 + (unsigned)rnd(200);
	if (rnd(3)) {
		t->reserve_bytes = rnd(t->mem_bytes / 2);
		t->reserve_set = rnd(2);
		if (!t->reserve_set)
			conf.reserve_bytes = t->reserve_bytes;
	}
	conf.shards_per_gpu = rnd(2) ? common_s[rnd(8)] : 2 + (unsigned)rnd(9999);
	conf.shard_bytes = rnd(2) ? GiB : MiB * (1 + rnd(4096));
	conf.default_cores = 1 + (unsigned)rnd(100);
	/* a context smaller than half of one shard, so that every slice holds one */
	{
		uint64_t usable = t->mem_bytes - vgpu_conf_type_reserve(&conf, t);
		uint64_t one = mode == VGPU_MODE_STRICT ? usable / conf.shards_per_gpu : conf.shard_bytes;

		t->ctx_bytes = 1 + rnd(one / 2 ? one / 2 : 1);
	}
	return t->mem_bytes - vgpu_conf_type_reserve(&conf, t);
}

static void random_request(vgpu_request_t *r, uint64_t usable)
{
	memset(r, 0, sizeof(*r));
	switch (rnd(4)) {
	case 0:
		r->mem_bytes = 1 + rnd(usable + usable / 8);   /* some too large */
		break;
	case 1:
		r->mem_bytes = (1 + rnd(usable / MiB + 8)) * MiB;
		break;
	case 2:
		r->mem_bytes = 1 + rnd(64);
		break;
	default:
		break;
	}
	if (rnd(2) || !r->mem_bytes)
		r->cores_pct = 1 + (unsigned)rnd(100);
}

/* (a) limits of the shards cover the request, shards are the fewest that
 * do, and (c) never more than the GPU offers; refusals only when needed. */
static void check_cover(vgpu_mode_t mode)
{
	int i, accepted = 0;

	for (i = 0; i < ITER; i++) {
		vgpu_gpu_type_t t;
		vgpu_request_t r;
		vgpu_limits_t l;
		vgpu_err_t err;
		uint64_t usable = random_gpu(&t, mode);
		unsigned gpu = vgpu_account_gpu_shards(&conf, &t, &err), k;
		int fits;

		if (gpu == 0)
			continue;       /* memory mode: smaller than one shard */
		random_request(&r, usable);
		fits = !r.mem_bytes || r.mem_bytes + t.ctx_bytes <= usable;
		if (mode == VGPU_MODE_MEMORY)
			fits = r.mem_bytes && (r.mem_bytes + t.ctx_bytes + conf.shard_bytes - 1) / conf.shard_bytes <= gpu;
		if (vgpu_account_shards(&conf, &t, &r, &k, &err) != 0) {
			ck_assert_msg(!fits, "refused a request that fits: %s", err.msg);
			continue;
		}
		ck_assert_msg(fits, "accepted a request that does not fit");
		accepted++;
		ck_assert_uint_ge(k, 1);
		ck_assert_uint_le(k, gpu);
		ck_assert_int_eq(vgpu_account_limits(&conf, &t, k, &r, &l, &err), 0);
		ck_assert_uint_gt(l.mem_bytes, l.ctx_bytes);
		ck_assert_uint_eq(l.ctx_bytes, t.ctx_bytes);
		ck_assert_uint_ge(l.mem_bytes - l.ctx_bytes, r.mem_bytes);
		ck_assert_uint_ge(l.sm_share, 1);
		ck_assert_uint_le(l.sm_share, VGPU_SHARE_FULL);
		if (mode == VGPU_MODE_STRICT) {
			ck_assert_uint_ge(l.sm_share, r.cores_pct * 100);
#ifdef __SIZEOF_INT128__
			ck_assert_uint_eq(l.mem_bytes, (uint64_t)((unsigned __int128)k * usable / gpu));
#endif
		} else {
			ck_assert_uint_eq(l.sm_share, (r.cores_pct ? r.cores_pct : conf.default_cores) * 100);
		}
		if (k > 1) {        /* one shard fewer would not cover it */
			ck_assert_int_eq(vgpu_account_limits(&conf, &t, k - 1, &r, &l, &err), 0);
			ck_assert(l.mem_bytes < r.mem_bytes + t.ctx_bytes || l.sm_share < r.cores_pct * 100 ||
				  l.mem_bytes <= t.ctx_bytes);
		}
	}
	ck_assert_int_gt(accepted, ITER / 2);
}

START_TEST(property_limits_cover_strict)
{
	check_cover(VGPU_MODE_STRICT);
}
END_TEST

START_TEST(property_limits_cover_memory)
{
	check_cover(VGPU_MODE_MEMORY);
}
END_TEST

/* (b) any set of steps whose shards fit the GPU gets limits that fit it. */
static void check_packing(vgpu_mode_t mode)
{
	int i;

	for (i = 0; i < ITER / 10; i++) {
		vgpu_gpu_type_t t;
		vgpu_err_t err;
		uint64_t usable = random_gpu(&t, mode), mem_sum = 0;
		unsigned gpu = vgpu_account_gpu_shards(&conf, &t, &err), used = 0, sm_sum = 0;
		int tries;

		if (gpu == 0)
			continue;
		for (tries = 0; tries < 64 && used < gpu; tries++) {
			vgpu_request_t r;
			vgpu_limits_t l;
			unsigned k;

			random_request(&r, usable);
			if (rnd(4) == 0) {
				k = 1 + (unsigned)rnd(gpu - used);      /* a bare shard count */
			} else if (vgpu_account_shards(&conf, &t, &r, &k, NULL) != 0 || used + k > gpu) {
				continue;
			}
			ck_assert_int_eq(vgpu_account_limits(&conf, &t, k, &r, &l, &err), 0);
			used += k;
			mem_sum += l.mem_bytes;
			sm_sum += l.sm_share;
			ck_assert_uint_le(mem_sum, usable);
			if (mode == VGPU_MODE_STRICT)
				ck_assert_uint_le(sm_sum, VGPU_SHARE_FULL);
		}
	}
}

START_TEST(property_packing_strict)
{
	check_packing(VGPU_MODE_STRICT);
}
END_TEST

START_TEST(property_packing_memory)
{
	check_packing(VGPU_MODE_MEMORY);
}
END_TEST

/* shards_any: on every configured type the request fits, the count it
 * returns gives limits that cover the request. */
START_TEST(property_any_type_covers)
{
	int i;

	for (i = 0; i < ITER / 4; i++) {
		vgpu_gpu_type_t t;
		const vgpu_gpu_type_t *from;
		vgpu_request_t r;
		vgpu_err_t err;
		unsigned k, n, j;
		uint64_t usable = random_gpu(&t, rnd(2) ? VGPU_MODE_MEMORY : VGPU_MODE_STRICT);

		conf.types[0] = t;
		conf.ntypes = 1;
		n = 1 + (unsigned)rnd(4);
		for (j = 1; j < n; j++) {
			vgpu_gpu_type_t *u = add_type("x", GiB + rnd(199 * GiB), 1 + (unsigned)rnd(200));

			snprintf(u->name, sizeof(u->name), "t%u", j);
			u->ctx_bytes = t.ctx_bytes;
		}
		random_request(&r, usable);
		if (vgpu_account_shards_any(&conf, &r, &k, &from, &err) != 0)
			continue;
		for (j = 0; j < n; j++) {
			const vgpu_gpu_type_t *u = &conf.types[j];
			unsigned own, gpu = vgpu_account_gpu_shards(&conf, u, NULL);
			vgpu_limits_t l;

			if (vgpu_account_shards(&conf, u, &r, &own, NULL) != 0)
				continue;
			ck_assert_uint_le(own, k);
			ck_assert_uint_le(k, gpu);      /* memory mode: same count on all */
			ck_assert_int_eq(vgpu_account_limits(&conf, u, k, &r, &l, &err), 0);
			ck_assert_uint_ge(l.mem_bytes - l.ctx_bytes, r.mem_bytes);
			if (conf.mode == VGPU_MODE_STRICT)
				ck_assert_uint_ge(l.sm_share, r.cores_pct * 100);
		}
	}
}
END_TEST

/* ---- what exists: the simulated models, contexts, fractions ------------- */

/* The simulator's models (sim/vgpu-simnode): NVML total, what the driver
 * keeps, one context. Inputs, not results: the checks below are physical. */
static const struct model {
	const char *name;
	uint64_t mem, reserved, ctx;
} models[] = {
	{ "h100", UINT64_C(85520809984), UINT64_C(492830720), UINT64_C(314572800) },
	{ "a100", UINT64_C(85899345920), UINT64_C(912261120), UINT64_C(314572800) },
	{ "a100-pcie", UINT64_C(85899345920), UINT64_C(912261120), UINT64_C(314572800) },
	{ "l40s", UINT64_C(48305799168), UINT64_C(639631360), UINT64_C(314572800) },
};
#define NMODELS (sizeof(models) / sizeof(models[0]))

/* The GpuType line `vgpu conf` writes for a model: memory rounded down to
 * MiB, what the driver keeps and a context rounded up. */
static vgpu_gpu_type_t *model_type(const struct model *m, int with_driver)
{
	vgpu_gpu_type_t *t = add_type("g", m->mem & ~(MiB - 1), 100);

	t->driver_bytes = with_driver ? (m->reserved + MiB - 1) & ~(MiB - 1) : 0;
	t->ctx_bytes = (m->ctx + MiB - 1) & ~(MiB - 1);
	return t;
}

/* N slices of `shards` each, every one holding its context and all of them
 * in what the GPU really has (NVML total less what the driver keeps). */
static int slices_fit(const struct model *m, const vgpu_gpu_type_t *t, unsigned shards, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		vgpu_limits_t l = limits(t, shards, NULL);

		ck_assert_uint_gt(l.mem_bytes, l.ctx_bytes);
		ck_assert_uint_ge(l.ctx_bytes, m->ctx);
		sum += l.mem_bytes;
	}
	return sum <= m->mem - m->reserved;
}

START_TEST(models_promise_what_exists)
{
	for (size_t i = 0; i < NMODELS; i++) {
		const struct model *m = &models[i];

		for (unsigned s = 100; s <= 120; s += 20) {
			vgpu_gpu_type_t *t;

			vgpu_conf_init(&conf);
			conf.shards_per_gpu = s;
			t = model_type(m, 1);
			ck_assert_msg(slices_fit(m, t, s / 4, 4), "%s: 4 x %u of %u shards", m->name, s / 4, s);
			ck_assert_msg(slices_fit(m, t, 1, s), "%s: %u x 1 shard", m->name, s);
			/* the control: Memory= alone (NVML's total) promises more than exists */
			vgpu_conf_init(&conf);
			conf.shards_per_gpu = s;
			t = model_type(m, 0);
			ck_assert_msg(!slices_fit(m, t, s / 4, 4), "%s: without DriverReserved, 4 slices would fit",
				      m->name);
		}
		/* memory mode: every shard of the GPU in one-shard slices */
		vgpu_conf_init(&conf);
		conf.mode = VGPU_MODE_MEMORY;
		{
			vgpu_gpu_type_t *t = model_type(m, 1);
			unsigned g = vgpu_account_gpu_shards(&conf, t, NULL);

			ck_assert_msg(slices_fit(m, t, 1, g), "%s: memory mode, %u x 1 shard", m->name, g);
			ck_assert_msg(slices_fit(m, t, g / 4, 4), "%s: memory mode, 4 x %u shards", m->name, g / 4);
		}
	}
}
END_TEST

/* mem=X gets X for allocations after its first context; ctx= below the
 * type's context is refused, above it is charged. */
START_TEST(contexts_charged)
{
	vgpu_gpu_type_t *h;
	vgpu_limits_t l;
	unsigned k;

	vgpu_conf_init(&conf);
	h = model_type(&models[0], 1);
	k = shards(h, "mem=10G");
	l = limits(h, k, "mem=10G");
	ck_assert_uint_eq(l.ctx_bytes, 300 * MiB);
	ck_assert_uint_ge(l.mem_bytes - l.ctx_bytes, 10 * GiB);
	l = limits(h, k - 1, "mem=10G");
	ck_assert_uint_lt(l.mem_bytes - l.ctx_bytes, 10 * GiB);
	ck_assert_str_eq(shards_err(h, "mem=10G,ctx=100M"),
			 "request 'mem=10G,ctx=100M': ctx=100 MiB is less than a CUDA context takes on one g GPU (300 MiB, vgpu.conf GpuType=g ContextMemory): leave ctx= out or give at least that");
	ck_assert_uint_gt(shards(h, "mem=10G,ctx=2G"), k);
	l = limits(h, shards(h, "mem=10G,ctx=2G"), "mem=10G,ctx=2G");
	ck_assert_uint_eq(l.ctx_bytes, 2 * GiB);
	/* a GpuType without ContextMemory= charges the default, never 0 */
	h->ctx_bytes = 0;
	ck_assert_uint_eq(limits(h, k, NULL).ctx_bytes, VGPU_CONF_DEFAULT_CONTEXT);
	/* a slice that cannot hold its context is refused */
	conf.shards_per_gpu = 100;
	h->ctx_bytes = 300 * MiB;
	h->mem_bytes = 20 * GiB;
	h->driver_bytes = 0;
	ck_assert_str_eq(shards_err(h, "cores=1"),
			 "request 'cores=1': its 1 shards of a g GPU (204.8 MiB) cannot hold one CUDA context (300 MiB)");
	ck_assert_uint_eq(shards(h, "cores=2"), 2);
}
END_TEST

/* 1/N of a GPU, as share=1/N or mem=floor(100/N)%, fits N per GPU in both
 * modes, on every model, with 100, 120 and 840 shards per GPU. */
START_TEST(fractions_pack)
{
	static const unsigned sizes[] = { 100, 120, 840 };

	for (size_t i = 0; i < NMODELS; i++)
		for (int mode = 0; mode < 2; mode++)
			for (size_t z = 0; z < 3; z++)
				for (unsigned n = 2; n <= 8; n++) {
					char a[32], b[32];
					vgpu_gpu_type_t *t;
					unsigned g, ka, kb;

					vgpu_conf_init(&conf);
					conf.mode = mode ? VGPU_MODE_MEMORY : VGPU_MODE_STRICT;
					conf.shards_per_gpu = sizes[z];
					t = model_type(&models[i], 1);
					g = vgpu_account_gpu_shards(&conf, t, NULL);
					snprintf(a, sizeof(a), "share=1/%u", n);
					snprintf(b, sizeof(b), "mem=%u%%", 100 / n);
					ka = shards(t, a);
					kb = shards(t, b);
					ck_assert_msg(n * ka <= g && n * kb <= g, "%s, %s: %u or %u of %u shards",
						      a, b, ka, kb, g);
					if (g % n == 0)
						ck_assert_uint_eq(ka, g / n);   /* exactly 1/N */
					ck_assert_msg(slices_fit(&models[i], t, ka, n), "%s: %u slices", a, n);
					if (mode == 1)
						ck_assert_uint_eq(limits(t, ka, NULL).mem_bytes, (uint64_t)ka * conf.shard_bytes);
				}
	/* 120 shards: halves to sixths and eighths are exact; sevenths are not */
	vgpu_conf_init(&conf);
	ck_assert_uint_eq(conf.shards_per_gpu, 120);
	for (unsigned n = 2; n <= 8; n++)
		ck_assert_uint_eq(120 % n == 0, n != 7);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("account");
	TCase *tc = tcase_create("account");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, strict_h100_exact);
	tcase_add_test(tc, strict_reserve_and_shard_counts);
	tcase_add_test(tc, memory_mode_exact);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, any_type);
	tcase_add_test(tc, property_limits_cover_strict);
	tcase_add_test(tc, property_limits_cover_memory);
	tcase_add_test(tc, property_packing_strict);
	tcase_add_test(tc, property_packing_memory);
	tcase_add_test(tc, property_any_type_covers);
	tcase_add_test(tc, models_promise_what_exists);
	tcase_add_test(tc, contexts_charged);
	tcase_add_test(tc, fractions_pack);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
