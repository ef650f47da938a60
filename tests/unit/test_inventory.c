/* Unit tests for vgpu_inventory: JSON round trip, errors with field paths,
 * type names from real NVML model names, bus ids, UUIDs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgpu_inventory.h"
#include "vgpu_test.h"

/* A two-GPU node with NVLink between the GPUs, one link to an NVSwitch and
 * a fabric registration. */
static void sample(vgpu_inventory_t *inv)
{
	static const unsigned char cu[16] = { 0xa1, 0xb2, 0xc3, 0xd4, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1 };

	memset(inv, 0, sizeof(*inv));
	strcpy(inv->hostname, "gpu-node-01");
	strcpy(inv->driver_version, "580.65.06");
	inv->cuda_driver_version = 13000;
	strcpy(inv->source, "nvml+cuda+hwloc");
	inv->ngpus = 2;
	for (unsigned i = 0; i < 2; i++) {
		vgpu_gpu_t *g = &inv->gpus[i];

		g->index = i;
		g->minor = i + 4;
		snprintf(g->uuid, sizeof(g->uuid), "GPU-0000000%u-1111-2222-3333-444444444444", i);
		snprintf(g->bus_id, sizeof(g->bus_id), "0000:%u0:00.0", i + 1);
		strcpy(g->model, "NVIDIA H100 80GB HBM3");
		strcpy(g->type, "h100");
		g->mem_bytes = 85520809984ull;
		g->sms = 132;
		g->numa_node = (int)i;
		strcpy(g->cpus, i ? "4-7,12-15" : "0-3,8-11");
		g->nlinks = 2;
		g->links[0].peer = (int)(1 - i);
		snprintf(g->links[0].peer_bus_id, VGPU_BUSID_MAX, "0000:%u0:00.0", 2 - i);
		g->links[0].links = 6;
		g->links[0].bw_mbps = 150000;
		g->links[1].peer = -1;
		strcpy(g->links[1].peer_bus_id, "0000:c0:00.0");
		g->links[1].links = 12;
		memcpy(g->fabric.cluster_uuid, cu, 16);
		g->fabric.clique_id = 7;
		g->fabric.state = VGPU_FABRIC_COMPLETED;
		g->fabric.health_mask = 0x10;
	}
	inv->gpus[1].mig_enabled = 1;
	inv->gpus[1].mem_bytes = 0; /* unknown: omitted from JSON */
	inv->gpus[1].sms = 0;
}

START_TEST(round_trip)
{
	vgpu_inventory_t *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char what[64];
	vgpu_err_t err;
	char *text;

	sample(a);
	text = vgpu_inventory_to_json(a);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "\"cluster_uuid\": \"a1b2c3d4-0000-4000-8000-000000000001\""));
	ck_assert_ptr_nonnull(strstr(text, "\"state\": \"completed\""));
	ck_assert_ptr_nonnull(strstr(text, "\"version\": 1"));
	ck_assert_ptr_nonnull(strstr(text, "\"memory\": 85520809984"));
	ck_assert_int_eq(vgpu_inventory_from_json(text, strlen(text), "t.json", b, &err), 0);
	ck_assert_int_eq(vgpu_inventory_compare(a, b, what, sizeof(what)), 0);
	ck_assert_str_eq(what, "");
	b->gpus[1].links[1].links = 11;
	ck_assert_int_eq(vgpu_inventory_compare(a, b, what, sizeof(what)), 1);
	ck_assert_str_eq(what, "gpus[1].nvlink[1]");
	b->gpus[0].sms = 1;
	ck_assert_int_eq(vgpu_inventory_compare(a, b, what, sizeof(what)), 1);
	ck_assert_str_eq(what, "gpus[0].sms");
	free(text);
	free(a);
	free(b);
}
END_TEST

/* Empty arrays and objects are "[]" and "{}" whatever json-c's version
 * (0.16 writes "[\n  ]", 0.18 "[]"); brackets inside strings stay as they
 * are. */
