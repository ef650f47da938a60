/*
 * sim_cuda_ctx.c - contexts (created and primary), the per-thread context
 * stack, streams and kernel launches of the simulated libcuda.so.1.
 *
 * A context costs its GPU context_bytes of device memory from creation (or
 * the first retain of a primary context) until destruction (or the last
 * release / a reset), charged to the process like an allocation.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <stdlib.h>
#include <string.h>

#define STACK_MAX 64
#define STREAM_MAGIC 0x4d525453u /* "STRM" */

static __thread struct sim_ctx *stack[STACK_MAX];
static __thread int depth;

/* Streams are never freed (a destroyed one keeps magic 0), so a stale
 * handle is an error, not a use after free. */
struct sim_stream {
	uint32_t magic;
	struct sim_ctx *ctx;
	struct simcu_queue queue;
	struct sim_stream *next;
};

static struct sim_stream *streams;

struct sim_ctx *vgpu_simcu_ctx_check(vgpu_CUcontext h)
{
	struct sim_ctx *c;

	if (!h)
		return NULL;
	pthread_mutex_lock(&vgpu_simcu.lock);
	for (c = vgpu_simcu.contexts; c && c != (struct sim_ctx *)(void *)h; c = c->next)
		;
	for (int i = 0; !c && i < vgpu_simcu.ndev; i++)
		if ((void *)&vgpu_simcu.dev[i].primary == (void *)h)
			c = &vgpu_simcu.dev[i].primary;
	if (c && (c->magic != SIMCU_CTX_MAGIC || (c->primary && !c->active)))
		c = NULL;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return c;
}

vgpu_CUresult vgpu_simcu_current(struct sim_ctx **out)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (depth == 0 || !vgpu_simcu_ctx_check((vgpu_CUcontext)(void *)stack[depth - 1]))
		return VGPU_CUDA_ERROR_INVALID_CONTEXT;
	*out = stack[depth - 1];
	return VGPU_CUDA_SUCCESS;
}

/* Drop ctx from the calling thread's stack (other threads find it dead). */
static void unstack(struct sim_ctx *ctx)
{
	int j = 0;

	for (int i = 0; i < depth; i++)
		if (stack[i] != ctx)
			stack[j++] = stack[i];
	depth = j;
}

