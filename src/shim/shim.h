/*
 * shim.h - internals of libvgpu-shim.so shared by the src/shim sources (doc/shim.md
 * explains the design). Nothing declared here is exported: the shim is built
 * with -fvisibility=hidden; only the driver entry points (declared with
 * default visibility by the ABI headers below), the NVML ones and dlopen
 * leave the library (version script src/shim/libvgpu-shim.map).
 *
 * Rules for every file of the shim:
 *  - never write to stdout, never exit(), never call getenv (the step
 *    description is read once, in the constructor);
 *  - no syscall, lock or log on the pass-through path; hooks take a mutex
 *    only around their own bookkeeping;
 *  - a hook calls the real entry point through CU_REAL()/NV_REAL(), never
 *    through the exported name (that would come back into the shim).
 */
#ifndef VGPU_SHIM_H
#define VGPU_SHIM_H

#ifndef __ASSEMBLER__

#include <stdint.h>

/* The entry points the shim hooks are defined in C with these prototypes,
 * so they must stay visible. */
#pragma GCC visibility push(default)
#define VGPU_CUDA_DECLARE_PROTOTYPES 1
#include "vgpu_cuda_abi.h"
#define VGPU_NVML_DECLARE_PROTOTYPES 1
#include "vgpu_nvml_abi.h"
void *dlopen(const char *file, int mode);
/* Entry points the ABI header's list does not declare (yet), with its types.
 * vgpu_shim_launch_config and VGPU_SHIM_LIMIT_* are the ABI header's, under
 * the names shim_sm.c and shim_ctx.c use. */
#define vgpu_shim_launch_config vgpu_CUlaunchConfig_st
typedef void *vgpu_shim_event_t; /* CUevent */
typedef void *vgpu_shim_mipmap_t; /* CUmipmappedArray */
/* CUlimit values that take device memory */
#define VGPU_SHIM_LIMIT_STACK VGPU_CU_LIMIT_STACK_SIZE
#define VGPU_SHIM_LIMIT_PRINTF_FIFO VGPU_CU_LIMIT_PRINTF_FIFO_SIZE
#define VGPU_SHIM_LIMIT_MALLOC_HEAP VGPU_CU_LIMIT_MALLOC_HEAP_SIZE
#define VGPU_SHIM_COOP_ARGS                                                                        \
	(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,      \
	 unsigned int by, unsigned int bz, unsigned int shmem, vgpu_CUstream s, void **params)
#define VGPU_SHIM_EXTRA_ENTRY_POINTS(X)                                                            \
	X(cuLaunchKernelEx, (const struct vgpu_shim_launch_config *config, vgpu_CUfunction f,         \
			     void **kernelParams, void **extra))                                      \
	X(cuLaunchKernelEx_ptsz, (const struct vgpu_shim_launch_config *config, vgpu_CUfunction f,    \
				  void **kernelParams, void **extra))                                 \
	X(cuLaunchCooperativeKernel, VGPU_SHIM_COOP_ARGS)                                            \
	X(cuLaunchCooperativeKernel_ptsz, VGPU_SHIM_COOP_ARGS)                                       \
	X(cuEventCreate, (vgpu_shim_event_t *e, unsigned int flags))                                 \
	X(cuEventDestroy_v2, (vgpu_shim_event_t e))                                                  \
	X(cuEventRecord, (vgpu_shim_event_t e, vgpu_CUstream s))                                     \
	X(cuEventRecord_ptsz, (vgpu_shim_event_t e, vgpu_CUstream s))                                \
	X(cuEventQuery, (vgpu_shim_event_t e))                                                       \
	X(cuEventSynchronize, (vgpu_shim_event_t e))                                                 \
	X(cuEventElapsedTime, (float *ms, vgpu_shim_event_t a, vgpu_shim_event_t b))                 \
	X(cuCtxSetLimit, (int limit, size_t value))                                                  \
	X(cuCtxGetLimit, (size_t *pvalue, int limit))                                                \
	X(cuArrayCreate, (vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY_DESCRIPTOR_v1 *d))          \
	X(cuArray3DCreate, (vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1 *d))      \
	X(cuArray3DCreate_v2, (vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR *d))      \
	X(cuMipmappedArrayCreate,                                                                    \
	  (vgpu_shim_mipmap_t *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR *d, unsigned int levels)) \
	X(cuMipmappedArrayDestroy, (vgpu_shim_mipmap_t h))                                         \
	X(cuDeviceGetMemPool, (vgpu_CUmemoryPool *pool, vgpu_CUdevice dev))                        \
	X(cuMemPoolGetAttribute, (vgpu_CUmemoryPool pool, int attr, void *value))                  \
	X(cuMemPoolSetAttribute, (vgpu_CUmemoryPool pool, int attr, void *value))
