/*
 * shimprobe.c - the program the shim tests run under LD_PRELOAD=libvgpu-shim:
 * a CUDA "application" that links nothing but libdl and reaches the driver in
 * one of three ways, then runs the commands given on its command line,
 * printing one line per command on stdout.
 *
 *   shimprobe MODE COMMAND...
 *   MODE  direct   call cu* / nvml* by name: the references are left
 *                  undefined at link time and bound by the loader to the
 *                  preloaded shim (as a program linked with -lcuda is);
 *         dlopen   dlopen("libcuda.so.1") / ("libnvidia-ml.so.1") + dlsym;
 *         getproc  cuGetProcAddress_v2 (itself found with dlsym) for every
 *                  driver entry point, as the CUDA runtime does.
 *
 * Commands (each prints "<command>: <result>"; rc is the CUresult number):
 *   init                 cuInit, retain device 0's primary context, make it current
 *   ctx N                retain device N's primary context and make it current
 *   release N | reset N  cuDevicePrimaryCtxRelease_v2 / Reset_v2
 *   create N | destroy   cuCtxCreate_v2 on device N (made current) / destroy it
 *   alloc KIND BYTES     KIND: mem pitch managed async pool array vmm vmmkeep host register
 *   free | freeall       free the last allocation / all of them (in reverse)
 *   info                 cuMemGetInfo_v2: "info: rc FREE TOTAL"
 *   total N              cuDeviceTotalMem_v2 of device N
 *   uuid N               device N's UUID
 *   fill PERCENT         one cuMemAlloc of PERCENT% of what cuMemGetInfo calls free
 *   nvmlmem UUID         v1 "total free used" and v2 "total reserved free used"
 *   nvmlprocs UUID       "pid:bytes ..." from nvmlDeviceGetComputeRunningProcesses_v3
 *   race N SEED MAX      N random allocations (mem/async/vmm, up to MAX bytes) and frees
 *   hold                 print "hold: ready", then wait for a signal (SIGUSR1: go on
 *                        with the next command; one sent once "ready" is out is never lost)
 *   getproc FILE         replay a cuGetProcAddress_v2 fixture (symbol version flags per line)
 *   dlopen NAME          dlopen(NAME) and say whether it is the shim
 *   spin MS KIND BLOCKS  launch kernels of BLOCKS blocks without synchronising for MS
 *                        milliseconds, then cuCtxSynchronize: "spin: rc LAUNCHES NS WAIT"
 *                        (NS: wall time from the first launch to the end of the sync;
 *                        WAIT: ns of it spent waiting for a CPU, schedstat.h).
 *                        KIND: kernel kernel_ptsz ex ex_ptsz coop coop_ptsz, or mix
 *                        (all six in turn)
 *   threads N MS         N threads each allocating, freeing and launching for MS ms
 *   vmmspan N            N 2 MiB physical chunks mapped end to end in one reserved range,
 *                        handles released, then ONE cuMemUnmap of the whole range:
 *                        "vmmspan: rc"
 *   modload FILE | -     cuModuleLoad of FILE, or cuModuleLoadData of the test PTX
 *                        (tests/sim/simptx.h): "modload: rc"
 *   modunload            unload the last module loaded: "modunload: rc"
 *   modlaunch            launch its kernel "spin": "modlaunch: rc"
 *   libload FILE | -     cuLibraryLoadFromFile / cuLibraryLoadData, as modload
 *   libunload            unload the last library loaded: "libunload: rc"
 *
 * Launches ("spin", "threads") use kernel "spin" of a module of the test PTX
 * loaded in the current context at its first launch there (the simulator,
 * as a real driver, launches only functions of the context's modules).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define VGPU_CUDA_DECLARE_PROTOTYPES 1
#include "vgpu_cuda_abi.h"

#include "schedstat.h"
#define VGPU_NVML_DECLARE_PROTOTYPES 1
#include "vgpu_nvml_abi.h"
#include "../sim/simptx.h"

/* The entry points the probe uses: X(symbol, base, version). */
#define PROBE_CUDA(X)                                                                            \
	X(cuInit, cuInit, 2000) X(cuDeviceGetCount, cuDeviceGetCount, 2000)                       \
	X(cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRetain, 7000)                               \
	X(cuDevicePrimaryCtxRelease_v2, cuDevicePrimaryCtxRelease, 11000)                         \
	X(cuDevicePrimaryCtxReset_v2, cuDevicePrimaryCtxReset, 11000)                             \
	X(cuCtxSetCurrent, cuCtxSetCurrent, 4000) X(cuCtxCreate_v2, cuCtxCreate, 3020)            \
	X(cuCtxDestroy_v2, cuCtxDestroy, 4000) X(cuMemAlloc_v2, cuMemAlloc, 3020)                 \
	X(cuMemFree_v2, cuMemFree, 3020) X(cuMemAllocPitch_v2, cuMemAllocPitch, 3020)             \
	X(cuMemAllocManaged, cuMemAllocManaged, 6000) X(cuMemAllocAsync, cuMemAllocAsync, 11020)  \
	X(cuMemFreeAsync, cuMemFreeAsync, 11020)                                                  \
	X(cuMemAllocFromPoolAsync, cuMemAllocFromPoolAsync, 11020)                                \
	X(cuMemPoolCreate, cuMemPoolCreate, 11020) X(cuArrayCreate_v2, cuArrayCreate, 3020)       \
	X(cuArrayDestroy, cuArrayDestroy, 2000) X(cuMemCreate, cuMemCreate, 10020)                \
	X(cuMemRelease, cuMemRelease, 10020) X(cuMemMap, cuMemMap, 10020)                         \
	X(cuMemUnmap, cuMemUnmap, 10020) X(cuMemAddressReserve, cuMemAddressReserve, 10020)       \
	X(cuMemAddressFree, cuMemAddressFree, 10020) X(cuMemSetAccess, cuMemSetAccess, 10020)     \
	X(cuMemGetInfo_v2, cuMemGetInfo, 3020) X(cuDeviceTotalMem_v2, cuDeviceTotalMem, 3020)     \
	X(cuDeviceGetUuid, cuDeviceGetUuid, 9020) X(cuMemHostAlloc, cuMemHostAlloc, 2020)         \
	X(cuMemFreeHost, cuMemFreeHost, 2000) X(cuMemHostRegister_v2, cuMemHostRegister, 6050)    \
	X(cuMemHostUnregister, cuMemHostUnregister, 4000)                                         \
	X(cuCtxGetCurrent, cuCtxGetCurrent, 4000) X(cuModuleLoadData, cuModuleLoadData, 2000)     \
	X(cuModuleLoad, cuModuleLoad, 2000) X(cuModuleUnload, cuModuleUnload, 2000)               \
	X(cuModuleGetFunction, cuModuleGetFunction, 2000)                                         \
	X(cuLibraryLoadData, cuLibraryLoadData, 12000)                                            \
	X(cuLibraryLoadFromFile, cuLibraryLoadFromFile, 12000)                                    \
	X(cuLibraryUnload, cuLibraryUnload, 12000)
