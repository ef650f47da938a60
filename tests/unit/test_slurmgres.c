/* Unit tests for vgpu_slurmgres: the GRES strings Slurm 22.05.8 printed on
 * the devcluster (doc/slurm-views.md), forms of other versions, and every
 * error message. */
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

	/* Per-index notes of newer versions are skipped. */
	g = parse_ok("shard:h100:25(IDX:0(25/100),1(0/100))");
	ITEM(g, 0, "shard", "h100", 25, 1, 3);
	g = parse_ok("gpu:h100:0(IDX:N/A),shard:50(50/100,0/100)");
	ITEM(g, 1, "shard", "", 50, 0, 0);

	g = parse_ok("gpu:1(IDX:63)");
	ITEM(g, 0, "gpu", "", 1, 1, UINT64_C(1) << 63);
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
	g = parse_ok("gres:gpu:1;gres:shard:10");
	ck_assert_uint_eq(g.nitems, 2);
	ITEM(g, 1, "shard", "", 10, 0, 0);
	g = parse_ok("gpu");
	ITEM(g, 0, "gpu", "", 1, 0, 0);
	g = parse_ok("gpu:h100");
	ITEM(g, 0, "gpu", "h100", 1, 0, 0);
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
	tcase_add_test(tc, job_strings);
	tcase_add_test(tc, tres_strings);
	tcase_add_test(tc, empty_strings);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, find_and_count);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
