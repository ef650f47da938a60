/* Unit tests for vgpu_slurmgres: the GRES strings Slurm 22.05.8, 24.11.5
 * and 26.05.5 printed on the devcluster (doc/slurm-views.md; each test says
 * which), forms of other versions, and every error message. */
#include <stdint.h>
#include <string.h>

#include "vgpu_slurmgres.h"
#include "vgpu_test.h"

static vgpu_slurmgres_t parse_ok(const char *s)
{
	vgpu_slurmgres_t g;
	vgpu_err_t err = { "" };

	ck_assert_msg(vgpu_slurmgres_parse(s, &g, &err) == 0, "'%s': %s", s, err.msg);
	return g;
}

static const char *parse_err(const char *s)
{
	static const vgpu_slurmgres_t zero;
	static vgpu_err_t err;
	vgpu_slurmgres_t g;

	memset(&err, 0, sizeof(err));
	ck_assert_msg(vgpu_slurmgres_parse(s, &g, &err) == -1, "'%s' accepted", s);
	ck_assert_msg(memcmp(&g, &zero, sizeof(g)) == 0, "'%s' left a result", s);
	return err.msg;
}

#define ITEM(g, i, n, t, c, hi, m)                                     \
	do {                                                           \
		ck_assert_str_eq((g).items[i].name, n);                \
		ck_assert_str_eq((g).items[i].type, t);                \
		ck_assert_uint_eq((g).items[i].count, c);              \
		ck_assert_int_eq((g).items[i].has_idx, hi);            \
		ck_assert_uint_eq((g).items[i].idx_mask, m);           \
	} while (0)

/* Item i has per-GPU counts: n fields, the first given in cnt[]; every
 * other field is 0. */
static void gpu_counts(const vgpu_slurmgres_t *g, unsigned i, unsigned n, const uint32_t *cnt,
		       unsigned ncnt)
{
	unsigned b;

	ck_assert_int_eq(g->items[i].has_gpu_count, 1);
	ck_assert_uint_eq(g->items[i].ngpus, n);
	for (b = 0; b < VGPU_SLURMGRES_IDX_MAX; b++)
		ck_assert_msg(g->items[i].gpu_count[b] == (b < ncnt ? cnt[b] : 0),
			      "item %u GPU %u: %u", i, b, (unsigned)g->items[i].gpu_count[b]);
}

/* Item i has no per-GPU counts. */
static void no_gpu_counts(const vgpu_slurmgres_t *g, unsigned i)
{
	static const uint32_t zero[VGPU_SLURMGRES_IDX_MAX];

	ck_assert_int_eq(g->items[i].has_gpu_count, 0);
	ck_assert_uint_eq(g->items[i].ngpus, 0);
	ck_assert_int_eq(memcmp(g->items[i].gpu_count, zero, sizeof(zero)), 0);
}

START_TEST(node_strings_of_22_05)
{
	vgpu_slurmgres_t g;

	g = parse_ok("gpu:h100:2,shard:h100:200");
	ck_assert_uint_eq(g.nitems, 2);
	ITEM(g, 0, "gpu", "h100", 2, 0, 0);
	ITEM(g, 1, "shard", "h100", 200, 0, 0);

	g = parse_ok("gpu:h100:0(IDX:N/A),shard:h100:2(IDX:0-1)");
	ck_assert_uint_eq(g.nitems, 2);
	ITEM(g, 0, "gpu", "h100", 0, 0, 0);
	ITEM(g, 1, "shard", "h100", 2, 1, 3);

	g = parse_ok("gpu:h100:1(IDX:0),shard:h100:1(IDX:1)");
	ITEM(g, 0, "gpu", "h100", 1, 1, 1);
	ITEM(g, 1, "shard", "h100", 1, 1, 2);

	g = parse_ok("gpu:h100:2(S:0-1),shard:200");
	ITEM(g, 0, "gpu", "h100", 2, 0, 0);
	ITEM(g, 1, "shard", "", 200, 0, 0);

	g = parse_ok("gpu:h100:2(S:0-1,IDX:0,3)");
	ITEM(g, 0, "gpu", "h100", 2, 1, 9);
}
END_TEST

/* Node strings of 24.11.5 and 26.05.5 (scontrol -d show node, recorded with
 * the jobs of job_strings_of_24_11_and_26_05 running). */