#define PROBE_NVML(X)                                                                             \
	X(nvmlInit_v2) X(nvmlDeviceGetHandleByUUID) X(nvmlDeviceGetMemoryInfo)                    \
	X(nvmlDeviceGetMemoryInfo_v2) X(nvmlDeviceGetComputeRunningProcesses_v3)

/* Direct references (prototypes from the ABI header), weak so that they
 * may stay undefined at link time: the loader binds them to the preloaded
 * shim. */
#define WEAK(sym, ...) extern __typeof__(sym) sym __attribute__((weak));
PROBE_CUDA(WEAK)
PROBE_NVML(WEAK)
WEAK(cuGetProcAddress_v2)
#undef WEAK
static struct {
#define FIELD(sym, ...) vgpu_pfn_##sym sym;
	PROBE_CUDA(FIELD)
	PROBE_NVML(FIELD)
#undef FIELD
	vgpu_pfn_cuGetProcAddress_v2 getproc;
} api;

enum kind { K_MEM, K_PITCH, K_MANAGED, K_ASYNC, K_POOL, K_ARRAY, K_VMM, K_VMMKEEP, K_HOST, K_REGISTER };
static const char *const kinds[] = { "mem", "pitch", "managed", "async", "pool", "array", "vmm", "vmmkeep", "host", "register" };

struct alloc {
	enum kind kind;
	uint64_t ptr;    /* address, array handle, or host pointer */
	uint64_t handle; /* VMM handle (0 once released) */
	size_t size;
	int dev;
};

#define MAX_ALLOCS 4096
static struct alloc allocs[MAX_ALLOCS];
static int nallocs, cur_dev;
#define MAX_LOADED 256
static vgpu_CUmodule mods[MAX_LOADED];
static vgpu_CUlibrary libs[MAX_LOADED];
static int nmods, nlibs;
static vgpu_CUmemoryPool pool;
static vgpu_CUcontext created, cur_ctx;

static void die(const char *what)
{
	printf("%s: failed\n", what);
	fflush(stdout);
	exit(2);
}

static const char *probe_mode;

/* A launch entry point, found the way the mode finds the rest (direct: the
 * definition the loader binds a reference to). */
