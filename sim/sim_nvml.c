/*
 * sim_nvml.c - the simulated libnvidia-ml.so.1.
 *
 * Describes the node's GPUs from the node JSON (sim_env.h) and reads device
 * memory and processes from the shared state the simulated libcuda.so.1
 * writes (sim_state.h). Like real NVML it ignores CUDA_VISIBLE_DEVICES and
 * numbers GPUs in PCI order. Every call but nvmlErrorString needs nvmlInit
 * (NVML_ERROR_UNINITIALIZED otherwise); with no node configured nvmlInit
 * fails with NVML_ERROR_DRIVER_NOT_LOADED, as on a machine without a driver.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define VGPU_NVML_DECLARE_PROTOTYPES 1
#include "vgpu_nvml_abi.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim_env.h"
#include "sim_nvml.h"
#include "sim_state.h"

/* The opaque handle type: a handle points at one of these. */
struct vgpu_nvmlDevice_st {
	int index;
};

static struct {
	pthread_mutex_t lock;
	int loaded, env_rc;
	int refcount; /* nvmlInit calls not yet matched by nvmlShutdown */
	struct vgpu_sim_env env;
	struct vgpu_nvmlDevice_st handles[VGPU_SIM_MAX_GPUS];
	struct vgpu_sim_state *state[VGPU_SIM_MAX_GPUS];
} nv = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A child forked while another thread held the lock must not inherit it held. */
static void on_fork_child(void)
{
	pthread_mutex_init(&nv.lock, NULL);
}

__attribute__((constructor)) static void nvml_ctor(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

static const struct vgpu_sim_node *node(void)
{
	return &nv.env.node;
}

static vgpu_nvmlReturn_t ready(void)
{
	return __atomic_load_n(&nv.refcount, __ATOMIC_ACQUIRE) > 0 ? VGPU_NVML_SUCCESS
								   : VGPU_NVML_ERROR_UNINITIALIZED;
}

/* ---- init, errors, system ---------------------------------------------- */

vgpu_nvmlReturn_t nvmlInitWithFlags(unsigned int flags)
{
	vgpu_nvmlReturn_t rc = VGPU_NVML_SUCCESS;
	char err[512];

	(void)flags; /* NO_GPUS / NO_ATTACH change nothing: a node has GPUs */
	pthread_mutex_lock(&nv.lock);
	if (!nv.loaded) {
		nv.loaded = 1;
		nv.env_rc = vgpu_sim_env_load(&nv.env, err, sizeof(err));
		if (nv.env_rc < 0)
			vgpu_sim_warn(err);
		for (int i = 0; i < VGPU_SIM_MAX_GPUS; i++)
			nv.handles[i].index = i;
	}
	if (nv.env_rc != 0)
		rc = VGPU_NVML_ERROR_DRIVER_NOT_LOADED;
	else
		__atomic_add_fetch(&nv.refcount, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&nv.lock);
	return rc;
}

vgpu_nvmlReturn_t nvmlInit_v2(void)
{
	return nvmlInitWithFlags(0);
}

/* The first nvmlInit failed when any GPU could not be attached; a simulated
 * node attaches all of its GPUs, so both versions answer alike. */
vgpu_nvmlReturn_t nvmlInit(void)
{
	return nvmlInitWithFlags(0);
}

vgpu_nvmlReturn_t nvmlShutdown(void)
{
	vgpu_nvmlReturn_t rc = VGPU_NVML_SUCCESS;

	pthread_mutex_lock(&nv.lock);
	if (nv.refcount == 0)
		rc = VGPU_NVML_ERROR_UNINITIALIZED;
	else
		__atomic_sub_fetch(&nv.refcount, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&nv.lock);
	return rc;
}

const char *nvmlErrorString(vgpu_nvmlReturn_t result)
{
	static const char *const text[] = {
		"Success", "Uninitialized", "Invalid Argument", "Not Supported", "Insufficient Permissions",
		"Already Initialized", "Not Found", "Insufficient Size", "Insufficient External Power",
		"Driver Not Loaded", "Timeout", "Interrupt request issue", "NVML Shared Library Not Found",
		"Function Not Found", "Corrupted infoROM", "GPU is lost", "GPU requires restart",
		"The operating system has blocked the request", "RM has detected an NVML/RM version mismatch",
		"In use by another client", "Insufficient Memory", "No data",
		"The requested vgpu operation is not available on target device, because ECC is enabled",
		"Ran out of critical resources, other than memory", "The requested frequency is not supported",
		"The provided version is invalid/unsupported", "The requested functionality has been deprecated",
		"The system is not ready for the request", "The GPU was not found", "Invalid state",
		"Reset type not supported",
	};

	if ((unsigned int)result < sizeof(text) / sizeof(text[0]))
		return text[result];
	return "Unknown Error";
}

/* Copy s into buf of length len: INSUFFICIENT_SIZE when it does not fit. */
static vgpu_nvmlReturn_t put(char *buf, unsigned int len, const char *s)
{
	if (!buf)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	if (strlen(s) + 1 > len)
		return VGPU_NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(buf, s, strlen(s) + 1);
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
	vgpu_nvmlReturn_t rc = ready();

	return rc != VGPU_NVML_SUCCESS ? rc : put(version, length, node()->driver_version);
}

vgpu_nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length)
{
	vgpu_nvmlReturn_t rc = ready();

	return rc != VGPU_NVML_SUCCESS ? rc : put(version, length, node()->nvml_version);
}

