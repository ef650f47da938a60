/*
 * sim_cuda.h - internals shared by the files of the simulated libcuda.so.1
 * (sim_cuda*.c). Nothing here is exported: the library's version script
 * (sim/libcuda.map) exports only cu* symbols.
 *
 * Locking: one process-local mutex (vgpu_simcu.lock) guards the tables of
 * contexts, streams, pools and allocations; it is taken before a GPU's shared
 * state lock, never after. The current context stack is per thread.
 */
#ifndef VGPU_SIM_CUDA_H
#define VGPU_SIM_CUDA_H

#define VGPU_CUDA_DECLARE_PROTOTYPES 1
#include "vgpu_cuda_abi.h"

#include <pthread.h>
#include <stdint.h>

#include "sim_env.h"
#include "sim_state.h"

#define SIMCU_GRANULE (2ull << 20) /* device allocation and VMM granularity */

/* A stream's queue of work on the GPU: the completion times of what it has
 * in flight (at most SIMCU_QUEUE_DEPTH, as a real driver's bounded command
 * queue), oldest first. Guarded by vgpu_simcu_exec_lock (sim_cuda_exec.c). */
#define SIMCU_QUEUE_DEPTH 1024
struct simcu_queue {
	uint64_t end[SIMCU_QUEUE_DEPTH];
	unsigned int head, count;
	uint64_t last; /* when the last work queued on it completes */
};

/* Context limits (CUlimit, vgpu_cuda_abi.h): the first three take device memory. */
#define SIMCU_LIMIT_STACK VGPU_CU_LIMIT_STACK_SIZE
#define SIMCU_LIMIT_PRINTF_FIFO VGPU_CU_LIMIT_PRINTF_FIFO_SIZE
#define SIMCU_LIMIT_MALLOC_HEAP VGPU_CU_LIMIT_MALLOC_HEAP_SIZE
#define SIMCU_NMEMLIMITS 3
#define SIMCU_NLIMITS VGPU_CU_LIMIT_MAX

struct sim_ctx {
	struct simcu_queue *queue; /* the NULL / legacy / per-thread stream's (made on first use) */
	uint64_t last_end;         /* when the last work queued in it completes */
	uint32_t magic;      /* SIMCU_CTX_MAGIC while it can be used */
	int ordinal;         /* CUDA ordinal of its device */
	int primary;
	int active;          /* primary: retained at least once since its last release/reset */
	unsigned int refcount;
	unsigned int flags;
	size_t limit[SIMCU_NLIMITS];            /* cuCtxSetLimit values, where set */
	unsigned int limit_set;                 /* bit i: limit[i] was set (else the default) */
	uint64_t limit_charged[SIMCU_NMEMLIMITS]; /* device bytes charged beyond the defaults */
	struct sim_ctx *next; /* all contexts ever made (never freed: stale handles stay checkable) */
};
#define SIMCU_CTX_MAGIC 0x43545843u /* "CXTC" */

struct sim_pool {
	uint32_t magic;
	int ordinal;
	int is_default;
	int destroyed;
	uint64_t threshold;          /* CU_MEMPOOL_ATTR_RELEASE_THRESHOLD */
	uint64_t used, used_high;    /* device bytes of its live allocations */
	uint64_t retained;           /* freed into it, still charged (held from the GPU) */
	uint64_t reserved_high;
	int reuse[3];                /* the three REUSE_* attributes (not simulated) */
	struct sim_pool *next;
};
#define SIMCU_POOL_MAGIC 0x4c4f4f50u /* "POOL" */

struct sim_dev {
	int gpu;                     /* node GPU index */
	struct vgpu_sim_state *state; /* opened at the first charge */
	struct sim_ctx primary;
	struct sim_pool default_pool;
	struct sim_pool *mem_pool;   /* cuDeviceSetMemPool's (NULL: the default pool) */
	/* graph memory (sim_cuda_graph.c), guarded by vgpu_simcu.lock: bytes
	 * mapped for live graph allocations, and held from the GPU (charged)
	 * by the device's graph memory pool until cuDeviceGraphMemTrim */
	uint64_t graph_used, graph_reserved, graph_used_high, graph_reserved_high;
};

struct simcu {
	pthread_mutex_t lock;
	int loaded;        /* env read (node may still be absent) */
	int env_rc;        /* vgpu_sim_env_load's result */
	int initialized;   /* cuInit succeeded (read with __atomic) */
	int forked;        /* a child of an initialized process: unusable, as in CUDA */
	vgpu_CUresult init_rc;
	int init_called;
	struct vgpu_sim_env env;
	int ndev;
	struct sim_dev dev[VGPU_SIM_MAX_GPUS];
	struct sim_ctx *contexts;
	struct sim_pool *pools;
};

