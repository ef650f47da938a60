/*
 * spank_gpu.h - what the launcher asks of the node's driver: the absolute
 * path of a driver library, and the UUID and model of a Slurm GPU index.
 * Slurm-free (dlopen of NVML at run time; nothing is linked).
 */
#ifndef VGPU_SPANK_GPU_H
#define VGPU_SPANK_GPU_H

#include <stddef.h>

#include "vgpu_conf.h"
#include "vgpu_error.h"

/* The absolute path the dynamic loader finds for `name` (a soname such as
 * "libcuda.so.1" or an absolute path): dlopen + dlinfo(RTLD_DI_LINKMAP).
 * Writes it into out (len bytes). Returns 0, or -1 with err ("cannot load
 * 'libcuda.so.1': dlerror"). */
int vgpu_spank_gpu_libpath(const char *name, char *out, size_t len, vgpu_err_t *err);

/* UUID ("GPU-...") and model name of the GPU with NVML index `index`, asked
 * of the NVML library at the absolute path `nvml` (nvmlInit_v2,
 * nvmlDeviceGetHandleByIndex_v2, nvmlDeviceGetUUID, nvmlDeviceGetName,
 * nvmlShutdown). Slurm's GPU index is the NVML index: `vgpu conf` writes
 * gres.conf's GPU lines in NVML order. Returns 0, or -1 with err. */
int vgpu_spank_gpu_lookup(const char *nvml, unsigned index, char *uuid, size_t uuid_len,
			  char *model, size_t model_len, vgpu_err_t *err);

/* The GpuType of conf for a GPU of NVML model `model`: the type whose
 * Model= equals it, else the type named as `vgpu conf` derives names
 * ("NVIDIA H100 80GB HBM3" -> h100), else the only type when there is one.
 * NULL with err when none matches. */
const vgpu_gpu_type_t *vgpu_spank_gpu_type(const vgpu_conf_t *conf, const char *model,
					   vgpu_err_t *err);

#endif
