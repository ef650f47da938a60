/*
 * test_partview.c - the per-partition view: counts, jobs inside and across
 * partitions, fragmentation against the waiting queue.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vgpu_partview.h"
#include "vgpu_test.h"

/* A map of partitions of the given sizes over n1, n2, ... (a: n1-n4, ...). */
static vgpu_cm_partition_t parts[4];
static vgpu_cm_node_t pnodes[4][8];
static vgpu_cliquemap_t map;

static void make_map(const unsigned *sizes, size_t nparts)
{
	unsigned next = 1;
	size_t p, k;

	memset(&map, 0, sizeof(map));
	memset(parts, 0, sizeof(parts));
	memset(pnodes, 0, sizeof(pnodes));
	for (p = 0; p < nparts; p++) {
		snprintf(parts[p].name, sizeof(parts[p].name), "nvl%c", (char)('a' + p));
		parts[p].cluster_uuid[0] = 1;
		parts[p].clique_id = (uint32_t)p + 1;
		parts[p].nnodes = sizes[p];
		parts[p].nodes = pnodes[p];
		for (k = 0; k < sizes[p]; k++)
			snprintf(pnodes[p][k].name, sizeof(pnodes[p][k].name), "n%u", next++);
	}
	map.major = VGPU_CLIQUEMAP_MAJOR;
	map.nparts = nparts;
	map.parts = parts;
}

static vgpu_pv_node_t nodes[16];

/* n nodes n1..n<n> of 4 GPUs each, all free and up. */
static void make_nodes(size_t n)
{
	size_t i;

	memset(nodes, 0, sizeof(nodes));
	for (i = 0; i < n; i++) {
		snprintf(nodes[i].name, sizeof(nodes[i].name), "n%zu", i + 1);
		nodes[i].gpus = 4;
		nodes[i].free = 4;
		nodes[i].shards_total = 400;
		nodes[i].up = 1;
	}
}

static void busy(size_t i, unsigned whole)
{
	nodes[i].free -= whole;
	nodes[i].whole += whole;
}

static const unsigned sizes442[] = { 4, 4, 2 };

START_TEST(counts_and_free_partitions)
{
	vgpu_partview_t pv;
	vgpu_err_t err;

	make_map(sizes442, 3);
	make_nodes(10);
	busy(0, 4);             /* n1 whole */
	nodes[4].free = 3;      /* n5: one GPU with two slices */
	nodes[4].sliced = 1;
	nodes[4].slices = 2;
	nodes[4].shards_used = 50;
	nodes[9].up = 0;        /* n10 drained */
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, NULL, 0, &pv, &err), 0);
	ck_assert_uint_eq(pv.nparts, 3); /* every node is in a partition: no "none" */
	ck_assert_uint_eq(pv.parts[0].nnodes, 4);
	ck_assert_uint_eq(pv.parts[0].gpus, 16);
	ck_assert_uint_eq(pv.parts[0].free, 12);
	ck_assert_uint_eq(pv.parts[0].whole, 4);
	ck_assert_uint_eq(pv.parts[0].nodes_free, 3);
	ck_assert_uint_eq(pv.parts[1].free, 15);
	ck_assert_uint_eq(pv.parts[1].sliced, 1);
	ck_assert_uint_eq(pv.parts[1].slices, 2);
	ck_assert_uint_eq(pv.parts[1].shards_used, 50);
	ck_assert_uint_eq(pv.parts[2].nodes_up, 1);
	ck_assert_uint_eq(pv.parts[2].free, 4); /* the drained node's GPUs are not free */
	ck_assert_uint_eq(pv.parts_free, 0);
	ck_assert_uint_eq(pv.total.gpus, 40);
	ck_assert_uint_eq(pv.total.free, 31);
	ck_assert_int_eq(pv.total.frag_known, 0); /* no waiting job: unknown, not 0 */
	vgpu_partview_free(&pv);

	make_nodes(10);
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, NULL, 0, &pv, &err), 0);
	ck_assert_uint_eq(pv.parts_free, 3);
	vgpu_partview_free(&pv);
	/* A map node the controller does not know: that partition is not whole. */
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 9, NULL, 0, &pv, &err), 0);
	ck_assert_uint_eq(pv.parts[2].nmissing, 1);
	ck_assert_uint_eq(pv.parts_free, 2);
	vgpu_partview_free(&pv);
}
END_TEST

START_TEST(nodes_outside_the_map)
{
	vgpu_partview_t pv;
	vgpu_err_t err;

	make_map(sizes442, 2); /* n9, n10 in no partition */
	make_nodes(10);
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, NULL, 0, &pv, &err), 0);
	ck_assert_uint_eq(pv.nparts, 3);
	ck_assert_ptr_null(pv.parts[2].part);
	ck_assert_uint_eq(pv.parts[2].nnodes, 2);
	ck_assert_uint_eq(pv.parts_free, 2);
	vgpu_partview_free(&pv);
	/* No map at all: everything is "none". */
	ck_assert_int_eq(vgpu_partview_build(NULL, nodes, 10, NULL, 0, &pv, &err), 0);
	ck_assert_uint_eq(pv.nparts, 1);
	ck_assert_uint_eq(pv.parts[0].nnodes, 10);
	vgpu_partview_free(&pv);
}
END_TEST