START_TEST(empty_lists_one_form)
{
	vgpu_inventory_t *a = calloc(1, sizeof(*a)), *b = malloc(sizeof(*b));
	vgpu_err_t err;
	char *text;

	strcpy(a->hostname, "n1");
	text = vgpu_inventory_to_json(a);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, "\"gpus\": []\n") != NULL, "%s", text);
	free(text);
	a->ngpus = 1;
	strcpy(a->gpus[0].uuid, "GPU-00000000-1111-2222-3333-444444444444");
	strcpy(a->gpus[0].bus_id, "0000:17:00.0");
	strcpy(a->gpus[0].model, "Odd [  ] {  } [ GPU");
	a->gpus[0].numa_node = -1;
	text = vgpu_inventory_to_json(a);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, "\"nvlink\": [],\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"model\": \"Odd [  ] {  } [ GPU\"") != NULL, "%s", text);
	ck_assert_int_eq(vgpu_inventory_from_json(text, strlen(text), "t.json", b, &err), 0);
	ck_assert_str_eq(b->gpus[0].model, a->gpus[0].model);
	free(text);
	free(a);
	free(b);
}
END_TEST

START_TEST(minimal_defaults)
{
	static const char t[] = "{\"version\":1,\"hostname\":\"n1\",\"gpus\":[{\"index\":0,"
				"\"bus_id\":\"00000000:1B:00.0\"}],\"future_key\":{\"x\":[1]}}";
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_inventory_from_json(t, strlen(t), "n1.json", inv, &err), 0);
	ck_assert_str_eq(inv->hostname, "n1");
	ck_assert_uint_eq(inv->ngpus, 1);
	ck_assert_str_eq(inv->gpus[0].bus_id, "0000:1b:00.0");
	ck_assert_int_eq(inv->gpus[0].numa_node, -1);
	ck_assert_uint_eq(inv->gpus[0].mem_bytes, 0);
	ck_assert_int_eq(inv->gpus[0].fabric.state, VGPU_FABRIC_NONE);
	ck_assert_int_eq(vgpu_inventory_fabric_attached(&inv->gpus[0].fabric), 0);
	free(inv);
}
END_TEST