START_TEST(node_strings_of_24_11_and_26_05)
{
	vgpu_slurmgres_t g;

	g = parse_ok("gpu:h100:2,shard:h100:200");           /* Gres= */
	ITEM(g, 1, "shard", "h100", 200, 0, 0);
	/* GresUsed= of n1: 70 shards of GPU 0 and 60 of GPU 1 in use */
	g = parse_ok("gpu:h100:0(IDX:N/A),shard:h100:130(70/100,60/100)");
	ITEM(g, 0, "gpu", "h100", 0, 0, 0);
	ITEM(g, 1, "shard", "h100", 130, 1, 3);
	gpu_counts(&g, 1, 2, (const uint32_t[]){ 70, 60 }, 2);
	/* GresUsed= of n2, GPU 0 held whole: 24.11.5 prints 0, 26.05.5 '-' */
	g = parse_ok("gpu:h100:1(IDX:0),shard:h100:22(0/100,22/100)");
	ITEM(g, 0, "gpu", "h100", 1, 1, 1);
	ITEM(g, 1, "shard", "h100", 22, 1, 2);
	gpu_counts(&g, 1, 2, (const uint32_t[]){ 0, 22 }, 2);
	g = parse_ok("gpu:h100:1(IDX:0),shard:h100:22(-/100,22/100)");
	ITEM(g, 1, "shard", "h100", 22, 1, 2);
	gpu_counts(&g, 1, 2, (const uint32_t[]){ 0, 22 }, 2);
}
END_TEST

START_TEST(job_strings)
{
	vgpu_slurmgres_t g;

	g = parse_ok("shard:25(IDX:0)");
	ck_assert_uint_eq(g.nitems, 1);
	ITEM(g, 0, "shard", "", 25, 1, 1);

	g = parse_ok("gpu:h100:1(IDX:0)");
	ITEM(g, 0, "gpu", "h100", 1, 1, 1);

	g = parse_ok("gpu:a100:3(IDX:0,2-3),gpu:h100:1(IDX:1)");
	ck_assert_uint_eq(g.nitems, 2);
	ITEM(g, 0, "gpu", "a100", 3, 1, 13);
	ITEM(g, 1, "gpu", "h100", 1, 1, 2);

	/* Per-index notes are skipped. */
	g = parse_ok("shard:h100:25(IDX:0(25/100),1(0/100))");
	ITEM(g, 0, "shard", "h100", 25, 1, 3);
	no_gpu_counts(&g, 0);
	g = parse_ok("gpu:h100:0(IDX:N/A),shard:50(50/100,0/100)");
	ITEM(g, 0, "gpu", "h100", 0, 0, 0);
	no_gpu_counts(&g, 0);
	ITEM(g, 1, "shard", "", 50, 1, 1);
	gpu_counts(&g, 1, 2, (const uint32_t[]){ 50, 0 }, 2);

	g = parse_ok("gpu:1(IDX:63)");
	ITEM(g, 0, "gpu", "", 1, 1, UINT64_C(1) << 63);
}
END_TEST

/* What Slurm 24.11.5 and 26.05.5 print for a job on a node (recorded on
 * the devcluster: 2 nodes of 2 H100 with 100 shards each; scontrol -d show
 * job GRES=, the same text as libslurm gres_detail_str[node]): per-GPU
 * counts for shards (no IDX), IDX for whole GPUs. */
