/*
 * nulldrv.c - a stand-in libcuda.so.1 for `make bench` only: one device,
 * one primary context, and the entry points the benchmark and the shim's
 * hooks call return at once (launches and synchronisations do nothing,
 * allocations hand out fresh addresses, events complete at once with 0 ms
 * between them, so an SM cap never binds). Behind the shim it stands for
 * the real driver; alone it is the baseline: "shim over nulldrv" minus
 * "nulldrv alone" is what the shim itself costs per call, without the
 * simulator's own cost and its +-40 ns of noise (bench/run.sh builds it
 * with the C compiler at run time: nothing else links it).
 *
 * Its device's UUID is GPU-00010203-0405-0607-0809-0a0b0c0d0e0f; names it
 * does not define are missing (the shim answers CUDA_ERROR_NOT_FOUND).
 */
#define VGPU_CUDA_DECLARE_PROTOTYPES 1
#include "vgpu_cuda_abi.h"

#include <string.h>

#define NULLDRV_MEM (UINT64_C(80) << 30)

/* Event entry points (void * handles) the ABI list does not declare. */
vgpu_CUresult cuEventCreate(void **e, unsigned int flags);
vgpu_CUresult cuEventDestroy_v2(void *e);
vgpu_CUresult cuEventRecord(void *e, vgpu_CUstream s);
vgpu_CUresult cuEventRecord_ptsz(void *e, vgpu_CUstream s);
vgpu_CUresult cuEventQuery(void *e);
vgpu_CUresult cuEventSynchronize(void *e);
vgpu_CUresult cuEventElapsedTime(float *ms, void *a, void *b);

static char ctx_obj, event_obj;
static __thread vgpu_CUcontext current;
static uint64_t next_ptr = UINT64_C(1) << 40;
static int retained;

vgpu_CUresult cuInit(unsigned int Flags)
{
	return Flags ? VGPU_CUDA_ERROR_INVALID_VALUE : VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDriverGetVersion(int *v)
{
	*v = VGPU_CUDA_VERSION;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetCount(int *n)
{
	*n = 1;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGet(vgpu_CUdevice *d, int ordinal)
{
	if (ordinal != 0)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	*d = 0;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetUuid_v2(vgpu_CUuuid *u, vgpu_CUdevice d)
{
	if (d != 0)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	for (int i = 0; i < 16; i++)
		u->bytes[i] = (char)i;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceGetUuid(vgpu_CUuuid *u, vgpu_CUdevice d)
{
	return cuDeviceGetUuid_v2(u, d);
}

vgpu_CUresult cuDeviceGetAttribute(int *pi, vgpu_CUdevice_attribute a, vgpu_CUdevice d)
{
	(void)d;
	*pi = a == VGPU_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT ? 108
	      : a == VGPU_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR ? 2048 : 1;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceTotalMem_v2(size_t *bytes, vgpu_CUdevice d)
{
	(void)d;
	*bytes = NULLDRV_MEM;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDevicePrimaryCtxRetain(vgpu_CUcontext *c, vgpu_CUdevice d)
{
	(void)d;
	__atomic_store_n(&retained, 1, __ATOMIC_RELAXED);
	*c = (vgpu_CUcontext)(void *)&ctx_obj;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDevicePrimaryCtxGetState(vgpu_CUdevice d, unsigned int *flags, int *active)
{
	(void)d;
	*flags = 0;
	*active = __atomic_load_n(&retained, __ATOMIC_RELAXED);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDevicePrimaryCtxRelease_v2(vgpu_CUdevice d)
{
	(void)d;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxSetCurrent(vgpu_CUcontext c)
{
	current = c;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxGetCurrent(vgpu_CUcontext *c)
{
	*c = current;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxGetDevice(vgpu_CUdevice *d)
{
	if (!current)
		return VGPU_CUDA_ERROR_INVALID_CONTEXT;
	*d = 0;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxSynchronize(void)
{
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuStreamSynchronize(vgpu_CUstream s)
{
	(void)s;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuMemGetInfo_v2(size_t *fr, size_t *tot)
{
	*fr = NULLDRV_MEM;
	*tot = NULLDRV_MEM;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuMemAlloc_v2(vgpu_CUdeviceptr *p, size_t n)
{
	if (!current)
		return VGPU_CUDA_ERROR_INVALID_CONTEXT;
	if (!n)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*p = __atomic_fetch_add(&next_ptr, (n + 0x1fffff) & ~(uint64_t)0x1fffff, __ATOMIC_RELAXED);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuMemFree_v2(vgpu_CUdeviceptr p)
{
	return p ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_VALUE;
}

vgpu_CUresult cuLaunchKernel(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
			     unsigned int by, unsigned int bz, unsigned int shmem, vgpu_CUstream s, void **params,
			     void **extra)
{
	(void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz, (void)shmem, (void)s, (void)params, (void)extra;
	return f ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_HANDLE;
}

vgpu_CUresult cuLaunchKernel_ptsz(vgpu_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
				  unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem, vgpu_CUstream s,
				  void **params, void **extra)
{
	return cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shmem, s, params, extra);
}

vgpu_CUresult cuEventCreate(void **e, unsigned int flags)
{
	(void)flags;
	*e = &event_obj;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuEventDestroy_v2(void *e)
{
	(void)e;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuEventRecord(void *e, vgpu_CUstream s)
{
	(void)e;
	(void)s;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuEventRecord_ptsz(void *e, vgpu_CUstream s)
{
	return cuEventRecord(e, s);
}

vgpu_CUresult cuEventQuery(void *e)
{
	(void)e;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuEventSynchronize(void *e)
{
	(void)e;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuEventElapsedTime(float *ms, void *a, void *b)
{
	(void)a;
	(void)b;
	*ms = 0.0f;
	return VGPU_CUDA_SUCCESS;
}
