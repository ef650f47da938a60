/* Unit tests for the Slurm topology configuration from the clique map
 * (vgpu_topoconf): release parsing, the topology/block layout against what
 * Slurm 24.11 and 26.05 were seen to do, the writers, Links=. */
#include <stdlib.h>
#include <string.h>

#include "vgpu_topoconf.h"
#include "vgpu_test.h"

static vgpu_cliquemap_t map;

/* A map with partitions of the given sizes, named p0, p1, ... and nodes
 * n1, n2, ... in order; partitions with index >= split get a second UUID. */
static void make_map(const unsigned *sizes, size_t nparts, size_t split)
{
	size_t i, k, node = 1;

	memset(&map, 0, sizeof(map));
	map.major = VGPU_CLIQUEMAP_MAJOR;
	map.nparts = nparts;
	map.parts = calloc(nparts, sizeof(*map.parts));
	ck_assert_ptr_nonnull(map.parts);
	for (i = 0; i < nparts; i++) {
		vgpu_cm_partition_t *p = &map.parts[i];

		snprintf(p->name, sizeof(p->name), "p%zu", i);
		p->cluster_uuid[0] = i >= split ? 0xbb : 0xaa;
		p->cluster_uuid[15] = 1;
		p->clique_id = (uint32_t)i;
		p->nnodes = sizes[i];
		p->nodes = calloc(sizes[i] ? sizes[i] : 1, sizeof(*p->nodes));
		ck_assert_ptr_nonnull(p->nodes);
		for (k = 0; k < sizes[i]; k++) {
			snprintf(p->nodes[k].name, sizeof(p->nodes[k].name), "n%zu", node++);
			p->nodes[k].gpus = 4;
		}
	}
}

static void free_map(void)
{
	size_t i;

	for (i = 0; i < map.nparts; i++)
		free(map.parts[i].nodes);
	free(map.parts);
	memset(&map, 0, sizeof(map));
}

static char *capture(int which, unsigned rel, const char *const *others, size_t nothers, int *rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	vgpu_err_t err;

	ck_assert_ptr_nonnull(f);
	switch (which) {
	case 0: *rc = vgpu_topoconf_write_topology(f, &map, rel, others, nothers, &err); break;
	case 1: *rc = vgpu_topoconf_write_yaml(f, &map, rel, &err); break;
	case 2: *rc = vgpu_topoconf_write_partitions(f, &map, &err); break;
	default: *rc = vgpu_topoconf_write_slurmconf(f, &map, rel, 2048, "/usr/libexec/x", &err); break;
	}
	fclose(f);
	return text;
}

START_TEST(release_parse)
{
	unsigned rel = 0;
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_topoconf_release_parse("22.05", &rel, &err), 0);
	ck_assert_uint_eq(rel, 2205);
	ck_assert_int_eq(vgpu_topoconf_release_parse("24.11.5", &rel, &err), 0);
	ck_assert_uint_eq(rel, 2411);
	ck_assert_int_eq(vgpu_topoconf_release_parse("26.05", &rel, &err), 0);
	ck_assert_uint_eq(rel, 2605);
	ck_assert_int_eq(vgpu_topoconf_release_parse("21.08", &rel, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "older than 22.05"));
	ck_assert_int_eq(vgpu_topoconf_release_parse("24.1", &rel, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "'24.1'"));
	ck_assert_int_eq(vgpu_topoconf_release_parse("24.11x", &rel, &err), -1);
	ck_assert_int_eq(vgpu_topoconf_release_parse("", &rel, &err), -1);
	ck_assert_int_eq(vgpu_topoconf_release_parse(NULL, &rel, &err), -1);
}
END_TEST

/* What 24.11 showed: base blocks a.0 a.1 b.0 b.1 c.0 with BlockSizes=2,4
 * made AggregatedBlocks nvl_a.[0-1] and nvl_b.[0-1] only (clean); blocks of
 * two partitions with BlockSizes=2,4 made one aggregated block of both, and
 * a 3-node job ran across them (not clean). */
START_TEST(block_clean_as_seen)
{
	const size_t k2[] = { 0, 0, 1, 1, 2 }, two[] = { 0, 1 }, tail2[] = { 0, 0, 1, 2 };
	const unsigned l01[] = { 0, 1 }, l0[] = { 0 }, l012[] = { 0, 1, 2 };

	ck_assert_int_eq(vgpu_topoconf_block_clean(k2, 5, l01, 2), 1);
	ck_assert_int_eq(vgpu_topoconf_block_clean(k2, 5, l012, 3), 0);
	ck_assert_int_eq(vgpu_topoconf_block_clean(two, 2, l01, 2), 0);
	ck_assert_int_eq(vgpu_topoconf_block_clean(two, 2, l0, 1), 1);
	/* Two one-block partitions at the tail pair up at level 1. */
	ck_assert_int_eq(vgpu_topoconf_block_clean(tail2, 4, l01, 2), 0);
}
END_TEST