static vgpu_CUresult create(vgpu_CUcontext *pctx, unsigned int flags, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_ctx *c;
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pctx)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	if (depth >= STACK_MAX)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	pthread_mutex_lock(&vgpu_simcu.lock);
	rc = vgpu_simcu_charge(d, vgpu_simcu_gpu(d)->context_bytes, 1);
	if (rc == VGPU_CUDA_SUCCESS) {
		c->magic = SIMCU_CTX_MAGIC;
		c->ordinal = dev;
		c->active = 1;
		c->refcount = 1;
		c->flags = flags;
		c->next = vgpu_simcu.contexts;
		vgpu_simcu.contexts = c;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	if (rc != VGPU_CUDA_SUCCESS) {
		free(c);
		return rc;
	}
	stack[depth++] = c;
	*pctx = (vgpu_CUcontext)(void *)c;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxCreate(vgpu_CUcontext *pctx, unsigned int flags, vgpu_CUdevice dev)
{
	return create(pctx, flags, dev);
}

vgpu_CUresult cuCtxCreate_v2(vgpu_CUcontext *pctx, unsigned int flags, vgpu_CUdevice dev)
{
	return create(pctx, flags, dev);
}

/* Execution affinity (an SM count) is accepted and not enforced. */
vgpu_CUresult cuCtxCreate_v3(vgpu_CUcontext *pctx, vgpu_CUexecAffinityParam *paramsArray, int numParams,
			     unsigned int flags, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (numParams < 0 || (numParams > 0 && !paramsArray))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	for (int i = 0; i < numParams; i++)
		if (paramsArray[i].type != VGPU_CU_EXEC_AFFINITY_TYPE_SM_COUNT)
			return VGPU_CUDA_ERROR_INVALID_VALUE;
	return create(pctx, flags, dev);
}

/* Shared-data ("CIG") contexts are for graphics interop: not supported. */
vgpu_CUresult cuCtxCreate_v4(vgpu_CUcontext *pctx, vgpu_CUctxCreateParams *ctxCreateParams, unsigned int flags,
			     vgpu_CUdevice dev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (ctxCreateParams && ctxCreateParams->cigParams)
		return VGPU_CUDA_ERROR_NOT_SUPPORTED;
	if (ctxCreateParams)
		return cuCtxCreate_v3(pctx, ctxCreateParams->execAffinityParams,
				      ctxCreateParams->numExecAffinityParams, flags, dev);
	return create(pctx, flags, dev);
}

vgpu_CUresult cuCtxDestroy_v2(vgpu_CUcontext ctx)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_ctx *c;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	c = vgpu_simcu_ctx_check(ctx);
	if (!c || c->primary)
		return VGPU_CUDA_ERROR_INVALID_CONTEXT;
	pthread_mutex_lock(&vgpu_simcu.lock);
	vgpu_simcu_modules_drop_ctx(c);
	vgpu_simcu_mem_drop_ctx(c);
	vgpu_simcu_limits_drop(c);
	vgpu_simcu_uncharge(vgpu_simcu_dev(c->ordinal), vgpu_simcu_gpu(vgpu_simcu_dev(c->ordinal))->context_bytes, 1);
	c->magic = 0;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	unstack(c);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxDestroy(vgpu_CUcontext ctx)
{
	return cuCtxDestroy_v2(ctx);
}

vgpu_CUresult cuCtxPushCurrent_v2(vgpu_CUcontext ctx)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_ctx *c;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	c = vgpu_simcu_ctx_check(ctx);
	if (!c)
		return VGPU_CUDA_ERROR_INVALID_CONTEXT;
	if (depth >= STACK_MAX)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	stack[depth++] = c;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxPushCurrent(vgpu_CUcontext ctx)
{
	return cuCtxPushCurrent_v2(ctx);
}

vgpu_CUresult cuCtxPopCurrent_v2(vgpu_CUcontext *pctx)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (depth == 0)
		return VGPU_CUDA_ERROR_INVALID_CONTEXT;
	depth--;
	if (pctx)
		*pctx = (vgpu_CUcontext)(void *)stack[depth];
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxPopCurrent(vgpu_CUcontext *pctx)
{
	return cuCtxPopCurrent_v2(pctx);
}

vgpu_CUresult cuCtxSetCurrent(vgpu_CUcontext ctx)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_ctx *c;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!ctx) { /* NULL pops the top, or does nothing on an empty stack */
		if (depth > 0)
			depth--;
		return VGPU_CUDA_SUCCESS;
	}
	c = vgpu_simcu_ctx_check(ctx);
	if (!c)
		return VGPU_CUDA_ERROR_INVALID_CONTEXT;
	if (depth == 0)
		depth = 1;
	stack[depth - 1] = c;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxGetCurrent(vgpu_CUcontext *pctx)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pctx)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*pctx = depth > 0 ? (vgpu_CUcontext)(void *)stack[depth - 1] : NULL;
	return VGPU_CUDA_SUCCESS;
}

/* ctx, or the current context when ctx is NULL. */
static vgpu_CUresult ctx_or_current(vgpu_CUcontext ctx, struct sim_ctx **out)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!ctx)
		return vgpu_simcu_current(out);
	*out = vgpu_simcu_ctx_check(ctx);
	return *out ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_CONTEXT;
}

vgpu_CUresult cuCtxGetDevice_v2(vgpu_CUdevice *device, vgpu_CUcontext ctx)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = ctx_or_current(ctx, &c);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!device)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	*device = c->ordinal;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuCtxGetDevice(vgpu_CUdevice *device)
{
	return cuCtxGetDevice_v2(device, NULL);
}

vgpu_CUresult cuCtxSynchronize_v2(vgpu_CUcontext ctx)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = ctx_or_current(ctx, &c);

	if (rc == VGPU_CUDA_SUCCESS) {
		vgpu_simcu_wait_until(__atomic_load_n(&c->last_end, __ATOMIC_ACQUIRE));
		vgpu_simcu_pools_sync();
	}
	return rc;
}

