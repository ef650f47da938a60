/* Unit tests for vgpu_discover (the glue of NVML, CUDA and hwloc).
 *
 * Built twice: as the test program, and with VGPU_TEST_FAKE_DRIVER as
 * libfakedriver.so, a tiny NVML + CUDA driver whose answers exercise the
 * paths a realistic simulated node does not (NVML without the _v2 memory
 * call, a fabric probe that wants the v2 struct, a GPU hidden from CUDA,
 * links to a switch, failures). The test sets `fake_driver_mode` in the
 * loaded library before each run. The realistic node is the simulator's:
 * tests/sh/0210-discover-sim.sh. */
#ifdef VGPU_TEST_FAKE_DRIVER
#include <stdio.h>
#include <string.h>

#define VGPU_NVML_DECLARE_PROTOTYPES
#define VGPU_CUDA_DECLARE_PROTOTYPES
#include "vgpu_cuda_abi.h"
#include "vgpu_nvml_abi.h"

/* 0 normal; 1 no driver loaded; 2 no GPU; 3 PCI info of GPU 1 fails;
 * 4 GPU 1 in MIG mode. */
extern int fake_driver_mode;
int fake_driver_mode;

#define FAKE_GPUS 2
static const char *const fake_bus[FAKE_GPUS] = { "00000000:17:00.0", "00000000:97:00.0" };
static const unsigned char fake_cluster[16] = { 0x5c, 0x6d, 0x7e, 0x8f, 0x12, 0x34, 0x4a, 0xbc,
						0x9d, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab };

static int dev_index(vgpu_nvmlDevice_t d)
{
	int i = (int)((const char *)d - (const char *)fake_bus);

	return i >= 1 && i <= FAKE_GPUS ? i - 1 : -1;
}

