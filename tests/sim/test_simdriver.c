/*
 * test_simdriver - the simulated libnvidia-ml.so.1 and libcuda.so.1 as an
 * application sees them (dlopen by path): discovery values equal the node
 * JSON, CUDA_VISIBLE_DEVICES, memory accounting within one process, how the
 * node file is found (VGPU_SIM_NODE, VGPU_SIM_DIR + SLURMD_NODENAME, none),
 * and a fork after cuInit. Cross-process sharing: test_simshare.c.
 */
#include "simtest.h"
#include "simptx.h"

#include <sys/stat.h>

/* ---- NVML discovery ------------------------------------------------------ */

static void nvml_discovery(void *arg)
{
	void *h;
	char buf[128];
	unsigned int n = 0, u = 0, cur = 9, pend = 9;
	int major = 0, minor = 0;
	vgpu_nvmlDevice_t d[3], x = NULL;
	vgpu_nvmlPciInfo_t pci;
	vgpu_nvmlMemory_t m1;
	vgpu_nvmlMemory_v2_t m2;
	vgpu_nvmlEnableState_t st;
	vgpu_nvmlIntNvLinkDeviceType_t type;
	vgpu_nvmlGpuFabricInfoV_t fab;
	vgpu_nvmlGpuP2PStatus_t p2p;
	static const unsigned char cluster[16] = { 0x6f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x78,
						   0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xf9 };

	(void)arg;
	use_node("simtest-a");
	h = sim_open("libnvidia-ml.so.1");
	LOAD(h, nvmlInit_v2);
	LOAD(h, nvmlShutdown);
	LOAD(h, nvmlErrorString);
	LOAD(h, nvmlSystemGetDriverVersion);
	LOAD(h, nvmlSystemGetNVMLVersion);
	LOAD(h, nvmlSystemGetCudaDriverVersion_v2);
	LOAD(h, nvmlDeviceGetCount_v2);
	LOAD(h, nvmlDeviceGetHandleByIndex_v2);
	LOAD(h, nvmlDeviceGetHandleByUUID);
	LOAD(h, nvmlDeviceGetHandleByPciBusId_v2);
	LOAD(h, nvmlDeviceGetIndex);
	LOAD(h, nvmlDeviceGetName);
	LOAD(h, nvmlDeviceGetUUID);
	LOAD(h, nvmlDeviceGetPciInfo_v3);
	LOAD(h, nvmlDeviceGetMinorNumber);
	LOAD(h, nvmlDeviceGetMemoryInfo);
	LOAD(h, nvmlDeviceGetMemoryInfo_v2);
	LOAD(h, nvmlDeviceGetMigMode);
	LOAD(h, nvmlDeviceGetCudaComputeCapability);
	LOAD(h, nvmlDeviceGetNvLinkState);
	LOAD(h, nvmlDeviceGetNvLinkRemotePciInfo_v2);
	LOAD(h, nvmlDeviceGetNvLinkRemoteDeviceType);
	LOAD(h, nvmlDeviceGetGpuFabricInfoV);
	LOAD(h, nvmlDeviceGetGpuFabricInfo);
	LOAD(h, nvmlDeviceGetGpuFabricInfo_v4);
	LOAD(h, nvmlDeviceGetP2PStatus);

	CHECK_EQ_INT(nvmlDeviceGetCount_v2(&n), VGPU_NVML_ERROR_UNINITIALIZED, "count before nvmlInit");
	CHECK_EQ_INT(nvmlShutdown(), VGPU_NVML_ERROR_UNINITIALIZED, "shutdown before nvmlInit");
	if (!CHECK_EQ_INT(nvmlInit_v2(), VGPU_NVML_SUCCESS, "nvmlInit_v2"))
		return;
	CHECK_EQ_STR(nvmlErrorString(VGPU_NVML_ERROR_INSUFFICIENT_SIZE), "Insufficient Size", "nvmlErrorString");
	CHECK_EQ_INT(nvmlSystemGetDriverVersion(buf, sizeof(buf)), 0, "driver version");
	CHECK_EQ_STR(buf, "580.65.06", "driver version");
	CHECK_EQ_INT(nvmlSystemGetDriverVersion(buf, 5), VGPU_NVML_ERROR_INSUFFICIENT_SIZE, "short buffer");
	CHECK_EQ_INT(nvmlSystemGetNVMLVersion(buf, sizeof(buf)), 0, "NVML version");
	CHECK_EQ_STR(buf, "13.580.65.06", "NVML version");
	CHECK_EQ_INT(nvmlSystemGetCudaDriverVersion_v2(&major), 0, "CUDA version");
	CHECK_EQ_INT(major, 13000, "CUDA version");
	CHECK_EQ_INT(nvmlDeviceGetCount_v2(&n), 0, "count");
	CHECK_EQ_INT(n, 3, "count");
	for (unsigned int i = 0; i < 3; i++)
		CHECK_EQ_INT(nvmlDeviceGetHandleByIndex_v2(i, &d[i]), 0, "handle by index");
	CHECK_EQ_INT(nvmlDeviceGetHandleByIndex_v2(3, &x), VGPU_NVML_ERROR_INVALID_ARGUMENT, "index 3");

	CHECK_EQ_INT(nvmlDeviceGetName(d[0], buf, sizeof(buf)), 0, "name");
	CHECK_EQ_STR(buf, "NVIDIA H100 80GB HBM3", "name");
	CHECK_EQ_INT(nvmlDeviceGetName(d[0], buf, 8), VGPU_NVML_ERROR_INSUFFICIENT_SIZE, "name, short buffer");
	CHECK_EQ_INT(nvmlDeviceGetUUID(d[2], buf, sizeof(buf)), 0, "uuid");
	CHECK_EQ_STR(buf, NODE_A_UUID2, "uuid");
	CHECK_EQ_INT(nvmlDeviceGetPciInfo_v3(d[0], &pci), 0, "pci info");
	CHECK_EQ_STR(pci.busId, "00000000:18:00.0", "busId");
	CHECK_EQ_STR(pci.busIdLegacy, "0000:18:00.0", "busIdLegacy");
	CHECK_EQ_INT(pci.pciDeviceId, 0x233010de, "pciDeviceId");
	CHECK_EQ_INT(pci.pciSubSystemId, 0x16c110de, "pciSubSystemId");
	CHECK_EQ_INT(pci.bus, 0x18, "bus");
	CHECK_EQ_INT(nvmlDeviceGetPciInfo_v3(d[2], &pci), 0, "pci info");
	CHECK_EQ_STR(pci.busId, "00000000:3A:00.0", "busId of a 0000:3a:00.0 GPU");
	CHECK_EQ_INT(nvmlDeviceGetMinorNumber(d[0], &u), 0, "minor");
	CHECK_EQ_INT(u, 3, "minor");
	CHECK_EQ_INT(nvmlDeviceGetCudaComputeCapability(d[2], &major, &minor), 0, "cc");
	check(major == 8 && minor == 0, "compute capability 8.0: got %d.%d", major, minor);
	CHECK_EQ_INT(nvmlDeviceGetHandleByUUID(NODE_A_UUID1, &x), 0, "handle by uuid");
	CHECK_EQ_INT(nvmlDeviceGetIndex(x, &u), 0, "index");
	CHECK_EQ_INT(u, 1, "index of " NODE_A_UUID1);
	CHECK_EQ_INT(nvmlDeviceGetHandleByUUID("GPU-00000000-0000-0000-0000-000000000000", &x),
		     VGPU_NVML_ERROR_NOT_FOUND, "unknown uuid");
	CHECK_EQ_INT(nvmlDeviceGetHandleByPciBusId_v2("0000:3a:00.0", &x), 0, "handle by legacy bus id");
	CHECK_EQ_INT(nvmlDeviceGetIndex(x, &u), 0, "index");
	CHECK_EQ_INT(u, 2, "index of 0000:3a:00.0");
	CHECK_EQ_INT(nvmlDeviceGetHandleByPciBusId_v2("00000000:99:00.0", &x), VGPU_NVML_ERROR_NOT_FOUND,
		     "unknown bus id");

	/* memory: nothing used yet */
	CHECK_EQ_INT(nvmlDeviceGetMemoryInfo(d[0], &m1), 0, "memory v1");
	CHECK_EQ_INT(m1.total, 1024 * MIB, "v1 total");
	CHECK_EQ_INT(m1.used, 64 * MIB, "v1 used (the reservation)");
	CHECK_EQ_INT(m1.free, 960 * MIB, "v1 free");
	memset(&m2, 0, sizeof(m2));
	CHECK_EQ_INT(nvmlDeviceGetMemoryInfo_v2(d[0], &m2), VGPU_NVML_ERROR_ARGUMENT_VERSION_MISMATCH,
		     "memory v2 without a version");
	m2.version = VGPU_NVML_MEMORY_V2;
	CHECK_EQ_INT(nvmlDeviceGetMemoryInfo_v2(d[0], &m2), 0, "memory v2");
	check(m2.total == 1024 * MIB && m2.reserved == 64 * MIB && m2.used == 0 && m2.free == 960 * MIB,
	      "v2: total %llu reserved %llu used %llu free %llu", m2.total, m2.reserved, m2.used, m2.free);

	/* MIG */
	CHECK_EQ_INT(nvmlDeviceGetMigMode(d[0], &cur, &pend), 0, "MIG mode");
	check(cur == 0 && pend == 0, "MIG disabled on GPU 0");
	CHECK_EQ_INT(nvmlDeviceGetMigMode(d[2], &cur, &pend), 0, "MIG mode");
	check(cur == 1 && pend == 1, "MIG enabled on GPU 2");
	CHECK_EQ_INT(nvmlDeviceGetMigMode(d[1], &cur, &pend), VGPU_NVML_ERROR_NOT_SUPPORTED, "no MIG on GPU 1");

	/* NVLink: GPU 0 links 0-3 to GPU 1, 4-5 to the switch, 6-17 inactive */
	CHECK_EQ_INT(nvmlDeviceGetNvLinkState(d[0], 3, &st), 0, "link 3");
	CHECK_EQ_INT(st, VGPU_NVML_FEATURE_ENABLED, "link 3 active");
	CHECK_EQ_INT(nvmlDeviceGetNvLinkState(d[0], 6, &st), 0, "link 6");
	CHECK_EQ_INT(st, VGPU_NVML_FEATURE_DISABLED, "link 6 inactive");
	CHECK_EQ_INT(nvmlDeviceGetNvLinkState(d[0], 18, &st), VGPU_NVML_ERROR_INVALID_ARGUMENT, "link 18");
	CHECK_EQ_INT(nvmlDeviceGetNvLinkState(d[2], 0, &st), VGPU_NVML_ERROR_NOT_SUPPORTED, "no NVLink on GPU 2");
	CHECK_EQ_INT(nvmlDeviceGetNvLinkRemotePciInfo_v2(d[0], 0, &pci), 0, "remote of link 0");
	CHECK_EQ_STR(pci.busId, "00000000:2A:00.0", "link 0 reaches GPU 1");
	CHECK_EQ_INT(nvmlDeviceGetNvLinkRemotePciInfo_v2(d[0], 5, &pci), 0, "remote of link 5");
	CHECK_EQ_STR(pci.busId, "00000000:05:00.0", "link 5 reaches the NVSwitch");
	CHECK_EQ_INT(pci.pciDeviceId, 0x22a310de, "NVSwitch device id");
	CHECK_EQ_INT(nvmlDeviceGetNvLinkRemoteDeviceType(d[0], 4, &type), 0, "remote type of link 4");
	CHECK_EQ_INT(type, VGPU_NVML_NVLINK_DEVICE_TYPE_SWITCH, "link 4 is a switch");
	CHECK_EQ_INT(nvmlDeviceGetNvLinkRemoteDeviceType(d[1], 0, &type), 0, "remote type of GPU 1 link 0");
	CHECK_EQ_INT(type, VGPU_NVML_NVLINK_DEVICE_TYPE_GPU, "GPU 1 link 0 is a GPU");
	CHECK_EQ_INT(nvmlDeviceGetNvLinkRemotePciInfo_v2(d[0], 6, &pci), VGPU_NVML_ERROR_INVALID_ARGUMENT,
		     "remote of an inactive link");
	CHECK_EQ_INT(nvmlDeviceGetP2PStatus(d[0], d[1], VGPU_NVML_P2P_CAPS_INDEX_NVLINK, &p2p), 0, "p2p");
	CHECK_EQ_INT(p2p, VGPU_NVML_P2P_STATUS_OK, "GPU 0 and 1 over NVLink");
	CHECK_EQ_INT(nvmlDeviceGetP2PStatus(d[0], d[2], VGPU_NVML_P2P_CAPS_INDEX_READ, &p2p), 0, "p2p");
	CHECK_EQ_INT(p2p, VGPU_NVML_P2P_STATUS_NOT_SUPPORTED, "no PCIe P2P on this node");

	/* fabric */
	memset(&fab, 0, sizeof(fab));
	fab.version = VGPU_NVML_GPU_FABRIC_INFO_V3;
	CHECK_EQ_INT(nvmlDeviceGetGpuFabricInfoV(d[0], &fab), 0, "fabric info");
	check(fab.cliqueId == 7 && fab.state == VGPU_NVML_GPU_FABRIC_STATE_COMPLETED && fab.status == 0 &&
		      memcmp(fab.clusterUuid, cluster, 16) == 0 &&
		      fab.healthSummary == VGPU_NVML_GPU_FABRIC_HEALTH_SUMMARY_HEALTHY,
	      "fabric: clique %u state %u status %d", fab.cliqueId, fab.state, (int)fab.status);
	CHECK_EQ_INT(nvmlDeviceGetGpuFabricInfoV(d[1], &fab), VGPU_NVML_ERROR_NOT_SUPPORTED, "no fabric on GPU 1");
	fab.version = 1;
	CHECK_EQ_INT(nvmlDeviceGetGpuFabricInfoV(d[0], &fab), VGPU_NVML_ERROR_ARGUMENT_VERSION_MISMATCH,
		     "fabric, bad version");
	{
		vgpu_nvmlGpuFabricInfo_v2_t f2;
		vgpu_nvmlGpuFabricInfo_t f1;
		vgpu_nvmlGpuFabricInfo_v4_t f4;

		/* v2: the struct without healthSummary; the byte after it is left alone. */
		unsigned char raw[sizeof(f2) + 4];

		memset(raw, 0xa5, sizeof(raw));
		memset(&f2, 0, sizeof(f2));
		f2.version = VGPU_NVML_GPU_FABRIC_INFO_V2;
		memcpy(raw, &f2, sizeof(f2));
		CHECK_EQ_INT(nvmlDeviceGetGpuFabricInfoV(d[0], (vgpu_nvmlGpuFabricInfoV_t *)(void *)raw), 0,
			     "fabric info v2");
		memcpy(&f2, raw, sizeof(f2));
		check(f2.cliqueId == 7 && f2.state == VGPU_NVML_GPU_FABRIC_STATE_COMPLETED && raw[sizeof(f2)] == 0xa5,
		      "fabric v2: clique %u, byte past the struct 0x%x", f2.cliqueId, raw[sizeof(f2)]);
		memset(&f1, 0, sizeof(f1));
		CHECK_EQ_INT(nvmlDeviceGetGpuFabricInfo(d[0], &f1), 0, "fabric info v1");
		check(f1.cliqueId == 7 && f1.state == VGPU_NVML_GPU_FABRIC_STATE_COMPLETED &&
			      memcmp(f1.clusterUuid, cluster, 16) == 0,
		      "fabric v1: clique %u state %u", f1.cliqueId, f1.state);
		CHECK_EQ_INT(nvmlDeviceGetGpuFabricInfo(d[1], &f1), VGPU_NVML_ERROR_NOT_SUPPORTED, "v1: no fabric on GPU 1");
		/* simtest-a's driver offers up to v3 (the default): no v4 query. */
		CHECK_EQ_INT(nvmlDeviceGetGpuFabricInfo_v4(d[0], &f4), VGPU_NVML_ERROR_FUNCTION_NOT_FOUND,
			     "v4 on a driver without it");
		CHECK_EQ_INT(nvmlDeviceGetGpuFabricInfo(d[0], NULL), VGPU_NVML_ERROR_INVALID_ARGUMENT, "v1: NULL");
	}

	CHECK_EQ_INT(nvmlShutdown(), 0, "shutdown");
	CHECK_EQ_INT(nvmlDeviceGetCount_v2(&n), VGPU_NVML_ERROR_UNINITIALIZED, "count after shutdown");
}