extern struct simcu vgpu_simcu;

/* CUDA_SUCCESS when cuInit succeeded in this process, else NOT_INITIALIZED. */
vgpu_CUresult vgpu_simcu_ready(void);

/* The device of a CUDA ordinal, or NULL. */
struct sim_dev *vgpu_simcu_dev(int ordinal);

/* The node GPU behind a device. */
const struct vgpu_sim_gpu *vgpu_simcu_gpu(const struct sim_dev *d);

/* Charge bytes and contexts to the device's GPU for this process:
 * CUDA_SUCCESS, CUDA_ERROR_OUT_OF_MEMORY or CUDA_ERROR_UNKNOWN (state file
 * unusable: a message is printed once). vgpu_simcu.lock is held. */
vgpu_CUresult vgpu_simcu_charge(struct sim_dev *d, uint64_t bytes, unsigned int contexts);
void vgpu_simcu_uncharge(struct sim_dev *d, uint64_t bytes, unsigned int contexts);

/* The calling thread's current context (checked), or INVALID_CONTEXT. */
vgpu_CUresult vgpu_simcu_current(struct sim_ctx **out);

/* The context and queue of a stream handle (NULL, CU_STREAM_LEGACY and
 * CU_STREAM_PER_THREAD: the current context's default queue). */
vgpu_CUresult vgpu_simcu_stream_queue(vgpu_CUstream s, struct sim_ctx **ctx, struct simcu_queue **q);

/* A context handle made by this library and still usable, or NULL. */
struct sim_ctx *vgpu_simcu_ctx_check(vgpu_CUcontext h);

/* The context a stream handle works in: NULL, CU_STREAM_LEGACY and
 * CU_STREAM_PER_THREAD mean the current context. */
vgpu_CUresult vgpu_simcu_stream_ctx(vgpu_CUstream s, struct sim_ctx **out);

/* Free every allocation made in ctx (context destroy, primary release or
 * reset). vgpu_simcu.lock is held. */
void vgpu_simcu_mem_drop_ctx(struct sim_ctx *ctx);

/* The process's table of memory ranges (sim_cuda_mem.c): every range made
 * or registered through the library, sorted by base, never overlapping.
 * All three need vgpu_simcu.lock. */
enum simcu_kind {
	SIMCU_DEVICE,     /* cuMemAlloc*, arrays, stream-ordered allocations */
	SIMCU_MANAGED,    /* cuMemAllocManaged: host memory, not charged */
	SIMCU_ARRAY,      /* cuArrayCreate: the handle is the base */
	SIMCU_HOST,       /* cuMemAllocHost / cuMemHostAlloc */
	SIMCU_REGISTERED, /* cuMemHostRegister'ed user memory */
	SIMCU_VMM,        /* one cuMemMap'ed range (sim_cuda_vmm.c) */
	SIMCU_MIPMAP      /* cuMipmappedArrayCreate: the handle is the base */
};

struct simcu_alloc {
	uintptr_t base;
	size_t size;
	size_t maplen;        /* bytes mmap'ed at base (0: not ours to unmap) */
	uint64_t charged;     /* device bytes charged for it */
	int ordinal;
	enum simcu_kind kind;
	struct sim_ctx *ctx;  /* freed with this context (NULL: not context bound) */
	void *owner;          /* SIMCU_DEVICE: its pool or NULL; SIMCU_VMM: its handle */
	int access;           /* SIMCU_VMM: VGPU_CU_MEM_ACCESS_FLAGS_* */
};

/* Insert a (non-overlapping) range; -1 when out of memory or overlapping. */
int vgpu_simcu_table_add(const struct simcu_alloc *a);
/* The range holding [p, p + n) (n may be 0), or NULL. */
struct simcu_alloc *vgpu_simcu_table_find(uintptr_t p, size_t n);
/* Remove an entry found above. */
void vgpu_simcu_table_del(struct simcu_alloc *a);

/* Map bytes of host memory (MAP_NORESERVE), charge `charge` device bytes
 * to the GPU of ordinal, and record the range (context c, owner); *out gets
 * its base. CUDA_ERROR_INVALID_VALUE for 0 bytes, OUT_OF_MEMORY when it does
 * not fit. Takes vgpu_simcu.lock. */
vgpu_CUresult vgpu_simcu_mem_make(struct sim_ctx *c, int ordinal, size_t bytes, uint64_t charge,
				  enum simcu_kind kind, void *owner, uintptr_t *out);

/* Free the range starting exactly at p when its kind is in mask
 * (1u << kind), returning CUDA_SUCCESS; else return err. Takes the lock. */