START_TEST(plan_442)
{
	const unsigned sizes[] = { 2, 4, 4 };
	vgpu_topo_block_plan_t plan;
	vgpu_err_t err;

	make_map(sizes, 3, 3);
	ck_assert_int_eq(vgpu_topoconf_block_plan(&map, &plan, &err), 0);
	ck_assert_uint_eq(plan.base, 2);
	ck_assert_uint_eq(plan.nbblocks, 5);
	ck_assert_uint_eq(plan.nlevels, 2);
	ck_assert_uint_eq(plan.sizes[0], 2);
	ck_assert_uint_eq(plan.sizes[1], 4);
	ck_assert_uint_eq(plan.contained, 4);
	ck_assert_uint_eq(plan.largest, 4);
	/* Largest first, by name among equals; the 2-node partition last. */
	ck_assert_uint_eq(plan.order[0], 1);
	ck_assert_uint_eq(plan.order[1], 2);
	ck_assert_uint_eq(plan.order[2], 0);
	vgpu_topoconf_block_plan_free(&plan);
	free_map();
}
END_TEST

START_TEST(plan_equal_and_odd)
{
	const unsigned eq[] = { 4, 4, 4 }, odd[] = { 6, 2 }, one[] = { 9 };
	vgpu_topo_block_plan_t plan;
	vgpu_err_t err;

	make_map(eq, 3, 3);
	ck_assert_int_eq(vgpu_topoconf_block_plan(&map, &plan, &err), 0);
	ck_assert_uint_eq(plan.base, 4);
	ck_assert_uint_eq(plan.nlevels, 1);
	ck_assert_uint_eq(plan.sizes[0], 4);
	ck_assert_uint_eq(plan.contained, 4);
	vgpu_topoconf_block_plan_free(&plan);
	free_map();

	/* 6 = 3 base blocks of 2: no level above 2 nodes stays in one partition. */
	make_map(odd, 2, 2);
	ck_assert_int_eq(vgpu_topoconf_block_plan(&map, &plan, &err), 0);
	ck_assert_uint_eq(plan.base, 2);
	ck_assert_uint_eq(plan.nlevels, 1);
	ck_assert_uint_eq(plan.contained, 2);
	ck_assert_uint_eq(plan.largest, 6);
	vgpu_topoconf_block_plan_free(&plan);
	free_map();

	/* One partition: the whole cluster is that partition. */
	make_map(one, 1, 1);
	ck_assert_int_eq(vgpu_topoconf_block_plan(&map, &plan, &err), 0);
	ck_assert_uint_eq(plan.base, 9);
	ck_assert_uint_eq(plan.contained, 9);
	vgpu_topoconf_block_plan_free(&plan);
	free_map();
}
END_TEST

START_TEST(plan_empty)
{
	const unsigned none[] = { 0 };
	vgpu_topo_block_plan_t plan;
	vgpu_err_t err;

	make_map(none, 1, 1);
	ck_assert_int_eq(vgpu_topoconf_block_plan(&map, &plan, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no partition with nodes"));
	free_map();
}
END_TEST

START_TEST(write_block_442)
{
	const unsigned sizes[] = { 4, 4, 2 };
	const char *others[] = { "n11" };
	char *t;
	int rc;

	make_map(sizes, 3, 3);
	t = capture(0, 2411, others, 1, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "\nBlockName=p0.0 Nodes=n[1-2]\nBlockName=p0.1 Nodes=n[3-4]\n"
				     "BlockName=p1.0 Nodes=n[5-6]\nBlockName=p1.1 Nodes=n[7-8]\n"
				     "BlockName=p2 Nodes=n[9-10]\nBlockSizes=2,4\n"));
	ck_assert_ptr_nonnull(strstr(t, "Outside every NVLink partition: n11"));
	ck_assert_ptr_nonnull(strstr(t, "Every job of up to 4 nodes"));
	free(t);
	t = capture(0, 2205, others, 1, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "\nSwitchName=p0 Nodes=n[1-4]\nSwitchName=p1 Nodes=n[5-8]\n"
				     "SwitchName=p2 Nodes=n[9-10]\nSwitchName=domain-aa000000 "
				     "Switches=p0,p1,p2\n"));
	ck_assert_ptr_nonnull(strstr(t, "SwitchName=nofabric Nodes=n11\n"));
	free(t);
	t = capture(1, 2411, NULL, 0, &rc);
	ck_assert_int_eq(rc, -1);
	free(t);
	t = capture(1, 2605, NULL, 0, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "    block_sizes:\n      - 2\n      - 4\n    blocks:\n"
				     "      - block: p0.0\n        nodes: n[1-2]\n"));
	ck_assert_ptr_nonnull(strstr(t, "- topology: flat\n"));
	free(t);
	t = capture(2, 2411, NULL, 0, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "PartitionName=p2 Nodes=n[9-10] MaxTime=INFINITE State=UP\n"));
	free(t);
	free_map();
}
END_TEST

