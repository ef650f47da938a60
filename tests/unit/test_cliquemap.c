/*
 * test_cliquemap.c - the clique map (vgpu_cliquemap*.c): reading a hand-
 * written map, every refusal with its line, check against slurm.conf's
 * nodes, build from inventories made here, round trip and determinism.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vgpu_cliquemap.h"
#include "vgpu_hostlist.h"
#include "vgpu_test.h"

#define U1 "5e1d0a2c-0000-4000-8000-000000000001"
#define U2 "5e1d0a2c-0000-4000-8000-000000000002"
#define U3 "9a000000-0000-4000-8000-000000000003"

static const char good[] =
	"{\n"                                          /* 1 */
	"  \"version\": \"1.0\",\n"                    /* 2 */
	"  \"comment\": \"unknown keys are ignored\",\n" /* 3 */
	"  \"partitions\": [\n"                        /* 4 */
	"    { \"name\": \"rack1\", \"cluster_uuid\": \"" U1 "\", \"clique_id\": 1,\n" /* 5 */
	"      \"nodes\": \"n[1-4]\", \"imex_domain\": \"r1\", \"gpus_per_node\": 4,\n" /* 6 */
	"      \"health\": { \"n3\": \"link 7 down\" }, \"x\": [1, {\"y\": null}] },\n" /* 7 */
	"    { \"name\": \"rack0\", \"cluster_uuid\": \"" U1 "\", \"clique_id\": 2,\n" /* 8 */
	"      \"nodes\": \"n[5-6],m1\", \"gpus\": { \"m1\": 2 } }\n" /* 9 */
	"  ],\n"                                       /* 10 */
	"  \"excluded\": [ { \"node\": \"n9\", \"reason\": \"fabric in_progress\" } ]\n" /* 11 */
	"}\n";

typedef struct msgs {
	size_t n;
	char text[32][VGPU_ERR_MAX + 64];
} msgs_t;

static void collect(void *arg, const char *msg)
{
	msgs_t *m = arg;

	if (m->n < 32)
		snprintf(m->text[m->n], sizeof(m->text[m->n]), "%s", msg);
	m->n++;
}

