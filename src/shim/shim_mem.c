/*
 * shim_mem.c - the device allocation hooks: cuMemAlloc, pitched, managed,
 * stream-ordered (default and explicit pools), arrays, and their frees.
 *
 * Every allocation: find the step GPU (the current context's device, or the
 * pool's), reserve its size rounded up to 2 MiB in the shared ledger, call
 * the real driver, then record the pointer (success) or give the
 * reservation back (failure). Over the slice -> CUDA_ERROR_OUT_OF_MEMORY
 * without calling the driver. Frees: take the record, call the driver, give
 * the bytes back on success (put the record back on failure). All of them
 * fail closed: a GPU that is not the step's, or a ledger that cannot be
 * used, allocates nothing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"

#include <stdint.h>

/* A reservation made before calling the driver. */
struct pending {
	const char *what;
	int gpu;
	uintptr_t ctx;
	uint64_t bytes;
};

/* The current context's step GPU and handle. */
static vgpu_CUresult current(int *gpu, uintptr_t *ctx)
{
	vgpu_CUcontext c = NULL;
	vgpu_CUdevice dev = -1;
	vgpu_CUresult rc = CU_REAL(cuCtxGetDevice)(&dev);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (CU_REAL(cuCtxGetCurrent)(&c) != VGPU_CUDA_SUCCESS)
		c = NULL;
	*gpu = vgpu_shim_gpu_of_ordinal(dev);
	*ctx = (uintptr_t)c;
	return VGPU_CUDA_SUCCESS;
}

/* Reserve bytes (rounded) on gpu, or on the current context's GPU when gpu
 * is -2. A zero size reserves nothing (the driver refuses it). */
static vgpu_CUresult begin(struct pending *p, const char *what, uint64_t bytes, int gpu)
{
	vgpu_CUresult rc;
	int cur = -1;

	p->what = what;
	p->ctx = 0;
	p->bytes = vgpu_shim_round(bytes);
	rc = current(&cur, &p->ctx);
	if (gpu == -2) {
		if (rc != VGPU_CUDA_SUCCESS)
			return rc;
		gpu = cur;
	}
	p->gpu = gpu;
	if (gpu < 0) {
		SHIM_WARN("%s: the device is not a GPU of this step", what);
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	}
	return vgpu_shim_charge(gpu, p->bytes, what);
}

/* After the driver call: record key (success) or undo the reservation. */
static vgpu_CUresult finish(const struct pending *p, vgpu_CUresult rc, int kind, uint64_t key)
{
	struct vgpu_track t = { .key = key, .bytes = p->bytes, .ctx = p->ctx, .kind = kind, .gpu = p->gpu };
	struct vgpu_track stale;

	if (rc != VGPU_CUDA_SUCCESS) {
		vgpu_shim_uncharge(p->gpu, p->bytes);
		return rc;
	}
	if (vgpu_track_take(kind, key, &stale) == 0) {
		/* freed behind our back (a path we do not see): forget it */
		vgpu_shim_uncharge(stale.gpu, stale.bytes);
	}
	if (vgpu_track_add(&t) != 0)
		SHIM_ERROR("%s: out of host memory to track %#llx: its %llu bytes stay charged", p->what,
			   (unsigned long long)key, (unsigned long long)p->bytes);
	return rc;
}

/* finish() for an allocation that wrote its address to *dptr: read it only
 * after the driver returned (argument evaluation order is unspecified). */
static vgpu_CUresult finish_ptr(const struct pending *p, vgpu_CUresult rc, const vgpu_CUdeviceptr *dptr)
{
	return finish(p, rc, VGPU_TRACK_DEVPTR, rc == VGPU_CUDA_SUCCESS ? *dptr : 0);
}

static vgpu_CUresult finish_ptr_v1(const struct pending *p, vgpu_CUresult rc, const vgpu_CUdeviceptr_v1 *dptr)
{
	return finish(p, rc, VGPU_TRACK_DEVPTR, rc == VGPU_CUDA_SUCCESS ? *dptr : 0);
}

static vgpu_CUresult finish_array(const struct pending *p, vgpu_CUresult rc, const vgpu_CUarray *h)
{
	return finish(p, rc, VGPU_TRACK_ARRAY, rc == VGPU_CUDA_SUCCESS ? (uint64_t)(uintptr_t)*h : 0);
}

/* Take the record of key before the driver frees it (so a concurrent
 * allocation that gets the same address cannot be confused with it), then
 * give its bytes back, or put it back when the driver refuses. */
struct freeing {
	int found;
	struct vgpu_track t;
};

static void free_begin(struct freeing *f, int kind, uint64_t key)
{
	f->found = vgpu_track_take(kind, key, &f->t) == 0;
}

