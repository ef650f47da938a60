/* Unit tests for vgpu_topo (hwloc locality, NVLink matrix, hwloc-only GPUs)
 * on our XML fixtures under tests/golden/discover/ (h100x4-nvlink.xml,
 * minimal-2gpu.xml, smt-3gpu.xml), which every hwloc 2.x of the supported
 * releases (2.9 to 2.15) loads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgpu_inventory.h"
#include "vgpu_test.h"
#include "vgpu_topo.h"

/* "NAME.xml" is tests/golden/discover/NAME.xml. */
static const char *fixture_path(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", vgpu_test_srcpath("tests/golden/discover"), name);
	return path;
}

static vgpu_topo_t *open_fixture(const char *name)
{
	vgpu_topo_t *t = NULL;
	vgpu_err_t err;

	err.msg[0] = '\0';
	ck_assert_msg(vgpu_topo_open(fixture_path(name), &t, &err) == 0, "%s: %s", name, err.msg);
	return t;
}

START_TEST(h100x4_locality)
{
	static const struct {
		const char *bus;
		const char *cpus;
		int numa;
	} want[] = {
		{ "0000:10:00.0", "0-3", 0 },
		{ "0000:20:00.0", "0-3", 0 },
		{ "0000:50:00.0", "4-7", 1 },
		{ "0000:60:00.0", "4-7", 1 },
	};
	vgpu_topo_t *t = open_fixture("h100x4-nvlink.xml");
	vgpu_gpu_t *g = calloc(1, sizeof(*g));

	ck_assert_str_eq(vgpu_topo_hostname(t), "gpu-node-01");
	for (size_t i = 0; i < 4; i++) {
		strcpy(g->bus_id, want[i].bus);
		ck_assert_int_eq(vgpu_topo_locality(t, g), 0);
		ck_assert_str_eq(g->cpus, want[i].cpus);
		ck_assert_str_eq(g->cores, want[i].cpus); /* one PU per core, in order */
		ck_assert_int_eq(g->numa_node, want[i].numa);
	}
	strcpy(g->bus_id, "0000:11:00.0");
	ck_assert_int_eq(vgpu_topo_locality(t, g), 1);
	ck_assert_str_eq(g->cpus, "");
	ck_assert_str_eq(g->cores, "");
	ck_assert_int_eq(g->numa_node, -1);
	vgpu_topo_close(t);
	free(g);
}
END_TEST

START_TEST(h100x4_matrix)
{
	vgpu_topo_t *t = open_fixture("h100x4-nvlink.xml");
	uint64_t bw = 0;

	ck_assert_int_eq(vgpu_topo_has_nvlink(t), 1);
	ck_assert_int_eq(vgpu_topo_nvlink_bw(t, "0000:10:00.0", "0000:60:00.0", &bw), 1);
	ck_assert_uint_eq(bw, 450000);
	ck_assert_int_eq(vgpu_topo_nvlink_bw(t, "0000:10:00.0", "0000:10:00.0", &bw), 0);
	ck_assert_int_eq(vgpu_topo_nvlink_bw(t, "0000:10:00.0", "0000:70:00.0", &bw), 0);
	vgpu_topo_close(t);
}
END_TEST

START_TEST(h100x4_gpus)
{
	static const unsigned char cu[16] = { 0xa1, 0xb2, 0xc3, 0xd4, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 1 };
	static const char *const bus[4] = { "0000:10:00.0", "0000:20:00.0", "0000:50:00.0", "0000:60:00.0" };
	vgpu_topo_t *t = open_fixture("h100x4-nvlink.xml");
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_err_t err;
	char uuid[VGPU_UUID_MAX];

	ck_assert_int_eq(vgpu_topo_gpus(t, inv, &err), 4);
	ck_assert_str_eq(inv->hostname, "gpu-node-01");
	ck_assert_str_eq(inv->source, "hwloc-xml");
	ck_assert_uint_eq(inv->ngpus, 4);
	for (unsigned i = 0; i < 4; i++) {
		const vgpu_gpu_t *g = &inv->gpus[i];

		ck_assert_uint_eq(g->index, i);
		ck_assert_uint_eq(g->minor, i);
		ck_assert_str_eq(g->bus_id, bus[i]);
		ck_assert_str_eq(g->model, "NVIDIA H100 80GB HBM3");
		ck_assert_str_eq(g->type, "h100");
		snprintf(uuid, sizeof(uuid), "GPU-0000000%u-1111-2222-3333-444444444444", i);
		ck_assert_str_eq(g->uuid, uuid);
		ck_assert_uint_eq(g->mem_bytes, 83499072ull * 1024);
		ck_assert_uint_eq(g->sms, 132);
		ck_assert_str_eq(g->cpus, i < 2 ? "0-3" : "4-7");
		ck_assert_str_eq(g->cores, i < 2 ? "0-3" : "4-7");
		ck_assert_int_eq(g->numa_node, i < 2 ? 0 : 1);
		ck_assert_int_eq(g->fabric.state, VGPU_FABRIC_COMPLETED);
		ck_assert_int_eq(memcmp(g->fabric.cluster_uuid, cu, 16), 0);
		ck_assert_uint_eq(g->fabric.clique_id, 7);
		/* Full mesh: the other three GPUs, 450000 MB/s each, links unknown. */
		ck_assert_uint_eq(g->nlinks, 3);
		for (unsigned k = 0, p = 0; k < 3; k++, p++) {
			if (p == i)
				p++;
			ck_assert_int_eq(g->links[k].peer, (int)p);
			ck_assert_str_eq(g->links[k].peer_bus_id, bus[p]);
			ck_assert_uint_eq(g->links[k].links, 0);
			ck_assert_uint_eq(g->links[k].bw_mbps, 450000);
		}
	}
	vgpu_topo_close(t);
	free(inv);
}
END_TEST

