/*
 * shim_nvml.c - NVML as a step's processes see it (nvidia-smi, pynvml,
 * frameworks, nvtop, gpustat): memory info (v1 and v2) shows the slice; the
 * process lists (compute, graphics, MPS; every struct version) show only the
 * job's processes, compute ones with what each holds in the slice; GPU and
 * per-process utilisation are the job's SM time as a share of the slice
 * (doc/shim.md, "What a step sees"). GPUs that are not the step's pass
 * through unchanged. Temperatures, power, clocks and fans pass through:
 * they are the board's (the residual they leak is in doc/shim.md). nvmlErrorString is hooked only
 * because it is the one NVML function that does not return nvmlReturn_t.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"
#include "vgpu_ledger.h"

#include <stdlib.h>
#include <string.h>

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

/* The process lists. Compute: the slice's own ledger (the job's processes
 * on this GPU, each with what it holds in the slice), in the caller's
 * struct version (stride 16 for v1, 24 for v2/v3). Graphics and MPS: the
 * driver's list less every process that is not the job's. Other users'
 * processes are never listed: their pids and sizes are theirs. */
enum list_kind { LIST_COMPUTE, LIST_GRAPHICS, LIST_MPS };

static vgpu_nvmlReturn_t real_list(enum list_kind kind, int ver, vgpu_nvmlDevice_t dev, unsigned int *n, void *out)
{
	switch (kind * 4 + ver) {
	case LIST_COMPUTE * 4 + 1:
		return NV_REAL(nvmlDeviceGetComputeRunningProcesses)(dev, n, out);
	case LIST_COMPUTE * 4 + 2:
		return NV_REAL(nvmlDeviceGetComputeRunningProcesses_v2)(dev, n, out);
	case LIST_COMPUTE * 4 + 3:
		return NV_REAL(nvmlDeviceGetComputeRunningProcesses_v3)(dev, n, out);
	case LIST_GRAPHICS * 4 + 1:
		return NV_REAL(nvmlDeviceGetGraphicsRunningProcesses)(dev, n, out);
	case LIST_GRAPHICS * 4 + 2:
		return NV_REAL(nvmlDeviceGetGraphicsRunningProcesses_v2)(dev, n, out);
	case LIST_GRAPHICS * 4 + 3:
		return NV_REAL(nvmlDeviceGetGraphicsRunningProcesses_v3)(dev, n, out);
	case LIST_MPS * 4 + 1:
		return NV_REAL(nvmlDeviceGetMPSComputeRunningProcesses)(dev, n, out);
	case LIST_MPS * 4 + 2:
		return NV_REAL(nvmlDeviceGetMPSComputeRunningProcesses_v2)(dev, n, out);
	default:
		return NV_REAL(nvmlDeviceGetMPSComputeRunningProcesses_v3)(dev, n, out);
	}
}

static int in_slice(const struct vgpu_ledger_proc *procs, int n, unsigned int pid)
{
	for (int i = 0; i < n; i++)
		if ((unsigned int)procs[i].pid == pid)
			return 1;
	return 0;
}

/* The job's processes on step GPU g: count (at most MAX_PROCS), -1 when
 * the ledger cannot be read. *out is malloc'd (free it). */
static int slice_pids(int g, struct vgpu_ledger_proc **out)
{
	int n;

	*out = calloc(MAX_PROCS, sizeof(**out));
	n = *out ? vgpu_shim_procs(g, *out, MAX_PROCS) : -1;
	return n > MAX_PROCS ? MAX_PROCS : n;
}