/* Each bad document and the exact message it must give. */
static const struct bad_case {
	const char *json;
	const char *msg;
} bad_cases[] = {
	{ "", "n.json: empty (expected a JSON object)" },
	{ "[1]", "n.json: expected a JSON object" },
	{ "{\"version\":1,", "n.json: invalid JSON: unexpected end of input" },
	{ "{\"version\":1} x", "n.json: invalid JSON at byte 14: unexpected character" },
	{ "{\"hostname\":\"a\",\"gpus\":[]}", "n.json: version: missing (expected a non-negative integer)" },
	{ "{\"version\":2,\"hostname\":\"a\",\"gpus\":[]}",
	  "n.json: version: unsupported version 2 (this vgpu reads version 1)" },
	{ "{\"version\":\"1\",\"hostname\":\"a\",\"gpus\":[]}", "n.json: version: expected a non-negative integer" },
	{ "{\"version\":1,\"gpus\":[]}", "n.json: hostname: missing (expected a string)" },
	{ "{\"version\":1,\"hostname\":\"\",\"gpus\":[]}", "n.json: hostname: empty" },
	{ "{\"version\":1,\"hostname\":\"a b\",\"gpus\":[]}", "n.json: hostname: 'a b' is not a host name" },
	{ "{\"version\":1,\"hostname\":\"a\"}", "n.json: gpus: missing (expected an array)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":{}}", "n.json: gpus: expected an array" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[7]}", "n.json: gpus[0]: expected an object" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"bus_id\":\"0000:01:00.0\"}]}",
	  "n.json: gpus[0].index: missing (expected a non-negative integer)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\"},"
	  "{\"index\":1,\"bus_id\":\"0000:02:00.0\"},{\"index\":2,\"bus_id\":\"0000:03:00.0\",\"memory\":\"80G\"}]}",
	  "n.json: gpus[2].memory: expected a positive integer" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"memory\":0}]}",
	  "n.json: gpus[0].memory: expected a positive integer, not 0" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"memory\":9223372036854775808}]}",
	  "n.json: gpus[0].memory: 9223372036854775808 is too large (at most 9223372036854775807)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":64,\"bus_id\":\"0000:01:00.0\"}]}",
	  "n.json: gpus[0].index: 64 is too large (at most 63)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"1:2:3\"}]}",
	  "n.json: gpus[0].bus_id: bus id '1:2:3': expected DOMAIN:BUS:DEVICE.FUNCTION in hex, e.g. 0000:1b:00.0" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"type\":\"H100\"}]}",
	  "n.json: gpus[0].type: 'H100' is not a type name ([a-z][a-z0-9_.-]{0,30})" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"type\":\"abcdefghijabcdefghijabcdefghijab\"}]}",
	  "n.json: gpus[0].type: too long (32 bytes, at most 31)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"mig_enabled\":1}]}",
	  "n.json: gpus[0].mig_enabled: expected true or false" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"numa_node\":-2}]}",
	  "n.json: gpus[0].numa_node: expected an integer, not -2" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"cpus\":\"3-1\"}]}",
	  "n.json: gpus[0].cpus: '3-1' is not a CPU list like 0-31,64-95" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"uuid\":\"a\\u0000b\"}]}",
	  "n.json: gpus[0].uuid: contains a NUL character" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"model\":\"a\\nb\"}]}",
	  "n.json: gpus[0].model: contains a control character" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"nvlink\":[{\"peer\":-1}]}]}",
	  "n.json: gpus[0].nvlink[0].peer_bus_id: missing (expected a string)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"nvlink\":[{\"peer\":1,\"peer_bus_id\":\"0000:02:00.0\"}]}]}",
	  "n.json: gpus[0].nvlink[0].peer: 1 is not a GPU of this node (1 GPUs)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"nvlink\":[{\"peer\":0,\"peer_bus_id\":\"0000:01:00.0\"}]}]}",
	  "n.json: gpus[0].nvlink[0].peer: a GPU cannot be its own peer" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"nvlink\":[{\"peer\":1,\"peer_bus_id\":\"0000:03:00.0\"}]},{\"index\":1,\"bus_id\":\"0000:02:00.0\"}]}",
	  "n.json: gpus[0].nvlink[0].peer: gpus[1] has bus id 0000:02:00.0, not peer_bus_id 0000:03:00.0" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"nvlink\":["
	  "{\"peer\":-1,\"peer_bus_id\":\"0000:c0:00.0\"},{\"peer\":-1,\"peer_bus_id\":\"0000:C0:00.0\"}]}]}",
	  "n.json: gpus[0].nvlink[1]: peer 0000:c0:00.0 is also gpus[0].nvlink[0]" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\"},"
	  "{\"index\":0,\"bus_id\":\"0000:02:00.0\"}]}",
	  "n.json: gpus[1]: index 0 is also gpus[0].index" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\"},"
	  "{\"index\":1,\"bus_id\":\"0000:01:00.0\"}]}",
	  "n.json: gpus[1]: bus_id 0000:01:00.0 is also gpus[0].bus_id" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"fabric\":{\"cluster_uuid\":\"xyz\"}}]}",
	  "n.json: gpus[0].fabric.cluster_uuid: 'xyz' is not a UUID (8-4-4-4-12 hex digits)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"fabric\":{\"state\":\"done\"}}]}",
	  "n.json: gpus[0].fabric.state: unknown state 'done' (expected none, not_started, in_progress or completed)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\","
	  "\"fabric\":{\"clique_id\":4294967296}}]}",
	  "n.json: gpus[0].fabric.clique_id: 4294967296 is too large (at most 4294967295)" },
	{ "{\"version\":1,\"hostname\":\"a\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"fabric\":[]}]}",
	  "n.json: gpus[0].fabric: expected an object" },
};