START_TEST(job_strings_of_24_11_and_26_05)
{
	vgpu_slurmgres_t g;
	char big[1024];
	unsigned i;
	int n;

	/* 24.11.5, 26.05.5: two sbatch -w n1 --gres=shard:30, both on GPU 0 */
	g = parse_ok("shard:30(30/100,0/100)");
	ck_assert_uint_eq(g.nitems, 1);
	ITEM(g, 0, "shard", "", 30, 1, 1);
	gpu_counts(&g, 0, 2, (const uint32_t[]){ 30, 0 }, 2);
	/* 24.11.5, 26.05.5: then --gres=shard:60 (GPU 0 had 40 left): GPU 1 */
	g = parse_ok("shard:60(0/100,60/100)");
	ITEM(g, 0, "shard", "", 60, 1, 2);
	gpu_counts(&g, 0, 2, (const uint32_t[]){ 0, 60 }, 2);
	/* 24.11.5, 26.05.5: sbatch -N2 --gres=shard:10, node n2's entry */
	g = parse_ok("shard:10(0/100,10/100)");
	ITEM(g, 0, "shard", "", 10, 1, 2);
	/* 24.11.5, 26.05.5: --gres=shard:h100:5 prints no type */
	g = parse_ok("shard:5(0/100,5/100)");
	ITEM(g, 0, "shard", "", 5, 1, 2);
	/* 24.11.5, 26.05.5: sbatch --gres=gpu:1, a whole GPU: IDX as in 22.05 */
	g = parse_ok("gpu:h100:1(IDX:0)");
	ITEM(g, 0, "gpu", "h100", 1, 1, 1);
	no_gpu_counts(&g, 0);
	/* 24.11.5: a step-only job of srun (recorded by the lead): empty */
	ck_assert_uint_eq(parse_ok("").nitems, 0);
	/* 24.11.5, 26.05.5 with SelectTypeParameters=CR_Core,
	 * MULTIPLE_SHARING_GRES_PJ: --gres=shard:150 over both GPUs */
	g = parse_ok("shard:150(100/100,50/100)");
	ITEM(g, 0, "shard", "", 150, 1, 3);
	gpu_counts(&g, 0, 2, (const uint32_t[]){ 100, 50 }, 2);
	g = parse_ok("shard:50(30/80,20/80)");          /* the same, 80 shards a GPU */
	ITEM(g, 0, "shard", "", 50, 1, 3);
	gpu_counts(&g, 0, 2, (const uint32_t[]){ 30, 20 }, 2);

	/* Constructed from Slurm's format (src/slurmctld/gres_ctld.c): typed,
	 * four GPUs, one without shards (0/0) */
	g = parse_ok("shard:h100:10(0/0,0/100,10/100,0/100)");
	ITEM(g, 0, "shard", "h100", 10, 1, 4);
	gpu_counts(&g, 0, 4, (const uint32_t[]){ 0, 0, 10, 0 }, 4);
	/* every count 0 (a no-consume or drained state): no GPU */
	g = parse_ok("shard:0(0/100,0/100)");
	ITEM(g, 0, "shard", "", 0, 0, 0);
	gpu_counts(&g, 0, 2, (const uint32_t[]){ 0, 0 }, 2);
	/* Slurm's "%s" of a NULL detail (no node record): no GPU, no error */
	g = parse_ok("shard:30((null))");
	ITEM(g, 0, "shard", "", 30, 0, 0);
	no_gpu_counts(&g, 0);
	/* what 23.11+ prints for a GRES allocated by count only */
	g = parse_ok("shard(CNT:5)");
	ITEM(g, 0, "shard", "", 1, 0, 0);
	no_gpu_counts(&g, 0);
	/* two items (one per shard type; not seen: 24.11/26.05 print a typed
	 * request untyped) */
	g = parse_ok("shard:a100:5(5/100,0/100),shard:h100:7(0/100,7/100)");
	ck_assert_uint_eq(g.nitems, 2);
	ITEM(g, 0, "shard", "a100", 5, 1, 1);
	ITEM(g, 1, "shard", "h100", 7, 1, 2);
	gpu_counts(&g, 1, 2, (const uint32_t[]){ 0, 7 }, 2);
	/* the largest count, and 64 GPUs, the last one used */
	g = parse_ok("shard:4294967295(4294967295/18446744073709551615)");
	gpu_counts(&g, 0, 1, (const uint32_t[]){ UINT32_MAX }, 1);
	n = snprintf(big, sizeof(big), "shard:9(");
	for (i = 0; i < 64; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "%s%u/100", i ? "," : "", i == 63 ? 9 : 0);
	snprintf(big + n, sizeof(big) - (size_t)n, ")");
	g = parse_ok(big);
	ITEM(g, 0, "shard", "", 9, 1, UINT64_C(1) << 63);
	ck_assert_uint_eq(g.items[0].ngpus, 64);
	ck_assert_uint_eq(g.items[0].gpu_count[63], 9);
}
END_TEST

START_TEST(tres_strings)
{
	vgpu_slurmgres_t g;

	g = parse_ok("gres:shard:25");
	ITEM(g, 0, "shard", "", 25, 0, 0);
	g = parse_ok("gres:gpu:h100:2");
	ITEM(g, 0, "gpu", "h100", 2, 0, 0);
	g = parse_ok("gres/gpu:h100=1");
	ITEM(g, 0, "gpu", "h100", 1, 0, 0);
	g = parse_ok("gres/shard=30");
	ITEM(g, 0, "shard", "", 30, 0, 0);
	g = parse_ok("gres/shard:30");                 /* 24.11.5, 26.05.5 TresPerNode */
	ITEM(g, 0, "shard", "", 30, 0, 0);
	no_gpu_counts(&g, 0);
	g = parse_ok("gres/shard:h100:5");             /* 24.11.5, 26.05.5 */
	ITEM(g, 0, "shard", "h100", 5, 0, 0);
	g = parse_ok("gres/gpu:1");                    /* 24.11.5, 26.05.5 */
	ITEM(g, 0, "gpu", "", 1, 0, 0);
	g = parse_ok("gres:gpu:1;gres:shard:10");
	ck_assert_uint_eq(g.nitems, 2);
	ITEM(g, 1, "shard", "", 10, 0, 0);
	g = parse_ok("gpu");
	ITEM(g, 0, "gpu", "", 1, 0, 0);
	ck_assert_int_eq(g.items[0].has_count, 0);
	g = parse_ok("gpu:h100");
	ITEM(g, 0, "gpu", "h100", 1, 0, 0);
	ck_assert_int_eq(g.items[0].has_count, 0);
	ck_assert_int_eq(parse_ok("gpu:1").items[0].has_count, 1);
	ck_assert_int_eq(parse_ok("gpu:h100:1").items[0].has_count, 1);
	ck_assert_int_eq(parse_ok("gpu:h100=1").items[0].has_count, 1);
	g = parse_ok("shard:2k,mps:1M");
	ITEM(g, 0, "shard", "", 2048, 0, 0);
	ITEM(g, 1, "mps", "", 1048576, 0, 0);
	g = parse_ok("gpu:1,,shard:2,");
	ck_assert_uint_eq(g.nitems, 2);
}
END_TEST

