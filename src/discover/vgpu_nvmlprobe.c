/* vgpu_nvmlprobe.c - see vgpu_nvmlprobe.h */
#include "vgpu_nvmlprobe.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_nvml_abi.h"

/* The one table of NVML entry points used here: X(exported name, required).
 * Optional ones are NULL when the library lacks them (older drivers). */
#define NVML_USED(X)                                   \
	X(nvmlInit_v2, 1)                              \
	X(nvmlShutdown, 1)                             \
	X(nvmlErrorString, 0)                          \
	X(nvmlSystemGetDriverVersion, 0)               \
	X(nvmlSystemGetCudaDriverVersion_v2, 0)        \
	X(nvmlSystemGetCudaDriverVersion, 0)           \
	X(nvmlDeviceGetCount_v2, 1)                    \
	X(nvmlDeviceGetHandleByIndex_v2, 1)            \
	X(nvmlDeviceGetPciInfo_v3, 1)                  \
	X(nvmlDeviceGetName, 0)                        \
	X(nvmlDeviceGetUUID, 0)                        \
	X(nvmlDeviceGetMinorNumber, 0)                 \
	X(nvmlDeviceGetMemoryInfo_v2, 0)               \
	X(nvmlDeviceGetMemoryInfo, 0)                  \
	X(nvmlDeviceGetMigMode, 0)                     \
	X(nvmlDeviceGetNvLinkState, 0)                 \
	X(nvmlDeviceGetNvLinkRemotePciInfo_v2, 0)      \
	X(nvmlDeviceGetGpuFabricInfo_v4, 0)            \
	X(nvmlDeviceGetGpuFabricInfoV, 0)              \
	X(nvmlDeviceGetGpuFabricInfo, 0)

struct vgpu_nvmlprobe {
	void *dl;
	int inited;
	char lib[256];
#define NVML_FIELD(name, required) vgpu_pfn_##name name;
	NVML_USED(NVML_FIELD)
#undef NVML_FIELD
};

/* NVML's text for rc, or the number. */
static const char *errstr(const vgpu_nvmlprobe_t *p, vgpu_nvmlReturn_t rc, char *buf, size_t len)
{
	const char *s = p->nvmlErrorString ? p->nvmlErrorString(rc) : NULL;

	if (s && *s)
		snprintf(buf, len, "%s (%d)", s, (int)rc);
	else
		snprintf(buf, len, "NVML error %d", (int)rc);
	return buf;
}

int vgpu_nvmlprobe_open(const char *lib, vgpu_nvmlprobe_t **probe, vgpu_err_t *err)
{
	vgpu_nvmlprobe_t *p = calloc(1, sizeof(*p));
	vgpu_nvmlReturn_t rc;
	char e[128];
	int ret = -1;

	*probe = NULL;
	if (!lib || !*lib)
		lib = VGPU_DISCOVER_NVML_DEFAULT;
	if (!p)
		return vgpu_err_set(err, "%s: out of memory", lib);
	snprintf(p->lib, sizeof(p->lib), "%s", lib);
	dlerror();
	p->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		const char *why = dlerror();

		vgpu_err_set(err, "no NVIDIA driver: %s could not be loaded (%s)", lib, why ? why : "unknown reason");
		goto out;
	}
