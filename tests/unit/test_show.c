/* Unit tests for vgpu_show: nodes and jobs as Slurm 22.05.8, 24.11.5 and
 * 26.05.5 report them (doc/slurm-views.md) turned into per-GPU holders,
 * limits and free amounts. */
#include <stdint.h>
#include <string.h>

#include "vgpu_show.h"
#include "vgpu_test.h"

#define H100_USABLE UINT64_C(85520809984)      /* 81559 MiB */

static vgpu_show_node_t node;

/* The cases were written for 100 shards per GPU (the default before 120):
 * a text without ShardsPerGpu= gets ShardsPerGpu=100, as an old config. */
static void conf_from(vgpu_conf_t *conf, const char *text)
{
	vgpu_err_t err = { "" };
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s%s", strstr(text, "ShardsPerGpu") ? "" : "ShardsPerGpu=100\n", text);
	ck_assert_msg(vgpu_conf_parse(buf, strlen(buf), "test.conf", conf, &err) == 0, "%s", err.msg);
}

static void init_ok(const char *gres)
{
	vgpu_err_t err = { "" };

	ck_assert_msg(vgpu_show_node_init(&node, "n1", gres, &err) == 0, "%s", err.msg);
}

static void add_ok(uint32_t job, const char *user, const char *detail)
{
	vgpu_err_t err = { "" };

	ck_assert_msg(vgpu_show_node_add_job(&node, job, user, detail, &err) == 0, "%s", err.msg);
}

START_TEST(strict_shards_and_whole_gpu)
{
	vgpu_conf_t conf;
	const vgpu_show_gpu_t *g0, *g1;

	conf_from(&conf, "GpuType=h100 Memory=81559M SMs=132\n");
	init_ok("gpu:h100:2,shard:h100:200");
	ck_assert_uint_eq(node.ngpus, 2);
	add_ok(1, "alice", "shard:25(IDX:0)");
	add_ok(2, "bob", "shard:50(IDX:0)");
	add_ok(3, "carol", "gpu:h100:1(IDX:1)");
	vgpu_show_node_finish(&node, &conf);
	g0 = &node.gpus[0];
	g1 = &node.gpus[1];

	ck_assert_str_eq(g0->type, "h100");
	ck_assert_uint_eq(g0->shards_total, 100);
	ck_assert_uint_eq(g0->shards_used, 75);
	ck_assert_int_eq(g0->whole, 0);
	ck_assert_int_eq(g0->known, 1);
	ck_assert_str_eq(g0->note, "");
	ck_assert_uint_eq(g0->nholders, 2);
	ck_assert_uint_eq(g0->holders[0].job_id, 1);
	ck_assert_str_eq(g0->holders[0].user, "alice");
	ck_assert_uint_eq(g0->holders[0].shards, 25);
	ck_assert_int_eq(g0->holders[0].limits_known, 1);
	ck_assert_uint_eq(g0->holders[0].limits.mem_bytes, UINT64_C(21380202496));
	ck_assert_uint_eq(g0->holders[0].limits.sm_share, 2500);
	ck_assert_uint_eq(g0->holders[1].limits.mem_bytes, UINT64_C(42760404992));
	ck_assert_uint_eq(g0->holders[1].limits.sm_share, 5000);
	ck_assert_uint_eq(g0->mem_usable, H100_USABLE);
	ck_assert_uint_eq(g0->mem_reserved, UINT64_C(64140607488));
	ck_assert_uint_eq(vgpu_show_mem_free(g0), UINT64_C(21380202496));
	ck_assert_uint_eq(g0->sm_reserved, 7500);
	ck_assert_uint_eq(vgpu_show_sm_free(g0), 2500);

	ck_assert_int_eq(g1->whole, 1);
	ck_assert_uint_eq(g1->shards_used, 100);
	ck_assert_uint_eq(g1->nholders, 1);
	ck_assert_int_eq(g1->holders[0].whole, 1);
	ck_assert_uint_eq(g1->holders[0].shards, 100);
	ck_assert_uint_eq(g1->holders[0].limits.mem_bytes, H100_USABLE);
	ck_assert_uint_eq(g1->holders[0].limits.sm_share, 10000);
	ck_assert_uint_eq(vgpu_show_mem_free(g1), 0);
	ck_assert_uint_eq(vgpu_show_sm_free(g1), 0);
	ck_assert_uint_eq(node.unplaced, 0);
}
END_TEST