vgpu_nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *cudaDriverVersion)
{
	vgpu_nvmlReturn_t rc = ready();

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!cudaDriverVersion)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*cudaDriverVersion = node()->cuda_version;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *cudaDriverVersion)
{
	return nvmlSystemGetCudaDriverVersion(cudaDriverVersion);
}

/* ---- handles ------------------------------------------------------------ */

vgpu_nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)
{
	vgpu_nvmlReturn_t rc = ready();

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!deviceCount)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*deviceCount = (unsigned int)node()->ngpus;
	return VGPU_NVML_SUCCESS;
}

/* v1 counted only the GPUs the caller may use; all of a simulated node's are. */
vgpu_nvmlReturn_t nvmlDeviceGetCount(unsigned int *deviceCount)
{
	return nvmlDeviceGetCount_v2(deviceCount);
}

vgpu_nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, vgpu_nvmlDevice_t *device)
{
	return nvmlDeviceGetHandleByIndex_v2(index, device);
}

vgpu_nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, vgpu_nvmlDevice_t *device)
{
	vgpu_nvmlReturn_t rc = ready();

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!device || index >= (unsigned int)node()->ngpus)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*device = &nv.handles[index];
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, vgpu_nvmlDevice_t *device)
{
	vgpu_nvmlReturn_t rc = ready();

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!uuid || !device)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	for (int i = 0; i < node()->ngpus; i++)
		if (strcmp(node()->gpus[i].uuid, uuid) == 0) {
			*device = &nv.handles[i];
			return VGPU_NVML_SUCCESS;
		}
	return VGPU_NVML_ERROR_NOT_FOUND;
}

static int pci_eq(const struct vgpu_sim_pci *a, const struct vgpu_sim_pci *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->device == b->device && a->function == b->function;
}

vgpu_nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *pciBusId, vgpu_nvmlDevice_t *device)
{
	vgpu_nvmlReturn_t rc = ready();
	struct vgpu_sim_pci pci;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!pciBusId || !device || vgpu_sim_pci_parse(pciBusId, &pci) != 0)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	for (int i = 0; i < node()->ngpus; i++)
		if (pci_eq(&node()->gpus[i].pci, &pci)) {
			*device = &nv.handles[i];
			return VGPU_NVML_SUCCESS;
		}
	return VGPU_NVML_ERROR_NOT_FOUND;
}

/* Checks shared by the device queries (sim_nvml.h). */
vgpu_nvmlReturn_t vgpu_sim_nvml_dev(vgpu_nvmlDevice_t device, const struct vgpu_sim_gpu **gpu)
{
	vgpu_nvmlReturn_t rc = ready();
	ptrdiff_t i;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	i = device - nv.handles;
	if (!device || i < 0 || i >= node()->ngpus)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*gpu = &node()->gpus[i];
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetIndex(vgpu_nvmlDevice_t device, unsigned int *index)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!index)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*index = (unsigned int)(g - node()->gpus);
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetName(vgpu_nvmlDevice_t device, char *name, unsigned int length)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);

	return rc != VGPU_NVML_SUCCESS ? rc : put(name, length, g->name);
}

