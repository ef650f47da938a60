/*
 * shim_ctx.c - contexts and virtual memory management.
 *
 * Contexts: a CUDA context costs device memory outside any allocation
 * (hundreds of MiB on a real GPU). Each one a process creates, and each
 * primary context it activates, is charged the step description's ctx=
 * bytes for its GPU, reserved before the driver creates it and given back
 * when it is destroyed (primary: released for the last time, or reset).
 * Whether a primary context is active is asked of the driver
 * (cuDevicePrimaryCtxGetState), so retain/release counting stays the
 * driver's. A destroyed context takes its allocations with it, in the
 * driver and in the ledger.
 *
 * VMM: cuMemCreate is charged in full when made. The physical memory lives
 * until it is released AND unmapped everywhere (cuMemRelease may come right
 * after cuMemMap), so the charge is given back at whichever comes last.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"

#include <stdlib.h>
#include <string.h>
#endif

#include "shim.h"

/* Primary contexts this process has charged, by CUDA ordinal. Guarded by
 * the track lock. */
static struct {
	int charged;
	int gpu;
	uint64_t bytes;
	uintptr_t ctx;
} prim[VGPU_SHIM_MAX_ORDINALS];

void vgpu_shim_ctx_atfork_child(void)
{
	for (int i = 0; i < VGPU_SHIM_MAX_ORDINALS; i++)
		prim[i].charged = 0;
}

/* Reserve a context's cost on the step GPU of ordinal dev. */
static vgpu_CUresult ctx_begin(vgpu_CUdevice dev, const char *what, int *gpu, uint64_t *bytes)
{
	*gpu = vgpu_shim_gpu_of_ordinal(dev);
	*bytes = 0;
	if (*gpu < 0) {
		SHIM_WARN("%s: device %d is not a GPU of this step", what, dev);
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	}
	*bytes = vgpu_shim_round(vgpu_shim.desc.gpus[*gpu].ctx_bytes);
	return vgpu_shim_charge(*gpu, *bytes, what);
}

static vgpu_CUresult ctx_end(vgpu_CUresult rc, vgpu_CUcontext *pctx, int gpu, uint64_t bytes)
{
	struct vgpu_track t = { .bytes = bytes, .kind = VGPU_TRACK_CTX, .gpu = gpu };

	if (rc != VGPU_CUDA_SUCCESS) {
		vgpu_shim_uncharge(gpu, bytes);
		return rc;
	}
	t.key = (uint64_t)(uintptr_t)*pctx;
	if (vgpu_track_add(&t) != 0)
		SHIM_ERROR("cuCtxCreate: cannot track context %p: its %llu bytes stay charged", (void *)*pctx,
			   (unsigned long long)bytes);
	return rc;
}

/* (pctx, ..., dev) with dev last: the four cuCtxCreate versions. */
#define CTX_CREATE_HOOK(sym, params, args)                                              \
	VGPU_SHIM_HOOK(sym);                                                            \
	vgpu_CUresult sym params                                                        \
	{                                                                               \
		vgpu_CUresult rc;                                                       \
		uint64_t bytes;                                                         \
		int gpu;                                                                \
                                                                                        \
		if (!vgpu_shim_enter() || !pctx) {                                      \
			rc = CU_REAL(sym) args;                                         \
			goto out;                                                       \
		}                                                                       \
		rc = ctx_begin(dev, "cuCtxCreate", &gpu, &bytes);                       \
		if (rc == VGPU_CUDA_SUCCESS)                                            \
			rc = ctx_end(CU_REAL(sym) args, pctx, gpu, bytes);              \
out:                                                                                    \
		vgpu_shim_leave();                                                      \
		return rc;                                                              \
	}
CTX_CREATE_HOOK(cuCtxCreate, (vgpu_CUcontext * pctx, unsigned int flags, vgpu_CUdevice dev), (pctx, flags, dev))
CTX_CREATE_HOOK(cuCtxCreate_v2, (vgpu_CUcontext * pctx, unsigned int flags, vgpu_CUdevice dev), (pctx, flags, dev))
CTX_CREATE_HOOK(cuCtxCreate_v3,
		(vgpu_CUcontext * pctx, vgpu_CUexecAffinityParam *paramsArray, int numParams, unsigned int flags,
		 vgpu_CUdevice dev),
		(pctx, paramsArray, numParams, flags, dev))