#define X(n, args)                      \
	typedef vgpu_CUresult(*vgpu_pfn_##n) args; \
	vgpu_CUresult n args;
VGPU_SHIM_EXTRA_ENTRY_POINTS(X)
#undef X
#pragma GCC visibility pop

#include "vgpu_stepdesc.h"

/* ---- the hooked entry points ------------------------------------------------
 * THE list of what the shim enforces. Each name must be in the export list
 * (its index) and in the ABI header's entry point list (its prototype, hence
 * its signature), and must be defined in C with VGPU_SHIM_HOOK(name) in
 * front (a marker symbol the hook table references: a listed hook that is
 * not defined fails the link instead of silently staying a pass-through). */
#define VGPU_SHIM_CUDA_HOOKS(X)                                                                      \
	X(cuGetProcAddress) X(cuGetProcAddress_v2)                                                   \
	X(cuMemGetInfo) X(cuMemGetInfo_v2) X(cuDeviceTotalMem) X(cuDeviceTotalMem_v2)                \
	X(cuMemAlloc) X(cuMemAlloc_v2) X(cuMemAllocPitch) X(cuMemAllocPitch_v2) X(cuMemAllocManaged) \
	X(cuMemFree) X(cuMemFree_v2)                                                                 \
	X(cuMemAllocAsync) X(cuMemAllocAsync_ptsz) X(cuMemAllocFromPoolAsync)                        \
	X(cuMemAllocFromPoolAsync_ptsz) X(cuMemFreeAsync) X(cuMemFreeAsync_ptsz)                     \
	X(cuMemPoolCreate) X(cuMemPoolDestroy) X(cuDeviceGetDefaultMemPool)                          \
	X(cuArrayCreate_v2) X(cuArrayDestroy) X(cuArrayCreate) X(cuArray3DCreate) X(cuArray3DCreate_v2) \
	X(cuMipmappedArrayCreate) X(cuMipmappedArrayDestroy) X(cuCtxSetLimit)                        \
	X(cuMemPoolTrimTo) X(cuMemPoolSetAttribute) X(cuStreamSynchronize) X(cuStreamSynchronize_ptsz) \
	X(cuCtxSynchronize) X(cuCtxSynchronize_v2) X(cuEventSynchronize)                             \
	X(cuMemCreate) X(cuMemRelease) X(cuMemMap) X(cuMemUnmap)                                     \
	X(cuCtxCreate) X(cuCtxCreate_v2) X(cuCtxCreate_v3) X(cuCtxCreate_v4)                         \
	X(cuCtxDestroy) X(cuCtxDestroy_v2)                                                           \
	X(cuDevicePrimaryCtxRetain) X(cuDevicePrimaryCtxRelease) X(cuDevicePrimaryCtxRelease_v2)     \
	X(cuDevicePrimaryCtxReset) X(cuDevicePrimaryCtxReset_v2)                                     \
	X(cuLaunchKernel) X(cuLaunchKernel_ptsz) X(cuLaunchKernelEx) X(cuLaunchKernelEx_ptsz)        \
	X(cuLaunchCooperativeKernel) X(cuLaunchCooperativeKernel_ptsz)                               \
	X(cuGraphLaunch) X(cuGraphLaunch_ptsz)                                                       \
	X(cuGraphAddMemAllocNode) X(cuGraphDestroy) X(cuGraphInstantiate) X(cuGraphInstantiate_v2)   \
	X(cuGraphInstantiateWithFlags) X(cuGraphInstantiateWithParams) X(cuGraphInstantiateWithParams_ptsz) \
	X(cuGraphExecDestroy) X(cuDeviceGraphMemTrim)                                               \
	X(cuModuleLoad) X(cuModuleLoadData) X(cuModuleLoadDataEx) X(cuModuleLoadFatBinary)           \
	X(cuModuleUnload) X(cuLibraryLoadData) X(cuLibraryLoadFromFile) X(cuLibraryUnload)
#define VGPU_SHIM_NVML_HOOKS(X)                                                                   \
	X(nvmlErrorString) X(nvmlDeviceGetMemoryInfo) X(nvmlDeviceGetMemoryInfo_v2)                   \
	X(nvmlDeviceGetComputeRunningProcesses) X(nvmlDeviceGetComputeRunningProcesses_v2)            \
	X(nvmlDeviceGetComputeRunningProcesses_v3) X(nvmlDeviceGetGraphicsRunningProcesses)           \
	X(nvmlDeviceGetGraphicsRunningProcesses_v2) X(nvmlDeviceGetGraphicsRunningProcesses_v3)       \
	X(nvmlDeviceGetMPSComputeRunningProcesses) X(nvmlDeviceGetMPSComputeRunningProcesses_v2)      \
	X(nvmlDeviceGetMPSComputeRunningProcesses_v3) X(nvmlDeviceGetProcessUtilization)              \
	X(nvmlDeviceGetUtilizationRates)

/* Also defines vgpu_shim_self_<name>, a hidden alias of the hook, for the
 * shim's table of its own exports (shim_stubs.c): a reference to a hidden
 * symbol is settled at link time, where one to the exported name would cost
 * a symbol lookup in every process at load (1086 of them: ~0.2 ms). */
#define VGPU_SHIM_HOOK(name)                                                                       \
	__asm__(".globl vgpu_shim_self_" #name "\n\t.hidden vgpu_shim_self_" #name              \
		"\n\t.set vgpu_shim_self_" #name ", " #name);                                        \
	const char vgpu_shim_hooked_##name = 1

/* ---- export tables (generated in shim_stubs.c from the lists) ----------- */
#define X(n, ...) VGPU_SHIM_IDX_##n,
enum vgpu_shim_cuda_idx {
#include "vgpu_cuda_exports.def"
	VGPU_SHIM_NCUDA
};
enum vgpu_shim_nvml_idx {
#include "nvml_exports.def"
	VGPU_SHIM_NNVML
};
#undef X

/* Where each exported entry point jumps: the real one once loaded. */
extern void *vgpu_shim_cuda_table[VGPU_SHIM_NCUDA];
extern void *vgpu_shim_nvml_table[VGPU_SHIM_NNVML];
/* The shim's own exported entry point of each index. */
extern void *const vgpu_shim_cuda_self[VGPU_SHIM_NCUDA];
extern void *const vgpu_shim_nvml_self[VGPU_SHIM_NNVML];
/* Names, in index order. */
extern const char *const vgpu_shim_cuda_names[VGPU_SHIM_NCUDA];
extern const char *const vgpu_shim_nvml_names[VGPU_SHIM_NNVML];

/* The real entry point behind an exported name, with its ABI type. Before
 * the real library is loaded the slot holds a lazy stub that loads it, so
 * these may be called at any time. */
#define CU_REAL(sym) \
	((vgpu_pfn_##sym)__atomic_load_n(&vgpu_shim_cuda_table[VGPU_SHIM_IDX_##sym], __ATOMIC_ACQUIRE))
#define NV_REAL(sym) \
	((vgpu_pfn_##sym)__atomic_load_n(&vgpu_shim_nvml_table[VGPU_SHIM_IDX_##sym], __ATOMIC_ACQUIRE))

/* Is export index idx hooked (a C function, not a pass-through stub)? */
int vgpu_shim_cuda_hooked(int idx);
int vgpu_shim_nvml_hooked(int idx);

/* The shim's export of the real driver entry point at address real, or NULL
 * when real is none of the real driver's exports (cuGetProcAddress). */
void *vgpu_shim_cuda_self_of(void *real);
/* Is p one of the shim's own CUDA exports? */
int vgpu_shim_cuda_is_self(void *p);

/* Called by the asm: what to jump to for a table slot (loads the library). */
void *vgpu_shim_resolve(void **slot);
/* Called by the asm dlopen: the shim's own handle when file names the CUDA
 * driver or NVML and the caller is not the real driver/NVML, else NULL. */
void *vgpu_shim_dlopen_redirect(const char *file, int mode, void *caller);
extern void *vgpu_shim_real_dlopen;

/* Does NVML slot idx hold a real function (NVML loaded, symbol found)? */
int vgpu_shim_nvml_real(int idx);

/* Load the real driver / NVML now (idempotent); 0 when usable. */
int vgpu_shim_load_cuda(void);
int vgpu_shim_load_nvml(void);

/* ---- configuration (immutable after the constructor) ------------------- */
struct vgpu_shim_conf {
	int ok;                 /* a valid step description was read */
	vgpu_stepdesc_t desc;
	char error[512];        /* why not, when !ok */
};
extern struct vgpu_shim_conf vgpu_shim;

/* ---- logging (shim_main.c) -------------------------------------------- */
extern int vgpu_shim_log_level;
void vgpu_shim_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define SHIM_LOG(level, ...)                                 \
	do {                                                 \
		if ((level) <= vgpu_shim_log_level)          \
			vgpu_shim_log((level), __VA_ARGS__); \
	} while (0)
#define SHIM_ERROR(...) SHIM_LOG(VGPU_LOG_ERROR, __VA_ARGS__)
#define SHIM_WARN(...) SHIM_LOG(VGPU_LOG_WARN, __VA_ARGS__)
#define SHIM_INFO(...) SHIM_LOG(VGPU_LOG_INFO, __VA_ARGS__)
#define SHIM_DEBUG(...) SHIM_LOG(VGPU_LOG_DEBUG, __VA_ARGS__)

/* ---- re-entrance -------------------------------------------------------- */
/* A driver may call its own exported functions; those calls come back to
 * the shim. Hooks only do their bookkeeping at the outermost level. */
extern __thread int vgpu_shim_depth __attribute__((tls_model("initial-exec")));
static inline int vgpu_shim_enter(void)
{
	return vgpu_shim_depth++ == 0;
}
static inline void vgpu_shim_leave(void)
{
	vgpu_shim_depth--;
}

/* ---- devices and accounting (shim_acct.c) ------------------------------ */
#define VGPU_SHIM_GRANULE (UINT64_C(2) << 20) /* device memory is charged in 2 MiB units */
#define VGPU_SHIM_MAX_ORDINALS 64

/* Round up to the granule (0 stays 0; saturates). */
uint64_t vgpu_shim_round(uint64_t bytes);

/* The step GPU (index into vgpu_shim.desc.gpus) behind CUDA ordinal ord,
 * found by UUID through the real driver and cached; -1 when the device is
 * not part of the step (or the driver cannot tell yet). */
int vgpu_shim_gpu_of_ordinal(int ord);

/* The step GPU behind an NVML device handle (by UUID), or -1. */
int vgpu_shim_gpu_of_nvml(vgpu_nvmlDevice_t dev);

/* Charge bytes to step GPU g for this process if the slice has room:
 * CUDA_SUCCESS, or CUDA_ERROR_OUT_OF_MEMORY (over the limit, GPU not in the
 * step, or its ledger unusable: logged). what names the entry point. */
vgpu_CUresult vgpu_shim_charge(int g, uint64_t bytes, const char *what);
void vgpu_shim_uncharge(int g, uint64_t bytes);

/* The slice's view of GPU g: limit and used bytes (dead processes reclaimed
 * first). Returns 0, or -1 when its ledger cannot be opened. */
int vgpu_shim_view(int g, uint64_t *limit, uint64_t *used);

/* The shared ledger of step GPU g, opened on first use; NULL when unusable. */
struct vgpu_ledger *vgpu_shim_ledger(int g);

/* ---- SM cap (shim_sm.c) ------------------------------------------------ */
/* Read the caps from the step description (constructor). */
void vgpu_shim_sm_init(void);
void vgpu_shim_sm_atfork_child(void);

/* Processes holding memory on GPU g (pid, bytes): count in all, up to max
 * filled; -1 when the ledger cannot be opened. */
struct vgpu_ledger_proc;
int vgpu_shim_procs(int g, struct vgpu_ledger_proc *out, int max);

/* ---- what the process holds (shim_track.c) ----------------------------- */
enum vgpu_track_kind {
	VGPU_TRACK_DEVPTR = 1, /* cuMemAlloc*, managed, stream-ordered: key = address; aux = its pool */
	VGPU_TRACK_ARRAY,      /* cuArrayCreate: key = handle */
	VGPU_TRACK_VMM,        /* cuMemCreate: key = handle; aux = live mappings */
	VGPU_TRACK_MAP,        /* cuMemMap: key = address; aux = its VMM handle; bytes = length, gpu -1 */
	VGPU_TRACK_CTX,        /* cuCtxCreate: key = context */
	VGPU_TRACK_POOL,       /* memory pool: key = pool; bytes = charged for freed memory it still holds */
	VGPU_TRACK_MIPMAP,     /* cuMipmappedArrayCreate: key = handle */
	VGPU_TRACK_LIMIT,      /* cuCtxSetLimit: key = context << 2 | limit; aux = the value at the first set */
	VGPU_TRACK_GRAPH,      /* a graph with memory nodes: key = graph; aux = their bytes; gpu (-2: not the step's); not charged */
	VGPU_TRACK_GEXEC,      /* its executable graph: key = exec; aux = bytes; gpu (shim_graph.c charges them) */
	VGPU_TRACK_MODULE,     /* cuModuleLoad*: key = module; dies with its context (shim_module.c) */
	VGPU_TRACK_LIBRARY,    /* cuLibraryLoad*: key = library; charged in (and dies with) the context current at load */
};

struct vgpu_track {
	uint64_t key;
	uint64_t bytes;  /* charged for it */
	uint64_t aux;
	uintptr_t ctx;   /* the context it dies with (0: none) */
	int kind;        /* enum vgpu_track_kind; 0 = empty */
	int gpu;         /* step GPU index, -1 when not charged */
	int released;    /* VMM: cuMemRelease'd, still mapped */
};

/* Record t (its kind and key must not be there yet). 0, or -1 (no memory). */
int vgpu_track_add(const struct vgpu_track *t);
/* Remove the record of (kind, key) into *out; 0, or -1 when absent. */
int vgpu_track_take(int kind, uint64_t key, struct vgpu_track *out);
/* Copy the record of (kind, key) into *out; 0, or -1 when absent. */
int vgpu_track_get(int kind, uint64_t key, struct vgpu_track *out);
/* Replace the record of (t->kind, t->key); 0, or -1 when absent. */
int vgpu_track_put(const struct vgpu_track *t);
/* Remove every record bound to context ctx, uncharging each. Returns the
 * number removed. */
int vgpu_track_drop_ctx(uintptr_t ctx);
/* Forget everything (a forked child holds none of its parent's memory). */
void vgpu_track_reset(void);
/* The mutex that serialises multi-step bookkeeping (primary contexts, VMM
 * handle/mapping pairs). */
void vgpu_track_lock(void);
void vgpu_track_unlock(void);

/* Forget per-process accounting state after fork (shim_acct.c). */
void vgpu_shim_acct_atfork_child(void);
void vgpu_shim_ctx_atfork_child(void);
void vgpu_shim_mem_atfork_child(void);

#endif /* __ASSEMBLER__ */
#endif