vgpu_nvmlReturn_t nvmlDeviceGetUUID(vgpu_nvmlDevice_t device, char *uuid, unsigned int length)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);

	return rc != VGPU_NVML_SUCCESS ? rc : put(uuid, length, g->uuid);
}

static void fill_pci(vgpu_nvmlPciInfo_t *out, const struct vgpu_sim_pci *pci, unsigned int device_id,
		     unsigned int subsystem)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->busIdLegacy, sizeof(out->busIdLegacy), "%04X:%02X:%02X.0", pci->domain & 0xffff, pci->bus,
		 pci->device);
	snprintf(out->busId, sizeof(out->busId), "%08X:%02X:%02X.0", pci->domain, pci->bus, pci->device);
	out->domain = pci->domain;
	out->bus = pci->bus;
	out->device = pci->device;
	out->pciDeviceId = (device_id << 16) | VGPU_SIM_PCI_VENDOR_NVIDIA;
	out->pciSubSystemId = subsystem;
}

vgpu_nvmlReturn_t nvmlDeviceGetPciInfo_v3(vgpu_nvmlDevice_t device, vgpu_nvmlPciInfo_t *pci)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!pci)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	fill_pci(pci, &g->pci, g->pci_device_id, g->pci_subsystem_id);
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetMinorNumber(vgpu_nvmlDevice_t device, unsigned int *minorNumber)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!minorNumber)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*minorNumber = g->minor;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetCudaComputeCapability(vgpu_nvmlDevice_t device, int *major, int *minor)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!major || !minor)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*major = g->cc_major;
	*minor = g->cc_minor;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetMigMode(vgpu_nvmlDevice_t device, unsigned int *currentMode,
				       unsigned int *pendingMode)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!currentMode || !pendingMode)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	if (!g->mig_capable)
		return VGPU_NVML_ERROR_NOT_SUPPORTED;
	*currentMode = *pendingMode = g->mig_enabled ? VGPU_NVML_DEVICE_MIG_ENABLE : VGPU_NVML_DEVICE_MIG_DISABLE;
	return VGPU_NVML_SUCCESS;
}

/* ---- memory and processes (shared state) -------------------------------- */

/* Index of g among the node's GPUs (sim_nvml.h). */
int vgpu_sim_nvml_index(const struct vgpu_sim_gpu *g)
{
	return (int)(g - node()->gpus);
}

/* Used bytes and processes of a GPU, reaping dead processes first (sim_nvml.h). */
vgpu_nvmlReturn_t vgpu_sim_nvml_usage(const struct vgpu_sim_gpu *g, uint64_t *used, struct vgpu_sim_proc_info *procs,
				      int max, int *n)
{
	static int warned;
	int i = (int)(g - node()->gpus), rc;
	char err[512];

	pthread_mutex_lock(&nv.lock);
	if (!nv.state[i] && vgpu_sim_state_open(nv.env.state_dir, g, &nv.state[i], err, sizeof(err)) != 0) {
		if (!warned++)
			vgpu_sim_warn(err);
		pthread_mutex_unlock(&nv.lock);
		return VGPU_NVML_ERROR_UNKNOWN;
	}
	rc = vgpu_sim_state_query(nv.state[i], used, procs, max, n);
	pthread_mutex_unlock(&nv.lock);
	return rc == 0 ? VGPU_NVML_SUCCESS : VGPU_NVML_ERROR_UNKNOWN;
}