/* ---- CUDA discovery ------------------------------------------------------- */

static void cuda_discovery(void *arg)
{
	void *h;
	int n = 0, v = 0, dev = -1;
	size_t total = 0;
	char buf[128];
	const char *s = NULL;
	vgpu_CUuuid uuid;
	static const unsigned char uuid2[16] = { 0xab, 0xcd, 0xef, 0x00, 0x12, 0x34, 0x56, 0x78,
						 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78 };

	(void)arg;
	use_node("simtest-a");
	h = sim_open("libcuda.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuDriverGetVersion);
	LOAD(h, cuDeviceGetCount);
	LOAD(h, cuDeviceGet);
	LOAD(h, cuDeviceGetName);
	LOAD(h, cuDeviceTotalMem_v2);
	LOAD(h, cuDeviceTotalMem);
	LOAD(h, cuDeviceGetAttribute);
	LOAD(h, cuDeviceGetUuid_v2);
	LOAD(h, cuDeviceGetPCIBusId);
	LOAD(h, cuDeviceGetByPCIBusId);
	LOAD(h, cuDeviceCanAccessPeer);
	LOAD(h, cuGetErrorName);
	LOAD(h, cuGetErrorString);
	LOAD(h, cuGetExportTable);

	CHECK_EQ_INT(cuDeviceGetCount(&n), VGPU_CUDA_ERROR_NOT_INITIALIZED, "count before cuInit");
	CHECK_EQ_INT(cuDriverGetVersion(&v), 0, "driver version before cuInit");
	CHECK_EQ_INT(v, 13000, "driver version");
	CHECK_EQ_INT(cuInit(1), VGPU_CUDA_ERROR_INVALID_VALUE, "cuInit(1)");
	if (!CHECK_EQ_INT(cuInit(0), 0, "cuInit"))
		return;
	CHECK_EQ_INT(cuDeviceGetCount(&n), 0, "count");
	CHECK_EQ_INT(n, 3, "count");
	CHECK_EQ_INT(cuDeviceGet(&dev, 3), VGPU_CUDA_ERROR_INVALID_DEVICE, "ordinal 3");
	CHECK_EQ_INT(cuDeviceGet(&dev, 2), 0, "ordinal 2");
	CHECK_EQ_INT(cuDeviceGetName(buf, sizeof(buf), 2), 0, "name");
	CHECK_EQ_STR(buf, "NVIDIA A100 test", "name");
	CHECK_EQ_INT(cuDeviceTotalMem_v2(&total, 0), 0, "total memory");
	CHECK_EQ_INT(total, 960 * MIB, "total memory = memory_bytes - reserved_bytes");
	CHECK_EQ_INT(cuDeviceTotalMem((unsigned int *)&v, 0), VGPU_CUDA_ERROR_NOT_SUPPORTED, "32-bit cuDeviceTotalMem");
	CHECK_EQ_INT(cuDeviceGetAttribute(&v, VGPU_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 0), 0, "SMs");
	CHECK_EQ_INT(v, 132, "SMs");
	cuDeviceGetAttribute(&v, VGPU_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 2);
	CHECK_EQ_INT(v, 8, "cc major");
	cuDeviceGetAttribute(&v, VGPU_CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, 1);
	CHECK_EQ_INT(v, 0x2a, "PCI bus");
	cuDeviceGetAttribute(&v, VGPU_CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID, 1);
	CHECK_EQ_INT(v, 0, "PCI domain");
	CHECK_EQ_INT(cuDeviceGetAttribute(&v, VGPU_CU_DEVICE_ATTRIBUTE_MAX, 0), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "attribute past the last");
	CHECK_EQ_INT(cuDeviceGetAttribute(&v, VGPU_CU_DEVICE_ATTRIBUTE_WARP_SIZE, 7), VGPU_CUDA_ERROR_INVALID_DEVICE,
		     "attribute of device 7");
	CHECK_EQ_INT(cuDeviceGetUuid_v2(&uuid, 2), 0, "uuid");
	check(memcmp(uuid.bytes, uuid2, 16) == 0, "uuid bytes of " NODE_A_UUID2);
	CHECK_EQ_INT(cuDeviceGetPCIBusId(buf, sizeof(buf), 2), 0, "PCI bus id");
	CHECK_EQ_STR(buf, "0000:3A:00.0", "PCI bus id");
	CHECK_EQ_INT(cuDeviceGetByPCIBusId(&dev, "00000000:2a:00.0"), 0, "device by bus id");
	CHECK_EQ_INT(dev, 1, "device by bus id");
	CHECK_EQ_INT(cuDeviceGetByPCIBusId(&dev, "0000:77:00.0"), VGPU_CUDA_ERROR_INVALID_DEVICE, "unknown bus id");
	CHECK_EQ_INT(cuDeviceCanAccessPeer(&v, 0, 1), 0, "peer access");
	CHECK_EQ_INT(v, 1, "GPU 0 reaches GPU 1 (NVLink)");
	cuDeviceCanAccessPeer(&v, 0, 2);
	CHECK_EQ_INT(v, 0, "GPU 0 does not reach GPU 2 (no link, no PCIe P2P)");
	CHECK_EQ_INT(cuGetErrorName(VGPU_CUDA_ERROR_OUT_OF_MEMORY, &s), 0, "error name");
	CHECK_EQ_STR(s, "CUDA_ERROR_OUT_OF_MEMORY", "error name");
	CHECK_EQ_INT(cuGetErrorString(VGPU_CUDA_ERROR_NO_DEVICE, &s), 0, "error string");
	CHECK_EQ_STR(s, "no CUDA-capable device is detected", "error string");
	CHECK_EQ_INT(cuGetErrorString((vgpu_CUresult)12345, &s), VGPU_CUDA_ERROR_INVALID_VALUE, "unknown error");
	check(s == NULL, "unknown error has no string");
	CHECK_EQ_INT(cuGetExportTable((const void **)&s, (const vgpu_CUuuid *)&uuid), VGPU_CUDA_ERROR_NOT_SUPPORTED,
		     "cuGetExportTable");
}

/* ---- one process's memory ---------------------------------------------- */

struct mem_fns {
	vgpu_pfn_cuMemGetInfo_v2 getinfo;
	vgpu_pfn_nvmlDeviceGetMemoryInfo_v2 nvinfo;
	vgpu_nvmlDevice_t dev0;
};

/* Free MiB as cuMemGetInfo_v2 says; NVML's v2 used must agree with it. */
static long long free_mib(const struct mem_fns *f)
{
	size_t fr = 0, tot = 0;
	vgpu_nvmlMemory_v2_t m = { .version = VGPU_NVML_MEMORY_V2 };

	if (f->getinfo(&fr, &tot) != 0 || f->nvinfo(f->dev0, &m) != 0)
		return -1;
	if (m.used + fr != tot)
		check(0, "cuMemGetInfo free %zu + NVML used %llu != total %zu", fr, m.used, tot);
	return (long long)(fr / MIB);
}

static void cuda_memory(void *arg)
{
	void *h, *n, *host = NULL;
	vgpu_CUcontext p = NULL, c = NULL, cur = NULL;
	vgpu_CUdeviceptr a = 0, b = 0, big = 0, va = 0, ap = 0;
	vgpu_CUmemGenericAllocationHandle vh = 0;
	vgpu_CUmemoryPool pool = NULL, defpool = NULL;
	vgpu_CUstream s = NULL;
	vgpu_CUarray arr = NULL;
	vgpu_CUmodule mod = NULL;
	vgpu_CUfunction fn = NULL;
	size_t pitch = 0, gran = 0;
	unsigned int cnt = 0;
	int dev = -1;
	char in[4096], out[4096], *buf = malloc(1 << 20);
	vgpu_nvmlProcessInfo_t procs[4];
	vgpu_CUmemAllocationProp prop = { .type = VGPU_CU_MEM_ALLOCATION_TYPE_PINNED,
					  .location = { VGPU_CU_MEM_LOCATION_TYPE_DEVICE, 0 } };
	vgpu_CUmemAccessDesc acc = { { VGPU_CU_MEM_LOCATION_TYPE_DEVICE, 0 }, VGPU_CU_MEM_ACCESS_FLAGS_PROT_READWRITE };
	vgpu_CUmemPoolProps props = { .allocType = VGPU_CU_MEM_ALLOCATION_TYPE_PINNED,
				      .location = { VGPU_CU_MEM_LOCATION_TYPE_DEVICE, 0 } };
	vgpu_CUDA_ARRAY_DESCRIPTOR ad = { 256, 256, VGPU_CU_AD_FORMAT_FLOAT, 1 };
	struct mem_fns f;

	(void)arg;
	use_node("simtest-a");
	h = sim_open("libcuda.so.1");
	n = sim_open("libnvidia-ml.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuMemAlloc_v2);
	LOAD(h, cuMemAlloc);
	LOAD(h, cuMemFree_v2);
	LOAD(h, cuMemGetInfo_v2);
	LOAD(h, cuMemAllocPitch_v2);
	LOAD(h, cuMemAllocManaged);
	LOAD(h, cuMemAllocHost_v2);
	LOAD(h, cuMemFreeHost);
	LOAD(h, cuMemHostRegister_v2);
	LOAD(h, cuMemHostUnregister);
	LOAD(h, cuMemcpyHtoD_v2);
	LOAD(h, cuMemcpyDtoH_v2);
	LOAD(h, cuMemAllocAsync);
	LOAD(h, cuMemFreeAsync);
	LOAD(h, cuMemAllocFromPoolAsync);
	LOAD(h, cuMemPoolCreate);
	LOAD(h, cuMemPoolDestroy);
	LOAD(h, cuDeviceGetDefaultMemPool);
	LOAD(h, cuArrayCreate_v2);
	LOAD(h, cuArrayDestroy);
	LOAD(h, cuMemGetAllocationGranularity);
	LOAD(h, cuMemCreate);
	LOAD(h, cuMemRelease);
	LOAD(h, cuMemAddressReserve);
	LOAD(h, cuMemAddressFree);
	LOAD(h, cuMemMap);
	LOAD(h, cuMemUnmap);
	LOAD(h, cuMemSetAccess);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(h, cuDevicePrimaryCtxRelease_v2);
	LOAD(h, cuCtxSetCurrent);
	LOAD(h, cuCtxGetCurrent);
	LOAD(h, cuCtxCreate_v2);
	LOAD(h, cuCtxDestroy_v2);
	LOAD(h, cuCtxGetDevice);
	LOAD(h, cuStreamCreate);
	LOAD(h, cuStreamSynchronize);
	LOAD(h, cuStreamDestroy_v2);
	LOAD(h, cuLaunchKernel);
	LOAD(h, cuModuleLoadData);
	LOAD(h, cuModuleGetFunction);
	LOAD(h, cuModuleUnload);
	LOAD(n, nvmlInit_v2);
	LOAD(n, nvmlDeviceGetHandleByIndex_v2);
	LOAD(n, nvmlDeviceGetMemoryInfo_v2);
	LOAD(n, nvmlDeviceGetComputeRunningProcesses_v3);

	if (!CHECK_EQ_INT(cuInit(0), 0, "cuInit") || !CHECK_EQ_INT(nvmlInit_v2(), 0, "nvmlInit") ||
	    !CHECK_EQ_INT(nvmlDeviceGetHandleByIndex_v2(0, &f.dev0), 0, "NVML handle"))
		return;
	f.getinfo = cuMemGetInfo_v2;
	f.nvinfo = nvmlDeviceGetMemoryInfo_v2;
	CHECK_EQ_INT(cuMemAlloc_v2(&a, MIB), VGPU_CUDA_ERROR_INVALID_CONTEXT, "cuMemAlloc without a context");
	CHECK_EQ_INT(cuDevicePrimaryCtxRetain(&p, 0), 0, "retain the primary context");
	CHECK_EQ_INT(cuCtxSetCurrent(p), 0, "make it current");
	CHECK_EQ_INT(free_mib(&f), 860, "free after a context (960 - 100 MiB)");
	cnt = 0;
	CHECK_EQ_INT(nvmlDeviceGetComputeRunningProcesses_v3(f.dev0, &cnt, NULL), VGPU_NVML_ERROR_INSUFFICIENT_SIZE,
		     "process count query");
	CHECK_EQ_INT(cnt, 1, "one process");
	cnt = 4;
	CHECK_EQ_INT(nvmlDeviceGetComputeRunningProcesses_v3(f.dev0, &cnt, procs), 0, "process list");
	check(cnt == 1 && procs[0].pid == (unsigned int)getpid() && procs[0].usedGpuMemory == 100 * MIB,
	      "this process, with its context's 100 MiB");

	/* plain allocations, rounded to 2 MiB, data round trips */
	CHECK_EQ_INT(cuMemAlloc_v2(&a, 4 * MIB), 0, "allocate 4 MiB");
	CHECK_EQ_INT(cuMemAlloc_v2(&b, 1), 0, "allocate 1 byte");
	CHECK_EQ_INT(free_mib(&f), 854, "4 MiB + 1 byte (2 MiB) used");
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7);
	CHECK_EQ_INT(cuMemcpyHtoD_v2(a + MIB, in, sizeof(in)), 0, "copy in");
	CHECK_EQ_INT(cuMemcpyDtoH_v2(out, a + MIB, sizeof(out)), 0, "copy out");
	check(memcmp(in, out, sizeof(in)) == 0, "data round-trips");
	CHECK_EQ_INT(cuMemcpyHtoD_v2(a + 4 * MIB - 10, in, 20), VGPU_CUDA_ERROR_INVALID_VALUE, "copy past the end");
	CHECK_EQ_INT(cuMemAlloc_v2(&big, 900 * MIB), VGPU_CUDA_ERROR_OUT_OF_MEMORY, "900 MiB does not fit");
	CHECK_EQ_INT(cuMemAlloc_v2(&big, 854 * MIB), 0, "the last 854 MiB fit");
	CHECK_EQ_INT(cuMemAlloc_v2(&ap, 1), VGPU_CUDA_ERROR_OUT_OF_MEMORY, "then not a byte more");
	CHECK_EQ_INT(free_mib(&f), 0, "nothing free");
	CHECK_EQ_INT(cuMemFree_v2(big), 0, "free 854 MiB");
	CHECK_EQ_INT(cuMemFree_v2(big), VGPU_CUDA_ERROR_INVALID_VALUE, "double free");
	CHECK_EQ_INT(cuMemFree_v2(a + 8), VGPU_CUDA_ERROR_INVALID_VALUE, "free of an inner pointer");
	CHECK_EQ_INT(cuMemFree_v2(b), 0, "free 1 byte");
	CHECK_EQ_INT(cuMemAlloc(NULL, 1), VGPU_CUDA_ERROR_NOT_SUPPORTED, "32-bit cuMemAlloc");

	/* pitch, array, managed */
	CHECK_EQ_INT(cuMemAllocPitch_v2(&b, &pitch, 1000, 10, 4), 0, "pitched allocation");
	CHECK_EQ_INT(pitch, 1024, "pitch");
	CHECK_EQ_INT(free_mib(&f), 854, "pitched: 2 MiB");
	CHECK_EQ_INT(cuMemFree_v2(b), 0, "free it");
	CHECK_EQ_INT(cuArrayCreate_v2(&arr, &ad), 0, "array");
	CHECK_EQ_INT(free_mib(&f), 854, "array: 2 MiB");
	CHECK_EQ_INT(cuArrayDestroy(arr), 0, "destroy it");
	CHECK_EQ_INT(cuMemAllocManaged(&b, 2048 * MIB, VGPU_CU_MEM_ATTACH_GLOBAL), 0, "2 GiB managed");
	CHECK_EQ_INT(free_mib(&f), 856, "managed memory is not charged");
	CHECK_EQ_INT(cuMemFree_v2(b), 0, "free it");

	/* host memory is not device memory */
	CHECK_EQ_INT(cuMemAllocHost_v2(&host, 64 * MIB), 0, "64 MiB pinned host memory");
	memset(host, 1, 4096);
	CHECK_EQ_INT(free_mib(&f), 856, "host memory is not charged");
	CHECK_EQ_INT(cuMemFreeHost(host), 0, "free it");
	CHECK_EQ_INT(cuMemHostRegister_v2(buf, 1 << 20, 0), 0, "register");
	CHECK_EQ_INT(cuMemHostRegister_v2(buf + 4096, 4096, 0), VGPU_CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED,
		     "register again");
	CHECK_EQ_INT(cuMemHostUnregister(buf), 0, "unregister");
	CHECK_EQ_INT(cuMemHostUnregister(buf), VGPU_CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED, "unregister again");

	/* stream-ordered allocations and pools */
	CHECK_EQ_INT(cuStreamCreate(&s, VGPU_CU_STREAM_NON_BLOCKING), 0, "stream");
	CHECK_EQ_INT(cuMemAllocAsync(&b, 10 * MIB, s), 0, "10 MiB async");
	CHECK_EQ_INT(free_mib(&f), 846, "async memory is charged");
	CHECK_EQ_INT(cuMemFreeAsync(b, s), 0, "free it async");
	CHECK_EQ_INT(free_mib(&f), 846, "the default pool keeps it until a synchronisation");
	CHECK_EQ_INT(cuMemAllocAsync(&b, 4 * MIB, s), 0, "4 MiB async");
	CHECK_EQ_INT(free_mib(&f), 846, "taken from what the pool keeps: nothing more charged");
	CHECK_EQ_INT(cuMemFreeAsync(b, s), 0, "free it async");
	CHECK_EQ_INT(cuStreamSynchronize(s), 0, "synchronise");
	CHECK_EQ_INT(free_mib(&f), 856, "the pool gave it back (release threshold 0)");
	CHECK_EQ_INT(cuMemPoolCreate(&pool, &props), 0, "pool");
	CHECK_EQ_INT(cuMemAllocFromPoolAsync(&b, 6 * MIB, pool, NULL), 0, "6 MiB from the pool");
	CHECK_EQ_INT(cuMemPoolDestroy(pool), 0, "destroy the pool with memory out");
	CHECK_EQ_INT(free_mib(&f), 850, "its memory stays charged");
	CHECK_EQ_INT(cuMemFreeAsync(b, NULL), 0, "free it");
	CHECK_EQ_INT(cuDeviceGetDefaultMemPool(&defpool, 0), 0, "default pool");
	CHECK_EQ_INT(cuMemPoolDestroy(defpool), VGPU_CUDA_ERROR_INVALID_VALUE, "the default pool stays");
	CHECK_EQ_INT(cuModuleLoadData(&mod, SIM_PTX), 0, "load a module");
	CHECK_EQ_INT(cuModuleGetFunction(&fn, mod, SIM_PTX_KERNEL), 0, "its kernel");
	CHECK_EQ_INT(cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, s, NULL, NULL), 0, "launch");
	CHECK_EQ_INT(cuLaunchKernel(fn, 0, 1, 1, 32, 1, 1, 0, s, NULL, NULL),
		     VGPU_CUDA_ERROR_INVALID_VALUE, "launch of an empty grid");
	CHECK_EQ_INT(cuModuleUnload(mod), 0, "unload the module");
	CHECK_EQ_INT(cuStreamSynchronize(s), 0, "synchronise");
	CHECK_EQ_INT(cuStreamDestroy_v2(s), 0, "destroy the stream");
	CHECK_EQ_INT(cuStreamSynchronize(s), VGPU_CUDA_ERROR_INVALID_HANDLE, "a destroyed stream");

	/* arrays beyond 2D and context limits: the errors the driver gives */
	{
		struct { size_t w, h, d; int fmt; unsigned int ch, flags; } a3 = { 64, 64, 6, 0x20, 4, 0x04 };
		int (*arr3d)(void **, const void *) = (int (*)(void **, const void *))sim_sym(h, "cuArray3DCreate_v2");
		int (*mipc)(void **, const void *, unsigned int) =
			(int (*)(void **, const void *, unsigned int))sim_sym(h, "cuMipmappedArrayCreate");
		int (*arrd)(void *) = (int (*)(void *))sim_sym(h, "cuArrayDestroy");
		int (*mipd)(void *) = (int (*)(void *))sim_sym(h, "cuMipmappedArrayDestroy");
		int (*setlim)(int, size_t) = (int (*)(int, size_t))sim_sym(h, "cuCtxSetLimit");
		int (*getlim)(size_t *, int) = (int (*)(size_t *, int))sim_sym(h, "cuCtxGetLimit");
		void *ah = NULL, *mh = NULL;
		size_t lv = 0;

		CHECK_EQ_INT(arr3d(&ah, &a3), 0, "cubemap 64x64x6 float4");
		CHECK_EQ_INT(free_mib(&f), 854, "cubemap: 2 MiB");
		CHECK_EQ_INT(mipd(ah), VGPU_CUDA_ERROR_INVALID_HANDLE, "an array is not a mipmapped array");
		CHECK_EQ_INT(arrd(ah), 0, "destroy it");
		a3.h = 32;
		CHECK_EQ_INT(arr3d(&ah, &a3), VGPU_CUDA_ERROR_INVALID_VALUE, "a cubemap must be square");
		a3.h = 64;
		a3.d = 5;
		CHECK_EQ_INT(arr3d(&ah, &a3), VGPU_CUDA_ERROR_INVALID_VALUE, "a cubemap has 6 faces");
		a3.d = 6;
		a3.ch = 3;
		CHECK_EQ_INT(arr3d(&ah, &a3), VGPU_CUDA_ERROR_INVALID_VALUE, "3 channels");
		a3.ch = 1;
		a3.flags = 0;
		a3.h = 0;
		CHECK_EQ_INT(arr3d(&ah, &a3), VGPU_CUDA_ERROR_INVALID_VALUE, "a 1D array with a depth");
		a3.h = 64;
		a3.d = 0;
		CHECK_EQ_INT(mipc(&mh, &a3, 8), VGPU_CUDA_ERROR_INVALID_VALUE, "8 levels of 64x64 (7 at most)");
		CHECK_EQ_INT(mipc(&mh, &a3, 7), 0, "7 levels");
		CHECK_EQ_INT(mipd(mh), 0, "destroy it");
		CHECK_EQ_INT(getlim(&lv, 2), 0, "get the heap limit");
		CHECK_EQ_INT(lv, 8 * MIB, "default heap 8 MiB");
		CHECK_EQ_INT(setlim(2, 20 * MIB), 0, "heap 20 MiB");
		CHECK_EQ_INT(free_mib(&f), 844, "12 MiB more charged");
		CHECK_EQ_INT(getlim(&lv, 2), 0, "get it");
		CHECK_EQ_INT(lv, 20 * MIB, "20 MiB");
		CHECK_EQ_INT(setlim(2, 0), 0, "heap 0");
		CHECK_EQ_INT(free_mib(&f), 856, "given back");
		CHECK_EQ_INT(setlim(2, (size_t)1 << 40), VGPU_CUDA_ERROR_OUT_OF_MEMORY, "a 1 TiB heap");
		CHECK_EQ_INT(free_mib(&f), 856, "nothing charged");
		CHECK_EQ_INT(setlim(8, 1), VGPU_CUDA_ERROR_UNSUPPORTED_LIMIT, "CIG enabled cannot be set");
		CHECK_EQ_INT(setlim(10, 1), VGPU_CUDA_ERROR_INVALID_VALUE, "no such limit");
	}

	/* virtual memory management */
	CHECK_EQ_INT(cuMemGetAllocationGranularity(&gran, &prop, VGPU_CU_MEM_ALLOC_GRANULARITY_MINIMUM), 0, "gran");
	CHECK_EQ_INT(gran, 2 * MIB, "granularity");
	CHECK_EQ_INT(cuMemCreate(&vh, 3 * MIB, &prop, 0), VGPU_CUDA_ERROR_INVALID_VALUE, "3 MiB is not granular");
	CHECK_EQ_INT(cuMemCreate(&vh, 4 * MIB, &prop, 0), 0, "create 4 MiB");
	CHECK_EQ_INT(free_mib(&f), 852, "charged at create");
	CHECK_EQ_INT(cuMemAddressReserve(&va, 8 * MIB, 0, 0, 0), 0, "reserve 8 MiB");
	CHECK_EQ_INT(cuMemMap(va + 2 * MIB, 4 * MIB, 0, vh, 0), 0, "map");
	CHECK_EQ_INT(cuMemcpyHtoD_v2(va + 2 * MIB, in, sizeof(in)), VGPU_CUDA_ERROR_INVALID_VALUE,
		     "no access before cuMemSetAccess");
	CHECK_EQ_INT(cuMemSetAccess(va + 2 * MIB, 4 * MIB, &acc, 1), 0, "set access");
	CHECK_EQ_INT(cuMemcpyHtoD_v2(va + 3 * MIB, in, sizeof(in)), 0, "copy in");
	memset(out, 0, sizeof(out));
	CHECK_EQ_INT(cuMemcpyDtoH_v2(out, va + 3 * MIB, sizeof(out)), 0, "copy out");
	check(memcmp(in, out, sizeof(in)) == 0, "mapped data round-trips");
	CHECK_EQ_INT(cuMemRelease(vh), 0, "release while mapped");
	CHECK_EQ_INT(free_mib(&f), 852, "still charged while mapped");
	CHECK_EQ_INT(cuMemAddressFree(va, 8 * MIB), VGPU_CUDA_ERROR_INVALID_VALUE, "free a mapped range");
	CHECK_EQ_INT(cuMemUnmap(va + 2 * MIB, 4 * MIB), 0, "unmap");
	CHECK_EQ_INT(free_mib(&f), 856, "given back at the last unmap");
	CHECK_EQ_INT(cuMemAddressFree(va, 8 * MIB), 0, "free the range");

	/* a second context costs another 100 MiB */
	CHECK_EQ_INT(cuCtxCreate_v2(&c, 0, 0), 0, "create a context");
	CHECK_EQ_INT(free_mib(&f), 756, "a created context is charged");
	CHECK_EQ_INT(cuCtxGetCurrent(&cur), 0, "current");
	check(cur == c, "the new context is current");
	CHECK_EQ_INT(cuCtxGetDevice(&dev), 0, "its device");
	CHECK_EQ_INT(dev, 0, "device 0");
	CHECK_EQ_INT(cuCtxDestroy_v2(c), 0, "destroy it");
	CHECK_EQ_INT(cuCtxGetCurrent(&cur), 0, "current");
	check(cur == p, "the primary context is current again");
	CHECK_EQ_INT(free_mib(&f), 856, "its cost is given back");
	CHECK_EQ_INT(cuCtxDestroy_v2(p), VGPU_CUDA_ERROR_INVALID_CONTEXT, "a primary context cannot be destroyed");

	/* releasing the primary context frees what was allocated in it */
	CHECK_EQ_INT(cuMemAlloc_v2(&b, 50 * MIB), 0, "allocate 50 MiB");
	CHECK_EQ_INT(cuDevicePrimaryCtxRelease_v2(0), 0, "release the primary context");
	cnt = 4;
	CHECK_EQ_INT(nvmlDeviceGetComputeRunningProcesses_v3(f.dev0, &cnt, procs), 0, "process list");
	CHECK_EQ_INT(cnt, 0, "no process left on the GPU");
	CHECK_EQ_INT(cuMemAlloc_v2(&b, MIB), VGPU_CUDA_ERROR_INVALID_CONTEXT, "allocate in a released context");
	CHECK_EQ_INT(cuDevicePrimaryCtxRelease_v2(0), VGPU_CUDA_ERROR_INVALID_CONTEXT, "release again");
	free(buf);
}

