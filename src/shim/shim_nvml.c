/*
 * shim_nvml.c - NVML as a step's processes see it (nvidia-smi, pynvml,
 * frameworks): memory info (v1 and v2) shows the slice, the process list
 * shows the step's processes with what each holds in the slice. GPUs that
 * are not the step's pass through unchanged. nvmlErrorString is hooked only
 * because it is the one NVML function that does not return nvmlReturn_t.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"
#include "vgpu_ledger.h"

#include <stdlib.h>

#define MAX_PROCS 1024

/* The slice of step GPU g against the physical total/free: total, free and
 * used (total - free). */
static void nvml_slice(int g, uint64_t phys_total, uint64_t phys_free, unsigned long long *total,
		       unsigned long long *free, unsigned long long *used)
{
	uint64_t limit = 0, in_use = 0;

	if (vgpu_shim_view(g, &limit, &in_use) != 0) {
		limit = vgpu_shim.desc.gpus[g].mem_bytes;
		in_use = limit;
	}
	*total = limit < phys_total ? limit : phys_total;
	*free = in_use < *total ? *total - in_use : 0;
	if (*free > phys_free)
		*free = phys_free;
	*used = *total - *free;
}

VGPU_SHIM_HOOK(nvmlDeviceGetMemoryInfo);
vgpu_nvmlReturn_t nvmlDeviceGetMemoryInfo(vgpu_nvmlDevice_t device, vgpu_nvmlMemory_t *memory)
{
	vgpu_nvmlReturn_t rc = NV_REAL(nvmlDeviceGetMemoryInfo)(device, memory);
	int g;

	if (rc != VGPU_NVML_SUCCESS || !vgpu_shim_enter())
		goto out;
	g = vgpu_shim_gpu_of_nvml(device);
	if (g >= 0)
		nvml_slice(g, memory->total, memory->free, &memory->total, &memory->free, &memory->used);
out:
	if (rc == VGPU_NVML_SUCCESS)
		vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(nvmlDeviceGetMemoryInfo_v2);
vgpu_nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(vgpu_nvmlDevice_t device, vgpu_nvmlMemory_v2_t *memory)
{
	vgpu_nvmlReturn_t rc = NV_REAL(nvmlDeviceGetMemoryInfo_v2)(device, memory);
	uint64_t usable;
	int g;

	if (rc != VGPU_NVML_SUCCESS || !vgpu_shim_enter())
		goto out;
	g = vgpu_shim_gpu_of_nvml(device);
	if (g >= 0) {
		/* The driver's reservation is not part of any slice. */
		usable = memory->total > memory->reserved ? memory->total - memory->reserved : 0;
		nvml_slice(g, usable, memory->free, &memory->total, &memory->free, &memory->used);
		memory->reserved = 0;
	}
out:
	if (rc == VGPU_NVML_SUCCESS)
		vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(nvmlDeviceGetComputeRunningProcesses_v3);
vgpu_nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(vgpu_nvmlDevice_t device, unsigned int *infoCount,
							  vgpu_nvmlProcessInfo_t *infos)
{
	struct vgpu_ledger_proc *procs = NULL;
	unsigned int probe = 0;
	vgpu_nvmlReturn_t rc;
	int g, n;

	if (!vgpu_shim_enter() || (g = vgpu_shim_gpu_of_nvml(device)) < 0) {
		rc = NV_REAL(nvmlDeviceGetComputeRunningProcesses_v3)(device, infoCount, infos);
		goto out;
	}
	/* Let the driver check the handle and its state first. */
	rc = NV_REAL(nvmlDeviceGetComputeRunningProcesses_v3)(device, &probe, NULL);
	if (rc != VGPU_NVML_SUCCESS && rc != VGPU_NVML_ERROR_INSUFFICIENT_SIZE)
		goto out;
	if (!infoCount || (*infoCount > 0 && !infos)) {
		rc = VGPU_NVML_ERROR_INVALID_ARGUMENT;
		goto out;
	}
	procs = calloc(MAX_PROCS, sizeof(*procs));
	n = procs ? vgpu_shim_procs(g, procs, MAX_PROCS) : -1;
	if (n < 0) {
		rc = VGPU_NVML_ERROR_UNKNOWN;
		goto out;
	}
	if (n > MAX_PROCS)
		n = MAX_PROCS;
	if ((unsigned int)n > *infoCount) {
		*infoCount = (unsigned int)n;
		rc = VGPU_NVML_ERROR_INSUFFICIENT_SIZE;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		infos[i].pid = (unsigned int)procs[i].pid;
		infos[i].usedGpuMemory = procs[i].bytes;
		infos[i].gpuInstanceId = 0xFFFFFFFFu;
		infos[i].computeInstanceId = 0xFFFFFFFFu;
	}
	*infoCount = (unsigned int)n;
	rc = VGPU_NVML_SUCCESS;
out:
	free(procs);
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(nvmlErrorString);
const char *nvmlErrorString(vgpu_nvmlReturn_t result)
{
	if (vgpu_shim_load_nvml() == 0 && vgpu_shim_nvml_real(VGPU_SHIM_IDX_nvmlErrorString))
		return NV_REAL(nvmlErrorString)(result);
	switch (result) {
	case VGPU_NVML_SUCCESS:
		return "Success";
	case VGPU_NVML_ERROR_LIBRARY_NOT_FOUND:
		return "NVML Shared Library Not Found";
	case VGPU_NVML_ERROR_FUNCTION_NOT_FOUND:
		return "Function Not Found";
	default:
		return "Unknown Error";
	}
}
