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
 *
 * Memory pools keep what cuMemFreeAsync gives them (the GPU's memory stays
 * theirs) until a synchronisation releases what is above their release
 * threshold, or cuMemPoolTrimTo / destroying the pool: a free into a pool
 * moves its charge to the pool, and the pool's charge follows what the
 * driver says it holds (CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT - _USED_MEM_
 * CURRENT), settled after every pool operation and synchronisation. An
 * allocation from a pool first takes what the pool holds, so reuse is not
 * charged twice.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"

#include <stdint.h>
#include <string.h>

/* A reservation made before calling the driver. */
struct pending {
	const char *what;
	int gpu;
	uintptr_t ctx;
	uint64_t bytes;
	uint64_t pool;  /* stream-ordered: the pool it comes from (0: none) */
	uint64_t taken; /* of bytes, taken from what the pool held (not reserved anew) */
};

static void pool_give(uint64_t pool, int gpu, uint64_t bytes);
static void pool_settle(uint64_t pool);

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
	p->gpu = -1;
	p->ctx = 0;
	p->pool = 0;
	p->taken = 0;
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
	struct vgpu_track t = { .key = key, .bytes = p->bytes, .ctx = p->ctx, .kind = kind, .gpu = p->gpu,
				.aux = p->pool };
	struct vgpu_track stale;

	if (rc != VGPU_CUDA_SUCCESS) {
		vgpu_shim_uncharge(p->gpu, p->bytes - p->taken);
		if (p->taken)
			pool_give(p->pool, p->gpu, p->taken);
		return rc;
	}
	if (vgpu_track_take(kind, key, &stale) == 0) {
		/* freed behind our back (a path we do not see): forget it */
		vgpu_shim_uncharge(stale.gpu, stale.bytes);
	}
	if (vgpu_track_add(&t) != 0)
		SHIM_ERROR("%s: out of host memory to track %#llx: its %llu bytes stay charged", p->what,
			   (unsigned long long)key, (unsigned long long)p->bytes);
	if (p->pool)
		pool_settle(p->pool);
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

/* ---- what pools hold ------------------------------------------------------
 * The pools whose record holds a charge; settled at synchronisations. Track
 * lock held for all of these. */
#define HOLDING_MAX 64
static uint64_t holding[HOLDING_MAX];
static int nholding; /* read without the lock by the synchronisation hooks */

static void holding_add(uint64_t pool)
{
	for (int i = 0; i < nholding; i++)
		if (holding[i] == pool)
			return;
	if (nholding < HOLDING_MAX) {
		holding[nholding] = pool;
		__atomic_store_n(&nholding, nholding + 1, __ATOMIC_RELEASE);
	}
}

static void holding_del(uint64_t pool)
{
	for (int i = 0; i < nholding; i++)
		if (holding[i] == pool) {
			holding[i] = holding[nholding - 1];
			__atomic_store_n(&nholding, nholding - 1, __ATOMIC_RELEASE);
			return;
		}
}

/* Take up to need bytes of what pool holds off its record (an allocation
 * from it will reuse them); returns how many. */
static uint64_t pool_take(uint64_t pool, uint64_t need)
{
	struct vgpu_track t;
	uint64_t take = 0;

	vgpu_track_lock();
	if (pool && vgpu_track_get(VGPU_TRACK_POOL, pool, &t) == 0 && t.bytes) {
		take = t.bytes < need ? t.bytes : need;
		t.bytes -= take;
		vgpu_track_put(&t);
	}
	vgpu_track_unlock();
	return take;
}

/* Bytes charged on gpu go to what pool holds (or back to the slice when
 * the pool is gone). */
static void pool_give(uint64_t pool, int gpu, uint64_t bytes)
{
	struct vgpu_track t;

	vgpu_track_lock();
	if (vgpu_track_get(VGPU_TRACK_POOL, pool, &t) == 0 && t.gpu == gpu) {
		t.bytes += bytes;
		vgpu_track_put(&t);
		holding_add(pool);
	} else {
		vgpu_shim_uncharge(gpu, bytes);
	}
	vgpu_track_unlock();
}

#define POOL_RESERVED_MEM_CURRENT VGPU_CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT
#define POOL_USED_MEM_CURRENT VGPU_CU_MEMPOOL_ATTR_USED_MEM_CURRENT

/* Make pool's charge what the driver says it holds beyond its live
 * allocations: give back what it released; charge what it holds beyond
 * its charge, or, when the slice has no room for it, have the driver let it
 * go (cuMemPoolTrimTo). */