static void *entry(const char *sym, const char *base, int ver, int per_thread)
{
	vgpu_CUdriverProcAddressQueryResult st;
	void *p = NULL;

	if (strcmp(probe_mode, "direct") == 0)
		p = dlsym(RTLD_DEFAULT, sym);
	else if (strcmp(probe_mode, "dlopen") == 0)
		p = dlsym(dlopen("libcuda.so.1", RTLD_NOW), sym);
	else if (api.getproc(base, &p, ver, per_thread ? 2 : 0, &st) != VGPU_CUDA_SUCCESS)
		p = NULL;
	if (!p)
		die(sym);
	return p;
}

struct launch_cfg { /* CUlaunchConfig */
	unsigned int gx, gy, gz, bx, by, bz, shmem;
	vgpu_CUstream stream;
	void *attrs;
	unsigned int nattrs;
};
typedef vgpu_CUresult (*coop_fn)(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
				 unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
				 vgpu_CUstream s, void **params);
typedef vgpu_CUresult (*ex_fn)(const struct launch_cfg *c, vgpu_CUfunction f, void **params, void **extra);

static struct {
	vgpu_pfn_cuLaunchKernel kernel, kernel_ptsz;
	ex_fn ex, ex_ptsz;
	coop_fn coop, coop_ptsz;
	vgpu_pfn_cuCtxSynchronize sync;
} launch;

static void load_launch(void)
{
	if (launch.sync)
		return;
	launch.kernel = (vgpu_pfn_cuLaunchKernel)entry("cuLaunchKernel", "cuLaunchKernel", 4000, 0);
	launch.kernel_ptsz = (vgpu_pfn_cuLaunchKernel)entry("cuLaunchKernel_ptsz", "cuLaunchKernel", 7000, 1);
	launch.ex = (ex_fn)entry("cuLaunchKernelEx", "cuLaunchKernelEx", 11060, 0);
	launch.ex_ptsz = (ex_fn)entry("cuLaunchKernelEx_ptsz", "cuLaunchKernelEx", 11060, 1);
	launch.coop = (coop_fn)entry("cuLaunchCooperativeKernel", "cuLaunchCooperativeKernel", 9000, 0);
	launch.coop_ptsz = (coop_fn)entry("cuLaunchCooperativeKernel_ptsz", "cuLaunchCooperativeKernel", 9000, 1);
	launch.sync = (vgpu_pfn_cuCtxSynchronize)entry("cuCtxSynchronize", "cuCtxSynchronize", 2000, 0);
}

static const char *const launch_kinds[] = { "kernel", "kernel_ptsz", "ex", "ex_ptsz", "coop", "coop_ptsz" };

/* The kernel to launch in the current context: "spin" of a module of the
 * test PTX loaded there at the first launch (one per context, shared by
 * the threads; the last one a thread used is remembered by the thread). */
#define MAX_LAUNCH_CTX 16
static struct {
	vgpu_CUcontext ctx;
	vgpu_CUfunction f;
} launch_fn[MAX_LAUNCH_CTX];
static int nlaunch_fn;
static pthread_mutex_t launch_fn_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread vgpu_CUcontext tl_ctx;
static __thread vgpu_CUfunction tl_fn;

/* stale: the function of the current context failed with INVALID_HANDLE
 * (its module went with a reset or released context): load it again. */
static vgpu_CUresult launch_function(vgpu_CUfunction *out, int stale)
{
	vgpu_CUcontext c = NULL;
	vgpu_CUmodule m = NULL;
	vgpu_CUresult rc = api.cuCtxGetCurrent(&c);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (c && c == tl_ctx && !stale) {
		*out = tl_fn;
		return rc;
	}
	pthread_mutex_lock(&launch_fn_lock);
	for (int i = 0; i < nlaunch_fn; i++) {
		if (launch_fn[i].ctx == c && stale && launch_fn[i].f == tl_fn)
			launch_fn[i] = launch_fn[--nlaunch_fn];
		if (i < nlaunch_fn && launch_fn[i].ctx == c)
			*out = launch_fn[i].f;
	}
	if (!*out) {
		rc = api.cuModuleLoadData(&m, SIM_PTX);
		if (rc == VGPU_CUDA_SUCCESS)
			rc = api.cuModuleGetFunction(out, m, SIM_PTX_KERNEL);
		if (rc == VGPU_CUDA_SUCCESS && nlaunch_fn < MAX_LAUNCH_CTX) {
			launch_fn[nlaunch_fn].ctx = c;
			launch_fn[nlaunch_fn++].f = *out;
		}
	}
	pthread_mutex_unlock(&launch_fn_lock);
	if (rc == VGPU_CUDA_SUCCESS) {
		tl_ctx = c;
		tl_fn = *out;
	}
	return rc;
}

