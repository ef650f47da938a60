/* test_place.c - placement at submit (vgpu_place): containment, best fit by
 * what each topology plugin needs, refusals and their messages, segments,
 * the opt-out. Maps are built here as structs (partitions nvl1 n[1-4],
 * nvl2 n[5-8], nvl3 n[9-10], the devcluster's 4,4,2). */
#include <stdio.h>
#include <string.h>

#include "vgpu_place.h"
#include "vgpu_test.h"

#define NPARTS 3
static vgpu_cm_node_t nodes[10];
static vgpu_cm_partition_t parts[NPARTS];
static vgpu_cliquemap_t map;

static void setup(void)
{
	static const size_t sizes[NPARTS] = { 4, 4, 2 };
	size_t k = 0;

	memset(&map, 0, sizeof(map));
	memset(parts, 0, sizeof(parts));
	memset(nodes, 0, sizeof(nodes));
	for (size_t i = 0; i < NPARTS; i++) {
		snprintf(parts[i].name, sizeof(parts[i].name), "nvl%zu", i + 1);
		parts[i].cluster_uuid[0] = 0xab;
		parts[i].clique_id = (uint32_t)i + 1;
		parts[i].nodes = &nodes[k];
		parts[i].nnodes = sizes[i];
		for (size_t j = 0; j < sizes[i]; j++, k++) {
			snprintf(nodes[k].name, sizeof(nodes[k].name), "n%zu", k + 1);
			nodes[k].gpus = 4;
		}
	}
	map.major = VGPU_CLIQUEMAP_MAJOR;
	map.nparts = NPARTS;
	map.parts = parts;
}

static vgpu_place_job_t job_of(uint32_t min_nodes, uint32_t max_nodes)
{
	vgpu_place_job_t j;

	memset(&j, 0, sizeof(j));
	j.gpus = 1;
	j.min_nodes = min_nodes;
	j.max_nodes = max_nodes;
	j.can_segment = 1;
	return j;
}

START_TEST(no_gpus_single_node_optout)
{
	vgpu_place_job_t j = job_of(3, 3);
	vgpu_place_answer_t a;
	vgpu_err_t err;

	j.gpus = 0;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err), VGPU_PLACE_PASS);
	ck_assert_str_eq(a.why, "no GPUs asked for");
	j = job_of(1, 1);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err), VGPU_PLACE_PASS);
	ck_assert_str_eq(a.why, "one node");
	j = job_of(0, 0);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err), VGPU_PLACE_PASS);
	ck_assert_uint_eq(a.nodes, 1);
	/* the opt-out, beside other comment text; even a job larger than all */
	j = job_of(6, 6);
	j.comment = "my run [vgpu-place:span] again";
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err), VGPU_PLACE_PASS);
	ck_assert_ptr_nonnull(strstr(a.why, "opted out"));
	j.comment = "[vgpu-place:spa]";
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_int_eq(vgpu_place_optout(NULL), 0);
	ck_assert_int_eq(vgpu_place_optout("[VGPU-PLACE:SPAN]"), 0);
	ck_assert_int_eq(vgpu_place_optout("x[vgpu-place:span]"), 1);
}
END_TEST

START_TEST(no_map_or_empty_map)
{
	vgpu_place_job_t j = job_of(3, 3);
	vgpu_place_answer_t a;
	vgpu_cliquemap_t empty;

	memset(&empty, 0, sizeof(empty));
	ck_assert_int_eq(vgpu_place_decide(&j, NULL, VGPU_PLACE_TOPO_TREE, NULL, &a, NULL), VGPU_PLACE_PASS);
	ck_assert_int_eq(vgpu_place_decide(&j, &empty, VGPU_PLACE_TOPO_TREE, NULL, &a, NULL),
			 VGPU_PLACE_PASS);
	ck_assert_ptr_null(a.largest);
	ck_assert_ptr_nonnull(strstr(a.why, "no NVLink partition"));
}
END_TEST

START_TEST(largest_ties_take_first)
{
	ck_assert_str_eq(vgpu_place_largest(&map)->name, "nvl1");
	parts[1].nnodes = 4;
	parts[2].nnodes = 5;
	ck_assert_str_eq(vgpu_place_largest(&map)->name, "nvl3");
	ck_assert_ptr_null(vgpu_place_largest(NULL));
}
END_TEST