START_TEST(bad_documents)
{
	const struct bad_case *bc = &bad_cases[_i];
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	static const unsigned char zero[sizeof(vgpu_inventory_t)];
	vgpu_err_t err;

	memset(inv, 0x5a, sizeof(*inv));
	ck_assert_int_eq(vgpu_inventory_from_json(bc->json, strlen(bc->json), "n.json", inv, &err), -1);
	ck_assert_str_eq(err.msg, bc->msg);
	ck_assert_int_eq(memcmp(inv, zero, sizeof(*inv)), 0); /* zeroed, never half-filled */
	free(inv);
}
END_TEST

START_TEST(string_too_long_is_an_error)
{
	char doc[600], host[300];
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_err_t err;

	memset(host, 'h', 256);
	host[256] = '\0';
	snprintf(doc, sizeof(doc), "{\"version\":1,\"hostname\":\"%s\",\"gpus\":[]}", host);
	ck_assert_int_eq(vgpu_inventory_from_json(doc, strlen(doc), "n.json", inv, &err), -1);
	ck_assert_str_eq(err.msg, "n.json: hostname: too long (256 bytes, at most 255)");
	host[255] = '\0';
	snprintf(doc, sizeof(doc), "{\"version\":1,\"hostname\":\"%s\",\"gpus\":[]}", host);
	ck_assert_int_eq(vgpu_inventory_from_json(doc, strlen(doc), "n.json", inv, &err), 0);
	ck_assert_uint_eq(strlen(inv->hostname), 255);
	free(inv);
}
END_TEST

START_TEST(load_names_the_file)
{
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	char path[] = "/tmp/test_inventory.XXXXXX";
	vgpu_err_t err;
	FILE *f;
	int fd;

	ck_assert_int_eq(vgpu_inventory_load("/nonexistent/node.json", inv, &err), -1);
	ck_assert_str_eq(err.msg, "/nonexistent/node.json: cannot open: No such file or directory");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("{\"version\":1,\"hostname\":\"x\",\"gpus\":[{\"index\":0,\"bus_id\":\"0000:01:00.0\",\"sms\":-1}]}\n", f);
	fclose(f);
	ck_assert_int_eq(vgpu_inventory_load(path, inv, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, ": gpus[0].sms: expected a positive integer, not -1"));
	ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
	unlink(path);
	free(inv);
}
END_TEST