START_TEST(minimal_2gpu)
{
	vgpu_topo_t *t = open_fixture("minimal-2gpu.xml");
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_err_t err;

	ck_assert_ptr_null(vgpu_topo_hostname(t));
	ck_assert_int_eq(vgpu_topo_gpus(t, inv, &err), 2);
	ck_assert_str_eq(inv->hostname, "");
	ck_assert_str_eq(inv->gpus[0].bus_id, "0000:17:00.0");
	ck_assert_str_eq(inv->gpus[0].cpus, "0");
	ck_assert_str_eq(inv->gpus[0].cores, "0"); /* no Core objects: PU L# */
	ck_assert_int_eq(inv->gpus[0].numa_node, 0);
	ck_assert_str_eq(inv->gpus[0].uuid, "GPU-aaaaaaaa-0000-0000-0000-000000000000");
	ck_assert_str_eq(inv->gpus[1].bus_id, "0000:97:00.0");
	ck_assert_str_eq(inv->gpus[1].cpus, "1");
	ck_assert_str_eq(inv->gpus[1].cores, "1");
	ck_assert_int_eq(inv->gpus[1].numa_node, 1);
	ck_assert_str_eq(inv->gpus[1].uuid, "GPU-bbbbbbbb-0000-0000-0000-000000000000");
	/* No model, memory, SMs or fabric in this file. */
	ck_assert_str_eq(inv->gpus[0].model, "");
	ck_assert_str_eq(inv->gpus[0].type, "");
	ck_assert_uint_eq(inv->gpus[0].mem_bytes, 0);
	ck_assert_uint_eq(inv->gpus[0].sms, 0);
	ck_assert_int_eq(inv->gpus[0].fabric.state, VGPU_FABRIC_NONE);
	ck_assert_uint_eq(inv->gpus[0].nlinks, 1);
	ck_assert_int_eq(inv->gpus[0].links[0].peer, 1);
	ck_assert_str_eq(inv->gpus[0].links[0].peer_bus_id, "0000:97:00.0");
	ck_assert_uint_eq(inv->gpus[0].links[0].bw_mbps, 900000);
	ck_assert_uint_eq(inv->gpus[1].nlinks, 1);
	ck_assert_int_eq(inv->gpus[1].links[0].peer, 0);
	vgpu_topo_close(t);
	free(inv);
}
END_TEST

/* Our own fixture (tests/golden/discover/smt-3gpu.xml): two threads per
 * core, numbered as Linux does (PU 0 and 4 share core 0), an AMD GPU that
 * must be left out, an NVIDIA GPU below the machine itself. */
