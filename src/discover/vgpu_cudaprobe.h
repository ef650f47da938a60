/*
 * vgpu_cudaprobe.h - the SM count of each GPU, from the CUDA driver API
 * (libcuda.so.1 loaded with dlopen): NVML has no reliable SM count for a
 * whole GPU. GPUs are found by PCI bus id, never by CUDA ordinal, so a
 * CUDA_VISIBLE_DEVICES that reorders or hides GPUs cannot mix them up; a
 * hidden GPU is reported as not visible. The environment is never changed.
 * Do not ask for a GPU in MIG mode: CUDA answers for one of its instances.
 *
 * The library stays loaded once opened (unloading a CUDA driver that cuInit
 * started is not safe); close frees only our state.
 */
#ifndef VGPU_CUDAPROBE_H
#define VGPU_CUDAPROBE_H

#include <stdint.h>

#include "vgpu_error.h"

typedef struct vgpu_cudaprobe vgpu_cudaprobe_t;

/* dlopen lib, resolve the entry points, cuInit(0). Returns 0, or -1 with
 * err: "LIB could not be loaded (DLERROR)", "LIB: cuInit: MESSAGE". */
int vgpu_cudaprobe_open(const char *lib, vgpu_cudaprobe_t **probe, vgpu_err_t *err);

/* Free the probe (NULL is fine); the library stays loaded. */
void vgpu_cudaprobe_close(vgpu_cudaprobe_t *probe);

/* SMs of the GPU with canonical bus id bus_id. Returns 0 and sets *sms; 1
 * when CUDA does not see that GPU (CUDA_VISIBLE_DEVICES); -1 with
 * err when a call fails otherwise. */
int vgpu_cudaprobe_sms(vgpu_cudaprobe_t *probe, const char *bus_id, unsigned *sms, vgpu_err_t *err);

/* Memory of the GPU with bus id bus_id as CUDA offers it: *total
 * (cuDeviceTotalMem: NVML's total less what the driver keeps) and *context,
 * the device memory one CUDA context takes (measured: a context is made and
 * the free memory it took read back; 0 when it took none). Returns 0; 1 when
 * CUDA does not see that GPU or lacks the calls; -1 with err when a call
 * fails. Run it on an idle GPU: memory other processes allocate meanwhile
 * is counted to the context (never memory they free). */
int vgpu_cudaprobe_memory(vgpu_cudaprobe_t *probe, const char *bus_id, uint64_t *total,
			  uint64_t *context, vgpu_err_t *err);

/* cuDriverGetVersion (13000 for CUDA 13.0), or 0 when unknown. */
int vgpu_cudaprobe_driver_version(vgpu_cudaprobe_t *probe);

#endif