START_TEST(jobs_inside_and_across)
{
	vgpu_pv_job_t jobs[] = {
		{ .id = 30, .nodes = "n[2-3]" },        /* inside nvla */
		{ .id = 12, .nodes = "n1,n4" },         /* inside nvla */
		{ .id = 40, .nodes = "n4,n5" },         /* across nvla and nvlb */
		{ .id = 41, .nodes = "n7" },            /* single node: not listed */
		{ .id = 42, .pending = 1, .nnodes = 2, .gpus_per_node = 1 },
	};
	vgpu_partview_t pv;
	vgpu_err_t err;

	make_map(sizes442, 3);
	make_nodes(10);
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, jobs, 5, &pv, &err), 0);
	ck_assert_uint_eq(pv.parts[0].njobs, 2);
	ck_assert_uint_eq(pv.parts[0].jobs[0], 12);
	ck_assert_uint_eq(pv.parts[0].jobs[1], 30);
	ck_assert_uint_eq(pv.parts[1].njobs, 0);
	ck_assert_uint_eq(pv.nspan, 1);
	ck_assert_uint_eq(pv.span[0], 40);
	vgpu_partview_free(&pv);

	jobs[0].nodes = "n[3-1]";
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, jobs, 5, &pv, &err), -1);
	ck_assert_msg(strstr(err.msg, "job 30") != NULL, "%s", err.msg);
	ck_assert_ptr_null(pv.parts);
}
END_TEST

START_TEST(fragmentation_against_the_queue)
{
	vgpu_pv_job_t q[2] = { { .id = 1, .pending = 1, .nnodes = 3, .gpus_per_node = 4 } };
	vgpu_partview_t pv;
	vgpu_err_t err;

	make_map(sizes442, 3);
	make_nodes(10);
	/* nvla: n1 busy, 3 whole free nodes (12 GPUs) fit a 3-node job of 4
	 * GPUs per node; nvlb: n5, n6 busy: 2 free nodes do not; nvlc (2
	 * nodes) never does. */
	busy(0, 4);
	busy(4, 4);
	busy(5, 4);
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, q, 1, &pv, &err), 0);
	ck_assert_uint_eq(pv.waiting, 1);
	ck_assert_int_eq(pv.parts[0].frag_known, 1);
	ck_assert(fabs(pv.parts[0].frag - 0.0) < 1e-9);
	ck_assert(fabs(pv.parts[1].frag - 8.0) < 1e-9);
	ck_assert(fabs(pv.parts[2].frag - 8.0) < 1e-9);
	ck_assert(fabs(pv.total.frag - 16.0) < 1e-9);
	vgpu_partview_free(&pv);

	/* A second waiting job, one GPU on one node, can use every free GPU:
	 * the expected loss halves. */
	q[1] = (vgpu_pv_job_t){ .id = 2, .pending = 1, .nnodes = 1, .gpus_per_node = 1 };
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, q, 2, &pv, &err), 0);
	ck_assert(fabs(pv.parts[1].frag - 4.0) < 1e-9);
	ck_assert(fabs(pv.total.frag - 8.0) < 1e-9);
	vgpu_partview_free(&pv);

	/* A node with 3 free GPUs cannot take a 4-GPU single-node job. */
	make_nodes(10);
	nodes[0].free = 3;
	nodes[0].sliced = 1;
	q[0] = (vgpu_pv_job_t){ .id = 3, .pending = 1, .nnodes = 1, .gpus_per_node = 4 };
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, q, 1, &pv, &err), 0);
	ck_assert(fabs(pv.parts[0].frag - 3.0) < 1e-9);
	ck_assert(fabs(pv.total.frag - 3.0) < 1e-9);
	vgpu_partview_free(&pv);
	/* ... but a slice job can. */
	q[0] = (vgpu_pv_job_t){ .id = 4, .pending = 1, .nnodes = 1, .shards_per_node = 20 };
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, q, 1, &pv, &err), 0);
	ck_assert(fabs(pv.total.frag) < 1e-9);
	vgpu_partview_free(&pv);
	/* Nodes of no partition never serve a multi-node job. */
	make_map(sizes442, 2);
	q[0] = (vgpu_pv_job_t){ .id = 5, .pending = 1, .nnodes = 2, .gpus_per_node = 1 };
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, q, 1, &pv, &err), 0);
	ck_assert_uint_eq(pv.nparts, 3);
	ck_assert(fabs(pv.parts[2].frag - 8.0) < 1e-9);
	vgpu_partview_free(&pv);
	/* Waiting jobs without GPUs are not the GPU workload. */
	q[0] = (vgpu_pv_job_t){ .id = 6, .pending = 1, .nnodes = 4 };
	ck_assert_int_eq(vgpu_partview_build(&map, nodes, 10, q, 1, &pv, &err), 0);
	ck_assert_uint_eq(pv.waiting, 0);
	ck_assert_int_eq(pv.total.frag_known, 0);
	vgpu_partview_free(&pv);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("partview");
	TCase *tc = tcase_create("partview");

	tcase_add_test(tc, counts_and_free_partitions);
	tcase_add_test(tc, nodes_outside_the_map);
	tcase_add_test(tc, jobs_inside_and_across);
	tcase_add_test(tc, fragmentation_against_the_queue);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