vgpu_nvmlReturn_t nvmlInit_v2(void)
{
	return fake_driver_mode == 1 ? VGPU_NVML_ERROR_DRIVER_NOT_LOADED : VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlShutdown(void)
{
	return VGPU_NVML_SUCCESS;
}

const char *nvmlErrorString(vgpu_nvmlReturn_t rc)
{
	return rc == VGPU_NVML_ERROR_DRIVER_NOT_LOADED ? "Driver Not Loaded" : "Fake Error";
}

vgpu_nvmlReturn_t nvmlSystemGetDriverVersion(char *v, unsigned int len)
{
	snprintf(v, len, "575.57.08");
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v)
{
	*v = 12090;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n)
{
	*n = fake_driver_mode == 2 ? 0 : FAKE_GPUS;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, vgpu_nvmlDevice_t *d)
{
	if (i >= FAKE_GPUS)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*d = (vgpu_nvmlDevice_t)((const char *)fake_bus + i + 1);
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetPciInfo_v3(vgpu_nvmlDevice_t d, vgpu_nvmlPciInfo_t *pci)
{
	int i = dev_index(d);

	if (i < 0 || (fake_driver_mode == 3 && i == 1))
		return VGPU_NVML_ERROR_GPU_IS_LOST;
	memset(pci, 0, sizeof(*pci));
	snprintf(pci->busId, sizeof(pci->busId), "%s", fake_bus[i]);
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetName(vgpu_nvmlDevice_t d, char *name, unsigned int len)
{
	snprintf(name, len, "NVIDIA B200");
	return dev_index(d) < 0 ? VGPU_NVML_ERROR_INVALID_ARGUMENT : VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetUUID(vgpu_nvmlDevice_t d, char *uuid, unsigned int len)
{
	snprintf(uuid, len, "GPU-%c%c%c%c%c%c%c%c-0000-0000-0000-000000000000", 'a' + dev_index(d), 'a' + dev_index(d),
		 'a' + dev_index(d), 'a' + dev_index(d), 'a' + dev_index(d), 'a' + dev_index(d), 'a' + dev_index(d),
		 'a' + dev_index(d));
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetMinorNumber(vgpu_nvmlDevice_t d, unsigned int *minor)
{
	*minor = 4 + (unsigned)dev_index(d);
	return VGPU_NVML_SUCCESS;
}

/* No nvmlDeviceGetMemoryInfo_v2: an older driver. */
vgpu_nvmlReturn_t nvmlDeviceGetMemoryInfo(vgpu_nvmlDevice_t d, vgpu_nvmlMemory_t *m)
{
	m->total = 192ull << 30;
	m->used = 1ull << 30;
	m->free = m->total - m->used;
	return dev_index(d) < 0 ? VGPU_NVML_ERROR_INVALID_ARGUMENT : VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetMigMode(vgpu_nvmlDevice_t d, unsigned int *cur, unsigned int *pend)
{
	if (dev_index(d) == 0)
		return VGPU_NVML_ERROR_NOT_SUPPORTED;
	*cur = *pend = fake_driver_mode == 4 ? VGPU_NVML_DEVICE_MIG_ENABLE : VGPU_NVML_DEVICE_MIG_DISABLE;
	return VGPU_NVML_SUCCESS;
}

/* Links 0-3 reach the other GPU, 4-5 a switch at c0:00.0, 6 is down, 7 is
 * not supported, 8 and up do not exist. */
vgpu_nvmlReturn_t nvmlDeviceGetNvLinkState(vgpu_nvmlDevice_t d, unsigned int link, vgpu_nvmlEnableState_t *on)
{
	(void)d;
	if (link >= 8)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	if (link == 7)
		return VGPU_NVML_ERROR_NOT_SUPPORTED;
	*on = link == 6 ? VGPU_NVML_FEATURE_DISABLED : VGPU_NVML_FEATURE_ENABLED;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetNvLinkRemotePciInfo_v2(vgpu_nvmlDevice_t d, unsigned int link,
						      vgpu_nvmlPciInfo_t *pci)
{
	memset(pci, 0, sizeof(*pci));
	if (link < 4)
		snprintf(pci->busId, sizeof(pci->busId), "%s", fake_bus[1 - dev_index(d)]);
	else
		snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "0000:C0:00.0");
	return VGPU_NVML_SUCCESS;
}

/* Knows only the v2 struct, like an r550 driver. */
vgpu_nvmlReturn_t nvmlDeviceGetGpuFabricInfoV(vgpu_nvmlDevice_t d, vgpu_nvmlGpuFabricInfoV_t *fi)
{
	(void)d;
	if (fi->version != VGPU_NVML_GPU_FABRIC_INFO_V2)
		return VGPU_NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	memcpy(fi->clusterUuid, fake_cluster, 16);
	fi->cliqueId = 5;
	fi->state = VGPU_NVML_GPU_FABRIC_STATE_COMPLETED;
	fi->status = VGPU_NVML_SUCCESS;
	fi->healthMask = 0;
	return VGPU_NVML_SUCCESS;
}

/* CUDA sees GPU 0 only (as under CUDA_VISIBLE_DEVICES=0). */
vgpu_CUresult cuInit(unsigned int flags)
{
	return flags ? VGPU_CUDA_ERROR_INVALID_VALUE : VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetByPCIBusId(vgpu_CUdevice *dev, const char *bus)
{
	if (strcmp(bus, "0000:17:00.0") != 0)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	*dev = 0;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetAttribute(int *v, vgpu_CUdevice_attribute a, vgpu_CUdevice dev)
{
	if (a != VGPU_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT || dev != 0)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*v = 148;
	return VGPU_CUDA_SUCCESS;
}

#else /* the test program */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgpu_discover.h"
#include "vgpu_inventory.h"
#include "vgpu_test.h"

typedef struct warnings {
	int n;
	char last[VGPU_ERR_MAX];
} warnings_t;

static void collect(void *arg, const char *msg)
{
	warnings_t *w = arg;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static void opts_init(vgpu_discover_opts_t *o, warnings_t *w)
{
	memset(o, 0, sizeof(*o));
	memset(w, 0, sizeof(*w));
	o->warn = collect;
	o->warn_arg = w;
}

/* Read a whole file (test data, small) into a malloc'ed string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(short_hostnames)
{
	char buf[16];

	ck_assert_int_eq(vgpu_discover_short_hostname("gpu-node-01.cluster.example.org", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "gpu-node-01");
	ck_assert_int_eq(vgpu_discover_short_hostname("n_1", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "n_1");
	ck_assert_int_eq(vgpu_discover_short_hostname(".example.org", buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(vgpu_discover_short_hostname("", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_discover_short_hostname(NULL, buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_discover_short_hostname("a b", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_discover_short_hostname("0123456789abcdef", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vgpu_discover_short_hostname("0123456789abcde.x", buf, sizeof(buf)), 0);
}
END_TEST

/* The hwloc-only inventory of the H100 fixture is the golden JSON, and the
 * golden JSON reads back to the same inventory. */
START_TEST(hwloc_only_matches_golden)
{
	vgpu_inventory_t *inv = malloc(sizeof(*inv)), *gold = malloc(sizeof(*gold));
	char path[1024], what[64];
	vgpu_discover_opts_t o;
	warnings_t w;
	vgpu_err_t err;
	char *text, *want;

	opts_init(&o, &w);
	snprintf(path, sizeof(path), "%s", vgpu_test_srcpath("tests/golden/discover/h100x4-nvlink.xml"));
	o.topology = path;
	o.no_nvml = 1;
	ck_assert_msg(vgpu_discover_run(&o, inv, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(w.n, 0);
	ck_assert_str_eq(inv->hostname, "gpu-node-01");
	ck_assert_str_eq(inv->source, "hwloc-xml");
	ck_assert_int_eq(vgpu_inventory_load(vgpu_test_srcpath("tests/golden/discover/h100x4-nvlink.json"), gold, &err),
			 0);
	ck_assert_msg(vgpu_inventory_compare(inv, gold, what, sizeof(what)) == 0, "differs at %s", what);
	text = vgpu_inventory_to_json(inv);
	want = slurp(vgpu_test_srcpath("tests/golden/discover/h100x4-nvlink.json"));
	ck_assert_uint_eq(strlen(text) + 1, strlen(want)); /* the file ends with a newline */
	ck_assert_int_eq(strncmp(text, want, strlen(text)), 0);
	free(text);
	free(want);
	free(inv);
	free(gold);
}
END_TEST

START_TEST(hostname_option_and_this_host)
{
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	char path[1024], host[256], shortname[256];
	vgpu_discover_opts_t o;
	warnings_t w;
	vgpu_err_t err;

	opts_init(&o, &w);
	snprintf(path, sizeof(path), "%s", vgpu_test_srcpath("tests/golden/discover/minimal-2gpu.xml"));
	o.topology = path;
	o.no_nvml = 1;
	o.hostname = "node.with.dots";
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), 0);
	ck_assert_str_eq(inv->hostname, "node.with.dots"); /* as given, not cut */
	/* No HostName in that file: this host's short name. */
	o.hostname = NULL;
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), 0);
	memset(host, 0, sizeof(host));
	gethostname(host, sizeof(host) - 1);
	ck_assert_int_eq(vgpu_discover_short_hostname(host, shortname, sizeof(shortname)), 0);
	ck_assert_str_eq(inv->hostname, shortname);
	o.hostname = "bad/name";
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), -1);
	ck_assert_str_eq(err.msg, "--hostname 'bad/name' is not a usable node name (letters, digits, '-', '_', '.')");
	ck_assert_uint_eq(inv->ngpus, 0);
	free(inv);
}
END_TEST

START_TEST(failures_are_plain)
{
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_discover_opts_t o;
	warnings_t w;
	vgpu_err_t err;

	opts_init(&o, &w);
	o.nvml_lib = "/nonexistent/libnvidia-ml.so.1";
	o.topology = vgpu_test_srcpath("tests/golden/discover/smt-3gpu.xml");
	memset(inv, 'x', sizeof(*inv));
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), -1);
	ck_assert_str_eq(err.msg, "no NVIDIA driver: /nonexistent/libnvidia-ml.so.1 could not be loaded "
				  "(/nonexistent/libnvidia-ml.so.1: cannot open shared object file: No such file or directory)");
	ck_assert_uint_eq(inv->ngpus, 0);
	ck_assert_str_eq(inv->hostname, "");

	/* A library that is no NVML. */
	o.nvml_lib = "libc.so.6";
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), -1);
	ck_assert_str_eq(err.msg, "libc.so.6: not a usable NVML library: it has no nvmlInit_v2");

	o.no_nvml = 1;
	o.topology = vgpu_test_srcpath("tests/golden/discover/nogpu.xml");
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no GPU found: "));
	ck_assert_ptr_nonnull(strstr(err.msg, "nogpu.xml has no NVIDIA PCI device (class 0302 or 0300)"));

	o.topology = "/nonexistent/t.xml";
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), -1);
	ck_assert_int_eq(strncmp(err.msg, "topology /nonexistent/t.xml: ", 29), 0);
	ck_assert_int_eq(w.n, 0);
	free(inv);
}
END_TEST