vgpu_CUresult cuCtxSynchronize(void)
{
	return cuCtxSynchronize_v2(NULL);
}

/* ---- primary contexts --------------------------------------------------- */

vgpu_CUresult cuDevicePrimaryCtxRetain(vgpu_CUcontext *pctx, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pctx)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (!d->primary.active) {
		rc = vgpu_simcu_charge(d, vgpu_simcu_gpu(d)->context_bytes, 1);
		d->primary.active = rc == VGPU_CUDA_SUCCESS;
	}
	if (rc == VGPU_CUDA_SUCCESS) {
		d->primary.refcount++;
		*pctx = (vgpu_CUcontext)(void *)&d->primary;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

/* Deactivate: free its memory and its context cost. Lock held. */
static void primary_drop(struct sim_dev *d)
{
	if (!d->primary.active)
		return;
	vgpu_simcu_modules_drop_ctx(&d->primary);
	vgpu_simcu_mem_drop_ctx(&d->primary);
	vgpu_simcu_limits_drop(&d->primary);
	vgpu_simcu_uncharge(d, vgpu_simcu_gpu(d)->context_bytes, 1);
	d->primary.active = 0;
	d->primary.refcount = 0;
}

vgpu_CUresult cuDevicePrimaryCtxRelease_v2(vgpu_CUdevice dev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (d->primary.refcount == 0)
		rc = VGPU_CUDA_ERROR_INVALID_CONTEXT;
	else if (--d->primary.refcount == 0)
		primary_drop(d);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuDevicePrimaryCtxRelease(vgpu_CUdevice dev)
{
	return cuDevicePrimaryCtxRelease_v2(dev);
}

vgpu_CUresult cuDevicePrimaryCtxReset_v2(vgpu_CUdevice dev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	primary_drop(d);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDevicePrimaryCtxReset(vgpu_CUdevice dev)
{
	return cuDevicePrimaryCtxReset_v2(dev);
}

vgpu_CUresult cuDevicePrimaryCtxGetState(vgpu_CUdevice dev, unsigned int *flags, int *active)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	if (!flags || !active)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	*flags = d->primary.flags;
	*active = d->primary.active;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

static vgpu_CUresult set_flags(vgpu_CUdevice dev, unsigned int flags, int refuse_active)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	if (flags & ~0x1fu) /* scheduling (0x7), MAP_HOST 0x8, LMEM_RESIZE_TO_MAX 0x10 */
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (refuse_active && d->primary.active)
		rc = VGPU_CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE;
	else
		d->primary.flags = flags;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuDevicePrimaryCtxSetFlags(vgpu_CUdevice dev, unsigned int flags)
{
	return set_flags(dev, flags, 1);
}

vgpu_CUresult cuDevicePrimaryCtxSetFlags_v2(vgpu_CUdevice dev, unsigned int flags)
{
	return set_flags(dev, flags, 0);
}

/* ---- streams and launches ------------------------------------------------ */

vgpu_CUresult vgpu_simcu_stream_ctx(vgpu_CUstream s, struct sim_ctx **out)
{
	struct sim_stream *st = (struct sim_stream *)(void *)s, *q;
	vgpu_CUresult rc = vgpu_simcu_current(out);

	if (s == NULL || s == VGPU_CU_STREAM_LEGACY || s == VGPU_CU_STREAM_PER_THREAD || rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	for (q = streams; q && q != st; q = q->next)
		;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	if (!q || st->magic != STREAM_MAGIC || !vgpu_simcu_ctx_check((vgpu_CUcontext)(void *)st->ctx))
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	*out = st->ctx;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuStreamCreate(vgpu_CUstream *phStream, unsigned int Flags)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	struct sim_stream *st;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!phStream || (Flags & ~(unsigned int)VGPU_CU_STREAM_NON_BLOCKING))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	st = calloc(1, sizeof(*st));
	if (!st)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	st->magic = STREAM_MAGIC;
	st->ctx = c;
	pthread_mutex_lock(&vgpu_simcu.lock);
	st->next = streams;
	streams = st;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	*phStream = (vgpu_CUstream)(void *)st;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuStreamDestroy_v2(vgpu_CUstream hStream)
{
	struct sim_stream *st = (struct sim_stream *)(void *)hStream;
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!hStream || hStream == VGPU_CU_STREAM_LEGACY || hStream == VGPU_CU_STREAM_PER_THREAD)
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	rc = vgpu_simcu_stream_ctx(hStream, &c);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	st->magic = 0;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuStreamDestroy(vgpu_CUstream hStream)
{
	return cuStreamDestroy_v2(hStream);
}

vgpu_CUresult cuStreamSynchronize(vgpu_CUstream hStream)
{
	struct sim_ctx *c = NULL;
	struct simcu_queue *q = NULL;
	vgpu_CUresult rc = vgpu_simcu_stream_queue(hStream, &c, &q);

	if (rc == VGPU_CUDA_SUCCESS) {
		vgpu_simcu_wait_until(__atomic_load_n(&q->last, __ATOMIC_ACQUIRE));
		vgpu_simcu_pools_sync();
	}
	return rc;
}

vgpu_CUresult vgpu_simcu_stream_queue(vgpu_CUstream s, struct sim_ctx **ctx, struct simcu_queue **q)
{
	vgpu_CUresult rc = vgpu_simcu_stream_ctx(s, ctx);
	struct simcu_queue *n = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (s != NULL && s != VGPU_CU_STREAM_LEGACY && s != VGPU_CU_STREAM_PER_THREAD) {
		*q = &((struct sim_stream *)(void *)s)->queue;
		return rc;
	}
	*q = __atomic_load_n(&(*ctx)->queue, __ATOMIC_ACQUIRE);
	if (*q)
		return rc;
	n = calloc(1, sizeof(*n));
	if (!n)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (!(*ctx)->queue) {
		__atomic_store_n(&(*ctx)->queue, n, __ATOMIC_RELEASE);
		n = NULL;
	}
	*q = (*ctx)->queue;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	free(n);
	return rc;
}

vgpu_CUresult cuStreamSynchronize_ptsz(vgpu_CUstream hStream)
{
	return cuStreamSynchronize(hStream);
}

/* A launch of a valid function handle with a valid shape on a valid stream
 * queues its blocks' SM time (sim_cuda_exec.c). */
vgpu_CUresult cuLaunchKernel(vgpu_CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
			     unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
			     unsigned int blockDimZ, unsigned int sharedMemBytes, vgpu_CUstream hStream,
			     void **kernelParams, void **extra)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_stream_ctx(hStream, &c);
	unsigned long long threads = (unsigned long long)blockDimX * blockDimY * blockDimZ;

	(void)sharedMemBytes;
	(void)kernelParams;
	(void)extra;
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!f)
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	rc = vgpu_simcu_func_resolve(f, c); /* a function of c's modules, or a CUkernel */
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!gridDimX || !gridDimY || !gridDimZ || !blockDimX || !blockDimY || !blockDimZ || threads > 1024 ||
	    blockDimZ > 64 || gridDimY > 65535 || gridDimZ > 65535 || gridDimX > 2147483647u)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	return vgpu_simcu_enqueue(hStream, (uint64_t)gridDimX * gridDimY * gridDimZ);
}

vgpu_CUresult cuLaunchKernel_ptsz(vgpu_CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
				  unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
				  unsigned int blockDimZ, unsigned int sharedMemBytes, vgpu_CUstream hStream,
				  void **kernelParams, void **extra)
{
	return cuLaunchKernel(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes,
			      hStream, kernelParams, extra);
}

/* ---- limits (cuCtxSetLimit) -----------------------------------------------
 * The stack (per thread, reserved for every thread the GPU can hold at once:
 * SMs x threads per SM), the printf FIFO and the device malloc heap are
 * device memory. A context's cost (context_bytes) includes them at their
 * defaults; a larger value charges the difference, rounded up to 2 MiB per
 * limit, and fails with CUDA_ERROR_OUT_OF_MEMORY when the GPU has no room
 * (the limit stays as it was). A smaller value gives it back. The other
 * limits are stored and reported, not charged (the device runtime's pending
 * launch buffer takes memory on a real GPU too: not modelled). */

static const size_t limit_default[SIMCU_NLIMITS] = {
	1024,       /* stack, bytes per thread */
	1u << 20,   /* printf FIFO */
	8u << 20,   /* malloc heap */
	2,          /* device runtime sync depth */
	2048,       /* device runtime pending launches */
	64,         /* max L2 fetch granularity */
	0,          /* persisting L2 cache size */
	0, 0, 1,    /* CIG shared memory, CIG enabled, CIG fallback */
};

static size_t limit_value(const struct sim_ctx *c, int limit)
{
	return (c->limit_set & (1u << limit)) ? c->limit[limit] : limit_default[limit];
}

/* Device bytes value of a memory limit takes beyond its default, rounded;
 * UINT64_MAX when it cannot be held at all. per: bytes of memory per unit
 * of the value (the stack: every resident thread). */
static uint64_t limit_extra(int limit, size_t value, uint64_t per)
{
	uint64_t extra, r;

	if (value <= limit_default[limit])
		return 0;
	extra = value - limit_default[limit];
	if (per && extra > UINT64_MAX / per)
		return UINT64_MAX;
	r = vgpu_simcu_round(extra * per);
	return r ? r : UINT64_MAX;
}

void vgpu_simcu_limits_drop(struct sim_ctx *c)
{
	uint64_t held = 0;

	for (int i = 0; i < SIMCU_NMEMLIMITS; i++)
		held += c->limit_charged[i];
	if (held)
		vgpu_simcu_uncharge(vgpu_simcu_dev(c->ordinal), held, 0);
	memset(c->limit, 0, sizeof(c->limit));
	memset(c->limit_charged, 0, sizeof(c->limit_charged));
	c->limit_set = 0;
}

vgpu_CUresult cuCtxSetLimit(int limit, size_t value)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	const struct vgpu_sim_gpu *g;
	uint64_t want, have, per = 1;
	int sms = 0, threads = 0;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (limit < 0 || limit >= SIMCU_NLIMITS)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	g = vgpu_simcu_gpu(vgpu_simcu_dev(c->ordinal));
	if (limit == SIMCU_LIMIT_STACK) {
		if (cuDeviceGetAttribute(&sms, VGPU_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, c->ordinal) != 0 ||
		    cuDeviceGetAttribute(&threads, VGPU_CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR,
					 c->ordinal) != 0)
			return VGPU_CUDA_ERROR_INVALID_CONTEXT;
		per = (uint64_t)sms * (uint64_t)threads;
	}
	if (limit == 7 || limit == 8 || (limit == 3 && g->cc_major >= 9))
		return VGPU_CUDA_ERROR_UNSUPPORTED_LIMIT; /* query only; sync depth: cc < 9.0 only */
	if (limit == 5 && value > 128)
		value = 128; /* a hint, clamped */
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (limit < SIMCU_NMEMLIMITS) {
		want = limit_extra(limit, value, per);
		have = c->limit_charged[limit];
		if (want == UINT64_MAX)
			rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
		else if (want > have)
			rc = vgpu_simcu_charge(vgpu_simcu_dev(c->ordinal), want - have, 0);
		else if (want < have)
			vgpu_simcu_uncharge(vgpu_simcu_dev(c->ordinal), have - want, 0);
		if (rc == VGPU_CUDA_SUCCESS)
			c->limit_charged[limit] = want;
	}
	if (rc == VGPU_CUDA_SUCCESS) {
		c->limit[limit] = value;
		c->limit_set |= 1u << limit;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuCtxGetLimit(size_t *pvalue, int limit)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pvalue || limit < 0 || limit >= SIMCU_NLIMITS)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	*pvalue = limit_value(c, limit);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}