START_TEST(reserve_and_untyped_shards)
{
	vgpu_conf_t conf;

	conf_from(&conf, "GpuType=h100 Memory=81559M SMs=132 MemoryReserve=1G\n");
	init_ok("gpu:h100:2(S:0),shard:200");
	ck_assert_uint_eq(node.gpus[1].shards_total, 100);
	add_ok(9, "u", "shard:13(IDX:1)");
	vgpu_show_node_finish(&node, &conf);
	ck_assert_uint_eq(node.gpus[1].mem_usable, UINT64_C(84447068160));
	ck_assert_uint_eq(node.gpus[1].holders[0].limits.mem_bytes, UINT64_C(10978118860));
	ck_assert_uint_eq(node.gpus[1].holders[0].limits.sm_share, 1300);
	ck_assert_uint_eq(node.gpus[0].shards_used, 0);
	ck_assert_uint_eq(vgpu_show_sm_free(&node.gpus[0]), 10000);
	ck_assert_uint_eq(vgpu_show_mem_free(&node.gpus[0]), UINT64_C(84447068160));
}
END_TEST

START_TEST(two_types)
{
	vgpu_conf_t conf;

	conf_from(&conf, "GpuType=h100 Memory=81559M SMs=132\n");
	init_ok("gpu:a100:1,gpu:h100:2,shard:a100:100,shard:h100:200");
	ck_assert_uint_eq(node.ngpus, 3);
	ck_assert_str_eq(node.gpus[0].type, "a100");
	ck_assert_str_eq(node.gpus[2].type, "h100");
	ck_assert_uint_eq(node.gpus[0].shards_total, 100);
	ck_assert_uint_eq(node.gpus[2].shards_total, 100);
	add_ok(4, "u", "shard:10(IDX:0)");
	vgpu_show_node_finish(&node, &conf);
	ck_assert_int_eq(node.gpus[0].known, 0);
	ck_assert_str_eq(node.gpus[0].note, "limits unknown: no GpuType 'a100' in vgpu.conf");
	ck_assert_int_eq(node.gpus[0].holders[0].limits_known, 0);
	ck_assert_uint_eq(node.gpus[0].shards_used, 10);
	ck_assert_int_eq(node.gpus[1].known, 1);
}
END_TEST

START_TEST(shard_count_mismatch)
{
	vgpu_conf_t conf;

	conf_from(&conf, "GpuType=h100 Memory=81559M SMs=132\nShardsPerGpu=200\n");
	init_ok("gpu:h100:2,shard:h100:200");
	vgpu_show_node_finish(&node, &conf);
	ck_assert_int_eq(node.gpus[0].known, 0);
	ck_assert_str_eq(node.gpus[0].note,
			 "limits unknown: Slurm has 100 shards on this GPU, vgpu.conf gives h100 200");
	ck_assert_uint_eq(vgpu_show_mem_free(&node.gpus[0]), 0);
}
END_TEST

START_TEST(memory_mode)
{
	vgpu_conf_t conf;

	conf_from(&conf, "AccountingMode=memory\nShardMemory=1G\nDefaultCores=30\n"
			 "GpuType=h100 Memory=81559M SMs=132\n");
	init_ok("gpu:h100:1,shard:h100:79");
	add_ok(5, "u", "shard:10(IDX:0)");
	add_ok(6, "v", "shard:69(IDX:0)");
	vgpu_show_node_finish(&node, &conf);
	ck_assert_int_eq(node.gpus[0].known, 1);
	ck_assert_uint_eq(node.gpus[0].holders[0].limits.mem_bytes, UINT64_C(10) << 30);
	ck_assert_uint_eq(node.gpus[0].holders[0].limits.sm_share, 3000);
	ck_assert_uint_eq(node.gpus[0].mem_reserved, UINT64_C(79) << 30);
	ck_assert_uint_eq(vgpu_show_mem_free(&node.gpus[0]), H100_USABLE - (UINT64_C(79) << 30));
	ck_assert_uint_eq(node.gpus[0].sm_reserved, 6000);
}
END_TEST