/* ---- NVML and CUDA from libfakedriver.so ---------------------------------- */

static char fake_path[1024];
static int *fake_mode;

/* Load the fake driver once; the handle stays open so that the library
 * (and fake_driver_mode) stay the same across discover runs. */
static void fake_setup(void)
{
	const char *b = getenv("VGPU_BUILDDIR");
	void *h;

	snprintf(fake_path, sizeof(fake_path), "%s/tests/unit/.libs/libfakedriver.so", b ? b : ".");
	h = dlopen(fake_path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "%s", dlerror());
	fake_mode = dlsym(h, "fake_driver_mode");
	ck_assert_ptr_nonnull(fake_mode);
}

static void fake_opts(vgpu_discover_opts_t *o, warnings_t *w, int mode)
{
	static char topo[1024];

	fake_setup();
	*fake_mode = mode;
	opts_init(o, w);
	snprintf(topo, sizeof(topo), "%s", vgpu_test_srcpath("tests/golden/discover/minimal-2gpu.xml"));
	o->nvml_lib = fake_path;
	o->cuda_lib = fake_path;
	o->topology = topo;
	o->hostname = "fake1";
}

START_TEST(fake_driver_node)
{
	vgpu_inventory_t *inv = malloc(sizeof(*inv)), *back = malloc(sizeof(*back));
	vgpu_discover_opts_t o;
	char uuid[40], what[64];
	warnings_t w;
	vgpu_err_t err;
	char *text;

	fake_opts(&o, &w, 0);
	ck_assert_msg(vgpu_discover_run(&o, inv, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(inv->hostname, "fake1");
	ck_assert_str_eq(inv->source, "nvml+cuda+hwloc-xml");
	ck_assert_str_eq(inv->driver_version, "575.57.08");
	ck_assert_int_eq(inv->cuda_driver_version, 12090); /* v1 call: there is no _v2 */
	ck_assert_uint_eq(inv->ngpus, 2);
	for (unsigned i = 0; i < 2; i++) {
		const vgpu_gpu_t *g = &inv->gpus[i];

		ck_assert_uint_eq(g->index, i);
		ck_assert_uint_eq(g->minor, 4 + i);
		ck_assert_str_eq(g->bus_id, i ? "0000:97:00.0" : "0000:17:00.0");
		ck_assert_str_eq(g->uuid, i ? "GPU-bbbbbbbb-0000-0000-0000-000000000000"
					    : "GPU-aaaaaaaa-0000-0000-0000-000000000000");
		ck_assert_str_eq(g->model, "NVIDIA B200");
		ck_assert_str_eq(g->type, "b200");
		ck_assert_uint_eq(g->mem_bytes, 192ull << 30); /* v1 memory call */
		ck_assert_int_eq(g->mig_enabled, 0);
		ck_assert_int_eq(g->numa_node, (int)i);
		ck_assert_str_eq(g->cpus, i ? "1" : "0");
		ck_assert_str_eq(g->cores, i ? "1" : "0");
		/* Links 0-3 to the other GPU (bandwidth from hwloc), 4-5 to a switch. */
		ck_assert_uint_eq(g->nlinks, 2);
		ck_assert_int_eq(g->links[0].peer, 1 - (int)i);
		ck_assert_str_eq(g->links[0].peer_bus_id, i ? "0000:17:00.0" : "0000:97:00.0");
		ck_assert_uint_eq(g->links[0].links, 4);
		ck_assert_uint_eq(g->links[0].bw_mbps, 900000);
		ck_assert_int_eq(g->links[1].peer, -1);
		ck_assert_str_eq(g->links[1].peer_bus_id, "0000:c0:00.0");
		ck_assert_uint_eq(g->links[1].links, 2);
		ck_assert_uint_eq(g->links[1].bw_mbps, 0);
		/* The fabric probe fell back to the v2 struct. */
		ck_assert_int_eq(vgpu_inventory_fabric_attached(&g->fabric), 1);
		ck_assert_str_eq(vgpu_inventory_uuid_format(g->fabric.cluster_uuid, uuid, sizeof(uuid)),
				 "5c6d7e8f-1234-4abc-9def-0123456789ab");
		ck_assert_uint_eq(g->fabric.clique_id, 5);
	}
	/* CUDA sees GPU 0 only. */
	ck_assert_uint_eq(inv->gpus[0].sms, 148);
	ck_assert_uint_eq(inv->gpus[1].sms, 0);
	ck_assert_int_eq(w.n, 1);
	ck_assert_int_eq(strncmp(w.last, "GPU 1 (0000:97:00.0): SMs unknown: CUDA does not see it", 56), 0);
	text = vgpu_inventory_to_json(inv);
	ck_assert_int_eq(vgpu_inventory_from_json(text, strlen(text), "fake.json", back, &err), 0);
	ck_assert_msg(vgpu_inventory_compare(inv, back, what, sizeof(what)) == 0, "differs at %s", what);
	free(text);
	free(inv);
	free(back);
}
END_TEST

START_TEST(fake_driver_mig_and_no_cuda)
{
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_discover_opts_t o;
	warnings_t w;
	vgpu_err_t err;

	fake_opts(&o, &w, 4);
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), 0);
	ck_assert_int_eq(inv->gpus[0].mig_enabled, 0);
	ck_assert_int_eq(inv->gpus[1].mig_enabled, 1);
	ck_assert_uint_eq(inv->gpus[1].sms, 0);
	ck_assert_int_eq(w.n, 1);
	ck_assert_str_eq(w.last, "GPU 1 (0000:97:00.0): SMs unknown: MIG mode is on");

	fake_opts(&o, &w, 0);
	o.cuda_lib = "/nonexistent/libcuda.so.1";
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), 0);
	ck_assert_uint_eq(inv->gpus[0].sms, 0);
	ck_assert_uint_eq(inv->gpus[1].sms, 0);
	ck_assert_str_eq(inv->source, "nvml+hwloc-xml");
	ck_assert_int_eq(w.n, 1);
	ck_assert_str_eq(w.last, "no SM counts: /nonexistent/libcuda.so.1 could not be loaded "
				 "(/nonexistent/libcuda.so.1: cannot open shared object file: No such file or directory)");

	/* This system's topology: which warnings depends on the machine. */
	fake_opts(&o, &w, 0);
	o.topology = NULL;
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), 0);
	ck_assert_uint_eq(inv->ngpus, 2);
	ck_assert_int_eq(strncmp(inv->source, "nvml+cuda", 9), 0);
	free(inv);
}
END_TEST