/* ---- CUDA_VISIBLE_DEVICES ------------------------------------------------ */

struct cvd_case {
	const char *value; /* NULL: unset */
	const char *want;  /* node GPU indices in CUDA order, "" for none */
};

static void cuda_visible(void *arg)
{
	const struct cvd_case *c = arg;
	static const unsigned char last[3] = { 0x00, 0x01, 0x78 }; /* last uuid byte of GPU 0, 1, 2 */
	char got[64] = "";
	vgpu_CUresult rc;
	int n = 0;
	void *h;

	use_node("simtest-a");
	if (c->value)
		setenv("CUDA_VISIBLE_DEVICES", c->value, 1);
	h = sim_open("libcuda.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuDeviceGetCount);
	LOAD(h, cuDeviceGetUuid_v2);
	rc = cuInit(0);
	if (!c->want[0]) {
		CHECK_EQ_INT(rc, VGPU_CUDA_ERROR_NO_DEVICE, c->value ? c->value : "(unset)");
		return;
	}
	CHECK_EQ_INT(rc, 0, "cuInit");
	cuDeviceGetCount(&n);
	for (int i = 0; i < n; i++) {
		vgpu_CUuuid u;

		cuDeviceGetUuid_v2(&u, i);
		for (int g = 0; g < 3; g++)
			if ((unsigned char)u.bytes[15] == last[g])
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%d", i ? "," : "", g);
	}
	CHECK_EQ_STR(got, c->want, c->value ? c->value : "(unset)");
}

/* With CUDA_VISIBLE_DEVICES=2,0, ordinal 0 is node GPU 2: memory goes there. */
static void cuda_visible_charges(void *arg)
{
	vgpu_nvmlMemory_v2_t m = { .version = VGPU_NVML_MEMORY_V2 };
	vgpu_CUcontext p;
	vgpu_nvmlDevice_t d;
	void *h, *n;

	(void)arg;
	use_node("simtest-a");
	setenv("CUDA_VISIBLE_DEVICES", "2,0", 1);
	h = sim_open("libcuda.so.1");
	n = sim_open("libnvidia-ml.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuDevicePrimaryCtxRetain);
	LOAD(n, nvmlInit_v2);
	LOAD(n, nvmlDeviceGetHandleByIndex_v2);
	LOAD(n, nvmlDeviceGetMemoryInfo_v2);
	cuInit(0);
	nvmlInit_v2();
	CHECK_EQ_INT(cuDevicePrimaryCtxRetain(&p, 0), 0, "retain ordinal 0");
	nvmlDeviceGetHandleByIndex_v2(2, &d);
	nvmlDeviceGetMemoryInfo_v2(d, &m);
	CHECK_EQ_INT(m.used, 50 * MIB, "NVML GPU 2 holds the context (50 MiB)");
	nvmlDeviceGetHandleByIndex_v2(0, &d);
	nvmlDeviceGetMemoryInfo_v2(d, &m);
	CHECK_EQ_INT(m.used, 0, "NVML GPU 0 holds nothing");
}

/* ---- finding the node ------------------------------------------------------ */

struct where {
	const char *node;     /* VGPU_SIM_NODE, or NULL */
	const char *dir;      /* VGPU_SIM_DIR (relative to sim_dir), or NULL */
	const char *nodename; /* SLURMD_NODENAME, or NULL */
	int want_gpus;        /* 0: no node */
	const char *want_uuid0;
};

static void find_node(void *arg)
{
	const struct where *w = arg;
	char path[1024], uuid[96] = "";
	unsigned int n = 0;
	vgpu_nvmlDevice_t d;
	int cn = 0;
	void *h, *nv;

	use_node("none");
	unsetenv("VGPU_SIM_NODE");
	if (w->node) {
		snprintf(path, sizeof(path), "%s/%s", sim_dir, w->node);
		setenv("VGPU_SIM_NODE", path, 1);
	}
	if (w->dir) {
		snprintf(path, sizeof(path), "%s/%s", sim_dir, w->dir);
		setenv("VGPU_SIM_DIR", path, 1);
	}
	if (w->nodename)
		setenv("SLURMD_NODENAME", w->nodename, 1);
	h = sim_open("libcuda.so.1");
	nv = sim_open("libnvidia-ml.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuDeviceGetCount);
	LOAD(nv, nvmlInit_v2);
	LOAD(nv, nvmlDeviceGetCount_v2);
	LOAD(nv, nvmlDeviceGetHandleByIndex_v2);
	LOAD(nv, nvmlDeviceGetUUID);
	if (!w->want_gpus) {
		CHECK_EQ_INT(nvmlInit_v2(), VGPU_NVML_ERROR_DRIVER_NOT_LOADED, "nvmlInit without a node");
		CHECK_EQ_INT(nvmlDeviceGetCount_v2(&n), VGPU_NVML_ERROR_UNINITIALIZED, "then NVML is uninitialised");
		CHECK_EQ_INT(cuInit(0), VGPU_CUDA_ERROR_NO_DEVICE, "cuInit without a node");
		CHECK_EQ_INT(cuInit(0), VGPU_CUDA_ERROR_NO_DEVICE, "cuInit again");
		CHECK_EQ_INT(cuDeviceGetCount(&cn), VGPU_CUDA_ERROR_NOT_INITIALIZED, "then CUDA is uninitialised");
		return;
	}
	CHECK_EQ_INT(nvmlInit_v2(), 0, "nvmlInit");
	nvmlDeviceGetCount_v2(&n);
	CHECK_EQ_INT(n, w->want_gpus, "NVML count");
	nvmlDeviceGetHandleByIndex_v2(0, &d);
	nvmlDeviceGetUUID(d, uuid, sizeof(uuid));
	CHECK_EQ_STR(uuid, w->want_uuid0, "GPU 0");
	CHECK_EQ_INT(cuInit(0), 0, "cuInit");
	cuDeviceGetCount(&cn);
	CHECK_EQ_INT(cn, w->want_gpus, "CUDA count");
}

/* ---- fork after cuInit --------------------------------------------------- */

static void fork_after_init(void *arg)
{
	int n = 0, status = 0;
	pid_t pid;
	void *h;

	(void)arg;
	use_node("simtest-a");
	h = sim_open("libcuda.so.1");
	LOAD(h, cuInit);
	LOAD(h, cuDeviceGetCount);
	CHECK_EQ_INT(cuInit(0), 0, "cuInit in the parent");
	pid = fork();
	if (pid == 0) {
		CHECK_EQ_INT(cuDeviceGetCount(&n), VGPU_CUDA_ERROR_NOT_INITIALIZED, "CUDA in a forked child");
		CHECK_EQ_INT(cuInit(0), VGPU_CUDA_ERROR_NOT_INITIALIZED, "cuInit in a forked child");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK_EQ_INT(cuDeviceGetCount(&n), 0, "the parent still works");
	CHECK_EQ_INT(n, 3, "count");
}

int main(void)
{
	static const struct cvd_case cvd[] = {
		{ NULL, "0,1,2" },
		{ "2,0", "2,0" },
		{ "1", "1" },
		{ " 1 , 2", "1,2" },
		{ NODE_A_UUID1, "1" },
		{ "GPU-abcdef", "2" },
		{ "GPU-11111111", "" }, /* ambiguous prefix */
		{ "0,7,1", "0" },       /* stops at the first invalid entry */
		{ "1,GPU-ffffffff,0", "1" },
		{ "0,0,1", "0" },
		{ "MIG-11111111-2222-3333-4444-555555555500", "" },
		{ "-1", "" },
		{ "", "" },
	};
	static const struct where where[] = {
		{ "simtest-a.json", NULL, NULL, 3, NODE_A_UUID0 },
		{ NULL, "nodes", "simtest-a", 3, NODE_A_UUID0 },
		{ NULL, "nodes", "simtest-b", 1, NODE_B_UUID0 },
		{ "simtest-b.json", "nodes", "simtest-a", 1, NODE_B_UUID0 }, /* VGPU_SIM_NODE wins */
		{ NULL, "nodes", NULL, 0, NULL },                            /* no SLURMD_NODENAME */
		{ NULL, NULL, NULL, 0, NULL },
		{ "broken.json", NULL, NULL, 0, NULL },
		{ "missing.json", NULL, NULL, 0, NULL },
	};
	char path[1024];

	sim_setup();
	write_nodes();
	snprintf(path, sizeof(path), "%s/broken.json", sim_dir);
	sim_write(path, "{ \"version\": 2 }\n");
	snprintf(path, sizeof(path), "%s/nodes", sim_dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/nodes/simtest-a.json", sim_dir);
	sim_write(path, node_a_json);
	snprintf(path, sizeof(path), "%s/nodes/simtest-b.json", sim_dir);
	sim_write(path, node_b_json);

	sim_run(nvml_discovery, NULL, "nvml");
	sim_run(cuda_discovery, NULL, "cuda");
	sim_run(cuda_memory, NULL, "memory");
	for (size_t i = 0; i < sizeof(cvd) / sizeof(cvd[0]); i++)
		sim_run(cuda_visible, (void *)&cvd[i], "CUDA_VISIBLE_DEVICES");
	sim_run(cuda_visible_charges, NULL, "CUDA_VISIBLE_DEVICES=2,0");
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		sim_run(find_node, (void *)&where[i], "node file");
	sim_run(fork_after_init, NULL, "fork");
	return sim_done();
}