/* One launch of kind k (an index of launch_kinds) of blocks blocks. */
static vgpu_CUresult launch_one(int k, unsigned int blocks)
{
	struct launch_cfg c = { blocks, 1, 1, 128, 1, 1, 0, NULL, NULL, 0 };
	vgpu_CUresult rc = VGPU_CUDA_ERROR_INVALID_HANDLE;

	for (int attempt = 0; attempt < 2 && rc == VGPU_CUDA_ERROR_INVALID_HANDLE; attempt++) {
		vgpu_CUfunction f = NULL;

		rc = launch_function(&f, attempt);
		if (rc != VGPU_CUDA_SUCCESS)
			return rc;
		switch (k) {
		case 0: rc = launch.kernel(f, blocks, 1, 1, 128, 1, 1, 0, NULL, NULL, NULL); break;
		case 1: rc = launch.kernel_ptsz(f, blocks, 1, 1, 128, 1, 1, 0, NULL, NULL, NULL); break;
		case 2: rc = launch.ex(&c, f, NULL, NULL); break;
		case 3: rc = launch.ex_ptsz(&c, f, NULL, NULL); break;
		case 4: rc = launch.coop(f, blocks, 1, 1, 128, 1, 1, 0, NULL, NULL); break;
		default: rc = launch.coop_ptsz(f, blocks, 1, 1, 128, 1, 1, 0, NULL, NULL); break;
		}
	}
	return rc;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void spin(long ms, const char *kind, unsigned int blocks)
{
	int k = -1;
	long n = 0;
	vgpu_CUresult rc = VGPU_CUDA_SUCCESS;
	double t0, end, d0;

	load_launch();
	for (int i = 0; i < 6; i++)
		if (strcmp(kind, launch_kinds[i]) == 0)
			k = i;
	if (k < 0 && strcmp(kind, "mix") != 0)
		die(kind);
	d0 = schedstat_run_delay();
	t0 = mono();
	end = t0 + (double)ms * 1e6;
	while (rc == VGPU_CUDA_SUCCESS && mono() < end && n < 100000000) {
		rc = launch_one(k >= 0 ? k : (int)(n % 6), blocks);
		n++;
	}
	if (rc == VGPU_CUDA_SUCCESS)
		rc = launch.sync();
	printf("spin: %d %ld %.0f %.0f\n", rc, n, mono() - t0, d0 >= 0 ? schedstat_run_delay() - d0 : 0);
}

static void load(const char *mode)
{
	probe_mode = mode;
	if (strcmp(mode, "direct") == 0) {
#define DIRECT(sym, ...) api.sym = sym;
		PROBE_CUDA(DIRECT)
		PROBE_NVML(DIRECT)
#undef DIRECT
		api.getproc = cuGetProcAddress_v2;
		return;
	}
	void *cu = dlopen("libcuda.so.1", RTLD_NOW), *nv = dlopen("libnvidia-ml.so.1", RTLD_NOW);

	if (!cu || !nv)
		die("dlopen");
	api.getproc = (vgpu_pfn_cuGetProcAddress_v2)dlsym(cu, "cuGetProcAddress_v2");
#define BYNAME(sym, ...) api.sym = (vgpu_pfn_##sym)dlsym(nv, #sym);
	PROBE_NVML(BYNAME)
#undef BYNAME
	if (strcmp(mode, "dlopen") == 0) {
#define BYNAME(sym, ...) api.sym = (vgpu_pfn_##sym)dlsym(cu, #sym);
		PROBE_CUDA(BYNAME)
#undef BYNAME
	} else if (strcmp(mode, "getproc") == 0) {
		vgpu_CUdriverProcAddressQueryResult st;
		void *p;
#define BYPROC(sym, base, ver)                                                              \
	p = NULL;                                                                           \
	if (!api.getproc || api.getproc(#base, &p, ver, 0, &st) != VGPU_CUDA_SUCCESS)        \
		die("cuGetProcAddress_v2(" #base ")");                                      \
	api.sym = (vgpu_pfn_##sym)p;
		PROBE_CUDA(BYPROC)
#undef BYPROC
	} else {
		die("mode");
	}
}

static void ctx(int dev)
{
	vgpu_CUcontext c = NULL;
	vgpu_CUresult rc = api.cuDevicePrimaryCtxRetain(&c, dev);

	if (rc == VGPU_CUDA_SUCCESS)
		rc = api.cuCtxSetCurrent(c);
	if (rc == VGPU_CUDA_SUCCESS) {
		cur_dev = dev;
		cur_ctx = c;
	}
	printf("ctx %d: %d\n", dev, rc);
}

static vgpu_CUresult vmm_alloc(struct alloc *a, size_t size, int keep)
{
	vgpu_CUmemAllocationProp prop = { 0 };
	vgpu_CUmemAccessDesc acc = { 0 };
	vgpu_CUdeviceptr va = 0;
	vgpu_CUmemGenericAllocationHandle h = 0;
	vgpu_CUresult rc;

	prop.type = VGPU_CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = VGPU_CU_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = cur_dev;
	size = (size + (2u << 20) - 1) / (2u << 20) * (2u << 20);
	rc = api.cuMemCreate(&h, size, &prop, 0);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	rc = api.cuMemAddressReserve(&va, size, 0, 0, 0);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = api.cuMemMap(va, size, 0, h, 0);
	acc.location = prop.location;
	acc.flags = VGPU_CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
	if (rc == VGPU_CUDA_SUCCESS)
		rc = api.cuMemSetAccess(va, size, &acc, 1);
	if (rc != VGPU_CUDA_SUCCESS) {
		api.cuMemRelease(h);
		return rc;
	}
	if (!keep) { /* PyTorch-style: release the handle, the mapping keeps it alive */
		api.cuMemRelease(h);
		h = 0;
	}
	a->ptr = va;
	a->handle = h;
	a->size = size;
	return rc;
}

static vgpu_CUresult do_alloc(enum kind k, size_t size, struct alloc *a)
{
	vgpu_CUdeviceptr p = 0;
	vgpu_CUresult rc = VGPU_CUDA_ERROR_INVALID_VALUE;

	a->kind = k;
	a->size = size;
	a->dev = cur_dev;
	switch (k) {
	case K_MEM:
		rc = api.cuMemAlloc_v2(&p, size);
		break;
	case K_PITCH: {
		size_t pitch = 0;

		rc = api.cuMemAllocPitch_v2(&p, &pitch, size / 1024 ? size / 1024 : 1, 1024, 4);
		break;
	}
	case K_MANAGED:
		rc = api.cuMemAllocManaged(&p, size, VGPU_CU_MEM_ATTACH_GLOBAL);
		break;
	case K_ASYNC:
		rc = api.cuMemAllocAsync(&p, size, NULL);
		break;
	case K_POOL:
		if (!pool) {
			vgpu_CUmemPoolProps props = { 0 };

			props.allocType = VGPU_CU_MEM_ALLOCATION_TYPE_PINNED;
			props.location.type = VGPU_CU_MEM_LOCATION_TYPE_DEVICE;
			props.location.id = cur_dev;
			rc = api.cuMemPoolCreate(&pool, &props);
			if (rc != VGPU_CUDA_SUCCESS)
				return rc;
		}
		rc = api.cuMemAllocFromPoolAsync(&p, size, pool, NULL);
		break;
	case K_ARRAY: {
		vgpu_CUDA_ARRAY_DESCRIPTOR d = { size / 4096 ? size / 4096 : 1, 1024, VGPU_CU_AD_FORMAT_FLOAT, 1 };
		vgpu_CUarray arr = NULL;

		rc = api.cuArrayCreate_v2(&arr, &d);
		p = (vgpu_CUdeviceptr)(uintptr_t)arr;
		break;
	}
	case K_VMM:
	case K_VMMKEEP:
		return vmm_alloc(a, size, k == K_VMMKEEP);
	case K_HOST: {
		void *h = NULL;

		rc = api.cuMemHostAlloc(&h, size, 0);
		p = (vgpu_CUdeviceptr)(uintptr_t)h;
		break;
	}
	case K_REGISTER: {
		void *h = malloc(size);

		rc = h ? api.cuMemHostRegister_v2(h, size, 0) : VGPU_CUDA_ERROR_OUT_OF_MEMORY;
		if (rc != VGPU_CUDA_SUCCESS)
			free(h);
		p = (vgpu_CUdeviceptr)(uintptr_t)h;
		break;
	}
	}
	a->ptr = p;
	return rc;
}

static vgpu_CUresult do_free(struct alloc *a)
{
	switch (a->kind) {
	case K_MEM:
	case K_PITCH:
	case K_MANAGED:
		return api.cuMemFree_v2(a->ptr);
	case K_ASYNC:
	case K_POOL:
		return api.cuMemFreeAsync(a->ptr, NULL);
	case K_ARRAY:
		return api.cuArrayDestroy((vgpu_CUarray)(uintptr_t)a->ptr);
	case K_VMM:
	case K_VMMKEEP: {
		vgpu_CUresult rc = api.cuMemUnmap(a->ptr, a->size);

		if (a->handle)
			api.cuMemRelease(a->handle);
		api.cuMemAddressFree(a->ptr, a->size);
		return rc;
	}
	case K_HOST:
		return api.cuMemFreeHost((void *)(uintptr_t)a->ptr);
	case K_REGISTER: {
		vgpu_CUresult rc = api.cuMemHostUnregister((void *)(uintptr_t)a->ptr);

		free((void *)(uintptr_t)a->ptr);
		return rc;
	}
	}
	return VGPU_CUDA_ERROR_INVALID_VALUE;
}

static int kind_of(const char *s)
{
	for (int i = 0; i < (int)(sizeof(kinds) / sizeof(kinds[0])); i++)
		if (strcmp(s, kinds[i]) == 0)
			return i;
	die("kind");
	return 0;
}

static vgpu_nvmlDevice_t nvml_dev(const char *uuid)
{
	static int inited;
	vgpu_nvmlDevice_t d = NULL;

	if (!inited && api.nvmlInit_v2() != VGPU_NVML_SUCCESS)
		die("nvmlInit_v2");
	inited = 1;
	if (api.nvmlDeviceGetHandleByUUID(uuid, &d) != VGPU_NVML_SUCCESS)
		die("nvmlDeviceGetHandleByUUID");
	return d;
}

static void race(int n, unsigned seed, size_t max)
{
	static const enum kind rk[] = { K_MEM, K_ASYNC, K_VMM };
	int ok = 0, oom = 0, other = 0;

	srand(seed);
	for (int i = 0; i < n; i++) {
		if (nallocs > 0 && (nallocs >= MAX_ALLOCS || rand() % 2)) {
			int j = rand() % nallocs;

			do_free(&allocs[j]);
			allocs[j] = allocs[--nallocs];
			continue;
		}
		vgpu_CUresult rc = do_alloc(rk[rand() % 3], (size_t)(rand() % (int)(max >> 20) + 1) << 20, &allocs[nallocs]);

		if (rc == VGPU_CUDA_SUCCESS) {
			ok++;
			nallocs++;
		} else if (rc == VGPU_CUDA_ERROR_OUT_OF_MEMORY) {
			oom++;
		} else {
			other++;
			printf("race: unexpected rc %d\n", rc);
		}
	}
	printf("race: ok %d oom %d other %d\n", ok, oom, other);
}

struct worker {
	pthread_t t;
	long ms;
	int id;
	long ok, bad;
};

/* "vmmspan N": many mappings laid end to end, unmapped by one call. */
static vgpu_CUresult vmm_span(int n)
{
	vgpu_CUmemAllocationProp prop = { 0 };
	vgpu_CUdeviceptr va = 0;
	size_t chunk = 2u << 20;
	vgpu_CUresult rc;
	int i;

	prop.type = VGPU_CU_MEM_ALLOCATION_TYPE_PINNED;
	prop.location.type = VGPU_CU_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = cur_dev;
	rc = api.cuMemAddressReserve(&va, chunk * (size_t)n, 0, 0, 0);
	for (i = 0; i < n && rc == VGPU_CUDA_SUCCESS; i++) {
		vgpu_CUmemGenericAllocationHandle h = 0;

		rc = api.cuMemCreate(&h, chunk, &prop, 0);
		if (rc == VGPU_CUDA_SUCCESS) {
			rc = api.cuMemMap(va + chunk * (size_t)i, chunk, 0, h, 0);
			api.cuMemRelease(h); /* the mapping keeps it alive */
		}
	}
	if (rc == VGPU_CUDA_SUCCESS)
		rc = api.cuMemUnmap(va, chunk * (size_t)n);
	if (va)
		api.cuMemAddressFree(va, chunk * (size_t)n);
	return rc;
}

/* One thread of "threads": allocate, launch, free, in the current context. */
static void *work(void *arg)
{
	struct worker *w = arg;
	double end = mono() + (double)w->ms * 1e6;

	if (api.cuCtxSetCurrent(cur_ctx) != VGPU_CUDA_SUCCESS) {
		w->bad++;
		return NULL;
	}
	for (long i = 0; i < 1000000 && mono() < end; i++) {
		vgpu_CUdeviceptr p = 0;

		if (api.cuMemAlloc_v2(&p, (size_t)(1 + (i + w->id) % 3) << 20) != VGPU_CUDA_SUCCESS) {
			w->bad++;
			continue;
		}
		if (launch_one((int)((i + w->id) % 6), 8) != VGPU_CUDA_SUCCESS)
			w->bad++;
		if (api.cuMemFree_v2(p) != VGPU_CUDA_SUCCESS)
			w->bad++;
		w->ok++;
	}
	return NULL;
}

static void threads(int n, long ms)
{
	struct worker w[16];
	long ok = 0, bad = 0;

	load_launch();
	if (n < 1 || n > 16)
		die("threads");
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){ .ms = ms, .id = i };
		if (pthread_create(&w[i].t, NULL, work, &w[i]) != 0)
			die("pthread_create");
	}
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].t, NULL);
		ok += w[i].ok;
		bad += w[i].bad;
	}
	printf("threads: ok %s bad %ld sync %d\n", ok > 0 ? "yes" : "no", bad, launch.sync());
}