vgpu_CUresult vgpu_simcu_mem_unmake(uintptr_t p, unsigned int mask, vgpu_CUresult err);

/* Round up to a multiple of SIMCU_GRANULE (0 stays 0; overflow gives 0). */
uint64_t vgpu_simcu_round(uint64_t bytes);

/* At a synchronisation: every pool gives the GPU back what it retains
 * above its release threshold (sim_cuda_pool.c). Takes the lock. */
void vgpu_simcu_pools_sync(void);
vgpu_CUresult cuMemPoolSetAttribute(vgpu_CUmemoryPool pool, int attr, void *value);
vgpu_CUresult cuDeviceGetMemPool(vgpu_CUmemoryPool *pool, vgpu_CUdevice dev);
vgpu_CUresult cuDeviceSetMemPool(vgpu_CUdevice dev, vgpu_CUmemoryPool pool);
vgpu_CUresult cuMemPoolGetAttribute(vgpu_CUmemoryPool pool, int attr, void *value);

/* Give back what ctx's limits hold beyond their defaults and reset them
 * (context destroy, primary release or reset). vgpu_simcu.lock is held. */
void vgpu_simcu_limits_drop(struct sim_ctx *ctx);

/* ---- entry points the ABI header's list does not declare, with its types ---- */
typedef void *vgpu_simcu_mipmap_t; /* CUmipmappedArray */
vgpu_CUresult cuArrayCreate(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY_DESCRIPTOR_v1 *d);
vgpu_CUresult cuArray3DCreate(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1 *d);
vgpu_CUresult cuArray3DCreate_v2(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR *d);
vgpu_CUresult cuMipmappedArrayCreate(vgpu_simcu_mipmap_t *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR *d,
				     unsigned int numMipmapLevels);
vgpu_CUresult cuMipmappedArrayDestroy(vgpu_simcu_mipmap_t h);
vgpu_CUresult cuCtxSetLimit(int limit, size_t value);
vgpu_CUresult cuCtxGetLimit(size_t *pvalue, int limit);

/* ---- SM time (sim_cuda_exec.c) -------------------------------------------
 * Entry points the ABI header does not declare: their prototypes here. */
typedef void *vgpu_simcu_event_t; /* CUevent */
vgpu_CUresult cuLaunchKernelEx(const vgpu_CUlaunchConfig *config, vgpu_CUfunction f,
			       void **kernelParams, void **extra);
vgpu_CUresult cuLaunchKernelEx_ptsz(const vgpu_CUlaunchConfig *config, vgpu_CUfunction f,
				    void **kernelParams, void **extra);
vgpu_CUresult cuLaunchCooperativeKernel(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
					unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
					vgpu_CUstream s, void **params);
vgpu_CUresult cuLaunchCooperativeKernel_ptsz(vgpu_CUfunction f, unsigned int gx, unsigned int gy,
					     unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz,
					     unsigned int shmem, vgpu_CUstream s, void **params);
vgpu_CUresult cuEventCreate(vgpu_simcu_event_t *e, unsigned int flags);
vgpu_CUresult cuEventDestroy(vgpu_simcu_event_t e);
vgpu_CUresult cuEventDestroy_v2(vgpu_simcu_event_t e);
vgpu_CUresult cuEventRecord(vgpu_simcu_event_t e, vgpu_CUstream s);
vgpu_CUresult cuEventRecord_ptsz(vgpu_simcu_event_t e, vgpu_CUstream s);
vgpu_CUresult cuEventRecordWithFlags(vgpu_simcu_event_t e, vgpu_CUstream s, unsigned int flags);
vgpu_CUresult cuEventRecordWithFlags_ptsz(vgpu_simcu_event_t e, vgpu_CUstream s, unsigned int flags);
vgpu_CUresult cuEventQuery(vgpu_simcu_event_t e);
vgpu_CUresult cuEventSynchronize(vgpu_simcu_event_t e);
vgpu_CUresult cuEventElapsedTime(float *ms, vgpu_simcu_event_t start, vgpu_simcu_event_t end);
vgpu_CUresult cuEventElapsedTime_v2(float *ms, vgpu_simcu_event_t start, vgpu_simcu_event_t end);
vgpu_CUresult cuStreamQuery(vgpu_CUstream s);
vgpu_CUresult cuStreamQuery_ptsz(vgpu_CUstream s);

/* ---- modules (sim_cuda_module.c) and libraries (sim_cuda_library.c) ------ */
/* Drop every module loaded in ctx (its code charge and handles; its data
 * segments are ctx's memory ranges, freed by vgpu_simcu_mem_drop_ctx, which
 * must follow). vgpu_simcu.lock is held. */