/* 24.11.5 and 26.05.5 (recorded on the devcluster, both releases print the
 * same): shard jobs give per-GPU counts, no IDX; whole GPUs IDX. */
START_TEST(per_gpu_counts_of_24_11_and_26_05)
{
	vgpu_conf_t conf;
	const vgpu_show_gpu_t *g0, *g1;

	conf_from(&conf, "GpuType=h100 Memory=81559M SMs=132\n");
	/* node n1: two --gres=shard:30, one shard:60, and -N2 shard:10 */
	init_ok("gpu:h100:2,shard:h100:200");
	add_ok(1, "alice", "shard:30(30/100,0/100)");
	add_ok(2, "bob", "shard:30(30/100,0/100)");
	add_ok(3, "carol", "shard:60(0/100,60/100)");
	add_ok(5, "dave", "shard:10(10/100,0/100)");
	vgpu_show_node_finish(&node, &conf);
	g0 = &node.gpus[0];
	g1 = &node.gpus[1];
	ck_assert_uint_eq(g0->shards_used, 70);
	ck_assert_uint_eq(g0->nholders, 3);
	ck_assert_uint_eq(g0->holders[0].job_id, 1);
	ck_assert_uint_eq(g0->holders[0].shards, 30);
	ck_assert_uint_eq(g0->holders[1].shards, 30);
	ck_assert_uint_eq(g0->holders[2].job_id, 5);
	ck_assert_uint_eq(g0->holders[2].shards, 10);
	ck_assert_uint_eq(g0->sm_reserved, 7000);
	ck_assert_uint_eq(g1->shards_used, 60);
	ck_assert_uint_eq(g1->nholders, 1);
	ck_assert_uint_eq(g1->holders[0].job_id, 3);
	ck_assert_uint_eq(g1->holders[0].shards, 60);
	ck_assert_int_eq(g1->holders[0].limits_known, 1);
	ck_assert_uint_eq(g1->holders[0].limits.sm_share, 6000);
	ck_assert_uint_eq(node.unplaced, 0);

	/* node n2: a whole GPU (IDX) next to shards on the other */
	init_ok("gpu:h100:2,shard:h100:200");
	add_ok(4, "erin", "gpu:h100:1(IDX:0)");
	add_ok(5, "dave", "shard:10(0/100,10/100)");
	add_ok(6, "frank", "shard:5(0/100,5/100)");
	add_ok(7, "grace", "shard:7(0/100,7/100)");
	vgpu_show_node_finish(&node, &conf);
	ck_assert_int_eq(node.gpus[0].whole, 1);
	ck_assert_uint_eq(node.gpus[0].shards_used, 100);
	ck_assert_uint_eq(node.gpus[1].shards_used, 22);
	ck_assert_uint_eq(node.gpus[1].nholders, 3);
	ck_assert_uint_eq(node.gpus[1].holders[2].shards, 7);
}
END_TEST

/* MULTIPLE_SHARING_GRES_PJ (24.11.5, 26.05.5): one job's shards on two GPUs,
 * placed exactly as the per-GPU counts say, not split evenly (22.05's IDX
 * form gives no split). */