static void pool_settle(uint64_t pool)
{
	vgpu_CUmemoryPool h = (vgpu_CUmemoryPool)(uintptr_t)pool;
	uint64_t reserved = 0, used = 0, held;
	struct vgpu_track t;

	vgpu_track_lock();
	if (vgpu_track_get(VGPU_TRACK_POOL, pool, &t) != 0 || t.gpu < 0 ||
	    CU_REAL(cuMemPoolGetAttribute)(h, POOL_RESERVED_MEM_CURRENT, &reserved) != VGPU_CUDA_SUCCESS ||
	    CU_REAL(cuMemPoolGetAttribute)(h, POOL_USED_MEM_CURRENT, &used) != VGPU_CUDA_SUCCESS)
		goto out;
	held = vgpu_shim_round(reserved > used ? reserved - used : 0);
	if (held < t.bytes) {
		vgpu_shim_uncharge(t.gpu, t.bytes - held);
		t.bytes = held;
	} else if (held > t.bytes) {
		if (vgpu_shim_charge(t.gpu, held - t.bytes, "memory pool") == VGPU_CUDA_SUCCESS)
			t.bytes = held;
		else
			CU_REAL(cuMemPoolTrimTo)(h, (size_t)t.bytes);
	}
	vgpu_track_put(&t);
	if (t.bytes)
		holding_add(pool);
	else
		holding_del(pool);
out:
	vgpu_track_unlock();
}

void vgpu_shim_mem_atfork_child(void)
{
	__atomic_store_n(&nholding, 0, __ATOMIC_RELEASE); /* a child holds none of its parent's pools' memory */
}

/* After a synchronisation: pools may have released what they held. */
static void pools_settle(void)
{
	uint64_t list[HOLDING_MAX];
	int n;

	if (!__atomic_load_n(&nholding, __ATOMIC_ACQUIRE))
		return; /* the common case: one load */
	vgpu_track_lock();
	n = nholding;
	memcpy(list, holding, (size_t)n * sizeof(list[0]));
	for (int i = 0; i < n; i++)
		pool_settle(list[i]);
	vgpu_track_unlock();
}

static void remember_pool(vgpu_CUmemoryPool pool, int ordinal);

/* The pool a cuMemAllocAsync in the current context draws from (the
 * device's current pool), remembered; 0 when the driver cannot tell. */
static uint64_t current_pool(void)
{
	vgpu_CUmemoryPool pool = NULL;
	vgpu_CUdevice dev = -1;
	struct vgpu_track t;

	if (CU_REAL(cuCtxGetDevice)(&dev) != VGPU_CUDA_SUCCESS)
		return 0;
	if ((CU_REAL(cuDeviceGetMemPool)(&pool, dev) != VGPU_CUDA_SUCCESS || !pool) &&
	    (CU_REAL(cuDeviceGetDefaultMemPool)(&pool, dev) != VGPU_CUDA_SUCCESS || !pool))
		return 0;
	if (vgpu_track_get(VGPU_TRACK_POOL, (uint64_t)(uintptr_t)pool, &t) != 0)
		remember_pool(pool, dev);
	return (uint64_t)(uintptr_t)pool;
}

