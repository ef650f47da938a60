/* test_weights.c - the agent's plan (vgpu_weights_plan): partition order,
 * busy nodes first inside a partly used partition, nodes outside the map
 * left alone, only changes reported, nodes unknown or unusable counted as
 * not free. Map: nvl1 n[1-4], nvl2 n[5-8], nvl3 n[9-10] (the devcluster's
 * 4,4,2); node n11 is in no partition. */
#include <stdio.h>
#include <string.h>

#include "vgpu_place.h"
#include "vgpu_test.h"
#include "vgpu_weights.h"

#define NPARTS 3
#define NNODES 11
static vgpu_cm_node_t cmnodes[10];
static vgpu_cm_partition_t parts[NPARTS];
static vgpu_cliquemap_t map;
static char names[NNODES][8];
static vgpu_weights_node_t nodes[NNODES];
static vgpu_weights_plan_node_t plan[NNODES];
static vgpu_weights_plan_part_t pp[NPARTS];

static void setup(void)
{
	static const size_t sizes[NPARTS] = { 4, 4, 2 };
	size_t k = 0;

	memset(&map, 0, sizeof(map));
	memset(parts, 0, sizeof(parts));
	memset(cmnodes, 0, sizeof(cmnodes));
	for (size_t i = 0; i < NPARTS; i++) {
		snprintf(parts[i].name, sizeof(parts[i].name), "nvl%zu", i + 1);
		parts[i].cluster_uuid[0] = 0xab;
		parts[i].clique_id = (uint32_t)i + 1;
		parts[i].nodes = &cmnodes[k];
		parts[i].nnodes = sizes[i];
		for (size_t j = 0; j < sizes[i]; j++, k++)
			snprintf(cmnodes[k].name, sizeof(cmnodes[k].name), "n%zu", k + 1);
	}
	map.major = VGPU_CLIQUEMAP_MAJOR;
	map.nparts = NPARTS;
	map.parts = parts;
	for (size_t i = 0; i < NNODES; i++) {
		snprintf(names[i], sizeof(names[i]), "n%zu", i + 1);
		nodes[i].name = names[i];
		nodes[i].busy = 0;
		nodes[i].usable = 1;
		nodes[i].weight = 1; /* slurm.conf's default */
	}
}

/* n5 busy (doc/nvlink.md's measured case): nvl2's other nodes first, nvl3
 * next (the smaller free one), nvl1 last; n11 untouched. */
START_TEST(partly_used_first)
{
	size_t c;

	nodes[4].busy = 1;
	c = vgpu_weights_plan(&map, nodes, NNODES, plan, pp);
	ck_assert_uint_eq(c, 10);
	ck_assert_int_eq(plan[0].part, 0);
	ck_assert_int_eq(plan[4].part, 1);
	ck_assert_int_eq(plan[9].part, 2);
	ck_assert_int_eq(plan[10].part, -1);
	ck_assert_uint_eq(plan[10].want, 0);
	ck_assert_int_eq(plan[10].change, 0);
	/* nvl2: 3 free -> partition weight 4, doubled; its busy node one less */
	ck_assert_uint_eq(pp[1].weight, 4);
	ck_assert_uint_eq(pp[1].busy, 1);
	ck_assert_uint_eq(pp[1].known, 4);
	ck_assert_uint_eq(plan[5].want, 8);
	ck_assert_uint_eq(plan[4].want, 7);
	ck_assert_uint_eq(plan[9].want, 2 * (VGPU_PLACE_WEIGHT_FREE + 2));
	ck_assert_uint_eq(plan[0].want, 2 * (VGPU_PLACE_WEIGHT_FREE + 4));
	ck_assert_uint_lt(plan[5].want, plan[9].want);
	ck_assert_uint_lt(plan[9].want, plan[0].want);
}
END_TEST

/* Only differences are changes: a second plan over the weights the first
 * set changes nothing; a weight reset (scontrol reconfigure) is a change. */
START_TEST(only_changes)
{
	nodes[4].busy = 1;
	vgpu_weights_plan(&map, nodes, NNODES, plan, NULL);
	for (size_t i = 0; i < NNODES; i++)
		if (plan[i].part >= 0)
			nodes[i].weight = plan[i].want;
	ck_assert_uint_eq(vgpu_weights_plan(&map, nodes, NNODES, plan, NULL), 0);
	nodes[2].weight = 1;
	ck_assert_uint_eq(vgpu_weights_plan(&map, nodes, NNODES, plan, NULL), 1);
	ck_assert_int_eq(plan[2].change, 1);
	ck_assert_int_eq(plan[3].change, 0);
}
END_TEST

/* Partition order holds between any partly used partitions: a busy node of
 * the emptier one still weighs more than a free node of the fuller one. */