START_TEST(tree_switches)
{
	vgpu_place_job_t j = job_of(3, 3);
	vgpu_place_answer_t a;
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_uint_eq(a.switches, 1);
	ck_assert_uint_eq(a.switch_wait, VGPU_PLACE_SWITCH_WAIT);
	ck_assert_uint_eq(a.max_nodes, 0);
	ck_assert_str_eq(a.features, "");
	/* --switches=1 given already: still set, with the long wait */
	j.switches = 1;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_uint_eq(a.switch_wait, VGPU_PLACE_SWITCH_WAIT);
	/* --switches=2 would span: refused, naming the option and the opt-out */
	j.switches = 2;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "--switches=2"));
	/* ... with a node range that was being lowered: nothing left changed */
	j.max_nodes = 9;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_uint_eq(a.max_nodes, 0);
	ck_assert_uint_eq(a.switches, 0);
	j.max_nodes = 0;
	ck_assert_ptr_nonnull(strstr(err.msg, VGPU_PLACE_OPTOUT_TAG));
	/* tasks decide the node count when -N is not given */
	j = job_of(0, 0);
	j.num_tasks = 8;
	j.tasks_per_node = 4;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_uint_eq(a.nodes, 2);
	j.num_tasks = 17; /* 5 nodes: more than any partition */
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "asks for 5 nodes"));
}
END_TEST

START_TEST(too_big_message)
{
	vgpu_place_job_t j = job_of(6, 6);
	vgpu_place_answer_t a;
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_str_eq(err.msg, "job asks for 6 nodes with GPUs; the largest NVLink partition, "
			 "nvl1 (n[1-4]), has 4 nodes: ask for at most 4 nodes, or opt out with "
			 "--comment='[vgpu-place:span]' (the job may then run across partitions, "
			 "without NVLink between them)");
	ck_assert_str_eq(a.largest->name, "nvl1");
	/* topology/block offers segments: the message says so */
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "or for --segment=S with S <= 2 dividing 6, or opt"));
	/* without an err, the answer still says why */
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, NULL),
			 VGPU_PLACE_REFUSE);
	ck_assert_ptr_nonnull(strstr(a.why, "refused: job asks for 6 nodes"));
	/* exactly the largest: fine */
	j = job_of(4, 4);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	/* one-node partition named alone */
	parts[0].nnodes = 1;
	parts[1].nnodes = 1;
	parts[2].nnodes = 1;
	j = job_of(2, 2);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "nvl1 (n1), has 1 nodes"));
}
END_TEST

START_TEST(node_range_lowered)
{
	vgpu_place_job_t j = job_of(2, 8);
	vgpu_place_answer_t a;
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_uint_eq(a.max_nodes, 4);
	ck_assert_uint_eq(a.switches, 1);
	/* block, no layout known: the constraint over partitions of at least
	 * 2 nodes, max lowered */
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_uint_eq(a.max_nodes, 4);
	ck_assert_str_eq(a.features, "[nvl3|nvl1|nvl2]");
	j = job_of(3, 4);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_uint_eq(a.max_nodes, 0);
	ck_assert_str_eq(a.features, "[nvl1|nvl2]");
	/* a range from 1 node up is multi-node too */
	j = job_of(1, 2);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
}
END_TEST

/* 4,4,2 as vgpu conf lays it out: base blocks of 2, BlockSizes=2,4 */
static const vgpu_place_block_t layout442 = { 2, 4 };

START_TEST(block_contained_or_constraint)
{
	static const vgpu_place_block_t upto2 = { 2, 2 };
	vgpu_place_job_t j = job_of(3, 3);
	vgpu_place_answer_t a;
	vgpu_err_t err;

	/* within what topology/block contains: Slurm's own best fit */
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, &layout442, &a, &err),
			 VGPU_PLACE_PASS);
	ck_assert_str_eq(a.why, "3-3 nodes: topology/block keeps jobs of up to 4 nodes inside one "
			 "partition");
	/* a layout that contains only 2 (an NVL72 cut): the constraint */
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, &upto2, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_str_eq(a.features, "[nvl1|nvl2]");
	ck_assert_uint_eq(a.switches, 0);
	/* no layout known: the constraint for every multi-node job */
	j = job_of(2, 2);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_str_eq(a.features, "[nvl3|nvl1|nvl2]");
	/* ... with a constraint of its own: left alone, said so */
	j = job_of(3, 3);
	j.features = "vgpu_h100";
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, &upto2, &a, &err),
			 VGPU_PLACE_PASS);
	ck_assert_ptr_nonnull(strstr(a.why, "not contained"));
	/* a node range: lowered to the largest, then contained */
	j = job_of(2, 8);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, &layout442, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_uint_eq(a.max_nodes, 4);
	ck_assert_str_eq(a.features, "");
}
END_TEST