static vgpu_nvmlReturn_t slice_list(enum list_kind kind, int ver, vgpu_nvmlDevice_t device, unsigned int *infoCount,
				    void *infos)
{
	size_t stride = ver == 1 ? sizeof(vgpu_nvmlProcessInfo_v1_t) : sizeof(vgpu_nvmlProcessInfo_t);
	struct vgpu_ledger_proc *procs = NULL;
	unsigned char *all = NULL, *dst = infos;
	unsigned int probe = 0, nall = MAX_PROCS;
	vgpu_nvmlReturn_t rc;
	int g, n, keep = 0;

	if (!vgpu_shim_enter() || (g = vgpu_shim_gpu_of_nvml(device)) < 0) {
		rc = real_list(kind, ver, device, infoCount, infos);
		goto out;
	}
	/* Let the driver check the handle and its state first. */
	rc = real_list(kind, ver, device, &probe, NULL);
	if (rc != VGPU_NVML_SUCCESS && rc != VGPU_NVML_ERROR_INSUFFICIENT_SIZE)
		goto out;
	rc = VGPU_NVML_ERROR_INVALID_ARGUMENT;
	if (!infoCount || (*infoCount > 0 && !infos))
		goto out;
	rc = VGPU_NVML_ERROR_UNKNOWN;
	n = slice_pids(g, &procs);
	if (n < 0)
		goto out;
	if (kind == LIST_COMPUTE) {
		keep = n;
	} else if (probe > 0) { /* keep only the job's entries of the driver's list */
		all = calloc(MAX_PROCS, stride);
		if (!all || real_list(kind, ver, device, &nall, all) != VGPU_NVML_SUCCESS)
			goto out;
		for (unsigned int i = 0; i < nall; i++) {
			unsigned int pid;

			memcpy(&pid, all + i * stride, sizeof(pid));
			if (in_slice(procs, n, pid))
				memmove(all + (size_t)keep++ * stride, all + i * stride, stride);
		}
	}
	if ((unsigned int)keep > *infoCount) {
		*infoCount = (unsigned int)keep;
		rc = VGPU_NVML_ERROR_INSUFFICIENT_SIZE;
		goto out;
	}
	for (int i = 0; i < keep; i++, dst += stride) {
		vgpu_nvmlProcessInfo_t e = { (unsigned int)procs[i].pid, procs[i].bytes, 0xFFFFFFFFu, 0xFFFFFFFFu };

		memcpy(dst, kind == LIST_COMPUTE ? (void *)&e : (void *)(all + (size_t)i * stride), stride);
	}
	*infoCount = (unsigned int)keep;
	rc = VGPU_NVML_SUCCESS;
out:
	free(all);
	free(procs);
	vgpu_shim_leave();
	return rc;
}

#define LIST_HOOK(name, kind, ver, type)                                                                  \
	VGPU_SHIM_HOOK(name);                                                                             \
	vgpu_nvmlReturn_t name(vgpu_nvmlDevice_t device, unsigned int *infoCount, type *infos)            \
	{                                                                                                 \
		return slice_list(kind, ver, device, infoCount, infos);                                    \
	}
LIST_HOOK(nvmlDeviceGetComputeRunningProcesses, LIST_COMPUTE, 1, vgpu_nvmlProcessInfo_v1_t)
LIST_HOOK(nvmlDeviceGetComputeRunningProcesses_v2, LIST_COMPUTE, 2, vgpu_nvmlProcessInfo_v2_t)
LIST_HOOK(nvmlDeviceGetComputeRunningProcesses_v3, LIST_COMPUTE, 3, vgpu_nvmlProcessInfo_t)
LIST_HOOK(nvmlDeviceGetGraphicsRunningProcesses, LIST_GRAPHICS, 1, vgpu_nvmlProcessInfo_v1_t)
LIST_HOOK(nvmlDeviceGetGraphicsRunningProcesses_v2, LIST_GRAPHICS, 2, vgpu_nvmlProcessInfo_v2_t)
LIST_HOOK(nvmlDeviceGetGraphicsRunningProcesses_v3, LIST_GRAPHICS, 3, vgpu_nvmlProcessInfo_t)
LIST_HOOK(nvmlDeviceGetMPSComputeRunningProcesses, LIST_MPS, 1, vgpu_nvmlProcessInfo_v1_t)
LIST_HOOK(nvmlDeviceGetMPSComputeRunningProcesses_v2, LIST_MPS, 2, vgpu_nvmlProcessInfo_v2_t)
LIST_HOOK(nvmlDeviceGetMPSComputeRunningProcesses_v3, LIST_MPS, 3, vgpu_nvmlProcessInfo_t)

/* A share of the whole GPU as a share of the slice (sm_bp of 10000). */
static unsigned int of_slice(unsigned long long pct, unsigned int bp)
{
	unsigned long long v = bp ? pct * VGPU_STEPDESC_SM_FULL / bp : 100;

	return v > 100 ? 100 : (unsigned int)v;
}

/* The driver's samples of the job's processes on step GPU g (newest per
 * process first in the driver's order), each rescaled to the slice:
 * *n of them in *out (malloc'd). Returns the driver's error (NOT_FOUND:
 * no sample), SUCCESS, or UNKNOWN when the ledger cannot be read. */