/* The GPU's completed SM work and the end of its queue at now (sim_nvml.h). */
vgpu_nvmlReturn_t vgpu_sim_nvml_busy(const struct vgpu_sim_gpu *g, uint64_t now, uint64_t *done, uint64_t *until)
{
	uint64_t used;
	int n, rc, i = (int)(g - node()->gpus);

	if (vgpu_sim_nvml_usage(g, &used, NULL, 0, &n) != VGPU_NVML_SUCCESS) /* opens the state */
		return VGPU_NVML_ERROR_UNKNOWN;
	pthread_mutex_lock(&nv.lock);
	rc = vgpu_sim_state_busy(nv.state[i], now, done, until);
	pthread_mutex_unlock(&nv.lock);
	return rc == 0 ? VGPU_NVML_SUCCESS : VGPU_NVML_ERROR_UNKNOWN;
}

/* GPU utilisation: the share of time the GPU ran work (all processes)
 * since this process last asked (as NVML averages over its sample period);
 * the first time, 100 while work is queued, else 0. */
vgpu_nvmlReturn_t nvmlDeviceGetUtilizationRates(vgpu_nvmlDevice_t device, vgpu_nvmlUtilization_t *utilization)
{
	static uint64_t last_t[VGPU_SIM_MAX_GPUS], last_done[VGPU_SIM_MAX_GPUS];
	static unsigned int last_pct[VGPU_SIM_MAX_GPUS];
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);
	uint64_t used, done = 0, until = 0, now;
	struct timespec ts;
	int n, i;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!utilization)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	rc = vgpu_sim_nvml_usage(g, &used, NULL, 0, &n); /* opens the state */
	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	i = (int)(g - node()->gpus);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&nv.lock);
	if (vgpu_sim_state_busy(nv.state[i], now, &done, &until) != 0)
		rc = VGPU_NVML_ERROR_UNKNOWN;
	else if (!last_t[i])
		last_pct[i] = until > now ? 100 : 0;
	else if (now - last_t[i] >= 1000000) {
		uint64_t pct = (done - last_done[i]) * 100 / (now - last_t[i]);

		last_pct[i] = pct > 100 ? 100 : (unsigned int)pct;
	}
	if (rc == VGPU_NVML_SUCCESS && (!last_t[i] || now - last_t[i] >= 1000000)) {
		last_t[i] = now;
		last_done[i] = done;
	}
	utilization->gpu = last_pct[i];
	utilization->memory = 0;
	pthread_mutex_unlock(&nv.lock);
	return rc;
}

vgpu_nvmlReturn_t nvmlDeviceGetMemoryInfo(vgpu_nvmlDevice_t device, vgpu_nvmlMemory_t *memory)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);
	uint64_t used = 0;
	int n;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!memory)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	rc = vgpu_sim_nvml_usage(g, &used, NULL, 0, &n);
	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	used += g->reserved_bytes; /* v1 counts the driver's reservation as used */
	memory->total = g->memory_bytes;
	memory->used = used < g->memory_bytes ? used : g->memory_bytes;
	memory->free = g->memory_bytes - memory->used;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(vgpu_nvmlDevice_t device, vgpu_nvmlMemory_v2_t *memory)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);
	uint64_t used = 0, cap;
	int n;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!memory)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	if (memory->version != VGPU_NVML_MEMORY_V2)
		return VGPU_NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	rc = vgpu_sim_nvml_usage(g, &used, NULL, 0, &n);
	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	cap = g->memory_bytes - g->reserved_bytes;
	memory->total = g->memory_bytes;
	memory->reserved = g->reserved_bytes;
	memory->used = used < cap ? used : cap;
	memory->free = cap - memory->used;
	return VGPU_NVML_SUCCESS;
}

/* ---- NVLink, P2P, fabric ----------------------------------------------------- */

/* The link's far end, with the usual checks: NOT_SUPPORTED without NVLink,
 * INVALID_ARGUMENT for a link the GPU does not have or that is not active. */