/* Reserve an allocation from pool (begin(), less what the pool holds). */
static vgpu_CUresult begin_pool(struct pending *p, const char *what, uint64_t bytes, int gpu, uint64_t pool)
{
	vgpu_CUresult rc;
	uint64_t need = vgpu_shim_round(bytes), taken = pool_take(pool, need);

	rc = begin(p, what, need - taken, gpu);
	p->bytes = need;
	p->pool = pool;
	p->taken = taken;
	if (rc != VGPU_CUDA_SUCCESS && taken)
		pool_give(pool, p->gpu, taken);
	return rc;
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
		rc = begin_pool(&p, #sym, bytesize, -2, current_pool());                                   \
		if (rc == VGPU_CUDA_SUCCESS)                                                               \
			rc = finish_ptr(&p, CU_REAL(sym)(dptr, bytesize, hStream), dptr);                  \
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
		rc = begin_pool(&p, #sym, bytesize, pool_gpu(pool), (uint64_t)(uintptr_t)pool);             \
		if (rc == VGPU_CUDA_SUCCESS)                                                                \
			rc = finish_ptr(&p, CU_REAL(sym)(dptr, bytesize, pool, s), dptr);                   \
out:                                                                                                        \
		vgpu_shim_leave();                                                                          \
		return rc;                                                                                  \
	}
ALLOC_POOL_HOOK(cuMemAllocFromPoolAsync)
ALLOC_POOL_HOOK(cuMemAllocFromPoolAsync_ptsz)
#undef ALLOC_POOL_HOOK

/* A pool's allocation goes back to its pool: its charge moves to the pool
 * (settled with what the driver says the pool holds). Any other: given
 * back. */
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
		rc = CU_REAL(sym)(dptr, hStream);                                  \
		if (f.found && rc == VGPU_CUDA_SUCCESS && f.t.aux) {               \
			pool_give(f.t.aux, f.t.gpu, f.t.bytes);                    \
			pool_settle(f.t.aux);                                      \
		} else {                                                           \
			rc = free_end(&f, rc);                                     \
		}                                                                  \
		vgpu_shim_leave();                                                 \
		return rc;                                                         \
	}
FREE_ASYNC_HOOK(cuMemFreeAsync)
FREE_ASYNC_HOOK(cuMemFreeAsync_ptsz)
#undef FREE_ASYNC_HOOK

VGPU_SHIM_HOOK(cuMemPoolTrimTo);
vgpu_CUresult cuMemPoolTrimTo(vgpu_CUmemoryPool pool, size_t minBytesToKeep)
{
	vgpu_CUresult rc = CU_REAL(cuMemPoolTrimTo)(pool, minBytesToKeep);

	if (rc == VGPU_CUDA_SUCCESS && vgpu_shim_enter())
		pool_settle((uint64_t)(uintptr_t)pool);
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuMemPoolSetAttribute);
vgpu_CUresult cuMemPoolSetAttribute(vgpu_CUmemoryPool pool, int attr, void *value)
{
	vgpu_CUresult rc = CU_REAL(cuMemPoolSetAttribute)(pool, attr, value);

	if (rc == VGPU_CUDA_SUCCESS && vgpu_shim_enter())
		pool_settle((uint64_t)(uintptr_t)pool);
	vgpu_shim_leave();
	return rc;
}

/* Synchronisations: where pools give memory above their threshold back. */
#define SYNC_HOOK(sym, params, args)              \
	VGPU_SHIM_HOOK(sym);                      \
	vgpu_CUresult sym params                  \
	{                                         \
		vgpu_CUresult rc = CU_REAL(sym) args; \
                                                  \
		if (vgpu_shim_enter())            \
			pools_settle();           \
		vgpu_shim_leave();                \
		return rc;                        \
	}
SYNC_HOOK(cuStreamSynchronize, (vgpu_CUstream s), (s))
SYNC_HOOK(cuStreamSynchronize_ptsz, (vgpu_CUstream s), (s))
SYNC_HOOK(cuCtxSynchronize, (void), ())
SYNC_HOOK(cuCtxSynchronize_v2, (vgpu_CUcontext c), (c))
SYNC_HOOK(cuEventSynchronize, (vgpu_shim_event_t e), (e))
#undef SYNC_HOOK

/* Pools: remember which step GPU each one allocates on. */
static void remember_pool(vgpu_CUmemoryPool pool, int ordinal)
{
	struct vgpu_track t = { .key = (uint64_t)(uintptr_t)pool, .kind = VGPU_TRACK_POOL };

	struct vgpu_track old;

	t.gpu = vgpu_shim_gpu_of_ordinal(ordinal);
	vgpu_track_lock();
	if (vgpu_track_get(VGPU_TRACK_POOL, t.key, &old) == 0)
		t.bytes = old.bytes; /* looked up again: keep what it holds */
	if (vgpu_track_put(&t) != 0)
		vgpu_track_add(&t);
	vgpu_track_unlock();
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
	struct vgpu_track t;

	vgpu_track_lock();
	if (rc == VGPU_CUDA_SUCCESS && vgpu_track_take(VGPU_TRACK_POOL, (uint64_t)(uintptr_t)pool, &t) == 0) {
		vgpu_shim_uncharge(t.gpu, t.bytes); /* what it held goes back to the GPU */
		holding_del((uint64_t)(uintptr_t)pool);
	}
	vgpu_track_unlock();
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

/* An array's device bytes (before rounding): width x height x depth
 * elements (a height or depth of 0 counts as 1; a layered array's depth is
 * its layers, a cubemap's its faces) summed over its mipmap levels (width,
 * height and a 3D depth halve at each level, never below 1). Rows are not
 * counted padded: the 2 MiB rounding of each array covers small padding.
 * 0 for sparse and deferred-mapping arrays (their tiles are VMM memory,
 * charged at cuMemCreate); UINT64_MAX on overflow. */
static uint64_t array_bytes(size_t w, size_t h, size_t d, vgpu_CUarray_format format, unsigned int ch,
			    unsigned int flags, unsigned int levels)
{
	int layered = (flags & (VGPU_CUDA_ARRAY3D_LAYERED | VGPU_CUDA_ARRAY3D_CUBEMAP)) != 0;
	uint64_t elem, total = 0;

	if (flags & (VGPU_CUDA_ARRAY3D_SPARSE | VGPU_CUDA_ARRAY3D_DEFERRED_MAPPING))
		return 0;
	switch (format) {
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
	elem *= ch ? ch : 1;
	for (unsigned int l = 0; l < (levels ? levels : 1) && l < 64; l++) {
		uint64_t lw = w >> l ? w >> l : 1, lh = h ? (h >> l ? h >> l : 1) : 1;
		uint64_t ld = d ? (layered ? d : (d >> l ? d >> l : 1)) : 1;

		if (lw > UINT64_MAX / elem / lh || lw * elem * lh > UINT64_MAX / ld ||
		    lw * elem * lh * ld > UINT64_MAX - total)
			return UINT64_MAX;
		total += lw * elem * lh * ld;
	}
	return total;
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
	rc = begin(&p, "cuArrayCreate",
		   array_bytes(pAllocateArray->Width, pAllocateArray->Height, 0, pAllocateArray->Format,
			       pAllocateArray->NumChannels, 0, 1),
		   -2);
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

/* An array or mipmapped array of bytes (unrounded; 0: no memory of its
 * own, passed through uncharged), made by call, recorded as kind. */
#define ARRAY_HOOK_BODY(what, kind, bytes, call, handle)                                        \
	do {                                                                                    \
		uint64_t b_ = (bytes);                                                          \
		struct pending p_;                                                              \
                                                                                                \
		if (!vgpu_shim_enter() || !(handle) || b_ == 0) {                              \
			rc = (call);                                                            \
			break;                                                                  \
		}                                                                               \
		rc = begin(&p_, what, b_, -2);                                                  \
		if (rc == VGPU_CUDA_SUCCESS) {                                                  \
			rc = (call);                                                            \
			rc = finish(&p_, rc, kind,                                              \
				    rc == VGPU_CUDA_SUCCESS ? (uint64_t)(uintptr_t) * (handle) : 0);   \
		}                                                                               \
	} while (0);                                                                            \
	vgpu_shim_leave()

VGPU_SHIM_HOOK(cuArrayCreate);
vgpu_CUresult cuArrayCreate(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY_DESCRIPTOR_v1 *d)
{
	vgpu_CUresult rc;

	ARRAY_HOOK_BODY("cuArrayCreate", VGPU_TRACK_ARRAY,
			d && d->Width ? array_bytes(d->Width, d->Height, 0, d->Format, d->NumChannels, 0, 1) : 0,
			CU_REAL(cuArrayCreate)(pHandle, d), pHandle);
	return rc;
}

VGPU_SHIM_HOOK(cuArray3DCreate_v2);
vgpu_CUresult cuArray3DCreate_v2(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR *d)
{
	vgpu_CUresult rc;

	ARRAY_HOOK_BODY("cuArray3DCreate",
			VGPU_TRACK_ARRAY,
			d && d->Width ? array_bytes(d->Width, d->Height, d->Depth, d->Format, d->NumChannels, d->Flags, 1)
				      : 0,
			CU_REAL(cuArray3DCreate_v2)(pHandle, d), pHandle);
	return rc;
}

VGPU_SHIM_HOOK(cuArray3DCreate);
vgpu_CUresult cuArray3DCreate(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1 *d)
{
	vgpu_CUresult rc;

	ARRAY_HOOK_BODY("cuArray3DCreate",
			VGPU_TRACK_ARRAY,
			d && d->Width ? array_bytes(d->Width, d->Height, d->Depth, d->Format, d->NumChannels, d->Flags, 1)
				      : 0,
			CU_REAL(cuArray3DCreate)(pHandle, d), pHandle);
	return rc;
}

VGPU_SHIM_HOOK(cuMipmappedArrayCreate);
vgpu_CUresult cuMipmappedArrayCreate(vgpu_shim_mipmap_t *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR *d,
				     unsigned int levels)
{
	vgpu_CUresult rc;

	ARRAY_HOOK_BODY("cuMipmappedArrayCreate", VGPU_TRACK_MIPMAP,
			d && d->Width && levels
				? array_bytes(d->Width, d->Height, d->Depth, d->Format, d->NumChannels, d->Flags, levels)
				: 0,
			CU_REAL(cuMipmappedArrayCreate)(pHandle, d, levels), pHandle);
	return rc;
}
#undef ARRAY_HOOK_BODY

VGPU_SHIM_HOOK(cuMipmappedArrayDestroy);
vgpu_CUresult cuMipmappedArrayDestroy(vgpu_shim_mipmap_t h)
{
	struct freeing f = { 0 };
	vgpu_CUresult rc;
	int outer = vgpu_shim_enter();

	if (outer && h)
		free_begin(&f, VGPU_TRACK_MIPMAP, (uint64_t)(uintptr_t)h);
	rc = free_end(&f, CU_REAL(cuMipmappedArrayDestroy)(h));
	vgpu_shim_leave();
	return rc;
}