START_TEST(segments)
{
	static const vgpu_place_block_t base4 = { 4, 4 };
	vgpu_place_job_t j = job_of(8, 8);
	vgpu_place_answer_t a;
	vgpu_err_t err;

	j.segment = 2;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_PASS);
	ck_assert_ptr_nonnull(strstr(a.why, "segments"));
	j.segment = 4;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, &base4, &a, &err),
			 VGPU_PLACE_PASS);
	/* larger than the base block */
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, &layout442, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_str_eq(err.msg, "--segment=4: topology/block keeps a segment inside one NVLink "
			 "partition only up to its base block size, 2 nodes here: ask for "
			 "--segment=S with S <= 2");
	/* does not divide */
	j = job_of(6, 6);
	j.segment = 4;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, &base4, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_str_eq(err.msg, "--segment=4: the job asks for 6 nodes, which is not a whole "
			 "number of 4-node segments: ask for a node count that 4 divides");
	j = job_of(4, 6);
	j.segment = 2;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_PASS);
	j = job_of(4, 5);
	j.segment = 2;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "asks for 4-5 nodes"));
	/* segments on a single-node count still follow the rules */
	j = job_of(1, 1);
	j.segment = 8;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	/* segments without topology/block */
	j = job_of(4, 4);
	j.segment = 2;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_TREE, NULL, &a, &err),
			 VGPU_PLACE_REFUSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "topology/tree"));
	/* opted out: segments are Slurm's business */
	j = job_of(6, 6);
	j.segment = 4;
	j.comment = VGPU_PLACE_OPTOUT_TAG;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_BLOCK, NULL, &a, &err),
			 VGPU_PLACE_PASS);
}
END_TEST

START_TEST(flat_constraint_smallest_first)
{
	vgpu_place_job_t j = job_of(2, 2);
	vgpu_place_answer_t a;
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_NONE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_str_eq(a.features, "[nvl3|nvl1|nvl2]");
	j = job_of(3, 3);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_NONE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_str_eq(a.features, "[nvl1|nvl2]");
	parts[1].nnodes = 3;
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_NONE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_str_eq(a.features, "[nvl2|nvl1]");
	j = job_of(4, 4);
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_NONE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
	ck_assert_str_eq(a.features, "nvl1");
	/* the job's own constraint is left alone, and said so */
	j.features = "vgpu_h100";
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_NONE, NULL, &a, &err),
			 VGPU_PLACE_PASS);
	ck_assert_ptr_nonnull(strstr(a.why, "not contained"));
	j.features = "(null)";
	ck_assert_int_eq(vgpu_place_decide(&j, &map, VGPU_PLACE_TOPO_NONE, NULL, &a, &err),
			 VGPU_PLACE_CHANGE);
}
END_TEST

START_TEST(flat_constraint_too_long)
{
	static vgpu_cm_partition_t many[200];
	static vgpu_cm_node_t one[2];
	vgpu_cliquemap_t big;
	vgpu_place_job_t j = job_of(2, 2);
	vgpu_place_answer_t a;

	memset(&big, 0, sizeof(big));
	snprintf(one[0].name, sizeof(one[0].name), "a1");
	snprintf(one[1].name, sizeof(one[1].name), "a2");
	for (size_t i = 0; i < 200; i++) {
		snprintf(many[i].name, sizeof(many[i].name), "partition_%03zu", i);
		many[i].nodes = one;
		many[i].nnodes = 2;
	}
	big.parts = many;
	big.nparts = 200;
	ck_assert_int_eq(vgpu_place_decide(&j, &big, VGPU_PLACE_TOPO_NONE, NULL, &a, NULL),
			 VGPU_PLACE_PASS);
	ck_assert_str_eq(a.features, "");
	ck_assert_ptr_nonnull(strstr(a.why, "too many partitions"));
}
END_TEST

