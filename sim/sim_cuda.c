/*
 * sim_cuda.c - the simulated libcuda.so.1: initialisation, errors, devices.
 * Contexts and streams: sim_cuda_ctx.c; memory: sim_cuda_mem.c and
 * sim_cuda_vmm.c; cuGetProcAddress: sim_cuda_getproc.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct simcu vgpu_simcu = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- load, init, fork ------------------------------------------------- */

static void on_fork_child(void)
{
	/* A forked child cannot use its parent's CUDA state: every call
	 * fails with CUDA_ERROR_NOT_INITIALIZED, as with a real driver. */
	if (__atomic_load_n(&vgpu_simcu.initialized, __ATOMIC_ACQUIRE))
		__atomic_store_n(&vgpu_simcu.forked, 1, __ATOMIC_RELEASE);
	pthread_mutex_init(&vgpu_simcu.lock, NULL);
}

__attribute__((constructor)) static void simcu_ctor(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

/* Read the environment once; vgpu_simcu.lock is held. */
static void load_env(void)
{
	char err[512];

	if (vgpu_simcu.loaded)
		return;
	vgpu_simcu.loaded = 1;
	vgpu_simcu.env_rc = vgpu_sim_env_load(&vgpu_simcu.env, err, sizeof(err));
	if (vgpu_simcu.env_rc < 0)
		vgpu_sim_warn(err);
}

vgpu_CUresult vgpu_simcu_ready(void)
{
	if (!__atomic_load_n(&vgpu_simcu.initialized, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&vgpu_simcu.forked, __ATOMIC_ACQUIRE))
		return VGPU_CUDA_ERROR_NOT_INITIALIZED;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuInit(unsigned int Flags)
{
	int map[VGPU_SIM_MAX_GPUS];
	vgpu_CUresult rc;

	if (__atomic_load_n(&vgpu_simcu.forked, __ATOMIC_ACQUIRE))
		return VGPU_CUDA_ERROR_NOT_INITIALIZED;
	if (Flags != 0)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (vgpu_simcu.init_called) {
		rc = vgpu_simcu.init_rc;
		goto out;
	}
	vgpu_simcu.init_called = 1;
	load_env();
	rc = VGPU_CUDA_ERROR_NO_DEVICE;
	if (vgpu_simcu.env_rc == 0) {
		const struct vgpu_sim_node *node = &vgpu_simcu.env.node;

		vgpu_simcu.ndev = vgpu_sim_visible_devices(getenv("CUDA_VISIBLE_DEVICES"), node, map,
							   VGPU_SIM_MAX_GPUS);
		for (int i = 0; i < vgpu_simcu.ndev; i++) {
			struct sim_dev *d = &vgpu_simcu.dev[i];

			d->gpu = map[i];
			d->primary.magic = SIMCU_CTX_MAGIC;
			d->primary.ordinal = i;
			d->primary.primary = 1;
			d->default_pool.magic = SIMCU_POOL_MAGIC;
			d->default_pool.ordinal = i;
			d->default_pool.is_default = 1;
		}
		if (vgpu_simcu.ndev > 0)
			rc = VGPU_CUDA_SUCCESS;
	}
	vgpu_simcu.init_rc = rc;
	if (rc == VGPU_CUDA_SUCCESS)
		__atomic_store_n(&vgpu_simcu.initialized, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuDriverGetVersion(int *driverVersion)
{
	if (!driverVersion)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	load_env();
	*driverVersion = vgpu_simcu.env_rc == 0 ? vgpu_simcu.env.node.cuda_version : VGPU_CUDA_VERSION;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

/* ---- errors --------------------------------------------------------------- */

struct result_text {
	int value;
	const char *name;
	const char *text;
};

#define RESULT_ROW(name, value, text) { value, "CUDA_" #name, text },
static const struct result_text results[] = { VGPU_CUDA_RESULTS(RESULT_ROW) };
#undef RESULT_ROW

static const struct result_text *find_result(vgpu_CUresult error)
{
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		if (results[i].value == (int)error)
			return &results[i];
	return NULL;
}

vgpu_CUresult cuGetErrorString(vgpu_CUresult error, const char **pStr)
{
	const struct result_text *r = find_result(error);

	if (!pStr)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*pStr = r ? r->text : NULL;
	return r ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_VALUE;
}

vgpu_CUresult cuGetErrorName(vgpu_CUresult error, const char **pStr)
{
	const struct result_text *r = find_result(error);

	if (!pStr)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*pStr = r ? r->name : NULL;
	return r ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_VALUE;
}

/* ---- devices ---------------------------------------------------------- */

struct sim_dev *vgpu_simcu_dev(int ordinal)
{
	if (ordinal < 0 || ordinal >= vgpu_simcu.ndev)
		return NULL;
	return &vgpu_simcu.dev[ordinal];
}

const struct vgpu_sim_gpu *vgpu_simcu_gpu(const struct sim_dev *d)
{
	return &vgpu_simcu.env.node.gpus[d->gpu];
}

vgpu_CUresult vgpu_simcu_charge(struct sim_dev *d, uint64_t bytes, unsigned int contexts)
{
	static int warned;
	char err[512];
	int rc;

	if (!d->state &&
	    vgpu_sim_state_open(vgpu_simcu.env.state_dir, vgpu_simcu_gpu(d), &d->state, err, sizeof(err)) != 0) {
		if (!warned++)
			vgpu_sim_warn(err);
		return VGPU_CUDA_ERROR_UNKNOWN;
	}
	rc = vgpu_sim_state_charge(d->state, bytes, contexts);
	if (rc < 0 && !warned++)
		vgpu_sim_warn("device state: lock unrecoverable or process table full");
	return rc == 0 ? VGPU_CUDA_SUCCESS : rc > 0 ? VGPU_CUDA_ERROR_OUT_OF_MEMORY : VGPU_CUDA_ERROR_UNKNOWN;
}

void vgpu_simcu_uncharge(struct sim_dev *d, uint64_t bytes, unsigned int contexts)
{
	if (d->state && (bytes || contexts))
		vgpu_sim_state_uncharge(d->state, bytes, contexts);
}

/* Checks shared by the device queries: initialised, a valid ordinal. */
static vgpu_CUresult dev_arg(vgpu_CUdevice dev, const struct vgpu_sim_gpu **gpu)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	*gpu = vgpu_simcu_gpu(d);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGet(vgpu_CUdevice *device, int ordinal)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!device)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (!vgpu_simcu_dev(ordinal))
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	*device = ordinal;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetCount(int *count)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!count)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*count = vgpu_simcu.ndev;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetName(char *name, int len, vgpu_CUdevice dev)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_CUresult rc = dev_arg(dev, &g);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!name || len <= 0)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	snprintf(name, (size_t)len, "%s", g->name);
	return VGPU_CUDA_SUCCESS;
}

/* The 32-bit entry points of the pre-3.2 ABI: not supported here. */
vgpu_CUresult cuDeviceTotalMem(unsigned int *bytes, vgpu_CUdevice dev)
{
	(void)bytes;
	(void)dev;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}

vgpu_CUresult cuDeviceTotalMem_v2(size_t *bytes, vgpu_CUdevice dev)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_CUresult rc = dev_arg(dev, &g);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!bytes)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*bytes = (size_t)(g->memory_bytes - g->reserved_bytes);
	return VGPU_CUDA_SUCCESS;
}