CTX_CREATE_HOOK(cuCtxCreate_v4,
		(vgpu_CUcontext * pctx, vgpu_CUctxCreateParams *ctxCreateParams, unsigned int flags,
		 vgpu_CUdevice dev),
		(pctx, ctxCreateParams, flags, dev))
#undef CTX_CREATE_HOOK

#define CTX_DESTROY_HOOK(sym)                                                             \
	VGPU_SHIM_HOOK(sym);                                                              \
	vgpu_CUresult sym(vgpu_CUcontext ctx)                                             \
	{                                                                                 \
		struct vgpu_track t;                                                      \
		vgpu_CUresult rc;                                                         \
		int found = 0;                                                            \
                                                                                          \
		if (!vgpu_shim_enter() || !ctx) {                                         \
			rc = CU_REAL(sym)(ctx);                                           \
			goto out;                                                         \
		}                                                                         \
		found = vgpu_track_take(VGPU_TRACK_CTX, (uint64_t)(uintptr_t)ctx, &t) == 0; \
		rc = CU_REAL(sym)(ctx);                                                   \
		if (rc == VGPU_CUDA_SUCCESS) {                                            \
			vgpu_track_drop_ctx((uintptr_t)ctx);                              \
			if (found)                                                        \
				vgpu_shim_uncharge(t.gpu, t.bytes);                       \
		} else if (found) {                                                       \
			vgpu_track_add(&t);                                               \
		}                                                                         \
out:                                                                                      \
		vgpu_shim_leave();                                                        \
		return rc;                                                                \
	}
CTX_DESTROY_HOOK(cuCtxDestroy)
CTX_DESTROY_HOOK(cuCtxDestroy_v2)
#undef CTX_DESTROY_HOOK

/* ---- primary contexts ------------------------------------------------------ */

static int primary_active(vgpu_CUdevice dev)
{
	unsigned int flags = 0;
	int active = 0;

	if (CU_REAL(cuDevicePrimaryCtxGetState)(dev, &flags, &active) != VGPU_CUDA_SUCCESS)
		return -1;
	return active != 0;
}

VGPU_SHIM_HOOK(cuDevicePrimaryCtxRetain);
vgpu_CUresult cuDevicePrimaryCtxRetain(vgpu_CUcontext *pctx, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = VGPU_CUDA_SUCCESS;
	uint64_t bytes = 0;
	int gpu = -1, charge;

	if (!vgpu_shim_enter() || !pctx || dev < 0 || dev >= VGPU_SHIM_MAX_ORDINALS) {
		rc = CU_REAL(cuDevicePrimaryCtxRetain)(pctx, dev);
		goto out;
	}
	vgpu_track_lock();
	charge = !prim[dev].charged && primary_active(dev) == 0;
	if (charge)
		rc = ctx_begin(dev, "cuDevicePrimaryCtxRetain", &gpu, &bytes);
	charge = charge && rc == VGPU_CUDA_SUCCESS; /* reserved: now settle it */
	if (rc == VGPU_CUDA_SUCCESS)
		rc = CU_REAL(cuDevicePrimaryCtxRetain)(pctx, dev);
	if (charge && rc == VGPU_CUDA_SUCCESS) {
		prim[dev].charged = 1;
		prim[dev].gpu = gpu;
		prim[dev].bytes = bytes;
		prim[dev].ctx = (uintptr_t)*pctx;
	} else if (charge) {
		vgpu_shim_uncharge(gpu, bytes);
	}
	vgpu_track_unlock();
out:
	vgpu_shim_leave();
	return rc;
}

/* After a release or reset: if the driver destroyed the primary context,
 * its cost and its allocations go back to the slice. Track lock held. */