START_TEST(fake_driver_failures)
{
	vgpu_inventory_t *inv = malloc(sizeof(*inv));
	vgpu_discover_opts_t o;
	char want[1200];
	warnings_t w;
	vgpu_err_t err;

	fake_opts(&o, &w, 1);
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), -1);
	snprintf(want, sizeof(want), "no NVIDIA driver: %s: nvmlInit_v2: Driver Not Loaded (9)", fake_path);
	ck_assert_str_eq(err.msg, want);
	fake_opts(&o, &w, 2);
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), -1);
	snprintf(want, sizeof(want), "no GPU found: %s reports no GPU", fake_path);
	ck_assert_str_eq(err.msg, want);
	fake_opts(&o, &w, 3);
	memset(inv, 'x', sizeof(*inv));
	ck_assert_int_eq(vgpu_discover_run(&o, inv, &err), -1);
	ck_assert_str_eq(err.msg, "GPU 1: nvmlDeviceGetPciInfo_v3: Fake Error (15)");
	ck_assert_uint_eq(inv->ngpus, 0);
	ck_assert_str_eq(inv->gpus[0].bus_id, ""); /* never half-filled */
	free(inv);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("discover");
	TCase *tc = tcase_create("discover");

	tcase_add_test(tc, short_hostnames);
	tcase_add_test(tc, hwloc_only_matches_golden);
	tcase_add_test(tc, hostname_option_and_this_host);
	tcase_add_test(tc, failures_are_plain);
	tcase_add_test(tc, fake_driver_node);
	tcase_add_test(tc, fake_driver_mig_and_no_cuda);
	tcase_add_test(tc, fake_driver_failures);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)

#endif