START_TEST(order_between_partitions)
{
	nodes[0].busy = nodes[1].busy = 1;      /* nvl1: 2 free */
	nodes[4].busy = 1;                      /* nvl2: 3 free */
	vgpu_weights_plan(&map, nodes, NNODES, plan, pp);
	ck_assert_uint_eq(plan[2].want, 6);     /* nvl1 free node: 2*(2+1) */
	ck_assert_uint_eq(plan[0].want, 5);
	ck_assert_uint_eq(plan[4].want, 7);     /* nvl2 busy node: 2*(3+1)-1 */
	ck_assert_uint_lt(plan[2].want, plan[4].want);
	/* a full partition is harmless: its nodes take nothing */
	nodes[8].busy = nodes[9].busy = 1;
	vgpu_weights_plan(&map, nodes, NNODES, plan, pp);
	ck_assert_uint_eq(plan[8].want, 1);
	ck_assert_uint_eq(pp[2].busy, 2);
}
END_TEST

/* A drained node, or a map node slurmctld does not have, keeps its
 * partition from being wholly free; the drained node itself is not
 * "busy" (it holds nothing), so it does not get the lower weight. */
START_TEST(unusable_and_missing)
{
	nodes[9].usable = 0;                    /* n10 drained */
	vgpu_weights_plan(&map, nodes, NNODES, plan, pp);
	ck_assert_uint_eq(pp[2].busy, 1);
	ck_assert_uint_eq(plan[8].want, 4);     /* nvl3: 1 free -> 2*(1+1) */
	ck_assert_uint_eq(plan[9].want, 4);
	/* the controller without n4: nvl1 counts 3 known, 1 not free */
	vgpu_weights_plan(&map, nodes, 3, plan, pp);
	ck_assert_uint_eq(pp[0].known, 3);
	ck_assert_uint_eq(pp[0].busy, 1);
	ck_assert_uint_eq(plan[0].want, 8);     /* 3 free -> 2*(3+1) */
	ck_assert_uint_eq(pp[1].busy, 4);       /* none of nvl2 known */
}
END_TEST

/* No map, or an empty one: every node is left alone. A node named twice
 * counts once. */
START_TEST(no_map_and_duplicates)
{
	vgpu_cliquemap_t empty;

	memset(&empty, 0, sizeof(empty));
	ck_assert_uint_eq(vgpu_weights_plan(&empty, nodes, NNODES, plan, NULL), 0);
	ck_assert_int_eq(plan[0].part, -1);
	ck_assert_uint_eq(vgpu_weights_plan(NULL, nodes, NNODES, plan, NULL), 0);
	ck_assert_int_eq(plan[4].part, -1);
	nodes[1].name = names[0];               /* n1 twice, n2 absent */
	nodes[0].busy = nodes[1].busy = 1;
	vgpu_weights_plan(&map, nodes, 4, plan, pp);
	ck_assert_uint_eq(pp[0].known, 3);
	ck_assert_uint_eq(pp[0].busy, 2);       /* n1 busy, n2 missing */
	ck_assert_uint_eq(plan[0].want, plan[1].want);
}
END_TEST

/* While a multi-node job waits under topology/tree the weights are held
 * flat: every map node back to 1, n11 (in no partition) left alone. */
START_TEST(held_flat_for_tree)
{
	setup();
	ck_assert_int_eq(vgpu_weights_must_hold(1, 1), 1);
	ck_assert_int_eq(vgpu_weights_must_hold(1, 0), 0);
	ck_assert_int_eq(vgpu_weights_must_hold(0, 3), 0);
	for (size_t i = 0; i < NNODES; i++)
		nodes[i].weight = i < 4 ? 200008 : 1;
	nodes[10].weight = 7;
	ck_assert_uint_eq(vgpu_weights_plan_flat(&map, nodes, NNODES, plan), 4);
	for (size_t i = 0; i < 10; i++) {
		ck_assert_int_ge(plan[i].part, 0);
		ck_assert_uint_eq(plan[i].want, 1);
		ck_assert_int_eq(plan[i].change, i < 4);
	}
	ck_assert_int_eq(plan[10].part, -1);
	ck_assert_int_eq(plan[10].change, 0);
	ck_assert_uint_eq(vgpu_weights_plan_flat(NULL, nodes, NNODES, plan), 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("weights");
	TCase *tc = tcase_create("weights");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, partly_used_first);
	tcase_add_test(tc, only_changes);
	tcase_add_test(tc, order_between_partitions);
	tcase_add_test(tc, unusable_and_missing);
	tcase_add_test(tc, no_map_and_duplicates);
	tcase_add_test(tc, held_flat_for_tree);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