static void primary_settle(vgpu_CUdevice dev)
{
	if (!prim[dev].charged || primary_active(dev) != 0)
		return;
	vgpu_track_drop_ctx(prim[dev].ctx);
	vgpu_shim_uncharge(prim[dev].gpu, prim[dev].bytes);
	prim[dev].charged = 0;
}

#define PRIMARY_DROP_HOOK(sym)                                                  \
	VGPU_SHIM_HOOK(sym);                                                    \
	vgpu_CUresult sym(vgpu_CUdevice dev)                                    \
	{                                                                       \
		vgpu_CUresult rc;                                               \
                                                                                \
		if (!vgpu_shim_enter() || dev < 0 || dev >= VGPU_SHIM_MAX_ORDINALS) { \
			rc = CU_REAL(sym)(dev);                                 \
			goto out;                                               \
		}                                                               \
		vgpu_track_lock();                                              \
		rc = CU_REAL(sym)(dev);                                         \
		if (rc == VGPU_CUDA_SUCCESS)                                    \
			primary_settle(dev);                                    \
		vgpu_track_unlock();                                            \
out:                                                                            \
		vgpu_shim_leave();                                              \
		return rc;                                                      \
	}
PRIMARY_DROP_HOOK(cuDevicePrimaryCtxRelease)
PRIMARY_DROP_HOOK(cuDevicePrimaryCtxRelease_v2)
PRIMARY_DROP_HOOK(cuDevicePrimaryCtxReset)
PRIMARY_DROP_HOOK(cuDevicePrimaryCtxReset_v2)
#undef PRIMARY_DROP_HOOK

/* ---- virtual memory management ------------------------------------------- */