START_TEST(switch_wait_param)
{
	ck_assert_uint_eq(vgpu_place_max_switch_wait(NULL), 300);
	ck_assert_uint_eq(vgpu_place_max_switch_wait(""), 300);
	ck_assert_uint_eq(vgpu_place_max_switch_wait("batch_sched_delay=0,bf_interval=1"), 300);
	ck_assert_uint_eq(vgpu_place_max_switch_wait("bf_interval=1,max_switch_wait=31536000"),
			  31536000);
	ck_assert_uint_eq(vgpu_place_max_switch_wait("MAX_SWITCH_WAIT=60,x"), 60);
	ck_assert_uint_eq(vgpu_place_max_switch_wait("max_switch_wait=60s"), 300);
	ck_assert_uint_eq(vgpu_place_max_switch_wait("max_switch_wait="), 300);
	ck_assert_uint_eq(vgpu_place_max_switch_wait("max_switch_wait=99999999999"), 300);
	ck_assert_uint_eq(vgpu_place_max_switch_wait("max_switch_wait=4294967295"), 4294967295u);
	ck_assert_uint_eq(vgpu_place_max_switch_wait("max_switch_wait=5,max_switch_wait=7"), 7);
}
END_TEST

START_TEST(weights_fill_partly_used)
{
	unsigned busy[NPARTS] = { 0, 1, 0 };
	uint32_t w[NPARTS];

	/* n5 busy (the measured scenario): nvl2 first, then nvl3 (the
	 * smaller free one), nvl1 kept whole longest */
	vgpu_place_weights(&map, busy, w);
	ck_assert_uint_eq(w[1], 4);
	ck_assert_uint_eq(w[2], VGPU_PLACE_WEIGHT_FREE + 2);
	ck_assert_uint_eq(w[0], VGPU_PLACE_WEIGHT_FREE + 4);
	ck_assert_uint_lt(w[1], w[2]);
	ck_assert_uint_lt(w[2], w[0]);
	/* fuller partly used partitions come first; a full one is harmless */
	busy[0] = 3;
	busy[1] = 1;
	busy[2] = 2;
	vgpu_place_weights(&map, busy, w);
	ck_assert_uint_eq(w[0], 2);
	ck_assert_uint_eq(w[1], 4);
	ck_assert_uint_eq(w[2], 1);
	/* a count above the partition's size is clamped */
	busy[1] = 99;
	vgpu_place_weights(&map, busy, w);
	ck_assert_uint_eq(w[1], 1);
}
END_TEST

START_TEST(topo_names)
{
	ck_assert_int_eq(vgpu_place_topo_from_name("topology/tree"), VGPU_PLACE_TOPO_TREE);
	ck_assert_int_eq(vgpu_place_topo_from_name("topology/block"), VGPU_PLACE_TOPO_BLOCK);
	ck_assert_int_eq(vgpu_place_topo_from_name("topology/default"), VGPU_PLACE_TOPO_NONE);
	ck_assert_int_eq(vgpu_place_topo_from_name(""), VGPU_PLACE_TOPO_NONE);
	ck_assert_int_eq(vgpu_place_topo_from_name(NULL), VGPU_PLACE_TOPO_NONE);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("place");
	TCase *tc = tcase_create("place");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, no_gpus_single_node_optout);
	tcase_add_test(tc, no_map_or_empty_map);
	tcase_add_test(tc, largest_ties_take_first);
	tcase_add_test(tc, tree_switches);
	tcase_add_test(tc, too_big_message);
	tcase_add_test(tc, node_range_lowered);
	tcase_add_test(tc, block_contained_or_constraint);
	tcase_add_test(tc, segments);
	tcase_add_test(tc, flat_constraint_smallest_first);
	tcase_add_test(tc, flat_constraint_too_long);
	tcase_add_test(tc, switch_wait_param);
	tcase_add_test(tc, weights_fill_partly_used);
	tcase_add_test(tc, topo_names);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