static vgpu_nvmlReturn_t link_arg(vgpu_nvmlDevice_t device, unsigned int link, const struct vgpu_sim_link **out,
				  int need_active)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, &g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (g->nvlinks == 0)
		return VGPU_NVML_ERROR_NOT_SUPPORTED;
	if (link >= (unsigned int)g->nvlinks || link >= VGPU_NVML_NVLINK_MAX_LINKS)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	if (need_active && g->links[link].kind == VGPU_SIM_LINK_NONE)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*out = &g->links[link];
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetNvLinkState(vgpu_nvmlDevice_t device, unsigned int link,
					   vgpu_nvmlEnableState_t *isActive)
{
	const struct vgpu_sim_link *l = NULL;
	vgpu_nvmlReturn_t rc = link_arg(device, link, &l, 0);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!isActive)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*isActive = l->kind != VGPU_SIM_LINK_NONE ? VGPU_NVML_FEATURE_ENABLED : VGPU_NVML_FEATURE_DISABLED;
	return VGPU_NVML_SUCCESS;
}

/* "pciSubSystemId is not filled": left 0. */
vgpu_nvmlReturn_t nvmlDeviceGetNvLinkRemotePciInfo_v2(vgpu_nvmlDevice_t device, unsigned int link,
						      vgpu_nvmlPciInfo_t *pci)
{
	const struct vgpu_sim_link *l = NULL;
	vgpu_nvmlReturn_t rc = link_arg(device, link, &l, 1);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!pci)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	if (l->kind == VGPU_SIM_LINK_GPU)
		fill_pci(pci, &node()->gpus[l->target].pci, node()->gpus[l->target].pci_device_id, 0);
	else
		fill_pci(pci, &node()->switches[l->target].pci, node()->switches[l->target].pci_device_id, 0);
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetNvLinkRemoteDeviceType(vgpu_nvmlDevice_t device, unsigned int link,
						      vgpu_nvmlIntNvLinkDeviceType_t *pNvLinkDeviceType)
{
	const struct vgpu_sim_link *l = NULL;
	vgpu_nvmlReturn_t rc = link_arg(device, link, &l, 1);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!pNvLinkDeviceType)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	*pNvLinkDeviceType =
		l->kind == VGPU_SIM_LINK_GPU ? VGPU_NVML_NVLINK_DEVICE_TYPE_GPU : VGPU_NVML_NVLINK_DEVICE_TYPE_SWITCH;
	return VGPU_NVML_SUCCESS;
}

/* 1 when GPUs a and b reach each other over NVLink (directly or both
 * through the node's NVSwitches). */
static int nvlinked(const struct vgpu_sim_gpu *a, const struct vgpu_sim_gpu *b)
{
	int ib = (int)(b - node()->gpus), sa = 0, sb = 0;

	for (int l = 0; l < a->nvlinks; l++) {
		if (a->links[l].kind == VGPU_SIM_LINK_GPU && a->links[l].target == ib)
			return 1;
		sa |= a->links[l].kind == VGPU_SIM_LINK_SWITCH;
	}
	for (int l = 0; l < b->nvlinks; l++)
		sb |= b->links[l].kind == VGPU_SIM_LINK_SWITCH;
	return sa && sb;
}

vgpu_nvmlReturn_t nvmlDeviceGetP2PStatus(vgpu_nvmlDevice_t device1, vgpu_nvmlDevice_t device2,
					 vgpu_nvmlGpuP2PCapsIndex_t p2pIndex, vgpu_nvmlGpuP2PStatus_t *p2pStatus)
{
	const struct vgpu_sim_gpu *a = NULL, *b = NULL;
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device1, &a);
	int linked;

	if (rc == VGPU_NVML_SUCCESS)
		rc = vgpu_sim_nvml_dev(device2, &b);
	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!p2pStatus || a == b || (unsigned int)p2pIndex >= VGPU_NVML_P2P_CAPS_INDEX_UNKNOWN)
		return VGPU_NVML_ERROR_INVALID_ARGUMENT;
	linked = nvlinked(a, b);
	switch (p2pIndex) {
	case VGPU_NVML_P2P_CAPS_INDEX_NVLINK:
		*p2pStatus = linked ? VGPU_NVML_P2P_STATUS_OK : VGPU_NVML_P2P_STATUS_NOT_SUPPORTED;
		break;
	case VGPU_NVML_P2P_CAPS_INDEX_ATOMICS:
		*p2pStatus = linked ? VGPU_NVML_P2P_STATUS_OK : VGPU_NVML_P2P_STATUS_NOT_SUPPORTED;
		break;
	default: /* READ, WRITE, PCI */
		*p2pStatus = linked || node()->pcie_p2p ? VGPU_NVML_P2P_STATUS_OK
							: VGPU_NVML_P2P_STATUS_NOT_SUPPORTED;
		break;
	}
	return VGPU_NVML_SUCCESS;
}

