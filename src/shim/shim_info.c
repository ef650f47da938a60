/*
 * shim_info.c - what the program is told about memory (cuMemGetInfo,
 * cuDeviceTotalMem), and cuGetProcAddress, which must hand out the shim's
 * entry points, not the real driver's.
 *
 * Memory views: total = min(slice, what the GPU has); free = min(total -
 * used by the step's processes, what the GPU really has free), never
 * negative; the view never fails because the slice is full. A program that
 * sizes itself from free memory therefore fits both its slice and the
 * physical GPU. A device that is not the step's shows free = 0.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"

#include <string.h>

/* The slice's view for the current context's GPU, from the physical
 * figures the driver gave. */
static void slice_view(uint64_t phys_free, uint64_t phys_total, uint64_t *free_out, uint64_t *total_out)
{
	vgpu_CUdevice dev = -1;
	uint64_t limit = 0, used = 0, total;
	int g = -1;

	if (CU_REAL(cuCtxGetDevice)(&dev) == VGPU_CUDA_SUCCESS)
		g = vgpu_shim_gpu_of_ordinal(dev);
	if (g < 0) {
		*free_out = 0;
		*total_out = phys_total;
		return;
	}
	if (vgpu_shim_view(g, &limit, &used) != 0) {
		limit = vgpu_shim.desc.gpus[g].mem_bytes;
		used = limit; /* the ledger is unusable: nothing can be allocated */
	}
	total = limit < phys_total ? limit : phys_total;
	*total_out = total;
	*free_out = used < total ? total - used : 0;
	if (*free_out > phys_free)
		*free_out = phys_free;
}

VGPU_SHIM_HOOK(cuMemGetInfo_v2);
vgpu_CUresult cuMemGetInfo_v2(size_t *free, size_t *total)
{
	vgpu_CUresult rc = CU_REAL(cuMemGetInfo_v2)(free, total);
	uint64_t f, t;

	if (rc != VGPU_CUDA_SUCCESS || !vgpu_shim_enter())
		goto out;
	slice_view(*free, *total, &f, &t);
	*free = (size_t)f;
	*total = (size_t)t;
out:
	if (rc == VGPU_CUDA_SUCCESS)
		vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuMemGetInfo);
vgpu_CUresult cuMemGetInfo(unsigned int *free, unsigned int *total)
{
	vgpu_CUresult rc = CU_REAL(cuMemGetInfo)(free, total);
	uint64_t f, t;

	if (rc != VGPU_CUDA_SUCCESS || !vgpu_shim_enter())
		goto out;
	slice_view(*free, *total, &f, &t);
	*free = (unsigned int)f;
	*total = (unsigned int)t;
out:
	if (rc == VGPU_CUDA_SUCCESS)
		vgpu_shim_leave();
	return rc;
}

/* A device's total memory: the slice when the device is the step's. */
static uint64_t slice_total(vgpu_CUdevice dev, uint64_t phys)
{
	int g = vgpu_shim_gpu_of_ordinal(dev);

	if (g < 0 || vgpu_shim.desc.gpus[g].mem_bytes > phys)
		return phys;
	return vgpu_shim.desc.gpus[g].mem_bytes;
}

VGPU_SHIM_HOOK(cuDeviceTotalMem_v2);
vgpu_CUresult cuDeviceTotalMem_v2(size_t *bytes, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = CU_REAL(cuDeviceTotalMem_v2)(bytes, dev);

	if (rc == VGPU_CUDA_SUCCESS)
		*bytes = (size_t)slice_total(dev, *bytes);
	return rc;
}

VGPU_SHIM_HOOK(cuDeviceTotalMem);
vgpu_CUresult cuDeviceTotalMem(unsigned int *bytes, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = CU_REAL(cuDeviceTotalMem)(bytes, dev);

	if (rc == VGPU_CUDA_SUCCESS)
		*bytes = (unsigned int)slice_total(dev, *bytes);
	return rc;
}

/* ---- cuGetProcAddress ------------------------------------------------------ */

struct abi_entry {
	const char *symbol;
	const char *base;
	int version;
	int per_thread;
	int idx;
};

#define X(sym, base, ver, pt) { #sym, #base, ver, sizeof(#pt) > 1, VGPU_SHIM_IDX_##sym },
static const struct abi_entry exports[] = {
#include "vgpu_cuda_exports.def"
};
#undef X

/* When the driver hands out a pointer that is none of its exported
 * functions (a real driver may return internal entry points), find the
 * entry point by name and version in the export list (generated from
 * cudaTypedefs.h), as the driver does, and return the shim's when it hooks
 * it. Only for versions the list fully describes; NULL otherwise. */
static void *by_name(const char *symbol, int version, vgpu_cuuint64_t flags)
{
	const struct abi_entry *best = NULL, *best_pt = NULL;

	if (version > VGPU_CUDA_VERSION)
		return NULL;
	for (size_t i = 0; i < sizeof(exports) / sizeof(exports[0]); i++) {
		const struct abi_entry *e = &exports[i];

		if (strcmp(e->base, symbol) != 0 || e->version > version)
			continue;
		if (e->per_thread && (!best_pt || e->version > best_pt->version))
			best_pt = e;
		if (!e->per_thread && (!best || e->version > best->version))
			best = e;
	}
	if (best_pt && (flags & VGPU_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM))
		best = best_pt;
	if (!best || !vgpu_shim_cuda_hooked(best->idx))
		return NULL;
	return vgpu_shim_cuda_self[best->idx];
}

/* Replace the real driver's answer by the shim's entry point. */
static void *ours(const char *symbol, void *real, int version, vgpu_cuuint64_t flags)
{
	void *p = vgpu_shim_cuda_self_of(real);

	if (!p && vgpu_shim_cuda_is_self(real))
		return real; /* the driver already handed out the shim's export */
	if (!p && symbol)
		p = by_name(symbol, version, flags);
	if (!p) {
		SHIM_DEBUG("cuGetProcAddress(%s, %d): not a known driver export, handed out as is", symbol, version);
		return real;
	}
	return p;
}

VGPU_SHIM_HOOK(cuGetProcAddress_v2);
vgpu_CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion, vgpu_cuuint64_t flags,
				  vgpu_CUdriverProcAddressQueryResult *symbolStatus)
{
	vgpu_CUresult rc = CU_REAL(cuGetProcAddress_v2)(symbol, pfn, cudaVersion, flags, symbolStatus);

	if (rc == VGPU_CUDA_SUCCESS && pfn && *pfn)
		*pfn = ours(symbol, *pfn, cudaVersion, flags);
	return rc;
}

VGPU_SHIM_HOOK(cuGetProcAddress);
vgpu_CUresult cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion, vgpu_cuuint64_t flags)
{
	vgpu_CUresult rc = CU_REAL(cuGetProcAddress)(symbol, pfn, cudaVersion, flags);

	if (rc == VGPU_CUDA_SUCCESS && pfn && *pfn)
		*pfn = ours(symbol, *pfn, cudaVersion, flags);
	return rc;
}