static vgpu_nvmlReturn_t slice_samples(int g, vgpu_nvmlDevice_t device, unsigned long long since,
				       vgpu_nvmlProcessUtilizationSample_t **out, unsigned int *n)
{
	struct vgpu_ledger_proc *procs = NULL;
	unsigned int nall = MAX_PROCS, keep = 0, bp = vgpu_shim.desc.gpus[g].sm_bp;
	vgpu_nvmlReturn_t rc;
	int np = slice_pids(g, &procs);

	*out = calloc(MAX_PROCS, sizeof(**out));
	rc = np < 0 || !*out ? VGPU_NVML_ERROR_UNKNOWN
			     : NV_REAL(nvmlDeviceGetProcessUtilization)(device, *out, &nall, since);
	if (rc == VGPU_NVML_SUCCESS)
		for (unsigned int i = 0; i < nall && i < MAX_PROCS; i++) {
			vgpu_nvmlProcessUtilizationSample_t s = (*out)[i];

			if (!in_slice(procs, np, s.pid))
				continue;
			s.smUtil = of_slice(s.smUtil, bp);
			s.memUtil = of_slice(s.memUtil, bp);
			(*out)[keep++] = s;
		}
	*n = keep;
	free(procs);
	return rc;
}

/* Per-process utilisation in a slice: only the job's processes, each as a
 * share of the slice (a process that uses all of its sm=25 slice shows
 * 100). NOT_FOUND when the job has no sample. */
VGPU_SHIM_HOOK(nvmlDeviceGetProcessUtilization);
vgpu_nvmlReturn_t nvmlDeviceGetProcessUtilization(vgpu_nvmlDevice_t device,
						  vgpu_nvmlProcessUtilizationSample_t *utilization,
						  unsigned int *processSamplesCount, unsigned long long lastSeenTimeStamp)
{
	vgpu_nvmlProcessUtilizationSample_t *mine = NULL;
	vgpu_nvmlReturn_t rc;
	unsigned int n = 0;
	int g;

	if (!vgpu_shim_enter() || (g = vgpu_shim_gpu_of_nvml(device)) < 0) {
		rc = NV_REAL(nvmlDeviceGetProcessUtilization)(device, utilization, processSamplesCount,
							      lastSeenTimeStamp);
		goto out;
	}
	rc = VGPU_NVML_ERROR_INVALID_ARGUMENT;
	if (!processSamplesCount)
		goto out;
	rc = slice_samples(g, device, lastSeenTimeStamp, &mine, &n);
	if (rc == VGPU_NVML_SUCCESS && n == 0)
		rc = VGPU_NVML_ERROR_NOT_FOUND;
	if (rc != VGPU_NVML_SUCCESS)
		goto out;
	if (!utilization || *processSamplesCount < n) {
		*processSamplesCount = n;
		rc = VGPU_NVML_ERROR_INSUFFICIENT_SIZE;
		goto out;
	}
	memcpy(utilization, mine, n * sizeof(*mine));
	*processSamplesCount = n;
out:
	free(mine);
	vgpu_shim_leave();
	return rc;
}

/* GPU utilisation in a slice: the job's processes' latest samples summed,
 * as a share of the slice; the rest of the GPU's load is not shown. When
 * the driver gives no per-process samples (NOT_SUPPORTED on older boards)
 * the call is NOT_SUPPORTED: the whole GPU's figure would show other jobs'
 * load (fails closed). */
VGPU_SHIM_HOOK(nvmlDeviceGetUtilizationRates);
vgpu_nvmlReturn_t nvmlDeviceGetUtilizationRates(vgpu_nvmlDevice_t device, vgpu_nvmlUtilization_t *utilization)
{
	vgpu_nvmlProcessUtilizationSample_t *mine = NULL;
	vgpu_nvmlReturn_t rc = NV_REAL(nvmlDeviceGetUtilizationRates)(device, utilization);
	unsigned long long sm = 0, mem = 0;
	unsigned int n = 0;
	int g;

	if (!vgpu_shim_enter() || rc != VGPU_NVML_SUCCESS || (g = vgpu_shim_gpu_of_nvml(device)) < 0)
		goto out;
	rc = slice_samples(g, device, 0, &mine, &n);
	if (rc == VGPU_NVML_ERROR_NOT_FOUND)
		rc = VGPU_NVML_SUCCESS;
	else if (rc != VGPU_NVML_SUCCESS) {
		rc = VGPU_NVML_ERROR_NOT_SUPPORTED;
		goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		int newest = 1;

		for (unsigned int j = 0; j < n; j++)
			if (mine[j].pid == mine[i].pid &&
			    (mine[j].timeStamp > mine[i].timeStamp || (mine[j].timeStamp == mine[i].timeStamp && j < i)))
				newest = 0;
		if (newest) {
			sm += mine[i].smUtil;
			mem += mine[i].memUtil;
		}
	}
	utilization->gpu = sm > 100 ? 100 : (unsigned int)sm;
	utilization->memory = mem > 100 ? 100 : (unsigned int)mem;
out:
	free(mine);
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