START_TEST(empty_strings)
{
	vgpu_slurmgres_t g;
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_slurmgres_parse(NULL, &g, &err), 0);
	ck_assert_uint_eq(g.nitems, 0);
	ck_assert_uint_eq(parse_ok("").nitems, 0);
	ck_assert_uint_eq(parse_ok("(null)").nitems, 0);
	ck_assert_uint_eq(parse_ok("N/A").nitems, 0);
}
END_TEST

START_TEST(errors)
{
	char big[5000];

	ck_assert_str_eq(parse_err("gpu:h100:x1"), "GRES 'gpu:h100:x1': count is not a number");
	ck_assert_str_eq(parse_err("gpu:h100:1x"), "GRES 'gpu:h100:1x': count is not a number");
	ck_assert_str_eq(parse_err("shard:99999999999999999999999"),
			 "GRES 'shard:99999999999999999999999': count is not a number");
	ck_assert_str_eq(parse_err("gpu:16777216P"), "GRES 'gpu:16777216P': count is not a number");
	ck_assert_str_eq(parse_err("gpu:x:y:1"),
			 "GRES 'gpu:x:y:1': too many ':' fields in an item (expected NAME[:TYPE][:COUNT])");
	ck_assert_str_eq(parse_err(":1"),
			 "GRES ':1': missing or bad GRES name (letters, digits, '_', '.', '-')");
	ck_assert_str_eq(parse_err("g pu:1"),
			 "GRES 'g pu:1': missing or bad GRES name (letters, digits, '_', '.', '-')");
	ck_assert_str_eq(parse_err("gpu:h!00:1"), "GRES 'gpu:h!00:1': bad GRES type name");
	ck_assert_str_eq(parse_err("gpu=x"), "GRES 'gpu=x': count after '=' is not a number");
	ck_assert_str_eq(parse_err("gpu:1(IDX:0"), "GRES 'gpu:1(IDX:0': unbalanced '('");
	ck_assert_str_eq(parse_err("gpu:1(IDX:0)x"), "GRES 'gpu:1(IDX:0)x': unexpected text after ')'");
	ck_assert_str_eq(parse_err("gpu:1(IDX:64)"), "GRES 'gpu:1(IDX:64)': GPU index beyond 63");
	ck_assert_str_eq(parse_err("gpu:1(IDX:3-1)"), "GRES 'gpu:1(IDX:3-1)': bad index range in (...)");
	ck_assert_str_eq(parse_err("gpu:1(IDX:a)"),
			 "GRES 'gpu:1(IDX:a)': expected an index or N/A in (...)");
	ck_assert_str_eq(parse_err("gpu:1(IDX:0;1)"),
			 "GRES 'gpu:1(IDX:0;1)': unexpected text inside (...)");
	ck_assert_str_eq(parse_err("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"),
			 "GRES 'a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q': more than 16 items");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_msg(strstr(parse_err(big), "': longer than 4096 characters") != NULL, "big");
	ck_assert_str_eq(parse_err("gpu:1\x01"),
			 "GRES 'gpu:1\\x01': count is not a number");
}
END_TEST

