/*
 * vgpu_conf.h - vgpu.conf, the site settings every part of slurm-vgpu shares.
 *
 * Format (doc/vgpu.conf.5 is the reference): one setting per line,
 * slurm.conf style, '#' starts a comment, keys case-insensitive:
 *
 *   AccountingMode=strict          # strict | memory
 *   ShardsPerGpu=100               # strict: shards per GPU (2..10000)
 *   ShardMemory=1G                 # memory: memory of one shard
 *   DefaultCores=100               # memory: SM cap when a request has none
 *   MemoryReserve=512M             # kept back from slices on every GPU
 *   StateDir=/run/slurm-vgpu       # per-step accounting lives below here
 *   ShimLibrary=/usr/lib/slurm-vgpu/libvgpu-shim.so
 *   NvmlLibrary=libnvidia-ml.so.1
 *   CudaLibrary=libcuda.so.1
 *   CliqueMap=/etc/slurm/vgpu-cliquemap.json # NVLink partitions (none when unset)
 *   GpuType=h100 Memory=81559M SMs=132 [Model="NVIDIA H100 80GB HBM3"] [MemoryReserve=1G]
 *           [DriverReserved=470M] [ContextMemory=300M]
 *
 * Unknown keys, duplicate settings, bad values: errors "FILE:LINE: ...".
 */
#ifndef VGPU_CONF_H
#define VGPU_CONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "vgpu_error.h"
#include "vgpu_request.h"

#define VGPU_CONF_TYPES_MAX 32
#define VGPU_MODEL_MAX 96
#define VGPU_PATH_MAX 512
#define VGPU_CONF_LINE_MAX 1024         /* bytes of one line, with NUL */
#define VGPU_CONF_FILE_MAX (1u << 20)   /* vgpu_conf_load reads at most this */

/* Defaults (vgpu_conf_init; documented in doc/vgpu.conf.5). */
#define VGPU_CONF_DEFAULT_SHARDS 120u   /* halves .. sixths and eighths divide it */
/* Charged per CUDA context on a GpuType without ContextMemory= (a context
 * takes a few hundred MiB; `vgpu conf` writes the measured size). */
#define VGPU_CONF_DEFAULT_CONTEXT (UINT64_C(512) << 20)
#define VGPU_CONF_DEFAULT_SHARD_BYTES (UINT64_C(1) << 30)
#define VGPU_CONF_DEFAULT_CORES 100u
#define VGPU_CONF_DEFAULT_STATE_DIR "/run/slurm-vgpu"
/* Where `make install` puts the shim ($(pkglibdir), set by Makefile.am). */
#ifndef VGPU_CONF_DEFAULT_SHIM
#define VGPU_CONF_DEFAULT_SHIM "/usr/lib/slurm-vgpu/libvgpu-shim.so"
#endif
#define VGPU_CONF_DEFAULT_NVML "libnvidia-ml.so.1"
#define VGPU_CONF_DEFAULT_CUDA "libcuda.so.1"

/* Ranges the parser enforces. */
#define VGPU_CONF_SHARDS_MIN 2u
#define VGPU_CONF_SHARDS_MAX 10000u
#define VGPU_CONF_SMS_MAX 1024u
#define VGPU_CONF_MIN_BYTES (UINT64_C(1) << 20) /* ShardMemory, Memory: >= 1 MiB */
#define VGPU_CONF_MEM_SHARDS_MAX 1000000u     /* memory mode: shards of one GPU */

typedef enum vgpu_mode {
	VGPU_MODE_STRICT = 0,   /* shard = 1/S of memory AND of SMs */
	VGPU_MODE_MEMORY = 1,   /* shard = fixed memory; cores a per-job cap */
} vgpu_mode_t;

typedef struct vgpu_gpu_type {
	char name[VGPU_NAME_MAX];       /* gres.conf Type=, e.g. "h100" */
	char model[VGPU_MODEL_MAX];     /* NVML model name mapped to it, or "" */
	uint64_t mem_bytes;             /* memory one GPU reports (NVML total) */
	unsigned sms;                   /* streaming multiprocessors */
	uint64_t reserve_bytes;         /* kept back from slices on this type */
	int reserve_set;                /* reserve_bytes given on this line */
	uint64_t driver_bytes;          /* DriverReserved=: what the driver keeps of
					 * mem_bytes (NVML total - CUDA total); 0 none */
	uint64_t ctx_bytes;             /* ContextMemory=: one CUDA context; 0: not
					 * given (VGPU_CONF_DEFAULT_CONTEXT) */
} vgpu_gpu_type_t;

typedef struct vgpu_conf {
	vgpu_mode_t mode;
	unsigned shards_per_gpu;        /* strict */
	uint64_t shard_bytes;           /* memory */
	unsigned default_cores;         /* memory: 1..100 */
	uint64_t reserve_bytes;         /* default reserve per GPU */
	char state_dir[VGPU_PATH_MAX];
	char shim_path[VGPU_PATH_MAX];
	char nvml_path[VGPU_PATH_MAX];
	char cuda_path[VGPU_PATH_MAX];
	char cliquemap_path[VGPU_PATH_MAX]; /* clique map (cliquemap(5)); "": none */
	size_t ntypes;
	vgpu_gpu_type_t types[VGPU_CONF_TYPES_MAX];
} vgpu_conf_t;

/* Fill conf with the defaults documented in doc/vgpu.conf.5. */
void vgpu_conf_init(vgpu_conf_t *conf);

/* Parse len bytes of vgpu.conf text; `name` is the file name used in
 * messages. Starts from the defaults (the caller need not call
 * vgpu_conf_init). On error returns -1 with "NAME:LINE: Key: what was wrong
 * with 'value'"; conf is then left as vgpu_conf_init made it (never
 * half-filled). After the last line, every GpuType is checked against the
 * final settings: its reserves (DriverReserved and MemoryReserve) must
 * leave memory, and in memory mode room for one shard. */
int vgpu_conf_parse(const char *text, size_t len, const char *name,
		    vgpu_conf_t *conf, vgpu_err_t *err);

/* Read and parse the file at path (at most VGPU_CONF_FILE_MAX bytes; a
 * bigger file is an error). Messages start with the path; an open or read
 * failure gives "PATH: cannot open: strerror". */
int vgpu_conf_load(const char *path, vgpu_conf_t *conf, vgpu_err_t *err);

/* The GpuType named `name` (case-insensitive), or NULL. */
const vgpu_gpu_type_t *vgpu_conf_find_type(const vgpu_conf_t *conf,
					   const char *name);

/* Reserve in force for a type: its own, else the global one. */
uint64_t vgpu_conf_type_reserve(const vgpu_conf_t *conf,
				const vgpu_gpu_type_t *type);

/* Memory one CUDA context takes on a GPU of the type: its ContextMemory=,
 * else VGPU_CONF_DEFAULT_CONTEXT. Never 0. */
uint64_t vgpu_conf_type_context(const vgpu_gpu_type_t *type);

/* "strict" or "memory". */
const char *vgpu_conf_mode_name(vgpu_mode_t mode);

#endif