#define NVML_RESOLVE(name, required)                                                     \
	p->name = (vgpu_pfn_##name)dlsym(p->dl, #name);                                  \
	if (!p->name && (required)) {                                                     \
		vgpu_err_set(err, "%s: not a usable NVML library: it has no %s", lib, #name); \
		goto out;                                                                 \
	}
	NVML_USED(NVML_RESOLVE)
#undef NVML_RESOLVE
	rc = p->nvmlInit_v2();
	if (rc != VGPU_NVML_SUCCESS) {
		vgpu_err_set(err, "no NVIDIA driver: %s: nvmlInit_v2: %s", lib, errstr(p, rc, e, sizeof(e)));
		goto out;
	}
	p->inited = 1;
	*probe = p;
	p = NULL;
	ret = 0;
out:
	vgpu_nvmlprobe_close(p);
	return ret;
}

void vgpu_nvmlprobe_close(vgpu_nvmlprobe_t *p)
{
	if (!p)
		return;
	if (p->inited && p->nvmlShutdown)
		p->nvmlShutdown();
	if (p->dl)
		dlclose(p->dl);
	free(p);
}

/* Canonical bus id of an nvmlPciInfo_t: busId, else busIdLegacy, else the
 * numeric fields. */
static int pci_busid(const vgpu_nvmlPciInfo_t *pci, char *out, size_t len)
{
	char a[sizeof(pci->busId) + 1], b[sizeof(pci->busIdLegacy) + 1], c[32];

	memcpy(a, pci->busId, sizeof(pci->busId));
	a[sizeof(pci->busId)] = '\0';
	memcpy(b, pci->busIdLegacy, sizeof(pci->busIdLegacy));
	b[sizeof(pci->busIdLegacy)] = '\0';
	snprintf(c, sizeof(c), "%04x:%02x:%02x.0", pci->domain & 0xffffu, pci->bus & 0xffu, pci->device & 0x1fu);
	if (vgpu_inventory_busid(a, out, len, NULL) == 0 || vgpu_inventory_busid(b, out, len, NULL) == 0 ||
	    vgpu_inventory_busid(c, out, len, NULL) == 0)
		return 0;
	return -1;
}

/* Copy an NVML string result into a field, refusing to cut it. */
static int take_str(char *dst, size_t cap, const char *src, size_t srccap)
{
	size_t n = strnlen(src, srccap);

	if (n >= cap || n == srccap)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static void read_memory(vgpu_nvmlprobe_t *p, vgpu_nvmlDevice_t dev, vgpu_gpu_t *g,
			vgpu_discover_warn_fn warn, void *arg)
{
	vgpu_nvmlReturn_t rc = VGPU_NVML_ERROR_FUNCTION_NOT_FOUND;
	char e[128];

	if (p->nvmlDeviceGetMemoryInfo_v2) {
		vgpu_nvmlMemory_v2_t m;

		memset(&m, 0, sizeof(m));
		m.version = VGPU_NVML_MEMORY_V2;
		rc = p->nvmlDeviceGetMemoryInfo_v2(dev, &m);
		if (rc == VGPU_NVML_SUCCESS) {
			g->mem_bytes = m.total;
			return;
		}
	}
	if (p->nvmlDeviceGetMemoryInfo) {
		vgpu_nvmlMemory_t m;

		memset(&m, 0, sizeof(m));
		rc = p->nvmlDeviceGetMemoryInfo(dev, &m);
		if (rc == VGPU_NVML_SUCCESS) {
			g->mem_bytes = m.total;
			return;
		}
	}
	vgpu_discover_warnf(warn, arg, "GPU %u (%s): memory unknown: nvmlDeviceGetMemoryInfo: %s", g->index,
			    g->bus_id, errstr(p, rc, e, sizeof(e)));
}

/* Active NVLinks, aggregated per remote bus id. Returns 1 when NVML answered
 * a link query, 0 when it has no NVLink for this GPU. */
static int read_nvlink(vgpu_nvmlprobe_t *p, vgpu_nvmlDevice_t dev, vgpu_gpu_t *g,
		       vgpu_discover_warn_fn warn, void *arg)
{
	int known = 0;
	char e[128];

	if (!p->nvmlDeviceGetNvLinkState || !p->nvmlDeviceGetNvLinkRemotePciInfo_v2)
		return 0;
	for (unsigned link = 0; link < VGPU_NVML_NVLINK_MAX_LINKS; link++) {
		vgpu_nvmlEnableState_t active = VGPU_NVML_FEATURE_DISABLED;
		vgpu_nvmlPciInfo_t pci;
		char bus[VGPU_BUSID_MAX];
		vgpu_nvmlReturn_t rc = p->nvmlDeviceGetNvLinkState(dev, link, &active);
		size_t k;

		if (rc == VGPU_NVML_ERROR_NOT_SUPPORTED)
			continue;
		if (rc == VGPU_NVML_ERROR_INVALID_ARGUMENT)
			break; /* past this GPU's last link */
		if (rc != VGPU_NVML_SUCCESS) {
			vgpu_discover_warnf(warn, arg, "GPU %u (%s): nvmlDeviceGetNvLinkState(link %u): %s", g->index,
					    g->bus_id, link, errstr(p, rc, e, sizeof(e)));
			break;
		}
		known = 1;
		if (active != VGPU_NVML_FEATURE_ENABLED)
			continue;
		memset(&pci, 0, sizeof(pci));
		rc = p->nvmlDeviceGetNvLinkRemotePciInfo_v2(dev, link, &pci);
		if (rc != VGPU_NVML_SUCCESS || pci_busid(&pci, bus, sizeof(bus)) != 0) {
			vgpu_discover_warnf(warn, arg, "GPU %u (%s): NVLink %u: no remote PCI bus id (%s)", g->index,
					    g->bus_id, link,
					    rc != VGPU_NVML_SUCCESS ? errstr(p, rc, e, sizeof(e)) : "malformed");
			continue;
		}
		for (k = 0; k < g->nlinks && strcmp(g->links[k].peer_bus_id, bus) != 0; k++)
			;
		if (k == g->nlinks) {
			if (g->nlinks == VGPU_GPUS_MAX)
				continue;
			g->nlinks++;
			memcpy(g->links[k].peer_bus_id, bus, sizeof(bus));
			g->links[k].peer = -1;
		}
		g->links[k].links++;
	}
	return known;
}

/* What one fabric query answered, whatever its struct. */
struct fabric_answer {
	unsigned char uuid[16];
	vgpu_nvmlReturn_t status;
	unsigned int clique_id;
	vgpu_nvmlGpuFabricState_t state;
	unsigned int health_mask;
	unsigned char health_summary;
	unsigned int ncliques;
	vgpu_nvmlGpuFabricClique_v1_t cliques[VGPU_NVML_GPU_FABRIC_CLIQUE_MAX];
};

static vgpu_nvmlReturn_t query_v4(vgpu_nvmlprobe_t *p, vgpu_nvmlDevice_t dev, struct fabric_answer *a)
{
	vgpu_nvmlGpuFabricInfo_v4_t fi;
	vgpu_nvmlReturn_t rc;

	memset(&fi, 0, sizeof(fi));
	if ((rc = p->nvmlDeviceGetGpuFabricInfo_v4(dev, &fi)) != VGPU_NVML_SUCCESS)
		return rc;
	memcpy(a->uuid, fi.clusterUuid, 16);
	a->status = fi.status;
	a->state = fi.state;
	a->health_mask = fi.healthMask;
	a->health_summary = fi.healthSummary;
	a->ncliques = fi.numCliques < VGPU_NVML_GPU_FABRIC_CLIQUE_MAX ? fi.numCliques : VGPU_NVML_GPU_FABRIC_CLIQUE_MAX;
	memcpy(a->cliques, fi.cliques, sizeof(a->cliques));
	/* The legacy cliqueId: the first unicast pointer clique. */
	for (unsigned i = 0; i < a->ncliques; i++)
		if (a->cliques[i].type == VGPU_NVML_GPU_FABRIC_CLIQUE_TYPE_UNICAST_POINTER) {
			a->clique_id = a->cliques[i].id;
			break;
		}
	return VGPU_NVML_SUCCESS;
}

/* The V call with the v3 struct, else (a driver that does not know v3) v2. */
static vgpu_nvmlReturn_t query_v(vgpu_nvmlprobe_t *p, vgpu_nvmlDevice_t dev, struct fabric_answer *a, int *ver)
{
	vgpu_nvmlGpuFabricInfo_v3_t fi;
	vgpu_nvmlReturn_t rc;

	memset(&fi, 0, sizeof(fi));
	fi.version = VGPU_NVML_GPU_FABRIC_INFO_V3;
	*ver = 3;
	rc = p->nvmlDeviceGetGpuFabricInfoV(dev, &fi);
	if (rc == VGPU_NVML_ERROR_ARGUMENT_VERSION_MISMATCH) {
		vgpu_nvmlGpuFabricInfo_v2_t f2;

		memset(&f2, 0, sizeof(f2));
		f2.version = VGPU_NVML_GPU_FABRIC_INFO_V2;
		*ver = 2;
		rc = p->nvmlDeviceGetGpuFabricInfoV(dev, (vgpu_nvmlGpuFabricInfoV_t *)(void *)&f2);
		memcpy(&fi, &f2, sizeof(f2));
		fi.healthSummary = VGPU_NVML_GPU_FABRIC_HEALTH_SUMMARY_NOT_SUPPORTED;
	}
	if (rc != VGPU_NVML_SUCCESS)
		return rc;
	memcpy(a->uuid, fi.clusterUuid, 16);
	a->status = fi.status;
	a->clique_id = fi.cliqueId;
	a->state = fi.state;
	a->health_mask = fi.healthMask;
	a->health_summary = fi.healthSummary;
	return VGPU_NVML_SUCCESS;
}

static vgpu_nvmlReturn_t query_v1(vgpu_nvmlprobe_t *p, vgpu_nvmlDevice_t dev, struct fabric_answer *a)
{
	vgpu_nvmlGpuFabricInfo_t fi;
	vgpu_nvmlReturn_t rc;

	memset(&fi, 0, sizeof(fi));
	if ((rc = p->nvmlDeviceGetGpuFabricInfo(dev, &fi)) != VGPU_NVML_SUCCESS)
		return rc;
	memcpy(a->uuid, fi.clusterUuid, 16);
	a->status = fi.status;
	a->clique_id = fi.cliqueId;
	a->state = fi.state;
	return VGPU_NVML_SUCCESS;
}

/* A query that says nothing about the fabric, so the next older one is asked:
 * the function is missing from this driver, or knows no struct we have. */
static int try_older(vgpu_nvmlReturn_t rc)
{
	return rc == VGPU_NVML_ERROR_FUNCTION_NOT_FOUND || rc == VGPU_NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
}

/* Ask the newest query the driver has: _v4 (per-type cliques), else the V
 * call (v3, else v2), else the v1 call. NOT_SUPPORTED from the newest query
 * the driver has means no fabric (pre-Hopper, or no NVSwitch). */
static void read_fabric(vgpu_nvmlprobe_t *p, vgpu_nvmlDevice_t dev, vgpu_gpu_t *g,
			vgpu_discover_warn_fn warn, void *arg)
{
	struct fabric_answer a;
	vgpu_nvmlReturn_t rc = VGPU_NVML_ERROR_FUNCTION_NOT_FOUND;
	const char *call = "nvmlDeviceGetGpuFabricInfo";
	int ver = 0;
	char e[128];

	memset(&a, 0, sizeof(a));
	if (p->nvmlDeviceGetGpuFabricInfo_v4) {
		rc = query_v4(p, dev, &a);
		call = "nvmlDeviceGetGpuFabricInfo_v4";
		ver = 4;
	}
	if (try_older(rc) && p->nvmlDeviceGetGpuFabricInfoV) {
		memset(&a, 0, sizeof(a));
		rc = query_v(p, dev, &a, &ver);
		call = "nvmlDeviceGetGpuFabricInfoV";
	}
	if (try_older(rc) && p->nvmlDeviceGetGpuFabricInfo) {
		memset(&a, 0, sizeof(a));
		rc = query_v1(p, dev, &a);
		call = "nvmlDeviceGetGpuFabricInfo";
		ver = 1;
	}
	if (rc == VGPU_NVML_ERROR_NOT_SUPPORTED || try_older(rc))
		return;
	if (rc != VGPU_NVML_SUCCESS) {
		vgpu_discover_warnf(warn, arg, "GPU %u (%s): fabric unknown: %s: %s", g->index, g->bus_id, call,
				    errstr(p, rc, e, sizeof(e)));
		return;
	}
	if (a.state == VGPU_NVML_GPU_FABRIC_STATE_NOT_SUPPORTED)
		return;
	if (a.state > VGPU_NVML_GPU_FABRIC_STATE_COMPLETED) {
		vgpu_discover_warnf(warn, arg, "GPU %u (%s): unknown fabric state %u from %s: taken as none",
				    g->index, g->bus_id, (unsigned)a.state, call);
		return;
	}
	memcpy(g->fabric.cluster_uuid, a.uuid, sizeof(g->fabric.cluster_uuid));
	g->fabric.clique_id = a.clique_id;
	g->fabric.state = (vgpu_fabric_state_t)a.state;
	g->fabric.status = (uint32_t)a.status;
	g->fabric.health_mask = a.health_mask;
	g->fabric.health_summary = a.health_summary <= VGPU_FABRIC_HEALTH_LIMITED_CAPACITY
					   ? (vgpu_fabric_health_t)a.health_summary
					   : VGPU_FABRIC_HEALTH_NOT_SUPPORTED;
	snprintf(g->fabric.source, sizeof(g->fabric.source), "nvml-v%d", ver);
	g->fabric.ncliques = a.ncliques;
	for (unsigned i = 0; i < a.ncliques; i++) {
		g->fabric.cliques[i].type = a.cliques[i].type;
		g->fabric.cliques[i].id = a.cliques[i].id;
	}
}

/* Everything about GPU i; returns 0, or -1 with err. */
static int read_gpu(vgpu_nvmlprobe_t *p, unsigned i, vgpu_gpu_t *g, int *nvlink_known,
		    vgpu_discover_warn_fn warn, void *arg, vgpu_err_t *err)
{
	char buf[VGPU_NVML_DEVICE_NAME_V2_BUFFER_SIZE], e[128];
	vgpu_nvmlDevice_t dev = NULL;
	vgpu_nvmlPciInfo_t pci;
	vgpu_nvmlReturn_t rc;
	unsigned minor = 0, cur = 0, pend = 0;

	g->index = i;
	g->numa_node = -1;
	if ((rc = p->nvmlDeviceGetHandleByIndex_v2(i, &dev)) != VGPU_NVML_SUCCESS)
		return vgpu_err_set(err, "GPU %u: nvmlDeviceGetHandleByIndex_v2: %s", i, errstr(p, rc, e, sizeof(e)));
	memset(&pci, 0, sizeof(pci));
	if ((rc = p->nvmlDeviceGetPciInfo_v3(dev, &pci)) != VGPU_NVML_SUCCESS)
		return vgpu_err_set(err, "GPU %u: nvmlDeviceGetPciInfo_v3: %s", i, errstr(p, rc, e, sizeof(e)));
	if (pci_busid(&pci, g->bus_id, sizeof(g->bus_id)) != 0)
		return vgpu_err_set(err, "GPU %u: nvmlDeviceGetPciInfo_v3 gave no usable bus id", i);
	g->minor = i;
	rc = p->nvmlDeviceGetMinorNumber ? p->nvmlDeviceGetMinorNumber(dev, &minor)
					 : VGPU_NVML_ERROR_FUNCTION_NOT_FOUND;
	if (rc == VGPU_NVML_SUCCESS)
		g->minor = minor;
	else
		vgpu_discover_warnf(warn, arg, "GPU %u (%s): minor number unknown (%s): assumed %u", i, g->bus_id,
				    errstr(p, rc, e, sizeof(e)), i);
	memset(buf, 0, sizeof(buf));
	rc = p->nvmlDeviceGetUUID ? p->nvmlDeviceGetUUID(dev, buf, sizeof(buf)) : VGPU_NVML_ERROR_FUNCTION_NOT_FOUND;
	if (rc != VGPU_NVML_SUCCESS || take_str(g->uuid, sizeof(g->uuid), buf, sizeof(buf)) != 0)
		vgpu_discover_warnf(warn, arg, "GPU %u (%s): UUID unknown (%s)", i, g->bus_id,
				    rc != VGPU_NVML_SUCCESS ? errstr(p, rc, e, sizeof(e)) : "too long");
	memset(buf, 0, sizeof(buf));
	rc = p->nvmlDeviceGetName ? p->nvmlDeviceGetName(dev, buf, sizeof(buf)) : VGPU_NVML_ERROR_FUNCTION_NOT_FOUND;
	if (rc != VGPU_NVML_SUCCESS || take_str(g->model, sizeof(g->model), buf, sizeof(buf)) != 0)
		vgpu_discover_warnf(warn, arg, "GPU %u (%s): model unknown (%s)", i, g->bus_id,
				    rc != VGPU_NVML_SUCCESS ? errstr(p, rc, e, sizeof(e)) : "too long");
	else if (strchr(g->model, '"') || strchr(g->model, '\\') ||
		 vgpu_inventory_type_name(g->model, g->type, sizeof(g->type)) != 0)
		vgpu_discover_warnf(warn, arg, "GPU %u (%s): no type name can be derived from model '%s': "
				    "name it with GpuType ... Model= in vgpu.conf", i, g->bus_id, g->model);
	read_memory(p, dev, g, warn, arg);
	rc = p->nvmlDeviceGetMigMode ? p->nvmlDeviceGetMigMode(dev, &cur, &pend) : VGPU_NVML_ERROR_NOT_SUPPORTED;
	if (rc == VGPU_NVML_SUCCESS)
		g->mig_enabled = cur == VGPU_NVML_DEVICE_MIG_ENABLE;
	else if (rc != VGPU_NVML_ERROR_NOT_SUPPORTED)
		vgpu_discover_warnf(warn, arg, "GPU %u (%s): MIG mode unknown (%s): taken as off", i, g->bus_id,
				    errstr(p, rc, e, sizeof(e)));
	if (read_nvlink(p, dev, g, warn, arg))
		*nvlink_known = 1;
	read_fabric(p, dev, g, warn, arg);
	return 0;
}

int vgpu_nvmlprobe_read(vgpu_nvmlprobe_t *p, vgpu_inventory_t *inv, int *nvlink_known,
			vgpu_discover_warn_fn warn, void *arg, vgpu_err_t *err)
{
	char buf[VGPU_NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE], e[128];
	unsigned count = 0;
	vgpu_nvmlReturn_t rc;
	int cuda = 0;

	*nvlink_known = 0;
	inv->ngpus = 0;
	memset(buf, 0, sizeof(buf));
	if (p->nvmlSystemGetDriverVersion &&
	    p->nvmlSystemGetDriverVersion(buf, sizeof(buf)) == VGPU_NVML_SUCCESS &&
	    take_str(inv->driver_version, sizeof(inv->driver_version), buf, sizeof(buf)) != 0)
		vgpu_discover_warnf(warn, arg, "driver version is too long: left out");
	rc = p->nvmlSystemGetCudaDriverVersion_v2 ? p->nvmlSystemGetCudaDriverVersion_v2(&cuda)
						  : VGPU_NVML_ERROR_FUNCTION_NOT_FOUND;
	if (rc != VGPU_NVML_SUCCESS && p->nvmlSystemGetCudaDriverVersion)
		rc = p->nvmlSystemGetCudaDriverVersion(&cuda);
	if (rc == VGPU_NVML_SUCCESS && cuda > 0)
		inv->cuda_driver_version = cuda;
	if ((rc = p->nvmlDeviceGetCount_v2(&count)) != VGPU_NVML_SUCCESS)
		return vgpu_err_set(err, "%s: nvmlDeviceGetCount_v2: %s", p->lib, errstr(p, rc, e, sizeof(e)));
	if (count > VGPU_GPUS_MAX)
		return vgpu_err_set(err, "%s reports %u GPUs, at most %d are supported", p->lib, count, VGPU_GPUS_MAX);
	for (unsigned i = 0; i < count; i++) {
		if (read_gpu(p, i, &inv->gpus[i], nvlink_known, warn, arg, err) != 0) {
			inv->ngpus = 0;
			return -1;
		}
		inv->ngpus = i + 1;
	}
	/* Peers: the position of the GPU with the remote bus id. */
	for (size_t i = 0; i < inv->ngpus; i++) {
		vgpu_gpu_t *g = &inv->gpus[i];

		for (size_t k = 0; k < g->nlinks; k++) {
			const vgpu_gpu_t *peer = vgpu_inventory_find_busid(inv, g->links[k].peer_bus_id);

			g->links[k].peer = peer && peer != g ? (int)(peer - inv->gpus) : -1;
		}
	}
	return (int)count;
}