static const struct type_case {
	const char *model;
	const char *type;
} type_cases[] = {
	{ "NVIDIA H100 80GB HBM3", "h100" },
	{ "NVIDIA H100 PCIe", "h100" },
	{ "NVIDIA H100 NVL", "h100" },
	{ "NVIDIA H200", "h200" },
	{ "NVIDIA H200 NVL", "h200" },
	{ "NVIDIA H800", "h800" },
	{ "NVIDIA H20", "h20" },
	{ "NVIDIA GH200 480GB", "gh200" },
	{ "NVIDIA GB200", "gb200" },
	{ "NVIDIA B200", "b200" },
	{ "NVIDIA A100-SXM4-80GB", "a100" },
	{ "NVIDIA A100-SXM4-40GB", "a100" },
	{ "NVIDIA A100 80GB PCIe", "a100" },
	{ "NVIDIA A100-PCIE-40GB", "a100" },
	{ "NVIDIA A800 80GB PCIe", "a800" },
	{ "NVIDIA A10", "a10" },
	{ "NVIDIA A10G", "a10g" },
	{ "NVIDIA A2", "a2" },
	{ "NVIDIA A16", "a16" },
	{ "NVIDIA A30", "a30" },
	{ "NVIDIA A40", "a40" },
	{ "NVIDIA L4", "l4" },
	{ "NVIDIA L40", "l40" },
	{ "NVIDIA L40S", "l40s" },
	{ "Tesla T4", "t4" },
	{ "Tesla V100-SXM2-32GB", "v100" },
	{ "Tesla V100-PCIE-16GB", "v100" },
	{ "Tesla P100-PCIE-16GB", "p100" },
	{ "Tesla K80", "k80" },
	{ "Quadro RTX 8000", "rtx8000" },
	{ "Quadro RTX 6000", "rtx6000" },
	{ "Quadro P4000", "p4000" },
	{ "NVIDIA RTX A6000", "rtxa6000" },
	{ "NVIDIA RTX A4000", "rtxa4000" },
	{ "NVIDIA RTX 6000 Ada Generation", "rtx6000ada" },
	{ "NVIDIA RTX 4000 SFF Ada Generation", "rtx4000ada" },
	{ "NVIDIA GeForce RTX 4090", "rtx4090" },
	{ "NVIDIA GeForce RTX 3090", "rtx3090" },
	{ "NVIDIA GeForce RTX 4070 Ti SUPER", "rtx4070tisuper" },
	{ "NVIDIA GeForce GTX 1080 Ti", "gtx1080ti" },
	{ "NVIDIA GeForce RTX 5090", "rtx5090" },
	{ "NVIDIA RTX PRO 6000 Blackwell Server Edition", "rtxpro6000" },
	{ "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition", "rtxpro6000" },
	{ "NVIDIA TITAN RTX", "titanrtx" },
	{ "NVIDIA TITAN V", "titanv" },
	{ "NVIDIA T1000 8GB", "t1000" },
	{ "GRID K520", "k520" },
	{ "  nvidia   h100  ", "h100" },
};

START_TEST(type_names)
{
	const struct type_case *tc = &type_cases[_i];
	char buf[VGPU_NAME_MAX];

	memset(buf, 'x', sizeof(buf));
	ck_assert_msg(vgpu_inventory_type_name(tc->model, buf, sizeof(buf)) == 0, "%s: no name", tc->model);
	ck_assert_str_eq(buf, tc->type);
	/* Valid as gres.conf Type= and as a request NAME. */
	ck_assert(buf[0] >= 'a' && buf[0] <= 'z');
	ck_assert_uint_le(strlen(buf), 31);
	ck_assert_uint_eq(strspn(buf, "abcdefghijklmnopqrstuvwxyz0123456789_.-"), strlen(buf));
}
END_TEST