/* Per-GPU count groups (23.11 on) that are not A/B,... */
START_TEST(gpu_count_errors)
{
	char big[1024];
	unsigned i;
	int n;

	ck_assert_str_eq(parse_err("shard:30(40/30)"),
			 "GRES 'shard:30(40/30)': GPU 0 count 40 above its total 30 in (...)");
	ck_assert_str_eq(parse_err("shard:50(30/80,81/80)"),
			 "GRES 'shard:50(30/80,81/80)': GPU 1 count 81 above its total 80 in (...)");
	ck_assert_str_eq(parse_err("shard:30(30)"),
			 "GRES 'shard:30(30)': expected COUNT/TOTAL for each GPU in (...)");
	ck_assert_str_eq(parse_err("shard:30(30/)"),
			 "GRES 'shard:30(30/)': expected COUNT/TOTAL for each GPU in (...)");
	ck_assert_str_eq(parse_err("shard:30(30/100,)"),
			 "GRES 'shard:30(30/100,)': expected COUNT/TOTAL for each GPU in (...)");
	ck_assert_str_eq(parse_err("shard:30(30/100,IDX:0)"),
			 "GRES 'shard:30(30/100,IDX:0)': expected COUNT/TOTAL for each GPU in (...)");
	ck_assert_str_eq(parse_err("shard:30(30/-1)"),
			 "GRES 'shard:30(30/-1)': expected COUNT/TOTAL for each GPU in (...)");
	ck_assert_str_eq(parse_err("shard:30(30/-)"),
			 "GRES 'shard:30(30/-)': expected COUNT/TOTAL for each GPU in (...)");
	ck_assert_str_eq(parse_err("shard:30(-30/100)"),
			 "GRES 'shard:30(-30/100)': expected COUNT/TOTAL for each GPU in (...)");
	ck_assert_str_eq(parse_err("shard:30(30/100x)"),
			 "GRES 'shard:30(30/100x)': unexpected text inside (...)");
	ck_assert_str_eq(parse_err("shard:30(30/100;0/100)"),
			 "GRES 'shard:30(30/100;0/100)': unexpected text inside (...)");
	ck_assert_str_eq(parse_err("shard:30(3k/4k)"),
			 "GRES 'shard:30(3k/4k)': expected COUNT/TOTAL for each GPU in (...)");
	ck_assert_str_eq(parse_err("shard:1(4294967296/4294967296)"),
			 "GRES 'shard:1(4294967296/4294967296)': per-GPU count too large in (...)");
	ck_assert_str_eq(parse_err("shard:1(1/18446744073709551616)"),
			 "GRES 'shard:1(1/18446744073709551616)': per-GPU count too large in (...)");
	ck_assert_str_eq(parse_err("shard:1(99999999999999999999/1)"),
			 "GRES 'shard:1(99999999999999999999/1)': per-GPU count too large in (...)");
	ck_assert_str_eq(parse_err("shard:30(30/100,0/100"),
			 "GRES 'shard:30(30/100,0/100': unbalanced '('");
	ck_assert_str_eq(parse_err("shard:30(30/100)(IDX:0)"),
			 "GRES 'shard:30(30/100)(IDX:0)': unexpected text after ')'");
	n = snprintf(big, sizeof(big), "shard:1(");
	for (i = 0; i < 65; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "%s%u/1", i ? "," : "", i == 64);
	snprintf(big + n, sizeof(big) - (size_t)n, ")");
	ck_assert_msg(strstr(parse_err(big), "': more than 64 GPUs in (...)") != NULL, "65 GPUs");
}
END_TEST

START_TEST(find_and_count)
{
	vgpu_slurmgres_t g = parse_ok("gpu:a100:1,gpu:h100:2,shard:300");

	ck_assert_ptr_eq(vgpu_slurmgres_find(&g, "gpu", NULL), &g.items[0]);
	ck_assert_ptr_eq(vgpu_slurmgres_find(&g, "gpu", "h100"), &g.items[1]);
	ck_assert_ptr_eq(vgpu_slurmgres_find(&g, "shard", ""), &g.items[2]);
	ck_assert_ptr_null(vgpu_slurmgres_find(&g, "mps", NULL));
	ck_assert_ptr_null(vgpu_slurmgres_find(&g, "gpu", "l4"));
	ck_assert_uint_eq(vgpu_slurmgres_idx_count(0), 0);
	ck_assert_uint_eq(vgpu_slurmgres_idx_count(13), 3);
	ck_assert_uint_eq(vgpu_slurmgres_idx_count(UINT64_MAX), 64);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("slurmgres");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, node_strings_of_22_05);
	tcase_add_test(tc, node_strings_of_24_11_and_26_05);
	tcase_add_test(tc, job_strings);
	tcase_add_test(tc, job_strings_of_24_11_and_26_05);
	tcase_add_test(tc, tres_strings);
	tcase_add_test(tc, empty_strings);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, gpu_count_errors);
	tcase_add_test(tc, find_and_count);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