START_TEST(shards_over_two_gpus)
{
	vgpu_conf_t conf;

	conf_from(&conf, "GpuType=h100 Memory=81559M SMs=132\n");
	init_ok("gpu:h100:2,shard:h100:200");
	add_ok(1, "u", "shard:150(100/100,50/100)");           /* recorded */
	vgpu_show_node_finish(&node, &conf);
	ck_assert_uint_eq(node.gpus[0].nholders, 1);
	ck_assert_uint_eq(node.gpus[0].holders[0].shards, 100);
	ck_assert_uint_eq(node.gpus[0].sm_reserved, 10000);
	ck_assert_uint_eq(vgpu_show_sm_free(&node.gpus[0]), 0);
	ck_assert_uint_eq(node.gpus[1].holders[0].shards, 50);
	ck_assert_uint_eq(node.gpus[1].sm_reserved, 5000);

	conf_from(&conf, "GpuType=h100 Memory=81559M SMs=132\nShardsPerGpu=80\n");
	init_ok("gpu:h100:2,shard:h100:160");
	add_ok(2, "u", "shard:50(30/80,20/80)");
	/* the same job in 22.05's form: split evenly */
	add_ok(3, "v", "shard:50(IDX:0-1)");
	vgpu_show_node_finish(&node, &conf);
	ck_assert_uint_eq(node.gpus[0].holders[0].shards, 30);
	ck_assert_uint_eq(node.gpus[1].holders[0].shards, 20);
	ck_assert_uint_eq(node.gpus[0].holders[1].shards, 25);
	ck_assert_uint_eq(node.gpus[1].holders[1].shards, 25);
	ck_assert_uint_eq(node.gpus[0].shards_used, 55);
	ck_assert_uint_eq(node.gpus[1].shards_used, 45);
}
END_TEST

/* Per-GPU count strings that place nothing, or name a GPU the node lacks. */
START_TEST(per_gpu_counts_unplaced_and_bad)
{
	vgpu_err_t err;

	init_ok("gpu:h100:2,shard:h100:200");
	add_ok(1, "u", "");                                    /* step-only job */
	add_ok(2, "u", "shard:30((null))");                    /* Slurm lost the node */
	add_ok(3, "u", "shard:30(0/100,0/100)");               /* counts 0 */
	add_ok(4, "u", "shard:0(0/100,0/100)");                /* nothing held */
	ck_assert_uint_eq(node.unplaced, 2);
	ck_assert_uint_eq(node.gpus[0].nholders + node.gpus[1].nholders, 0);
	/* a field beyond the node's GPUs with 0 is harmless */
	add_ok(5, "u", "shard:30(30/100,0/100,0/100)");
	ck_assert_uint_eq(node.gpus[0].holders[0].shards, 30);
	ck_assert_int_eq(vgpu_show_node_add_job(&node, 6, "u", "shard:30(0/100,0/100,30/100)", &err),
			 -1);
	ck_assert_str_eq(err.msg, "job 6 on node n1: GRES 'shard:30(0/100,0/100,30/100)' names GPU 2, "
			 "the node has 2");
	ck_assert_int_eq(vgpu_show_node_add_job(&node, 7, "u", "shard:30(40/30)", &err), -1);
	ck_assert_str_eq(err.msg, "job 7 on node n1: GRES 'shard:30(40/30)': GPU 0 count 40 above its "
			 "total 30 in (...)");
	ck_assert_uint_eq(node.gpus[0].nholders, 1);
}
END_TEST

START_TEST(bad_input)
{
	vgpu_err_t err;

	init_ok("gpu:h100:2,shard:h100:200");
	ck_assert_int_eq(vgpu_show_node_add_job(&node, 7, "u", "shard:10(IDX:2)", &err), -1);
	ck_assert_str_eq(err.msg, "job 7 on node n1: GRES 'shard:10(IDX:2)' names GPU 2, the node has 2");
	ck_assert_int_eq(vgpu_show_node_add_job(&node, 8, "u", "shard:h100:x(IDX:0)", &err), -1);
	ck_assert_str_eq(err.msg, "job 8 on node n1: GRES 'shard:h100:x(IDX:0)': count is not a number");
	ck_assert_int_eq(vgpu_show_node_init(&node, "n9", "gpu:65", &err), -1);
	ck_assert_str_eq(err.msg, "node n9: more than 64 GPUs in 'gpu:65'");
	ck_assert_int_eq(vgpu_show_node_init(&node, "n9", "gpu:h100:(", &err), -1);
	ck_assert_str_eq(err.msg, "node n9: GRES 'gpu:h100:(': count is not a number");
	/* A shard entry without IDX is counted, not placed; other GRES ignored. */
	init_ok("gpu:h100:1,shard:100");
	add_ok(10, "u", "shard:10,mps:100(IDX:0)");
	ck_assert_uint_eq(node.unplaced, 1);
	ck_assert_uint_eq(node.gpus[0].nholders, 0);
	/* Whole GPU held by a job of gpu:0 entries (gres_used style): nothing. */
	add_ok(11, "u", "gpu:h100:0(IDX:N/A)");
	ck_assert_uint_eq(node.gpus[0].nholders, 0);
}
END_TEST