/* Per-architecture figures (major*10+minor), roughly as the cards report. */
struct arch {
	int cc;
	int clock_khz, mem_clock_khz, bus_width, l2;
	int threads_per_sm, smem_per_sm, smem_optin, blocks_per_sm, async_engines;
};

static const struct arch arches[] = {
	{ 90, 1980000, 2619000, 5120, 52428800, 2048, 233472, 232448, 32, 5 },
	{ 89, 2520000, 9001000, 384, 100663296, 1536, 102400, 101376, 24, 2 },
	{ 80, 1410000, 1593000, 5120, 41943040, 2048, 167936, 166912, 32, 3 },
	{ 0, 1500000, 1215000, 4096, 6291456, 2048, 98304, 98304, 32, 2 },
};

static const struct arch *arch_of(const struct vgpu_sim_gpu *g)
{
	size_t i;

	for (i = 0; arches[i].cc != 0; i++)
		if (arches[i].cc == g->cc_major * 10 + g->cc_minor)
			break;
	return &arches[i];
}

static int attribute_value(const struct vgpu_sim_gpu *g, int attrib)
{
	const struct arch *a = arch_of(g);

	switch (attrib) {
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK:
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X:
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y:
		return 1024;
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z:
		return 64;
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X:
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_PITCH:
		return 2147483647;
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y:
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z:
		return 65535;
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK:
		return 49152;
	case VGPU_CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY:
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK:
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR:
		return 65536;
	case VGPU_CU_DEVICE_ATTRIBUTE_WARP_SIZE:
	case VGPU_CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT:
		return 32;
	case VGPU_CU_DEVICE_ATTRIBUTE_CLOCK_RATE:
		return a->clock_khz;
	case VGPU_CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT:
		return 512;
	case VGPU_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT:
		return g->sms;
	case VGPU_CU_DEVICE_ATTRIBUTE_PCI_BUS_ID:
		return (int)g->pci.bus;
	case VGPU_CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID:
		return (int)g->pci.device;
	case VGPU_CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID:
		return (int)g->pci.domain;
	case VGPU_CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE:
		return a->mem_clock_khz;
	case VGPU_CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH:
		return a->bus_width;
	case VGPU_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE:
		return a->l2;
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR:
		return a->threads_per_sm;
	case VGPU_CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT:
		return a->async_engines;
	case VGPU_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
		return g->cc_major;
	case VGPU_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
		return g->cc_minor;
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR:
		return a->smem_per_sm;
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN:
		return a->smem_optin;
	case VGPU_CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR:
		return a->blocks_per_sm;
	case VGPU_CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_SUPPORTED:
		return g->fabric.present && g->fabric.state == 3;
	case VGPU_CU_DEVICE_ATTRIBUTE_GPU_PCI_DEVICE_ID:
		return (int)((g->pci_device_id << 16) | VGPU_SIM_PCI_VENDOR_NVIDIA);
	case VGPU_CU_DEVICE_ATTRIBUTE_GPU_PCI_SUBSYSTEM_ID:
		return (int)g->pci_subsystem_id;
	case VGPU_CU_DEVICE_ATTRIBUTE_GPU_OVERLAP:
	case VGPU_CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY:
	case VGPU_CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS:
	case VGPU_CU_DEVICE_ATTRIBUTE_ECC_ENABLED:
	case VGPU_CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING:
	case VGPU_CU_DEVICE_ATTRIBUTE_STREAM_PRIORITIES_SUPPORTED:
	case VGPU_CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY:
	case VGPU_CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS:
	case VGPU_CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH:
	case VGPU_CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED:
	case VGPU_CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED:
	case VGPU_CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED:
	case VGPU_CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED:
		return 1;
	default: /* KERNEL_EXEC_TIMEOUT, INTEGRATED, COMPUTE_MODE (default), TCC, MPS, ... */
		return 0;
	}
}

