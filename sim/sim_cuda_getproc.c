/*
 * sim_cuda_getproc.c - cuGetProcAddress / cuGetProcAddress_v2 and
 * cuGetExportTable of the simulated libcuda.so.1.
 *
 * The table is every entry point a CUDA 13.0 driver exports
 * (src/include/vgpu_cuda_exports.def, built into sim_cuda_stubs.c):
 * (base name, version, per-thread) -> symbol; those the simulator does not
 * implement return CUDA_ERROR_NOT_SUPPORTED when called. A query for base
 * name B at CUDA version V gets the entry of B with the highest version <=
 * V; with CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM a per-thread
 * (_ptds/_ptsz) entry is preferred when one qualifies, as the real driver
 * does. The library is linked -Bsymbolic, so the pointers are the
 * simulator's own even when another library (the shim) exports the same
 * names, as a real driver's internal entry points are.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"
#include "sim_procs.h"

#include <string.h>

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
	const struct simcu_proc *best = NULL, *best_pt = NULL;
	size_t nprocs;
	const struct simcu_proc *procs = vgpu_simcu_procs(&nprocs);
	int known = 0;

	if (!symbol || !pfn || (flags & ~(vgpu_cuuint64_t)(VGPU_CU_GET_PROC_ADDRESS_LEGACY_STREAM |
							    VGPU_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM)) ||
	    cudaVersion > driver_version())
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*pfn = NULL;
	for (size_t i = 0; i < nprocs; i++) {
		const struct simcu_proc *e = &procs[i];

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
