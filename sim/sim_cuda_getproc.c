/*
 * sim_cuda_getproc.c - cuGetProcAddress / cuGetProcAddress_v2 and
 * cuGetExportTable of the simulated libcuda.so.1.
 *
 * The table is VGPU_CUDA_ENTRY_POINTS from vgpu_cuda_abi.h, the same list
 * the exported prototypes come from: (base name, version, per-thread) ->
 * symbol. A query for base name B at CUDA version V gets the entry of B with
 * the highest version <= V; with CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM
 * a per-thread (_ptds/_ptsz) entry is preferred when one qualifies, as the
 * real driver does.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <string.h>

struct proc_entry {
	const char *base;
	int version;
	int per_thread;
	void *fn;
};

#define PROC_ROW(sym, base, ver, pt, params) { #base, ver, sizeof(#pt) > 1, (void *)sym },
static const struct proc_entry procs[] = { VGPU_CUDA_ENTRY_POINTS(PROC_ROW) };
#undef PROC_ROW

/* The driver version: the node's, or this ABI's when there is no node. */
static int driver_version(void)
{
	int v = VGPU_CUDA_VERSION;

	cuDriverGetVersion(&v);
	return v;
}

static vgpu_CUresult lookup(const char *symbol, void **pfn, int cudaVersion, vgpu_cuuint64_t flags,
			    vgpu_CUdriverProcAddressQueryResult *status)
{
	const struct proc_entry *best = NULL, *best_pt = NULL;
	int known = 0;

	if (!symbol || !pfn || (flags & ~(vgpu_cuuint64_t)(VGPU_CU_GET_PROC_ADDRESS_LEGACY_STREAM |
							    VGPU_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM)) ||
	    cudaVersion > driver_version())
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*pfn = NULL;
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		const struct proc_entry *e = &procs[i];

		if (strcmp(e->base, symbol) != 0)
			continue;
		known = 1;
		if (e->version > cudaVersion)
			continue;
		if (e->per_thread && (!best_pt || e->version > best_pt->version))
			best_pt = e;
		if (!e->per_thread && (!best || e->version > best->version))
			best = e;
	}
	if (best_pt && (flags & VGPU_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM))
		best = best_pt;
	if (status)
		*status = best ? VGPU_CU_GET_PROC_ADDRESS_SUCCESS
		          : known ? VGPU_CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
			          : VGPU_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
	if (!best)
		return VGPU_CUDA_ERROR_NOT_FOUND;
	*pfn = best->fn;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion, vgpu_cuuint64_t flags,
				  vgpu_CUdriverProcAddressQueryResult *symbolStatus)
{
	return lookup(symbol, pfn, cudaVersion, flags, symbolStatus);
}

vgpu_CUresult cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion, vgpu_cuuint64_t flags)
{
	return lookup(symbol, pfn, cudaVersion, flags, NULL);
}

/* The runtime's private tables are undocumented: none is served. */
vgpu_CUresult cuGetExportTable(const void **ppExportTable, const vgpu_CUuuid *pExportTableId)
{
	(void)pExportTableId;
	if (ppExportTable)
		*ppExportTable = NULL;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}