static vgpu_CUresult free_end(const struct freeing *f, vgpu_CUresult rc)
{
	if (!f->found)
		return rc;
	if (rc == VGPU_CUDA_SUCCESS)
		vgpu_shim_uncharge(f->t.gpu, f->t.bytes);
	else
		vgpu_track_add(&f->t);
	return rc;
}

/* ---- cuMemAlloc ---------------------------------------------------------- */

VGPU_SHIM_HOOK(cuMemAlloc_v2);
vgpu_CUresult cuMemAlloc_v2(vgpu_CUdeviceptr *dptr, size_t bytesize)
{
	struct pending p;
	vgpu_CUresult rc;

	if (!vgpu_shim_enter() || !dptr || bytesize == 0) {
		rc = CU_REAL(cuMemAlloc_v2)(dptr, bytesize);
		goto out;
	}
	rc = begin(&p, "cuMemAlloc", bytesize, -2);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = finish_ptr(&p, CU_REAL(cuMemAlloc_v2)(dptr, bytesize), dptr);
out:
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuMemAlloc);
vgpu_CUresult cuMemAlloc(vgpu_CUdeviceptr_v1 *dptr, unsigned int bytesize)
{
	struct pending p;
	vgpu_CUresult rc;

	if (!vgpu_shim_enter() || !dptr || bytesize == 0) {
		rc = CU_REAL(cuMemAlloc)(dptr, bytesize);
		goto out;
	}
	rc = begin(&p, "cuMemAlloc", bytesize, -2);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = finish_ptr_v1(&p, CU_REAL(cuMemAlloc)(dptr, bytesize), dptr);
out:
	vgpu_shim_leave();
	return rc;
}

/* The pitch is known only afterwards: reserve width rounded up to 512 bytes
 * times height, then settle the difference with the real pitch. */
static vgpu_CUresult settle_pitch(struct pending *p, vgpu_CUdeviceptr dptr, uint64_t pitch, uint64_t height)
{
	uint64_t real = pitch && height > UINT64_MAX / pitch ? UINT64_MAX : vgpu_shim_round(pitch * height);

	if (real > p->bytes) {
		if (vgpu_shim_charge(p->gpu, real - p->bytes, p->what) != VGPU_CUDA_SUCCESS) {
			CU_REAL(cuMemFree_v2)(dptr);
			vgpu_shim_uncharge(p->gpu, p->bytes);
			return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
		}
	} else {
		vgpu_shim_uncharge(p->gpu, p->bytes - real);
	}
	p->bytes = real;
	return finish(p, VGPU_CUDA_SUCCESS, VGPU_TRACK_DEVPTR, dptr);
}

static uint64_t pitch_estimate(uint64_t width, uint64_t height)
{
	if (width > UINT64_MAX - 511)
		return UINT64_MAX;
	width = (width + 511) / 512 * 512;
	return height && width > UINT64_MAX / height ? UINT64_MAX : width * height;
}