START_TEST(smt_cores_differ_from_cpus)
{
	vgpu_topo_t *t = NULL;
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_err_t err;

	ck_assert_msg(vgpu_topo_open(vgpu_test_srcpath("tests/golden/discover/smt-3gpu.xml"), &t, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(vgpu_topo_gpus(t, inv, &err), 3);
	ck_assert_str_eq(inv->hostname, "smt-node.example.org");
	ck_assert_str_eq(inv->gpus[0].bus_id, "0000:07:00.0");
	ck_assert_str_eq(inv->gpus[0].cpus, "0-1,4-5");
	ck_assert_str_eq(inv->gpus[0].cores, "0-1");
	ck_assert_int_eq(inv->gpus[0].numa_node, 0);
	ck_assert_str_eq(inv->gpus[0].type, "a100");
	ck_assert_uint_eq(inv->gpus[0].mem_bytes, 85899345920ull);
	ck_assert_uint_eq(inv->gpus[0].sms, 108);
	ck_assert_str_eq(inv->gpus[1].bus_id, "0000:87:00.0");
	ck_assert_str_eq(inv->gpus[1].cpus, "2-3,6-7");
	ck_assert_str_eq(inv->gpus[1].cores, "2-3");
	ck_assert_int_eq(inv->gpus[1].numa_node, 1);
	ck_assert_uint_eq(inv->gpus[1].nlinks, 1);
	ck_assert_int_eq(inv->gpus[1].links[0].peer, 0);
	ck_assert_uint_eq(inv->gpus[1].links[0].bw_mbps, 600000);
	ck_assert_str_eq(inv->gpus[2].bus_id, "0000:c1:00.0");
	ck_assert_str_eq(inv->gpus[2].model, "NVIDIA RTX A4000");
	ck_assert_str_eq(inv->gpus[2].type, "rtxa4000");
	ck_assert_str_eq(inv->gpus[2].cpus, "0-7");
	ck_assert_str_eq(inv->gpus[2].cores, "0-3");
	ck_assert_int_eq(inv->gpus[2].numa_node, 0);
	ck_assert_uint_eq(inv->gpus[2].nlinks, 0);
	vgpu_topo_close(t);
	free(inv);
}
END_TEST

/* NVML-style links (counts, no bandwidth) get the matrix's bandwidth; a
 * link to a device the matrix does not hold keeps 0. */
START_TEST(fill_bw_keeps_links)
{
	vgpu_topo_t *t = open_fixture("minimal-2gpu.xml");
	vgpu_inventory_t *inv = calloc(1, sizeof(*inv));

	inv->ngpus = 2;
	strcpy(inv->gpus[0].bus_id, "0000:17:00.0");
	strcpy(inv->gpus[1].bus_id, "0000:97:00.0");
	inv->gpus[0].nlinks = 2;
	inv->gpus[0].links[0] = (vgpu_nvlink_t){ .peer = 1, .peer_bus_id = "0000:97:00.0", .links = 18 };
	inv->gpus[0].links[1] = (vgpu_nvlink_t){ .peer = -1, .peer_bus_id = "0000:c0:00.0", .links = 2 };
	vgpu_topo_fill_bw(t, inv);
	ck_assert_uint_eq(inv->gpus[0].links[0].links, 18);
	ck_assert_uint_eq(inv->gpus[0].links[0].bw_mbps, 900000);
	ck_assert_uint_eq(inv->gpus[0].links[1].bw_mbps, 0);
	ck_assert_uint_eq(vgpu_topo_fill_nvlink(t, inv), 2);
	ck_assert_uint_eq(inv->gpus[0].nlinks, 1);
	ck_assert_uint_eq(inv->gpus[0].links[0].links, 0);
	vgpu_topo_close(t);
	free(inv);
}
END_TEST

START_TEST(bad_files)
{
	char path[] = "/tmp/test_topo.XXXXXX";
	vgpu_topo_t *t = (vgpu_topo_t *)1;
	vgpu_err_t err;
	FILE *f;
	int fd;

	setenv("HWLOC_XML_VERBOSE", "0", 1);
	ck_assert_int_eq(vgpu_topo_open("/nonexistent/topo.xml", &t, &err), -1);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(err.msg, "topology /nonexistent/topo.xml: "));
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("<topology>not really</topology>\n", f);
	fclose(f);
	ck_assert_int_eq(vgpu_topo_open(path, &t, &err), -1);
	ck_assert_int_eq(strncmp(err.msg, "topology /tmp/test_topo.", 24), 0);
	unlink(path);
}
END_TEST

/* This machine's own topology loads; it may or may not have NVIDIA GPUs. */
START_TEST(this_system)
{
	vgpu_topo_t *t = NULL;
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_topo_open(NULL, &t, &err), 0);
	ck_assert_int_ge(vgpu_topo_gpus(t, inv, &err), 0);
	ck_assert_str_eq(inv->source, "hwloc");
	vgpu_topo_close(t);
	free(inv);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("topo");
	TCase *tc = tcase_create("topo");

	tcase_add_test(tc, h100x4_locality);
	tcase_add_test(tc, h100x4_matrix);
	tcase_add_test(tc, h100x4_gpus);
	tcase_add_test(tc, minimal_2gpu);
	tcase_add_test(tc, smt_cores_differ_from_cpus);
	tcase_add_test(tc, fill_bw_keeps_links);
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, this_system);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
