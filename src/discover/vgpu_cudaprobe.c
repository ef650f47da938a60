/* vgpu_cudaprobe.c - see vgpu_cudaprobe.h */
#include "vgpu_cudaprobe.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_cuda_abi.h"
#include "vgpu_discover.h"

/* The one table of CUDA entry points: X(exported name, required). */
#define CUDA_USED(X)                    \
	X(cuInit, 1)                    \
	X(cuDeviceGetByPCIBusId, 1)     \
	X(cuDeviceGetAttribute, 1)      \
	X(cuDriverGetVersion, 0)        \
	X(cuGetErrorString, 0)          \
	X(cuDeviceTotalMem_v2, 0)       \
	X(cuCtxCreate_v2, 0)            \
	X(cuCtxDestroy_v2, 0)           \
	X(cuMemGetInfo_v2, 0)

struct vgpu_cudaprobe {
	char lib[256];
	int no_device;          /* cuInit said no device: every GPU is hidden */
#define CUDA_FIELD(name, required) vgpu_pfn_##name name;
	CUDA_USED(CUDA_FIELD)
#undef CUDA_FIELD
};

static const char *errstr(const vgpu_cudaprobe_t *p, vgpu_CUresult rc, char *buf, size_t len)
{
	const char *s = NULL;

	if (p->cuGetErrorString && p->cuGetErrorString(rc, &s) == VGPU_CUDA_SUCCESS && s)
		snprintf(buf, len, "%s (%d)", s, (int)rc);
	else
		snprintf(buf, len, "CUDA error %d", (int)rc);
	return buf;
}

int vgpu_cudaprobe_open(const char *lib, vgpu_cudaprobe_t **probe, vgpu_err_t *err)
{
	vgpu_cudaprobe_t *p = calloc(1, sizeof(*p));
	vgpu_CUresult rc;
	void *dl;
	char e[128];

	*probe = NULL;
	if (!lib || !*lib)
		lib = VGPU_DISCOVER_CUDA_DEFAULT;
	if (!p)
		return vgpu_err_set(err, "%s: out of memory", lib);
	snprintf(p->lib, sizeof(p->lib), "%s", lib);
	dlerror();
	dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *why = dlerror();

		vgpu_err_set(err, "%s could not be loaded (%s)", lib, why ? why : "unknown reason");
		free(p);
		return -1;
	}
#define CUDA_RESOLVE(name, required)                                                       \
	p->name = (vgpu_pfn_##name)dlsym(dl, #name);                                            \
	if (!p->name && (required)) {                                                      \
		vgpu_err_set(err, "%s: not a usable CUDA driver: it has no %s", lib, #name); \
		dlclose(dl);                                                               \
		free(p);                                                                   \
		return -1;                                                                 \
	}
	CUDA_USED(CUDA_RESOLVE)
#undef CUDA_RESOLVE
	rc = p->cuInit(0);
	if (rc == VGPU_CUDA_ERROR_NO_DEVICE) {
		p->no_device = 1;
	} else if (rc != VGPU_CUDA_SUCCESS) {
		vgpu_err_set(err, "%s: cuInit: %s", lib, errstr(p, rc, e, sizeof(e)));
		free(p); /* the library stays loaded: see the header */
		return -1;
	}
	*probe = p;
	return 0;
}

void vgpu_cudaprobe_close(vgpu_cudaprobe_t *p)
{
	free(p);
}

int vgpu_cudaprobe_sms(vgpu_cudaprobe_t *p, const char *bus_id, unsigned *sms, vgpu_err_t *err)
{
	vgpu_CUdevice dev = -1;
	vgpu_CUresult rc;
	int v = 0;
	char e[128];

	*sms = 0;
	if (p->no_device)
		return 1;
	rc = p->cuDeviceGetByPCIBusId(&dev, bus_id);
	if (rc == VGPU_CUDA_ERROR_INVALID_DEVICE || rc == VGPU_CUDA_ERROR_INVALID_VALUE || rc == VGPU_CUDA_ERROR_NO_DEVICE)
		return 1;
	if (rc != VGPU_CUDA_SUCCESS)
		return vgpu_err_set(err, "%s: cuDeviceGetByPCIBusId(%s): %s", p->lib, bus_id,
				    errstr(p, rc, e, sizeof(e)));
	rc = p->cuDeviceGetAttribute(&v, VGPU_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
	if (rc != VGPU_CUDA_SUCCESS)
		return vgpu_err_set(err, "%s: cuDeviceGetAttribute(MULTIPROCESSOR_COUNT, %s): %s", p->lib, bus_id,
				    errstr(p, rc, e, sizeof(e)));
	if (v <= 0)
		return vgpu_err_set(err, "%s: %s reports %d SMs", p->lib, bus_id, v);
	*sms = (unsigned)v;
	return 0;
}

/* Free memory of the current context's GPU; 0 when the query fails. */
static size_t free_now(const vgpu_cudaprobe_t *p)
{
	size_t fr = 0, total = 0;

	return p->cuMemGetInfo_v2(&fr, &total) == VGPU_CUDA_SUCCESS ? fr : 0;
}

int vgpu_cudaprobe_memory(vgpu_cudaprobe_t *p, const char *bus_id, uint64_t *total,
			  uint64_t *context, vgpu_err_t *err)
{
	vgpu_CUcontext base = NULL, extra = NULL;
	vgpu_CUdevice dev = -1;
	vgpu_CUresult rc;
	size_t t = 0;
	char e[128];

	*total = *context = 0;
	if (p->no_device || !p->cuDeviceTotalMem_v2 || !p->cuCtxCreate_v2 || !p->cuCtxDestroy_v2 ||
	    !p->cuMemGetInfo_v2)
		return 1;
	rc = p->cuDeviceGetByPCIBusId(&dev, bus_id);
	if (rc != VGPU_CUDA_SUCCESS)
		return 1;
	rc = p->cuDeviceTotalMem_v2(&t, dev);
	if (rc != VGPU_CUDA_SUCCESS)
		return vgpu_err_set(err, "%s: cuDeviceTotalMem(%s): %s", p->lib, bus_id, errstr(p, rc, e, sizeof(e)));
	*total = t;
	/* One context stays current; each further one is measured by the free
	 * memory it takes (the largest of three, so that memory another
	 * process frees meanwhile cannot make it look smaller). */
	rc = p->cuCtxCreate_v2(&base, 0, dev);
	if (rc != VGPU_CUDA_SUCCESS)
		return vgpu_err_set(err, "%s: cuCtxCreate(%s): %s", p->lib, bus_id, errstr(p, rc, e, sizeof(e)));
	for (int i = 0; i < 3; i++) {
		size_t before = free_now(p), after;

		rc = p->cuCtxCreate_v2(&extra, 0, dev);
		if (rc != VGPU_CUDA_SUCCESS)
			break;
		after = free_now(p);
		p->cuCtxDestroy_v2(extra);
		if (before && after && before > after && before - after > *context)
			*context = before - after;
	}
	p->cuCtxDestroy_v2(base);
	if (rc != VGPU_CUDA_SUCCESS)
		return vgpu_err_set(err, "%s: cuCtxCreate(%s), a second context: %s", p->lib, bus_id,
				    errstr(p, rc, e, sizeof(e)));
	return 0;
}

int vgpu_cudaprobe_driver_version(vgpu_cudaprobe_t *p)
{
	int v = 0;

	if (p->cuDriverGetVersion && p->cuDriverGetVersion(&v) == VGPU_CUDA_SUCCESS && v > 0)
		return v;
	return 0;
}