START_TEST(test_parse_good)
{
	vgpu_cliquemap_t map;
	vgpu_err_t err;
	const vgpu_cm_partition_t *p;
	char id[VGPU_CM_IDENTITY_MAX];

	ck_assert_msg(vgpu_cliquemap_parse(good, strlen(good), "map.json", &map, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(map.major, 1);
	ck_assert_uint_eq(map.nparts, 2);
	/* sorted by name */
	ck_assert_str_eq(map.parts[0].name, "rack0");
	ck_assert_str_eq(map.parts[1].name, "rack1");
	p = &map.parts[1];
	ck_assert_uint_eq(p->clique_id, 1);
	ck_assert_str_eq(p->imex_domain, "r1");
	ck_assert_uint_eq(p->nnodes, 4);
	ck_assert_str_eq(p->nodes[2].name, "n3");
	ck_assert_str_eq(p->nodes[2].health, "link 7 down");
	ck_assert_str_eq(p->nodes[1].health, "");
	ck_assert_uint_eq(p->nodes[0].gpus, 4);
	ck_assert_uint_eq(p->nodes[0].line, 6);
	ck_assert_uint_eq(p->line, 5);
	ck_assert_str_eq(vgpu_cliquemap_identity(p, id, sizeof(id)), U1 ".1");
	ck_assert_uint_eq(map.parts[0].nodes[2].gpus, 2);
	ck_assert_uint_eq(map.parts[0].nodes[0].gpus, 0);
	ck_assert_uint_eq(map.nexcluded, 1);
	ck_assert_str_eq(map.excluded[0].name, "n9");
	ck_assert_str_eq(map.excluded[0].reason, "fabric in_progress");
	ck_assert_ptr_eq(vgpu_cliquemap_find_node(&map, "m1"), &map.parts[0]);
	ck_assert_ptr_null(vgpu_cliquemap_find_node(&map, "n9"));
	vgpu_cliquemap_free(&map);
	ck_assert_uint_eq(map.nparts, 0);
	vgpu_cliquemap_free(NULL);
}
END_TEST

/* Replace the first occurrence of from in good with to. */
static char *edit(const char *from, const char *to)
{
	static char buf[8192];
	const char *at = strstr(good, from);

	ck_assert_msg(at != NULL, "'%s' not in the map", from);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	return buf;
}

START_TEST(test_parse_refused)
{
	static const char *const cases[][3] = {
		/* from, to, the message (with its line) */
		{ "\"n[5-6],m1\"", "\"n[4-6],m1\"",
		  "map.json:9: partition 'rack0': node n4 is already in partition 'rack1' (line 6): a node belongs to one partition" },
		{ U1 "\", \"clique_id\": 2", "5e1d0a2c-zz00-4000-8000-000000000001\", \"clique_id\": 2",
		  "map.json:8: partition 'rack0': cluster_uuid '5e1d0a2c-zz00-4000-8000-000000000001' is not a UUID" },
		{ U1 "\", \"clique_id\": 2", "00000000-0000-0000-0000-000000000000\", \"clique_id\": 2",
		  "map.json:8: partition 'rack0': cluster_uuid is all zero" },
		{ "\"1.0\"", "\"2.0\"", "map.json:2: \"version\" \"2.0\": unknown major version 2" },
		{ "\"version\": \"1.0\",", "", "map.json:1: \"version\" is missing" },
		{ "\"version\": \"1.0\"", "\"version\": 1", "map.json:2: \"version\" a number: expected \"MAJOR.MINOR\"" },
		{ "\"rack0\"", "\"rack1\"", "map.json:8: partition 'rack1': the name is already used at line 5" },
		{ "\"clique_id\": 2", "\"clique_id\": 1",
		  "map.json:8: partition 'rack0': identity " U1 ".1 is already partition 'rack1' (line 5)" },
		{ "\"rack0\"", "\"rack 0\"", "map.json:8: partitions[1]: name 'rack 0': use 1-63 letters" },
		{ "\"n[5-6],m1\"", "\"n[6-5],m1\"", "map.json:9: partition 'rack0': nodes: hostlist 'n[6-5],m1': range 6-5 goes backwards" },
		{ "\"clique_id\": 2", "\"clique_id\": \"2\"", "map.json:8: partition 'rack0': clique_id: expected an integer" },
		{ "\"clique_id\": 2", "\"clique_id\": 4294967296", "map.json:8: partition 'rack0': clique_id: expected an integer 0-4294967295" },
		{ "\"nodes\": \"n[1-4]\"", "\"nodes\": [\"n1\"]", "map.json:6: partition 'rack1': \"nodes\" is an array, expected a string" },
		{ "\"nodes\": \"n[1-4]\", ", "", "map.json:5: partition 'rack1': \"nodes\" is missing" },
		{ "\"n3\": \"link 7 down\"", "\"n8\": \"x\"", "map.json:7: partition 'rack1': \"health\" names node 'n8', which is not in this partition's \"nodes\"" },
		{ "\"n3\": \"link 7 down\"", "\"n3\": 1", "map.json:7: partition 'rack1': health of node n3: expected a non-empty string" },
		{ "\"gpus_per_node\": 4", "\"gpus_per_node\": 0", "map.json:6: partition 'rack1': gpus_per_node: expected an integer 1-64" },
		{ "\"node\": \"n9\"", "\"node\": \"n2\"", "map.json:11: excluded node n2 is in partition 'rack1' (line 6)" },
		{ "\"partitions\": [", "\"partitions\": 5, \"p\": [", "map.json:4: \"partitions\" is a number, expected an array" },
		{ "\"n[1-4]\"", "\"n[1-4]\", \"nodes\": \"n1\"", "map.json:6:26: duplicate key 'nodes' (first at line 6)" },
		{ "\"r1\"", "\"r\\u0000\"", "map.json:6:" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *text = edit(cases[i][0], cases[i][1]);
		vgpu_cliquemap_t map;
		vgpu_err_t err;
		msgs_t m = { 0 };

		ck_assert_msg(vgpu_cliquemap_parse(text, strlen(text), "map.json", &map, &err) == -1,
			      "case %zu accepted", i);
		ck_assert_msg(strstr(err.msg, cases[i][2]) == err.msg, "case %zu: got '%s', want '%s...'", i,
			      err.msg, cases[i][2]);
		ck_assert_uint_eq(map.nparts, 0);
		ck_assert_ptr_null(map.parts);
		ck_assert_uint_ge(vgpu_cliquemap_parse_all(text, strlen(text), "map.json", &map, collect, &m), 1);
		ck_assert_str_eq(m.text[0], err.msg);
	}
}
END_TEST

START_TEST(test_parse_all_errors)
{
	const char *text = "{ \"version\": \"1.7\", \"partitions\": [\n"
			   " {\"name\": \"a\", \"cluster_uuid\": \"x\", \"clique_id\": 1, \"nodes\": \"n1\"},\n"
			   " {\"name\": \"b\", \"cluster_uuid\": \"" U2 "\", \"clique_id\": -1, \"nodes\": \"n2\"},\n"
			   " {\"name\": \"c\", \"cluster_uuid\": \"" U2 "\", \"clique_id\": 3, \"nodes\": \"n4\"},\n"
			   " {\"name\": \"d\", \"cluster_uuid\": \"" U2 "\", \"clique_id\": 4, \"nodes\": \"n[3-4]\"}\n"
			   "]}";
	vgpu_cliquemap_t map;
	msgs_t m = { 0 };

	ck_assert_uint_eq(vgpu_cliquemap_parse_all(text, strlen(text), "f", &map, collect, &m), 3);
	ck_assert(strstr(m.text[0], "f:2: partition 'a': cluster_uuid 'x'"));
	ck_assert(strstr(m.text[1], "f:3: partition 'b': clique_id"));
	ck_assert(strstr(m.text[2], "f:5: partition 'd': node n4 is already in partition 'c' (line 4)"));
	/* a newer minor version is accepted */
	text = "{\"version\": \"1.7\", \"partitions\": [], \"future\": {\"k\": 1}}";
	ck_assert_uint_eq(vgpu_cliquemap_parse_all(text, strlen(text), "f", &map, NULL, NULL), 0);
	ck_assert_uint_eq(map.minor, 7);
	vgpu_cliquemap_free(&map);
}
END_TEST

START_TEST(test_check_nodes)
{
	static const char conf[] = "ClusterName=x\n"
				   "NodeName=DEFAULT CPUs=4\n"
				   "nodename=n[1-5] Gres=gpu:4 # n7 in a comment\n"
				   "NodeName=n6,\\\nm1 CPUs=2\n"
				   "PartitionName=p Nodes=ALL\n";
	char **names;
	size_t n;
	vgpu_cliquemap_t map;
	vgpu_err_t err;
	msgs_t m = { 0 };

	ck_assert_int_eq(vgpu_cliquemap_slurm_nodes(conf, strlen(conf), "slurm.conf", &names, &n, &err), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(names[5], "n6");
	ck_assert_str_eq(names[6], "m1");
	ck_assert_int_eq(vgpu_cliquemap_parse(good, strlen(good), "map.json", &map, &err), 0);
	/* n9 (excluded) and n6... all but n9 known */
	ck_assert_uint_eq(vgpu_cliquemap_check_nodes_all(&map, "map.json", (const char *const *)names, n,
							 collect, &m), 1);
	ck_assert_str_eq(m.text[0], "map.json:11: excluded node n9 is not a node of slurm.conf");
	ck_assert_int_eq(vgpu_cliquemap_check_nodes(&map, "map.json", (const char *const *)names, 4, &err), -1);
	ck_assert_str_eq(err.msg, "map.json:9: partition 'rack0': node n5 is not a node of slurm.conf "
				  "(fix the name or add a NodeName line)");
	vgpu_hostlist_free(names, n);
	vgpu_cliquemap_free(&map);
	ck_assert_int_eq(vgpu_cliquemap_slurm_nodes("NodeName=n[2-1]\n", 16, "s.conf", &names, &n, &err), -1);
	ck_assert(strstr(err.msg, "s.conf:1: NodeName=n[2-1]: hostlist 'n[2-1]': range 2-1 goes backwards"));
}
END_TEST

static void gpu_in(vgpu_inventory_t *inv, const char *host, size_t ngpus, const char *uuid, uint32_t clique)
{
	memset(inv, 0, sizeof(*inv));
	snprintf(inv->hostname, sizeof(inv->hostname), "%s", host);
	inv->ngpus = ngpus;
	for (size_t i = 0; i < ngpus; i++) {
		vgpu_gpu_t *g = &inv->gpus[i];

		g->index = (unsigned)i;
		snprintf(g->bus_id, sizeof(g->bus_id), "0000:%02zx:00.0", 0x10 + i);
		if (uuid)
			ck_assert_int_eq(vgpu_inventory_uuid_parse(uuid, g->fabric.cluster_uuid), 0);
		g->fabric.clique_id = clique;
		g->fabric.state = VGPU_FABRIC_COMPLETED;
		g->fabric.health_mask = 0xaa; /* every field FALSE: healthy */
		g->fabric.health_summary = VGPU_FABRIC_HEALTH_HEALTHY;
	}
}

#define NINV 11

static void make_invs(vgpu_inventory_t *inv)
{
	gpu_in(&inv[0], "n1", 4, U1, 7);
	gpu_in(&inv[1], "n2", 4, U1, 7);
	gpu_in(&inv[2], "n10", 4, U1, 7);
	gpu_in(&inv[3], "n3", 4, U3, 7); /* another domain reusing clique 7 */
	gpu_in(&inv[4], "n4", 4, U2, 1);
	gpu_in(&inv[5], "n5", 4, U1, 7);
	inv[5].gpus[2].fabric.state = VGPU_FABRIC_IN_PROGRESS;
	gpu_in(&inv[6], "n6", 4, U1, 7);
	inv[6].gpus[3].fabric.clique_id = 8;
	gpu_in(&inv[7], "n7", 4, NULL, 0);
	gpu_in(&inv[8], "n8", 4, U1, 7);
	inv[8].gpus[1].fabric.health_mask = 0xaa ^ (3u << 4); /* route unhealthy TRUE */
	gpu_in(&inv[9], "n9", 2, U1, 7);
	inv[9].gpus[0].fabric.status = 5;
	gpu_in(&inv[10], "n11", 2, U2, 1);
}

START_TEST(test_build)
{
	vgpu_inventory_t *inv = calloc(NINV, sizeof(*inv));
	vgpu_cliquemap_t map;
	vgpu_err_t err;

	make_invs(inv);
	ck_assert_msg(vgpu_cliquemap_build(inv, NINV, &map, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(map.nparts, 3);
	/* U1 and U2 share 31 hex digits: their tags take all 32; U3 needs 8 */
	ck_assert_str_eq(map.parts[0].name, "nvl-5e1d0a2c000040008000000000000001-7");
	ck_assert_str_eq(map.parts[1].name, "nvl-5e1d0a2c000040008000000000000002-1");
	ck_assert_str_eq(map.parts[2].name, "nvl-9a000000-7");
	ck_assert_uint_eq(map.parts[0].nnodes, 3);
	ck_assert_str_eq(map.parts[0].nodes[0].name, "n1");
	ck_assert_str_eq(map.parts[0].nodes[1].name, "n2");
	ck_assert_str_eq(map.parts[0].nodes[2].name, "n10");
	ck_assert_uint_eq(map.parts[0].nodes[0].gpus, 4);
	ck_assert_uint_eq(map.parts[1].nnodes, 2);
	ck_assert_uint_eq(map.parts[1].nodes[1].gpus, 2);
	ck_assert_uint_eq(map.nexcluded, 5);
	ck_assert_str_eq(map.excluded[0].name, "n5");
	ck_assert_str_eq(map.excluded[0].reason, "GPU 2 (0000:12:00.0) fabric state is in_progress, not completed");
	ck_assert_str_eq(map.excluded[1].name, "n6");
	ck_assert(strstr(map.excluded[1].reason, "its GPUs disagree: GPU 0 is in " U1 ".7, GPU 3 in " U1 ".8"));
	ck_assert_str_eq(map.excluded[2].reason, "GPU 0 (0000:10:00.0) reports an all-zero cluster UUID (in no NVLink domain)");
	ck_assert_str_eq(map.excluded[3].reason, "GPU 1 (0000:11:00.0) fabric health mask 0x9a: route unhealthy");
	ck_assert_str_eq(map.excluded[4].reason, "GPU 0 (0000:10:00.0) fabric status is 5, not success");
	vgpu_cliquemap_free(&map);

	/* a health summary, and two inventories of one node */
	inv[1].gpus[0].fabric.health_summary = VGPU_FABRIC_HEALTH_UNHEALTHY;
	ck_assert_int_eq(vgpu_cliquemap_build(inv, NINV, &map, &err), 0);
	ck_assert_str_eq(map.excluded[0].name, "n2");
	ck_assert_str_eq(map.excluded[0].reason, "GPU 0 (0000:10:00.0) fabric health summary unhealthy");
	vgpu_cliquemap_free(&map);
	snprintf(inv[4].hostname, sizeof(inv[4].hostname), "n1");
	ck_assert_int_eq(vgpu_cliquemap_build(inv, NINV, &map, &err), -1);
	ck_assert_str_eq(err.msg, "two inventories are of node n1: give each node's once");
	ck_assert_uint_eq(map.nparts, 0);
	snprintf(inv[4].hostname, sizeof(inv[4].hostname), "n[4]");
	ck_assert_int_eq(vgpu_cliquemap_build(inv, NINV, &map, &err), -1);
	ck_assert(strstr(err.msg, "is not a Slurm node name"));
	free(inv);
}
END_TEST

/* The same map, as JSON, whatever the order of the inventories; and
 * parse(to_json(m)) writes the same JSON again. */
START_TEST(test_determinism_round_trip)
{
	vgpu_inventory_t *inv = calloc(NINV, sizeof(*inv)), *rev = calloc(NINV, sizeof(*rev));
	vgpu_cliquemap_t a, b, c;
	char *ja, *jb, *jc, *jg;
	vgpu_err_t err;

	make_invs(inv);
	for (size_t i = 0; i < NINV; i++)
		rev[i] = inv[(i * 7 + 3) % NINV];
	ck_assert_int_eq(vgpu_cliquemap_build(inv, NINV, &a, &err), 0);
	ck_assert_int_eq(vgpu_cliquemap_build(rev, NINV, &b, &err), 0);
	ja = vgpu_cliquemap_to_json(&a);
	jb = vgpu_cliquemap_to_json(&b);
	ck_assert_str_eq(ja, jb);
	ck_assert_msg(vgpu_cliquemap_parse(ja, strlen(ja), "built", &c, &err) == 0, "%s\n%s", err.msg, ja);
	jc = vgpu_cliquemap_to_json(&c);
	ck_assert_str_eq(ja, jc);
	ck_assert(strstr(ja, "\"nodes\": \"n[1-2,10]\""));
	ck_assert(strstr(ja, "\"gpus\": { \"n4\": 4, \"n11\": 2 }"));
	ck_assert_uint_eq(c.nparts, a.nparts);
	for (size_t i = 0; i < a.nparts; i++) {
		ck_assert_str_eq(c.parts[i].name, a.parts[i].name);
		ck_assert_int_eq(memcmp(c.parts[i].cluster_uuid, a.parts[i].cluster_uuid, 16), 0);
		ck_assert_uint_eq(c.parts[i].nnodes, a.parts[i].nnodes);
		for (size_t k = 0; k < a.parts[i].nnodes; k++) {
			ck_assert_str_eq(c.parts[i].nodes[k].name, a.parts[i].nodes[k].name);
			ck_assert_uint_eq(c.parts[i].nodes[k].gpus, a.parts[i].nodes[k].gpus);
		}
	}
	free(ja);
	free(jb);
	free(jc);
	vgpu_cliquemap_free(&a);
	vgpu_cliquemap_free(&b);
	vgpu_cliquemap_free(&c);
	/* the hand-written map, health and escapes included */
	ck_assert_int_eq(vgpu_cliquemap_parse(good, strlen(good), "m", &a, &err), 0);
	snprintf(a.parts[1].nodes[0].health, sizeof(a.parts[1].nodes[0].health), "say \"x\"\\\n\x01");
	jg = vgpu_cliquemap_to_json(&a);
	ck_assert_msg(vgpu_cliquemap_parse(jg, strlen(jg), "m2", &b, &err) == 0, "%s\n%s", err.msg, jg);
	ck_assert_str_eq(b.parts[1].nodes[0].health, a.parts[1].nodes[0].health);
	ck_assert_str_eq(b.parts[1].nodes[2].health, "link 7 down");
	ck_assert_str_eq(b.parts[1].imex_domain, "r1");
	ja = vgpu_cliquemap_to_json(&b);
	ck_assert_str_eq(ja, jg);
	free(ja);
	free(jg);
	vgpu_cliquemap_free(&a);
	vgpu_cliquemap_free(&b);
	free(inv);
	free(rev);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("cliquemap");
	TCase *tc = tcase_create("cliquemap");

	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_refused);
	tcase_add_test(tc, test_parse_all_errors);
	tcase_add_test(tc, test_check_nodes);
	tcase_add_test(tc, test_build);
	tcase_add_test(tc, test_determinism_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