static void replay(const char *file)
{
	char line[512], sym[256];
	FILE *f = fopen(file, "r");
	Dl_info info;

	if (!f)
		die("getproc");
	while (fgets(line, sizeof(line), f)) {
		vgpu_CUdriverProcAddressQueryResult st = 99;
		unsigned long long flags;
		void *p = NULL;
		int ver;
		vgpu_CUresult rc;

		if (line[0] == '#' || sscanf(line, "%255s %d %llu", sym, &ver, &flags) != 3)
			continue;
		rc = api.getproc(strcmp(sym, "<empty>") == 0 ? "" : sym, &p, ver, flags, &st);
		if (rc == VGPU_CUDA_SUCCESS && p && dladdr(p, &info) && info.dli_sname)
			printf("getproc %s %d %llu: %d %d %s %s\n", sym, ver, flags, rc, (int)st,
			       info.dli_fname ? info.dli_fname : "?", info.dli_sname);
		else
			printf("getproc %s %d %llu: %d %d - -\n", sym, ver, flags, rc, (int)st);
	}
	fclose(f);
}

static void onsig(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: shimprobe MODE COMMAND...");
	setvbuf(stdout, NULL, _IOLBF, 0);
	load(argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *c = argv[i];
		const char *a1 = i + 1 < argc ? argv[i + 1] : "0", *a2 = i + 2 < argc ? argv[i + 2] : "0";
		vgpu_CUresult rc;

		if (strcmp(c, "init") == 0) {
			rc = api.cuInit(0);
			printf("init: %d\n", rc);
			if (rc == VGPU_CUDA_SUCCESS)
				ctx(0);
		} else if (strcmp(c, "ctx") == 0) {
			ctx(atoi(a1));
			i++;
		} else if (strcmp(c, "release") == 0 || strcmp(c, "reset") == 0) {
			rc = c[2] == 'l' ? api.cuDevicePrimaryCtxRelease_v2(atoi(a1)) : api.cuDevicePrimaryCtxReset_v2(atoi(a1));
			printf("%s %s: %d\n", c, a1, rc);
			i++;
		} else if (strcmp(c, "create") == 0) {
			rc = api.cuCtxCreate_v2(&created, 0, atoi(a1));
			if (rc == VGPU_CUDA_SUCCESS)
				cur_dev = atoi(a1);
			printf("create %s: %d\n", a1, rc);
			i++;
		} else if (strcmp(c, "destroy") == 0) {
			printf("destroy: %d\n", api.cuCtxDestroy_v2(created));
		} else if (strcmp(c, "alloc") == 0) {
			if (nallocs >= MAX_ALLOCS)
				die("alloc");
			rc = do_alloc((enum kind)kind_of(a1), strtoull(a2, NULL, 0), &allocs[nallocs]);
			nallocs += rc == VGPU_CUDA_SUCCESS;
			printf("alloc %s %s: %d\n", a1, a2, rc);
			i += 2;
		} else if (strcmp(c, "free") == 0) {
			printf("free: %d\n", nallocs > 0 ? (int)do_free(&allocs[--nallocs]) : -1);
		} else if (strcmp(c, "freeall") == 0) {
			int bad = 0;

			while (nallocs > 0)
				bad += do_free(&allocs[--nallocs]) != VGPU_CUDA_SUCCESS;
			printf("freeall: %d\n", bad);
		} else if (strcmp(c, "info") == 0) {
			size_t fr = 0, tot = 0;

			rc = api.cuMemGetInfo_v2(&fr, &tot);
			printf("info: %d %zu %zu\n", rc, fr, tot);
		} else if (strcmp(c, "total") == 0) {
			size_t tot = 0;

			rc = api.cuDeviceTotalMem_v2(&tot, atoi(a1));
			printf("total %s: %d %zu\n", a1, rc, tot);
			i++;
		} else if (strcmp(c, "uuid") == 0) {
			vgpu_CUuuid u;
			unsigned char *b = (unsigned char *)u.bytes;

			rc = api.cuDeviceGetUuid(&u, atoi(a1));
			printf("uuid %s: %d GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", a1, rc,
			       b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
			       b[15]);
			i++;
		} else if (strcmp(c, "fill") == 0) {
			size_t fr = 0, tot = 0;

			api.cuMemGetInfo_v2(&fr, &tot);
			rc = do_alloc(K_MEM, fr / 100 * (size_t)atoi(a1), &allocs[nallocs]);
			nallocs += rc == VGPU_CUDA_SUCCESS;
			printf("fill %s: %d %zu\n", a1, rc, fr / 100 * (size_t)atoi(a1));
			i++;
		} else if (strcmp(c, "nvmlmem") == 0) {
			vgpu_nvmlDevice_t d = nvml_dev(a1);
			vgpu_nvmlMemory_t m1 = { 0 };
			vgpu_nvmlMemory_v2_t m2 = { .version = VGPU_NVML_MEMORY_V2 };
			int r1 = api.nvmlDeviceGetMemoryInfo(d, &m1), r2 = api.nvmlDeviceGetMemoryInfo_v2(d, &m2);

			printf("nvmlmem: %d %llu %llu %llu | %d %llu %llu %llu %llu\n", r1, m1.total, m1.free, m1.used, r2,
			       m2.total, m2.reserved, m2.free, m2.used);
			i++;
		} else if (strcmp(c, "nvmlprocs") == 0) {
			vgpu_nvmlDevice_t d = nvml_dev(a1);
			vgpu_nvmlProcessInfo_t p[64];
			unsigned int n = 64;
			int r = api.nvmlDeviceGetComputeRunningProcesses_v3(d, &n, p);

			printf("nvmlprocs: %d", r);
			for (unsigned int k = 0; r == 0 && k < n; k++)
				printf(" %u:%llu", p[k].pid, p[k].usedGpuMemory);
			printf("\n");
			i++;
		} else if (strcmp(c, "race") == 0) {
			race(atoi(a1), (unsigned)atoi(a2), strtoull(i + 3 < argc ? argv[i + 3] : "64M", NULL, 0));
			i += 3;
		} else if (strcmp(c, "hold") == 0) {
			sigset_t usr1, old;

			/* SIGUSR1 blocked until sigsuspend: one sent as soon as
			 * "ready" is read is not lost (pending, it ends the wait) */
			sigemptyset(&usr1);
			sigaddset(&usr1, SIGUSR1);
			sigprocmask(SIG_BLOCK, &usr1, &old);
			signal(SIGUSR1, onsig);
			printf("hold: ready\n");
			fflush(stdout);
			sigdelset(&old, SIGUSR1);
			sigsuspend(&old);
		} else if (strcmp(c, "getproc") == 0) {
			replay(a1);
			i++;
		} else if (strcmp(c, "spin") == 0) {
			spin(atol(a1), a2, (unsigned int)atoi(i + 3 < argc ? argv[i + 3] : "1"));
			i += 3;
		} else if (strcmp(c, "vmmspan") == 0) {
			printf("vmmspan: %d\n", vmm_span(atoi(a1)));
			i++;
		} else if (strcmp(c, "modload") == 0 || strcmp(c, "libload") == 0) {
			int file = strcmp(a1, "-") != 0;

			if (c[0] == 'm') {
				if (nmods >= MAX_LOADED)
					die(c);
				rc = file ? api.cuModuleLoad(&mods[nmods], a1) : api.cuModuleLoadData(&mods[nmods], SIM_PTX);
				nmods += rc == VGPU_CUDA_SUCCESS;
			} else {
				if (nlibs >= MAX_LOADED)
					die(c);
				rc = file ? api.cuLibraryLoadFromFile(&libs[nlibs], a1, NULL, NULL, 0, NULL, NULL, 0)
					  : api.cuLibraryLoadData(&libs[nlibs], SIM_PTX, NULL, NULL, 0, NULL, NULL, 0);
				nlibs += rc == VGPU_CUDA_SUCCESS;
			}
			printf("%s: %d\n", c, rc);
			i++;
		} else if (strcmp(c, "modunload") == 0) {
			printf("modunload: %d\n", nmods > 0 ? (int)api.cuModuleUnload(mods[--nmods]) : -1);
		} else if (strcmp(c, "libunload") == 0) {
			printf("libunload: %d\n", nlibs > 0 ? (int)api.cuLibraryUnload(libs[--nlibs]) : -1);
		} else if (strcmp(c, "modlaunch") == 0) {
			vgpu_CUfunction f = NULL;

			load_launch();
			rc = nmods > 0 ? api.cuModuleGetFunction(&f, mods[nmods - 1], SIM_PTX_KERNEL) : VGPU_CUDA_ERROR_INVALID_HANDLE;
			if (rc == VGPU_CUDA_SUCCESS)
				rc = launch.kernel(f, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL);
			printf("modlaunch: %d\n", rc);
		} else if (strcmp(c, "threads") == 0) {
			threads(atoi(a1), atol(a2));
			i += 2;
		} else if (strcmp(c, "dlopen") == 0) {
			void *h = dlopen(a1, RTLD_NOW), *self = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);

			printf("dlopen %s: %s\n", a1, !h ? "null" : h == self ? "shim" : "other");
			i++;
		} else {
			die(c);
		}
	}
	return 0;
}
