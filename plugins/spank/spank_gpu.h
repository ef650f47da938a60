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
 * "libcuda.so.1" or an absolute path), found without loading it where
 * possible (a driver library's constructors would run in slurmstepd): an
 * absolute path that is an ELF shared object of this ABI is itself; a
 * soname is searched in LD_LIBRARY_PATH (absolute entries), then in
 * /etc/ld.so.cache (entries of this ABI, not in a hwcaps subdirectory).
 * Anything else (a relative entry, an old cache format, not found) is asked
 * of the loader: dlopen + dlinfo(RTLD_DI_LINKMAP) + dlclose. Writes the path
 * into out (len bytes). Returns 0, or -1 with err ("cannot load
 * 'libcuda.so.1': dlerror"). */
int vgpu_spank_gpu_libpath(const char *name, char *out, size_t len, vgpu_err_t *err);

/* Search a mapped ld.so.cache (`size` bytes at c, the "glibc-ld.so.cache1.1"
 * format) for soname `name`: the first entry of this process's ABI outside
 * hwcaps subdirectories, as the loader picks. Writes its absolute path into
 * out (len bytes) and returns 0; -1 for another format, no such entry, a
 * relative or too long path. Never reads outside the buffer. */
int vgpu_spank_gpu_cache_find(const unsigned char *c, size_t size, const char *name, char *out,
			      size_t len);

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

/* The shards a job holds on Slurm GPU `index` of a node, from that node's
 * entry of the job's gres_detail_str (slurm_load_job with SHOW_DETAIL),
 * read by vgpu_slurmgres_parse. Two forms:
 *  - 22.05: "shard[:TYPE]:COUNT(IDX:LIST)" (LIST may hold ',' too: "0,2-3"):
 *    the item's COUNT when its LIST is exactly `index`;
 *  - 23.11 on (24.11, 26.05): "shard[:TYPE]:COUNT(A/B,C/D,...)", field i the
 *    job's shards on GPU i over that GPU's total: field `index`
 *    ("shard:50(30/80,20/80)" holds 30 on GPU 0, 20 on GPU 1).
 * Several shard items (one per type) add up; other GRES are ignored. Returns
 * 0 with *count (1..1000000); -1 (nothing written) when the string does not
 * parse or holds no shards on that GPU (a step-only job's empty string), or
 * a shard item may have shards there but does not say how many: an IDX LIST
 * of several GPUs, no GPU at all ("shard:30((null))"), no COUNT
 * ("shard(CNT:5)"). */
int vgpu_spank_gpu_job_shards(const char *detail, unsigned index, unsigned *count);

#endif