START_TEST(many_holders)
{
	vgpu_conf_t conf;
	unsigned i;

	conf_from(&conf, "GpuType=h100 Memory=81559M SMs=132\n");
	init_ok("gpu:h100:1,shard:h100:100");
	for (i = 0; i < 100; i++)
		add_ok(100 + i, "u", "shard:1(IDX:0)");
	vgpu_show_node_finish(&node, &conf);
	ck_assert_uint_eq(node.gpus[0].nholders, VGPU_SHOW_HOLDERS_MAX);
	ck_assert_uint_eq(node.gpus[0].nmore, 100 - VGPU_SHOW_HOLDERS_MAX);
	ck_assert_uint_eq(node.gpus[0].shards_used, 100);
	ck_assert_uint_eq(node.gpus[0].more_shards, 100 - VGPU_SHOW_HOLDERS_MAX);
	/* Free amounts count the holders not listed too. */
	ck_assert_uint_eq(node.gpus[0].sm_reserved, 10000);
	ck_assert_uint_eq(vgpu_show_sm_free(&node.gpus[0]), 0);
}
END_TEST

/* Links of an 8-GPU node: islands 0-3 (all pairs, x4 between 0-1 and x2
 * else), a chain 4-5-6, and 7 alone. */
static void islands(vgpu_gresconf_links_t *l)
{
	unsigned a, b;

	memset(l, 0, sizeof(*l));
	l->ngpus = 8;
	l->known = 1;
	for (a = 0; a < 8; a++)
		for (b = 0; b < 8; b++)
			l->links[a][b] = a == b ? -1 : (a < 4 && b < 4) ? 2 : 0;
	l->links[0][1] = l->links[1][0] = 4;
	l->links[4][5] = l->links[5][4] = 6;
	l->links[5][6] = l->links[6][5] = 6;
}

static void set_is(const vgpu_gresconf_links_t *l, unsigned ngpus, const unsigned *gpus,
		   unsigned n, vgpu_show_nvlink_t want, const char *text)
{
	vgpu_show_gpuset_t set;

	vgpu_show_gpuset_describe(l, "no gres.conf beside slurm.conf", ngpus, gpus, n, &set);
	ck_assert_str_eq(set.text, text);
	ck_assert_int_eq(set.nvlink, want);
}