void vgpu_simcu_modules_drop_ctx(struct sim_ctx *ctx);

/* Take n free slots (magic word 0) of a table of size entries of stride
 * bytes whose first magic word is magic0, round robin from *cursor, into
 * out[]; 0, or -1 when there are not that many. Lock held. */
int vgpu_simcu_take_slots(const uint32_t *magic0, size_t stride, unsigned int size, unsigned int *cursor,
			  unsigned int n, uint32_t *out);

/* A parsed PTX image: its kernels (`.entry`) and globals. */
struct simcu_image;
/* Parse code (avail bytes at most; SIZE_MAX: unknown): CUDA_SUCCESS and
 * *out, INVALID_IMAGE (not PTX: cubins and fatbins too), INVALID_PTX (PTX
 * whose globals cannot be sized; a line on stderr says why), OUT_OF_MEMORY. */
vgpu_CUresult vgpu_simcu_image_parse(const void *code, size_t avail, struct simcu_image **out);
void vgpu_simcu_image_free(struct simcu_image *img);
unsigned int vgpu_simcu_image_nentries(const struct simcu_image *img);
/* The index of kernel name in img, or -1. */
int vgpu_simcu_image_entry(const struct simcu_image *img, const char *name);
/* A whole file, NUL-terminated, in *out (malloc'd; *len counts the NUL):
 * CUDA_SUCCESS, FILE_NOT_FOUND, INVALID_IMAGE (over 256 MiB), OUT_OF_MEMORY. */
vgpu_CUresult vgpu_simcu_read_file(const char *path, char **out, size_t *len);

/* A module loaded in a context. */
struct simcu_module;
/* Load img into context c (charging the GPU), owned by owner (a library,
 * which keeps img; NULL: the module owns img and frees it when it goes).
 * The lock is NOT held. CUDA_SUCCESS, OUT_OF_MEMORY, CONTEXT_IS_DESTROYED. */
vgpu_CUresult vgpu_simcu_module_make(struct sim_ctx *c, struct simcu_image *img, const void *owner,
				     struct simcu_module **out);
/* Lock held: a live module of owner in c (any context when c is NULL)
 * other than except, or NULL. */
struct simcu_module *vgpu_simcu_module_find(const void *owner, const struct sim_ctx *c,
					    const struct simcu_module *except);
/* Lock held: is m (still) a module of owner? */
int vgpu_simcu_module_live(const struct simcu_module *m, const void *owner);
/* Lock held: the CUfunction of kernel entry of m (a live module of owner), or NULL. */
void *vgpu_simcu_module_func(const struct simcu_module *m, const void *owner, unsigned int entry);
/* Lock held: global name of m: NOT_FOUND, or its address and size (either may be NULL). */
vgpu_CUresult vgpu_simcu_module_global(const struct simcu_module *m, const char *name, vgpu_CUdeviceptr *dptr,
				       size_t *bytes);
/* Lock held: unload m (its handles, its code charge); returns its data
 * segment, to give to vgpu_simcu_module_data_free once the lock is dropped. */
uintptr_t vgpu_simcu_module_drop(struct simcu_module *m);
void vgpu_simcu_module_data_free(uintptr_t data);

/* The CUfunction of CUkernel h in context c (its library is loaded into c
 * when it is not yet) into *func (may be NULL). The lock is NOT held.
 * CUDA_SUCCESS, INVALID_HANDLE (h is no live kernel), or the load's error. */
vgpu_CUresult vgpu_simcu_kernel_function(const void *h, struct sim_ctx *c, void **func);
/* Lock held: is h a live CUkernel? */
int vgpu_simcu_kernel_live(const void *h);
/* A launch handle in context c: a function of a module loaded in c, or a
 * CUkernel (its library is loaded into c when it is not yet). CUDA_SUCCESS,
 * INVALID_HANDLE, or the lazy load's error. Takes the lock. */
vgpu_CUresult vgpu_simcu_func_resolve(const void *h, struct sim_ctx *c);
/* A graph kernel node's function (any live function or kernel) or, when
 * func is NULL, kern (a live kernel). CUDA_SUCCESS or INVALID_HANDLE. */
vgpu_CUresult vgpu_simcu_func_check(const void *func, const void *kern);

/* Queue units x the per-block cost of SM time on stream s (blocking while
 * its queue is full). */
vgpu_CUresult vgpu_simcu_enqueue(vgpu_CUstream s, uint64_t units);
/* Wait until work ending at end (CLOCK_MONOTONIC ns) is done. */
void vgpu_simcu_wait_until(uint64_t end);

#endif