vgpu_CUresult cuDeviceGetAttribute(int *pi, vgpu_CUdevice_attribute attrib, vgpu_CUdevice dev)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_CUresult rc = dev_arg(dev, &g);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pi || (int)attrib < 1 || (int)attrib >= VGPU_CU_DEVICE_ATTRIBUTE_MAX)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*pi = attribute_value(g, (int)attrib);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceComputeCapability(int *major, int *minor, vgpu_CUdevice dev)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_CUresult rc = dev_arg(dev, &g);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!major || !minor)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*major = g->cc_major;
	*minor = g->cc_minor;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetUuid(vgpu_CUuuid *uuid, vgpu_CUdevice dev)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_CUresult rc = dev_arg(dev, &g);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!uuid)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	memcpy(uuid->bytes, g->uuid_bytes, sizeof(uuid->bytes));
	return VGPU_CUDA_SUCCESS;
}

/* _v2 differs for MIG instances, which the simulator does not model. */
vgpu_CUresult cuDeviceGetUuid_v2(vgpu_CUuuid *uuid, vgpu_CUdevice dev)
{
	return cuDeviceGetUuid(uuid, dev);
}

vgpu_CUresult cuDeviceGetPCIBusId(char *pciBusId, int len, vgpu_CUdevice dev)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_CUresult rc = dev_arg(dev, &g);
	char buf[32];

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pciBusId || len <= 0)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	snprintf(pciBusId, (size_t)len, "%s", vgpu_sim_pci_format(&g->pci, true, buf, sizeof(buf)));
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetByPCIBusId(vgpu_CUdevice *dev, const char *pciBusId)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct vgpu_sim_pci pci;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!dev || !pciBusId || vgpu_sim_pci_parse(pciBusId, &pci) != 0)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	for (int i = 0; i < vgpu_simcu.ndev; i++) {
		const struct vgpu_sim_pci *p = &vgpu_simcu_gpu(&vgpu_simcu.dev[i])->pci;

		if (p->domain == pci.domain && p->bus == pci.bus && p->device == pci.device &&
		    p->function == pci.function) {
			*dev = i;
			return VGPU_CUDA_SUCCESS;
		}
	}
	return VGPU_CUDA_ERROR_INVALID_DEVICE;
}

/* NVLink between two node GPUs: a direct link, or both on the switches. */
static int nvlinked(int a, int b)
{
	const struct vgpu_sim_gpu *ga = &vgpu_simcu.env.node.gpus[a], *gb = &vgpu_simcu.env.node.gpus[b];
	int sa = 0, sb = 0;

	for (int l = 0; l < ga->nvlinks; l++) {
		if (ga->links[l].kind == VGPU_SIM_LINK_GPU && ga->links[l].target == b)
			return 1;
		sa |= ga->links[l].kind == VGPU_SIM_LINK_SWITCH;
	}
	for (int l = 0; l < gb->nvlinks; l++)
		sb |= gb->links[l].kind == VGPU_SIM_LINK_SWITCH;
	return sa && sb;
}

vgpu_CUresult cuDeviceCanAccessPeer(int *canAccessPeer, vgpu_CUdevice dev, vgpu_CUdevice peerDev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *a, *b;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	a = vgpu_simcu_dev(dev);
	b = vgpu_simcu_dev(peerDev);
	if (!a || !b)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	if (!canAccessPeer)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*canAccessPeer = a != b && (nvlinked(a->gpu, b->gpu) || vgpu_simcu.env.node.pcie_p2p);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetDefaultMemPool(vgpu_CUmemoryPool *pool_out, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	if (!pool_out)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*pool_out = (vgpu_CUmemoryPool)(void *)&d->default_pool;
	return VGPU_CUDA_SUCCESS;
}