/* The fabric queries answer as a driver of the node's "fabric_api" would:
 * a query newer than it is FUNCTION_NOT_FOUND (the symbol a real library of
 * that driver lacks), a version word it does not know is
 * ARGUMENT_VERSION_MISMATCH, a GPU without "fabric" is NOT_SUPPORTED. Each
 * fills only the fields its struct has. */
static vgpu_nvmlReturn_t fabric_gpu(vgpu_nvmlDevice_t device, const void *info, int api,
				    const struct vgpu_sim_gpu **g)
{
	vgpu_nvmlReturn_t rc = vgpu_sim_nvml_dev(device, g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (node()->fabric_api < api)
		return VGPU_NVML_ERROR_FUNCTION_NOT_FOUND;
	return info ? VGPU_NVML_SUCCESS : VGPU_NVML_ERROR_INVALID_ARGUMENT;
}

vgpu_nvmlReturn_t nvmlDeviceGetGpuFabricInfo(vgpu_nvmlDevice_t device, vgpu_nvmlGpuFabricInfo_t *info)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = fabric_gpu(device, info, 1, &g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!g->fabric.present)
		return VGPU_NVML_ERROR_NOT_SUPPORTED;
	memcpy(info->clusterUuid, g->fabric.cluster_uuid, sizeof(info->clusterUuid));
	info->status = (vgpu_nvmlReturn_t)g->fabric.status;
	info->cliqueId = g->fabric.clique_id;
	info->state = g->fabric.state;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetGpuFabricInfoV(vgpu_nvmlDevice_t device, vgpu_nvmlGpuFabricInfoV_t *info)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = fabric_gpu(device, info, 2, &g);
	unsigned int version;

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	version = info->version;
	if (version != VGPU_NVML_GPU_FABRIC_INFO_V2 &&
	    (version != VGPU_NVML_GPU_FABRIC_INFO_V3 || node()->fabric_api < 3))
		return VGPU_NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	if (!g->fabric.present)
		return VGPU_NVML_ERROR_NOT_SUPPORTED;
	/* The v2 struct is the v3 one without its last byte: fill only what the
	 * caller's version has. */
	memcpy(info->clusterUuid, g->fabric.cluster_uuid, sizeof(info->clusterUuid));
	info->status = (vgpu_nvmlReturn_t)g->fabric.status;
	info->cliqueId = g->fabric.clique_id;
	info->state = g->fabric.state;
	info->healthMask = g->fabric.health_mask;
	if (version == VGPU_NVML_GPU_FABRIC_INFO_V3)
		info->healthSummary = g->fabric.health_summary;
	return VGPU_NVML_SUCCESS;
}

vgpu_nvmlReturn_t nvmlDeviceGetGpuFabricInfo_v4(vgpu_nvmlDevice_t device, vgpu_nvmlGpuFabricInfo_v4_t *info)
{
	const struct vgpu_sim_gpu *g = NULL;
	vgpu_nvmlReturn_t rc = fabric_gpu(device, info, 4, &g);

	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	if (!g->fabric.present)
		return VGPU_NVML_ERROR_NOT_SUPPORTED;
	memset(info, 0, sizeof(*info));
	memcpy(info->clusterUuid, g->fabric.cluster_uuid, sizeof(info->clusterUuid));
	info->status = (vgpu_nvmlReturn_t)g->fabric.status;
	for (int i = 0; i < g->fabric.ncliques; i++) {
		info->cliques[i].type = g->fabric.cliques[i].type;
		info->cliques[i].id = g->fabric.cliques[i].id;
	}
	info->numCliques = (unsigned int)g->fabric.ncliques;
	info->state = g->fabric.state;
	info->healthMask = g->fabric.health_mask;
	info->healthSummary = g->fabric.health_summary;
	return VGPU_NVML_SUCCESS;
}