VGPU_SHIM_HOOK(cuMemCreate);
vgpu_CUresult cuMemCreate(vgpu_CUmemGenericAllocationHandle *handle, size_t size,
			  const vgpu_CUmemAllocationProp *prop, unsigned long long flags)
{
	struct vgpu_track t = { .kind = VGPU_TRACK_VMM };
	vgpu_CUresult rc;

	if (!vgpu_shim_enter() || !handle || !prop || !size || prop->location.type != VGPU_CU_MEM_LOCATION_TYPE_DEVICE) {
		rc = CU_REAL(cuMemCreate)(handle, size, prop, flags); /* host memory is not the slice's */
		goto out;
	}
	t.gpu = vgpu_shim_gpu_of_ordinal(prop->location.id);
	t.bytes = vgpu_shim_round(size);
	if (t.gpu < 0) {
		SHIM_WARN("cuMemCreate: device %d is not a GPU of this step", prop->location.id);
		rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	rc = vgpu_shim_charge(t.gpu, t.bytes, "cuMemCreate");
	if (rc != VGPU_CUDA_SUCCESS)
		goto out;
	rc = CU_REAL(cuMemCreate)(handle, size, prop, flags);
	if (rc != VGPU_CUDA_SUCCESS) {
		vgpu_shim_uncharge(t.gpu, t.bytes);
		goto out;
	}
	t.key = *handle;
	if (vgpu_track_add(&t) != 0)
		SHIM_ERROR("cuMemCreate: cannot track handle %#llx: its %llu bytes stay charged", (unsigned long long)t.key,
			   (unsigned long long)t.bytes);
out:
	vgpu_shim_leave();
	return rc;
}

/* Give a handle's memory back once it is released and unmapped. Track lock
 * held. */
static void vmm_settle(struct vgpu_track *h)
{
	if (h->released && h->aux == 0) {
		vgpu_track_take(VGPU_TRACK_VMM, h->key, NULL);
		vgpu_shim_uncharge(h->gpu, h->bytes);
	} else {
		vgpu_track_put(h);
	}
}

VGPU_SHIM_HOOK(cuMemRelease);
vgpu_CUresult cuMemRelease(vgpu_CUmemGenericAllocationHandle handle)
{
	struct vgpu_track h;
	vgpu_CUresult rc;

	if (!vgpu_shim_enter()) {
		rc = CU_REAL(cuMemRelease)(handle);
		goto out;
	}
	vgpu_track_lock();
	rc = CU_REAL(cuMemRelease)(handle);
	if (rc == VGPU_CUDA_SUCCESS && vgpu_track_get(VGPU_TRACK_VMM, handle, &h) == 0 && !h.released) {
		h.released = 1;
		vmm_settle(&h);
	}
	vgpu_track_unlock();
out:
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuMemMap);
vgpu_CUresult cuMemMap(vgpu_CUdeviceptr ptr, size_t size, size_t offset, vgpu_CUmemGenericAllocationHandle handle,
		       unsigned long long flags)
{
	struct vgpu_track h, m = { .key = ptr, .bytes = size, .aux = handle, .kind = VGPU_TRACK_MAP, .gpu = -1 };
	vgpu_CUresult rc;

	if (!vgpu_shim_enter()) {
		rc = CU_REAL(cuMemMap)(ptr, size, offset, handle, flags);
		goto out;
	}
	vgpu_track_lock();
	rc = CU_REAL(cuMemMap)(ptr, size, offset, handle, flags);
	if (rc == VGPU_CUDA_SUCCESS && vgpu_track_get(VGPU_TRACK_VMM, handle, &h) == 0) {
		if (vgpu_track_add(&m) == 0) {
			h.aux++;
			vgpu_track_put(&h);
		}
	}
	vgpu_track_unlock();
out:
	vgpu_shim_leave();
	return rc;
}

/* cuMemUnmap may cover several mappings laid end to end: take every one of
 * them (no cap), give them back if the real unmap fails. */
VGPU_SHIM_HOOK(cuMemUnmap);
vgpu_CUresult cuMemUnmap(vgpu_CUdeviceptr ptr, size_t size)
{
	struct vgpu_track local[64], *maps = local, *grown, h;
	uint64_t end = size > UINT64_MAX - ptr ? UINT64_MAX : ptr + size;
	size_t n = 0, cap = sizeof(local) / sizeof(local[0]);
	vgpu_CUresult rc;

	if (!vgpu_shim_enter()) {
		rc = CU_REAL(cuMemUnmap)(ptr, size);
		goto out;
	}
	vgpu_track_lock();
	for (uint64_t p = ptr; p < end;) {
		if (n == cap) {
			grown = malloc(2 * cap * sizeof(*maps));
			if (!grown)
				break; /* the rest stays charged until the process ends */
			memcpy(grown, maps, n * sizeof(*maps));
			if (maps != local)
				free(maps);
			maps = grown;
			cap *= 2;
		}
		if (vgpu_track_take(VGPU_TRACK_MAP, p, &maps[n]) != 0)
			break;
		p += maps[n].bytes ? maps[n].bytes : size;
		n++;
	}
	rc = CU_REAL(cuMemUnmap)(ptr, size);
	for (size_t i = 0; i < n; i++) {
		if (rc != VGPU_CUDA_SUCCESS) {
			vgpu_track_add(&maps[i]);
		} else if (vgpu_track_get(VGPU_TRACK_VMM, maps[i].aux, &h) == 0) {
			h.aux = h.aux ? h.aux - 1 : 0;
			vmm_settle(&h);
		}
	}
	vgpu_track_unlock();
	if (maps != local)
		free(maps);
out:
	vgpu_shim_leave();
	return rc;
}

/* ---- context limits ---------------------------------------------------------
 * The stack (bytes per thread, reserved for every thread the GPU can hold at
 * once), the printf FIFO and the device malloc heap are device memory the
 * driver takes when the limit is set. ctx= covers them at their defaults;
 * a larger value is charged the difference (the stack: times SMs x threads
 * per SM), rounded to 2 MiB per limit, before the driver is asked, and a
 * smaller one gives it back after. The base is the value the driver reports
 * at the first set of that limit in that context. The charge dies with the
 * context (the record is bound to it). */

static uint64_t limit_bytes(int limit, size_t value, size_t base, vgpu_CUdevice dev)
{
	uint64_t per = 1, extra;
	int sms = 0, threads = 0;

	if (value <= base)
		return 0;
	if (limit == VGPU_SHIM_LIMIT_STACK) {
		if (CU_REAL(cuDeviceGetAttribute)(&sms, VGPU_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev) !=
			    VGPU_CUDA_SUCCESS ||
		    CU_REAL(cuDeviceGetAttribute)(&threads, VGPU_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR,
						  dev) != VGPU_CUDA_SUCCESS ||
		    sms <= 0 || threads <= 0)
			return UINT64_MAX;
		per = (uint64_t)sms * (uint64_t)threads;
	}
	extra = value - base;
	if (extra > UINT64_MAX / per)
		return UINT64_MAX;
	return vgpu_shim_round(extra * per);
}

VGPU_SHIM_HOOK(cuCtxSetLimit);
vgpu_CUresult cuCtxSetLimit(int limit, size_t value)
{
	struct vgpu_track t = { .kind = VGPU_TRACK_LIMIT };
	vgpu_CUcontext ctx = NULL;
	vgpu_CUdevice dev = -1;
	vgpu_CUresult rc;
	uint64_t want, have;
	int found, gpu;

	if (!vgpu_shim_enter() || limit < VGPU_SHIM_LIMIT_STACK || limit > VGPU_SHIM_LIMIT_MALLOC_HEAP ||
	    CU_REAL(cuCtxGetCurrent)(&ctx) != VGPU_CUDA_SUCCESS || !ctx ||
	    CU_REAL(cuCtxGetDevice)(&dev) != VGPU_CUDA_SUCCESS) {
		rc = CU_REAL(cuCtxSetLimit)(limit, value);
		goto out;
	}
	gpu = vgpu_shim_gpu_of_ordinal(dev);
	if (gpu < 0) { /* no context of ours can be there: the driver decides */
		rc = CU_REAL(cuCtxSetLimit)(limit, value);
		goto out;
	}
	vgpu_track_lock();
	t.key = (uint64_t)(uintptr_t)ctx << 2 | (uint64_t)limit;
	found = vgpu_track_get(VGPU_TRACK_LIMIT, t.key, &t) == 0;
	if (!found) {
		size_t base = 0;

		if (CU_REAL(cuCtxGetLimit)(&base, limit) != VGPU_CUDA_SUCCESS) {
			vgpu_track_unlock();
			rc = CU_REAL(cuCtxSetLimit)(limit, value);
			goto out;
		}
		t.aux = base;
		t.bytes = 0;
		t.ctx = (uintptr_t)ctx;
		t.gpu = gpu;
	}
	have = t.bytes;
	want = limit_bytes(limit, value, (size_t)t.aux, dev);
	rc = VGPU_CUDA_SUCCESS;
	if (want == UINT64_MAX) {
		SHIM_INFO("cuCtxSetLimit: limit %d = %zu takes more device memory than can be counted", limit, value);
		rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	} else if (want > have) {
		rc = vgpu_shim_charge(gpu, want - have, "cuCtxSetLimit");
	}
	if (rc == VGPU_CUDA_SUCCESS) {
		rc = CU_REAL(cuCtxSetLimit)(limit, value);
		if (rc != VGPU_CUDA_SUCCESS && want > have)
			vgpu_shim_uncharge(gpu, want - have); /* the driver kept the old value */
		else if (rc == VGPU_CUDA_SUCCESS && want < have)
			vgpu_shim_uncharge(gpu, have - want);
	}
	if (rc == VGPU_CUDA_SUCCESS) {
		t.bytes = want;
		if (found && vgpu_track_put(&t) != 0)
			SHIM_ERROR("cuCtxSetLimit: lost the record of limit %d", limit);
		else if (!found && vgpu_track_add(&t) != 0)
			SHIM_ERROR("cuCtxSetLimit: cannot track limit %d: its %llu bytes stay charged", limit,
				   (unsigned long long)want);
	}
	vgpu_track_unlock();
out:
	vgpu_shim_leave();
	return rc;
}