START_TEST(write_two_domains)
{
	const unsigned sizes[] = { 2, 2, 4 };
	char *t;
	int rc;

	make_map(sizes, 3, 1);
	t = capture(0, 2205, NULL, 0, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "SwitchName=domain-aa000000 Switches=p0\n"));
	ck_assert_ptr_nonnull(strstr(t, "SwitchName=domain-bb000000 Switches=p1,p2\n"));
	ck_assert_ptr_null(strstr(t, "nofabric"));
	free(t);
	free_map();
}
END_TEST

START_TEST(write_settings)
{
	const unsigned sizes[] = { 2 };
	char *t;
	int rc;

	make_map(sizes, 1, 1);
	t = capture(3, 2205, NULL, 0, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "TopologyPlugin=topology/tree\n"));
	ck_assert_ptr_nonnull(strstr(t, "SchedulerParameters=max_switch_wait=31536000\n"));
	ck_assert_ptr_null(strstr(t, "SwitchType="));
	ck_assert_ptr_nonnull(strstr(t, "no switch/nvidia_imex"));
	ck_assert_ptr_nonnull(strstr(t, "Prolog=/usr/libexec/x/vgpu-imex-prolog\n"));
	free(t);
	t = capture(3, 2411, NULL, 0, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "TopologyPlugin=topology/block\n"));
	ck_assert_ptr_nonnull(strstr(t, "SwitchType=switch/nvidia_imex\n"
				     "SwitchParameters=imex_channel_count=2048\n"));
	ck_assert_ptr_nonnull(strstr(t, "Epilog=/usr/libexec/x/vgpu-imex-epilog\n"));
	free(t);
	ck_assert_str_eq(vgpu_topoconf_feature(&map, "n2"), "p0");
	ck_assert_ptr_null(vgpu_topoconf_feature(&map, "n3"));
	ck_assert_ptr_null(vgpu_topoconf_feature(NULL, "n3"));
	free_map();
}
END_TEST

START_TEST(links)
{
	static vgpu_inventory_t inv;
	size_t order[3] = { 2, 0, 1 };
	char buf[64];

	memset(&inv, 0, sizeof(inv));
	inv.ngpus = 3;
	/* gpu 0 <-> gpu 1: 4 links (two entries of 2); gpu 0 <-> gpu 2: 1; a
	 * link to a switch (peer -1) counts for nothing. */
	inv.gpus[0].nlinks = 4;
	inv.gpus[0].links[0] = (vgpu_nvlink_t){ .peer = 1, .links = 2 };
	inv.gpus[0].links[1] = (vgpu_nvlink_t){ .peer = 1, .links = 2 };
	inv.gpus[0].links[2] = (vgpu_nvlink_t){ .peer = 2, .links = 1 };
	inv.gpus[0].links[3] = (vgpu_nvlink_t){ .peer = -1, .links = 18 };
	inv.gpus[1].nlinks = 1;
	inv.gpus[1].links[0] = (vgpu_nvlink_t){ .peer = 0, .links = 4 };
	inv.gpus[2].nlinks = 1;
	inv.gpus[2].links[0] = (vgpu_nvlink_t){ .peer = 0, .links = 1 };
	ck_assert_int_eq(vgpu_topoconf_links(&inv, order, 3, 0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "1,-1,4");
	ck_assert_int_eq(vgpu_topoconf_links(&inv, order, 3, 2, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "-1,1,0");
	ck_assert_int_eq(vgpu_topoconf_links(&inv, order, 3, 0, buf, 4), -1);
	ck_assert_str_eq(buf, "");
	/* No NVLink between the node's GPUs: no Links= at all. */
	inv.gpus[0].nlinks = 0;
	inv.gpus[1].nlinks = 0;
	inv.gpus[2].nlinks = 0;
	ck_assert_int_eq(vgpu_topoconf_links(&inv, order, 3, 0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("topoconf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, release_parse);
	tcase_add_test(tc, block_clean_as_seen);
	tcase_add_test(tc, plan_442);
	tcase_add_test(tc, plan_equal_and_odd);
	tcase_add_test(tc, plan_empty);
	tcase_add_test(tc, write_block_442);
	tcase_add_test(tc, write_two_domains);
	tcase_add_test(tc, write_settings);
	tcase_add_test(tc, links);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