START_TEST(type_names_refused)
{
	char buf[VGPU_NAME_MAX], small[4];

	ck_assert_int_eq(vgpu_inventory_type_name("", buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(vgpu_inventory_type_name("NVIDIA Graphics Device", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_inventory_type_name("NVIDIA 4090", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_inventory_type_name(NULL, buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_inventory_type_name("NVIDIA H100", small, sizeof(small)), -1);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(vgpu_inventory_type_name("NVIDIA A100", small, sizeof(small)), -1);
	ck_assert_int_eq(vgpu_inventory_type_name("NVIDIA A10", small, sizeof(small)), 0);
	ck_assert_str_eq(small, "a10");
	ck_assert_int_eq(vgpu_inventory_type_name("NVIDIA GeForce RTX 4070 Ti SUPER Ti SUPER Ti SUPER Ti SUPER",
						  buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(bus_ids)
{
	char out[VGPU_BUSID_MAX], tiny[12];
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_inventory_busid("00000000:1B:00.0", out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, "0000:1b:00.0");
	ck_assert_int_eq(vgpu_inventory_busid("0000:1b:00.0", out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, "0000:1b:00.0");
	ck_assert_int_eq(vgpu_inventory_busid("0001:C1:1F.7", out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, "0001:c1:1f.7");
	ck_assert_int_eq(vgpu_inventory_busid("00010000:01:00.0", out, sizeof(out), &err), 0);
	ck_assert_str_eq(out, "10000:01:00.0");
	ck_assert_int_eq(vgpu_inventory_busid("1b:00.0", out, sizeof(out), &err), -1);
	ck_assert_str_eq(err.msg, "bus id '1b:00.0': expected DOMAIN:BUS:DEVICE.FUNCTION in hex, e.g. 0000:1b:00.0");
	ck_assert_int_eq(vgpu_inventory_busid("0000:1b:00.0 ", out, sizeof(out), &err), -1);
	ck_assert_int_eq(vgpu_inventory_busid("000000000:1b:00.0", out, sizeof(out), &err), -1);
	ck_assert_int_eq(vgpu_inventory_busid("0000:1b:0.0", out, sizeof(out), &err), -1);
	ck_assert_int_eq(vgpu_inventory_busid("0000:1g:00.0", out, sizeof(out), &err), -1);
	ck_assert_int_eq(vgpu_inventory_busid("0000:1b:20.0", out, sizeof(out), &err), -1);
	ck_assert_str_eq(err.msg, "bus id '0000:1b:20.0': device above 1f or function above 7");
	ck_assert_int_eq(vgpu_inventory_busid("0000:1b:00.8", out, sizeof(out), &err), -1);
	ck_assert_int_eq(vgpu_inventory_busid("", out, sizeof(out), &err), -1);
	ck_assert_int_eq(vgpu_inventory_busid(NULL, out, sizeof(out), &err), -1);
	ck_assert_int_eq(vgpu_inventory_busid("0000:1b:00.0", tiny, sizeof(tiny), &err), -1);
	ck_assert_str_eq(err.msg, "bus id '0000:1b:00.0': no room for the canonical form");
}
END_TEST

START_TEST(uuids_and_fabric)
{
	unsigned char u[16];
	char buf[40];
	vgpu_fabric_t f;

	ck_assert_int_eq(vgpu_inventory_uuid_parse("A1B2C3D4-0000-4000-8000-00000000000F", u), 0);
	ck_assert_str_eq(vgpu_inventory_uuid_format(u, buf, sizeof(buf)), "a1b2c3d4-0000-4000-8000-00000000000f");
	ck_assert_int_eq(vgpu_inventory_uuid_parse("a1b2c3d4-0000-4000-8000-00000000000", u), -1);
	ck_assert_int_eq(vgpu_inventory_uuid_parse("a1b2c3d40-000-4000-8000-000000000000", u), -1);
	ck_assert_int_eq(vgpu_inventory_uuid_parse("a1b2c3d4-0000-4000-8000-00000000000g", u), -1);
	memset(&f, 0, sizeof(f));
	f.state = VGPU_FABRIC_COMPLETED;
	ck_assert_int_eq(vgpu_inventory_fabric_attached(&f), 0); /* all-zero UUID (H100) */
	f.cluster_uuid[15] = 1;
	ck_assert_int_eq(vgpu_inventory_fabric_attached(&f), 1);
	f.status = 3;
	ck_assert_int_eq(vgpu_inventory_fabric_attached(&f), 0);
	f.status = 0;
	f.state = VGPU_FABRIC_IN_PROGRESS;
	ck_assert_int_eq(vgpu_inventory_fabric_attached(&f), 0);
	ck_assert_str_eq(vgpu_inventory_fabric_state_name(VGPU_FABRIC_NOT_STARTED), "not_started");
	ck_assert_str_eq(vgpu_inventory_fabric_state_name((vgpu_fabric_state_t)9), "unknown");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("inventory");
	TCase *tc = tcase_create("inventory");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, minimal_defaults);
	tcase_add_test(tc, empty_lists_one_form);
	tcase_add_loop_test(tc, bad_documents, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, string_too_long_is_an_error);
	tcase_add_test(tc, load_names_the_file);
	tcase_add_loop_test(tc, type_names, 0, (int)(sizeof(type_cases) / sizeof(type_cases[0])));
	tcase_add_test(tc, type_names_refused);
	tcase_add_test(tc, bus_ids);
	tcase_add_test(tc, uuids_and_fabric);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