START_TEST(gpu_sets)
{
	vgpu_gresconf_links_t l;
	static const unsigned p01[] = { 1, 0 }, p12[] = { 1, 2 }, all4[] = { 3, 2, 1, 0 };
	static const unsigned chain[] = { 4, 5, 6 }, split[] = { 0, 1, 5, 4, 7 };
	static const unsigned far[] = { 3, 8 };
	vgpu_show_gpuset_t set;

	islands(&l);
	set_is(&l, 8, p01, 2, VGPU_SHOW_NVLINK_ALL, "GPUs 0,1: NVLink x4 (all pairs)");
	set_is(&l, 8, all4, 4, VGPU_SHOW_NVLINK_ALL, "GPUs 0,1,2,3: NVLink x2-x4 (all pairs)");
	set_is(&l, 8, chain, 3, VGPU_SHOW_NVLINK_PART,
	       "GPUs 4,5,6: NVLink x6 on 2 of 3 pairs (the others through a third GPU)");
	set_is(&l, 8, split, 5, VGPU_SHOW_NVLINK_PART,
	       "GPUs 0,1,4,5,7: NVLink x4-x6 on 2 of 10 pairs, in 3 groups (0,1 | 4,5 | 7), "
	       "PCIe between them");
	vgpu_show_gpuset_describe(&l, "", 8, split, 5, &set);
	ck_assert_uint_eq(set.groups, 3);
	ck_assert_uint_eq(set.linked, 2);
	ck_assert_uint_eq(set.pairs, 10);
	ck_assert_int_eq(set.min_links, 4);
	ck_assert_int_eq(set.max_links, 6);
	/* 3 and 4: in different islands. */
	{
		static const unsigned p34[] = { 4, 3 };

		set_is(&l, 8, p34, 2, VGPU_SHOW_NVLINK_NONE, "GPUs 3,4: not NVLink-connected (PCIe)");
	}
	/* One direction only is not a link. */
	l.links[1][2] = 12;
	l.links[2][1] = 0;
	set_is(&l, 8, p12, 2, VGPU_SHOW_NVLINK_NONE, "GPUs 1,2: not NVLink-connected (PCIe)");
	/* Unknown: no file, a file that says nothing, another GPU count, a GPU
	 * beyond the node, fewer than two GPUs. */
	set_is(NULL, 8, p01, 2, VGPU_SHOW_NVLINK_UNKNOWN,
	       "GPUs 0,1: links unknown (no gres.conf beside slurm.conf)");
	set_is(&l, 4, p01, 2, VGPU_SHOW_NVLINK_UNKNOWN,
	       "GPUs 0,1: links unknown (gres.conf gives the node 8 GPUs, Slurm 4)");
	set_is(&l, 8, far, 2, VGPU_SHOW_NVLINK_UNKNOWN, "GPUs 3,8: links unknown (GPU 8: the node has 8)");
	set_is(&l, 8, p01, 1, VGPU_SHOW_NVLINK_UNKNOWN, "GPUs 1: links unknown (fewer than two GPUs)");
	l.known = 0;
	snprintf(l.note, sizeof(l.note), "gres.conf:3: GPU line without Links=");
	set_is(&l, 8, p01, 2, VGPU_SHOW_NVLINK_UNKNOWN,
	       "GPUs 0,1: links unknown (gres.conf:3: GPU line without Links=)");
}
END_TEST

/* The whole GPUs of a job, from what Slurm reports per node. */
START_TEST(job_gpus)
{
	vgpu_conf_t conf;
	unsigned g[VGPU_SHOW_GPUS_MAX];

	conf_from(&conf, "GpuType=a100 Memory=80G SMs=108\n");
	init_ok("gpu:a100:4,shard:a100:400");
	add_ok(7, "alice", "gpu:a100:2(IDX:1-2),shard:0");
	add_ok(8, "bob", "gpu:a100:1(IDX:0)");
	add_ok(9, "carol", "shard:10(IDX:3)");
	vgpu_show_node_finish(&node, &conf);
	ck_assert_uint_eq(vgpu_show_node_job_gpus(&node, 7, g), 2);
	ck_assert_uint_eq(g[0], 1);
	ck_assert_uint_eq(g[1], 2);
	ck_assert_uint_eq(vgpu_show_node_job_gpus(&node, 8, g), 1);
	ck_assert_uint_eq(g[0], 0);
	ck_assert_uint_eq(vgpu_show_node_job_gpus(&node, 9, g), 0);     /* slices are not whole GPUs */
	ck_assert_uint_eq(vgpu_show_node_job_gpus(&node, 10, g), 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("show");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, strict_shards_and_whole_gpu);
	tcase_add_test(tc, reserve_and_untyped_shards);
	tcase_add_test(tc, two_types);
	tcase_add_test(tc, shard_count_mismatch);
	tcase_add_test(tc, memory_mode);
	tcase_add_test(tc, per_gpu_counts_of_24_11_and_26_05);
	tcase_add_test(tc, shards_over_two_gpus);
	tcase_add_test(tc, per_gpu_counts_unplaced_and_bad);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, many_holders);
	tcase_add_test(tc, gpu_sets);
	tcase_add_test(tc, job_gpus);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