VGPU_SHIM_HOOK(cuMemAllocPitch_v2);
vgpu_CUresult cuMemAllocPitch_v2(vgpu_CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height,
				 unsigned int ElementSizeBytes)
{
	struct pending p;
	vgpu_CUresult rc;

	if (!vgpu_shim_enter() || !dptr || !pPitch || !WidthInBytes || !Height) {
		rc = CU_REAL(cuMemAllocPitch_v2)(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
		goto out;
	}
	rc = begin(&p, "cuMemAllocPitch", pitch_estimate(WidthInBytes, Height), -2);
	if (rc != VGPU_CUDA_SUCCESS)
		goto out;
	rc = CU_REAL(cuMemAllocPitch_v2)(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
	rc = rc == VGPU_CUDA_SUCCESS ? settle_pitch(&p, *dptr, *pPitch, Height) : finish(&p, rc, 0, 0);
out:
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuMemAllocPitch);
vgpu_CUresult cuMemAllocPitch(vgpu_CUdeviceptr_v1 *dptr, unsigned int *pPitch, unsigned int WidthInBytes,
			      unsigned int Height, unsigned int ElementSizeBytes)
{
	struct pending p;
	vgpu_CUresult rc;

	if (!vgpu_shim_enter() || !dptr || !pPitch || !WidthInBytes || !Height) {
		rc = CU_REAL(cuMemAllocPitch)(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
		goto out;
	}
	rc = begin(&p, "cuMemAllocPitch", pitch_estimate(WidthInBytes, Height), -2);
	if (rc != VGPU_CUDA_SUCCESS)
		goto out;
	rc = CU_REAL(cuMemAllocPitch)(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
	rc = rc == VGPU_CUDA_SUCCESS ? settle_pitch(&p, *dptr, *pPitch, Height) : finish(&p, rc, 0, 0);
out:
	vgpu_shim_leave();
	return rc;
}

/* Managed memory can migrate entirely onto the GPU: it is charged in full. */
VGPU_SHIM_HOOK(cuMemAllocManaged);
vgpu_CUresult cuMemAllocManaged(vgpu_CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
	struct pending p;
	vgpu_CUresult rc;

	if (!vgpu_shim_enter() || !dptr || bytesize == 0) {
		rc = CU_REAL(cuMemAllocManaged)(dptr, bytesize, flags);
		goto out;
	}
	rc = begin(&p, "cuMemAllocManaged", bytesize, -2);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = finish_ptr(&p, CU_REAL(cuMemAllocManaged)(dptr, bytesize, flags), dptr);
out:
	vgpu_shim_leave();
	return rc;
}

/* cuMemFree frees cuMemAlloc*, pitched and managed memory alike. */
#define FREE_HOOK(sym, ptr_type)                                            \
	VGPU_SHIM_HOOK(sym);                                                \
	vgpu_CUresult sym(ptr_type dptr)                                    \
	{                                                                   \
		struct freeing f = { 0 };                                   \
		vgpu_CUresult rc;                                           \
		int outer = vgpu_shim_enter();                              \
                                                                            \
		if (outer && dptr)                                          \
			free_begin(&f, VGPU_TRACK_DEVPTR, dptr);            \
		rc = free_end(&f, CU_REAL(sym)(dptr));                      \
		vgpu_shim_leave();                                          \
		return rc;                                                  \
	}
FREE_HOOK(cuMemFree_v2, vgpu_CUdeviceptr)
FREE_HOOK(cuMemFree, vgpu_CUdeviceptr_v1)
#undef FREE_HOOK

/* ---- stream-ordered allocator -------------------------------------------- */

/* The step GPU of a pool: recorded when it was created or looked up, else
 * the current context's. Streams complete in order, so an asynchronous
 * allocation is charged when it is requested and given back when its free
 * is requested. */
static int pool_gpu(vgpu_CUmemoryPool pool)
{
	struct vgpu_track t;

	if (pool && vgpu_track_get(VGPU_TRACK_POOL, (uint64_t)(uintptr_t)pool, &t) == 0)
		return t.gpu;
	return -2;
}

#define ALLOC_ASYNC_HOOK(sym)                                                                              \
	VGPU_SHIM_HOOK(sym);                                                                               \
	vgpu_CUresult sym(vgpu_CUdeviceptr *dptr, size_t bytesize, vgpu_CUstream hStream)                 \
	{                                                                                                  \
		struct pending p;                                                                          \
		vgpu_CUresult rc;                                                                          \
                                                                                                           \
		if (!vgpu_shim_enter() || !dptr || bytesize == 0) {                                        \
			rc = CU_REAL(sym)(dptr, bytesize, hStream);                                        \
			goto out;                                                                          \
		}                                                                                          \
		rc = begin(&p, #sym, bytesize, -2);                                                        \
		if (rc == VGPU_CUDA_SUCCESS)                                                               \
			rc = finish_ptr(&p, CU_REAL(sym)(dptr, bytesize, hStream), dptr); \
out:                                                                                                       \
		vgpu_shim_leave();                                                                         \
		return rc;                                                                                 \
	}
ALLOC_ASYNC_HOOK(cuMemAllocAsync)
ALLOC_ASYNC_HOOK(cuMemAllocAsync_ptsz)
#undef ALLOC_ASYNC_HOOK

#define ALLOC_POOL_HOOK(sym)                                                                                \
	VGPU_SHIM_HOOK(sym);                                                                                \
	vgpu_CUresult sym(vgpu_CUdeviceptr *dptr, size_t bytesize, vgpu_CUmemoryPool pool, vgpu_CUstream s) \
	{                                                                                                   \
		struct pending p;                                                                           \
		vgpu_CUresult rc;                                                                           \
                                                                                                            \
		if (!vgpu_shim_enter() || !dptr || bytesize == 0) {                                         \
			rc = CU_REAL(sym)(dptr, bytesize, pool, s);                                         \
			goto out;                                                                           \
		}                                                                                           \
		rc = begin(&p, #sym, bytesize, pool_gpu(pool));                                             \
		if (rc == VGPU_CUDA_SUCCESS)                                                                \
			rc = finish_ptr(&p, CU_REAL(sym)(dptr, bytesize, pool, s), dptr); \
out:                                                                                                        \
		vgpu_shim_leave();                                                                          \
		return rc;                                                                                  \
	}
ALLOC_POOL_HOOK(cuMemAllocFromPoolAsync)
ALLOC_POOL_HOOK(cuMemAllocFromPoolAsync_ptsz)
#undef ALLOC_POOL_HOOK

#define FREE_ASYNC_HOOK(sym)                                                       \
	VGPU_SHIM_HOOK(sym);                                                       \
	vgpu_CUresult sym(vgpu_CUdeviceptr dptr, vgpu_CUstream hStream)            \
	{                                                                          \
		struct freeing f = { 0 };                                          \
		vgpu_CUresult rc;                                                  \
		int outer = vgpu_shim_enter();                                     \
                                                                                   \
		if (outer && dptr)                                                 \
			free_begin(&f, VGPU_TRACK_DEVPTR, dptr);                   \
		rc = free_end(&f, CU_REAL(sym)(dptr, hStream));                    \
		vgpu_shim_leave();                                                 \
		return rc;                                                         \
	}
FREE_ASYNC_HOOK(cuMemFreeAsync)
FREE_ASYNC_HOOK(cuMemFreeAsync_ptsz)
#undef FREE_ASYNC_HOOK

/* Pools: remember which step GPU each one allocates on. */
static void remember_pool(vgpu_CUmemoryPool pool, int ordinal)
{
	struct vgpu_track t = { .key = (uint64_t)(uintptr_t)pool, .kind = VGPU_TRACK_POOL };

	t.gpu = vgpu_shim_gpu_of_ordinal(ordinal);
	if (vgpu_track_put(&t) != 0)
		vgpu_track_add(&t);
}

VGPU_SHIM_HOOK(cuMemPoolCreate);
vgpu_CUresult cuMemPoolCreate(vgpu_CUmemoryPool *pool, const vgpu_CUmemPoolProps *poolProps)
{
	vgpu_CUresult rc = CU_REAL(cuMemPoolCreate)(pool, poolProps);

	if (rc == VGPU_CUDA_SUCCESS && poolProps && poolProps->location.type == VGPU_CU_MEM_LOCATION_TYPE_DEVICE)
		remember_pool(*pool, poolProps->location.id);
	return rc;
}

VGPU_SHIM_HOOK(cuMemPoolDestroy);
vgpu_CUresult cuMemPoolDestroy(vgpu_CUmemoryPool pool)
{
	vgpu_CUresult rc = CU_REAL(cuMemPoolDestroy)(pool);

	if (rc == VGPU_CUDA_SUCCESS)
		vgpu_track_take(VGPU_TRACK_POOL, (uint64_t)(uintptr_t)pool, NULL);
	return rc;
}

VGPU_SHIM_HOOK(cuDeviceGetDefaultMemPool);
vgpu_CUresult cuDeviceGetDefaultMemPool(vgpu_CUmemoryPool *pool_out, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = CU_REAL(cuDeviceGetDefaultMemPool)(pool_out, dev);

	if (rc == VGPU_CUDA_SUCCESS)
		remember_pool(*pool_out, dev);
	return rc;
}

/* ---- arrays -------------------------------------------------------------- */

static uint64_t array_bytes(const vgpu_CUDA_ARRAY_DESCRIPTOR *d)
{
	uint64_t elem, h = d->Height ? d->Height : 1;

	switch (d->Format) {
	case VGPU_CU_AD_FORMAT_UNSIGNED_INT8:
	case VGPU_CU_AD_FORMAT_SIGNED_INT8:
		elem = 1;
		break;
	case VGPU_CU_AD_FORMAT_UNSIGNED_INT16:
	case VGPU_CU_AD_FORMAT_SIGNED_INT16:
	case VGPU_CU_AD_FORMAT_HALF:
		elem = 2;
		break;
	default: /* 32-bit formats, and any format we do not know: 4 bytes */
		elem = 4;
		break;
	}
	elem *= d->NumChannels ? d->NumChannels : 1;
	if (d->Width > UINT64_MAX / elem / h)
		return UINT64_MAX;
	return d->Width * h * elem;
}

VGPU_SHIM_HOOK(cuArrayCreate_v2);
vgpu_CUresult cuArrayCreate_v2(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY_DESCRIPTOR *pAllocateArray)
{
	struct pending p;
	vgpu_CUresult rc;

	if (!vgpu_shim_enter() || !pHandle || !pAllocateArray || !pAllocateArray->Width) {
		rc = CU_REAL(cuArrayCreate_v2)(pHandle, pAllocateArray);
		goto out;
	}
	rc = begin(&p, "cuArrayCreate", array_bytes(pAllocateArray), -2);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = finish_array(&p, CU_REAL(cuArrayCreate_v2)(pHandle, pAllocateArray), pHandle);
out:
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuArrayDestroy);
vgpu_CUresult cuArrayDestroy(vgpu_CUarray hArray)
{
	struct freeing f = { 0 };
	vgpu_CUresult rc;
	int outer = vgpu_shim_enter();

	if (outer && hArray)
		free_begin(&f, VGPU_TRACK_ARRAY, (uint64_t)(uintptr_t)hArray);
	rc = free_end(&f, CU_REAL(cuArrayDestroy)(hArray));
	vgpu_shim_leave();
	return rc;
}
