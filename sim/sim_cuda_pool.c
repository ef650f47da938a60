/*
 * sim_cuda_pool.c - the stream-ordered allocator of the simulated
 * libcuda.so.1: memory pools, cuMemAllocAsync, cuMemAllocFromPoolAsync,
 * cuMemFreeAsync.
 *
 * Streams complete at once here, so an asynchronous allocation is charged
 * when it is made. Freeing it (cuMemFreeAsync) returns it to its pool, as
 * on a real GPU: the pool keeps holding that device memory (it stays
 * charged) and reuses it for its next allocations; it gives the GPU back
 * what it holds above its release threshold (CU_MEMPOOL_ATTR_RELEASE_
 * THRESHOLD, default 0) at the next synchronisation (cuStreamSynchronize,
 * cuCtxSynchronize, cuEventSynchronize), and down to minBytesToKeep at
 * cuMemPoolTrimTo; everything when destroyed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* A pool handle made by this library and not destroyed, or NULL. */
static struct sim_pool *pool_check(vgpu_CUmemoryPool h)
{
	struct sim_pool *p = NULL;

	if (!h)
		return NULL;
	pthread_mutex_lock(&vgpu_simcu.lock);
	for (int i = 0; i < vgpu_simcu.ndev && !p; i++)
		if ((void *)&vgpu_simcu.dev[i].default_pool == (void *)h)
			p = &vgpu_simcu.dev[i].default_pool;
	for (struct sim_pool *q = vgpu_simcu.pools; q && !p; q = q->next)
		if ((void *)q == (void *)h)
			p = q;
	if (p && (p->magic != SIMCU_POOL_MAGIC || p->destroyed))
		p = NULL;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return p;
}

/* Let pool p hold at most bytes of freed memory; the rest goes back to the
 * GPU. Lock held. */
static void keep(struct sim_pool *p, uint64_t bytes)
{
	uint64_t k = bytes / SIMCU_GRANULE * SIMCU_GRANULE; /* it holds whole granules */

	if (p->retained <= k)
		return;
	vgpu_simcu_uncharge(vgpu_simcu_dev(p->ordinal), p->retained - k, 0);
	p->retained = k;
}

static void sync_pool(struct sim_pool *p)
{
	if (p->magic == SIMCU_POOL_MAGIC && !p->destroyed)
		keep(p, p->threshold);
}

void vgpu_simcu_pools_sync(void)
{
	pthread_mutex_lock(&vgpu_simcu.lock);
	for (int i = 0; i < vgpu_simcu.ndev; i++)
		sync_pool(&vgpu_simcu.dev[i].default_pool);
	for (struct sim_pool *q = vgpu_simcu.pools; q; q = q->next)
		sync_pool(q);
	pthread_mutex_unlock(&vgpu_simcu.lock);
}

vgpu_CUresult cuMemPoolCreate(vgpu_CUmemoryPool *pool, const vgpu_CUmemPoolProps *poolProps)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_pool *p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pool || !poolProps || poolProps->allocType != VGPU_CU_MEM_ALLOCATION_TYPE_PINNED ||
	    poolProps->location.type != VGPU_CU_MEM_LOCATION_TYPE_DEVICE ||
	    (poolProps->handleTypes & ~(VGPU_CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR | VGPU_CU_MEM_HANDLE_TYPE_FABRIC)))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (!vgpu_simcu_dev(poolProps->location.id))
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	p = calloc(1, sizeof(*p));
	if (!p)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	p->magic = SIMCU_POOL_MAGIC;
	p->ordinal = poolProps->location.id;
	p->reuse[0] = p->reuse[1] = p->reuse[2] = 1;
	pthread_mutex_lock(&vgpu_simcu.lock);
	p->next = vgpu_simcu.pools;
	vgpu_simcu.pools = p;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	*pool = (vgpu_CUmemoryPool)(void *)p;
	return VGPU_CUDA_SUCCESS;
}

/* Allocations still out keep their memory until freed, as on a real GPU;
 * the handle becomes invalid at once. */
vgpu_CUresult cuMemPoolDestroy(vgpu_CUmemoryPool pool)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_pool *p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	p = pool_check(pool);
	if (!p || p->is_default)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	p->destroyed = 1;
	keep(p, 0);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuMemPoolTrimTo(vgpu_CUmemoryPool pool, size_t minBytesToKeep)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	struct sim_pool *p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	p = pool_check(pool);
	if (!p)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	keep(p, vgpu_simcu_round(minBytesToKeep));
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

#define ATTR_REUSE_FIRST VGPU_CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES /* .. _INTERNAL_DEPENDENCIES: int */
#define ATTR_RELEASE_THRESHOLD VGPU_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD
#define ATTR_RESERVED_MEM_CURRENT VGPU_CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT
#define ATTR_RESERVED_MEM_HIGH VGPU_CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH
#define ATTR_USED_MEM_CURRENT VGPU_CU_MEMPOOL_ATTR_USED_MEM_CURRENT
#define ATTR_USED_MEM_HIGH VGPU_CU_MEMPOOL_ATTR_USED_MEM_HIGH

vgpu_CUresult cuMemPoolSetAttribute(vgpu_CUmemoryPool pool, int attr, void *value)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_pool *p;
	uint64_t v = 0;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	p = pool_check(pool);
	if (!p || !value)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (attr >= ATTR_RELEASE_THRESHOLD)
		memcpy(&v, value, sizeof(v));
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (attr >= ATTR_REUSE_FIRST && attr < ATTR_RELEASE_THRESHOLD)
		memcpy(&p->reuse[attr - ATTR_REUSE_FIRST], value, sizeof(int));
	else if (attr == ATTR_RELEASE_THRESHOLD)
		p->threshold = v;
	else if (attr == ATTR_RESERVED_MEM_HIGH && v == 0)
		p->reserved_high = p->used + p->retained; /* only a reset is allowed */
	else if (attr == ATTR_USED_MEM_HIGH && v == 0)
		p->used_high = p->used;
	else
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemPoolGetAttribute(vgpu_CUmemoryPool pool, int attr, void *value)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_pool *p;
	uint64_t v = 0;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	p = pool_check(pool);
	if (!p || !value || attr < ATTR_REUSE_FIRST || attr > ATTR_USED_MEM_HIGH)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (attr < ATTR_RELEASE_THRESHOLD)
		memcpy(value, &p->reuse[attr - ATTR_REUSE_FIRST], sizeof(int));
	else {
		v = attr == ATTR_RELEASE_THRESHOLD ? p->threshold :
		    attr == ATTR_RESERVED_MEM_CURRENT ? p->used + p->retained :
		    attr == ATTR_RESERVED_MEM_HIGH ? p->reserved_high :
		    attr == ATTR_USED_MEM_CURRENT ? p->used : p->used_high;
		memcpy(value, &v, sizeof(v));
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

static vgpu_CUresult alloc_from(vgpu_CUdeviceptr *dptr, size_t bytesize, struct sim_pool *p, vgpu_CUstream s)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_stream_ctx(s, &c);
	uint64_t charge, reuse;
	uintptr_t out;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!dptr)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (!p) {
		pthread_mutex_lock(&vgpu_simcu.lock);
		p = vgpu_simcu.dev[c->ordinal].mem_pool;
		if (!p || p->destroyed)
			p = &vgpu_simcu.dev[c->ordinal].default_pool;
		pthread_mutex_unlock(&vgpu_simcu.lock);
	}
	charge = vgpu_simcu_round(bytesize);
	/* What the pool holds is reused first: charge only the rest. */
	pthread_mutex_lock(&vgpu_simcu.lock);
	reuse = p->retained < charge ? p->retained : charge;
	p->retained -= reuse;
	if (reuse)
		vgpu_simcu_uncharge(vgpu_simcu_dev(p->ordinal), reuse, 0);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	rc = vgpu_simcu_mem_make(c, p->ordinal, bytesize, charge, SIMCU_DEVICE, p, &out);
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (rc == VGPU_CUDA_SUCCESS) {
		*dptr = (vgpu_CUdeviceptr)out;
		p->used += charge;
		if (p->used > p->used_high)
			p->used_high = p->used;
		if (p->used + p->retained > p->reserved_high)
			p->reserved_high = p->used + p->retained;
	} else if (reuse && vgpu_simcu_charge(vgpu_simcu_dev(p->ordinal), reuse, 0) == VGPU_CUDA_SUCCESS) {
		p->retained += reuse; /* failed: the pool holds it again */
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemAllocAsync(vgpu_CUdeviceptr *dptr, size_t bytesize, vgpu_CUstream hStream)
{
	return alloc_from(dptr, bytesize, NULL, hStream);
}

vgpu_CUresult cuMemAllocAsync_ptsz(vgpu_CUdeviceptr *dptr, size_t bytesize, vgpu_CUstream hStream)
{
	return alloc_from(dptr, bytesize, NULL, hStream);
}

vgpu_CUresult cuMemAllocFromPoolAsync(vgpu_CUdeviceptr *dptr, size_t bytesize, vgpu_CUmemoryPool pool,
				      vgpu_CUstream hStream)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_pool *p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	p = pool_check(pool);
	if (!p)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	return alloc_from(dptr, bytesize, p, hStream);
}

vgpu_CUresult cuMemAllocFromPoolAsync_ptsz(vgpu_CUdeviceptr *dptr, size_t bytesize, vgpu_CUmemoryPool pool,
					   vgpu_CUstream hStream)
{
	return cuMemAllocFromPoolAsync(dptr, bytesize, pool, hStream);
}

/* A pool's allocation goes back to its pool, which keeps holding the
 * memory; any other device allocation is freed. */
vgpu_CUresult cuMemFreeAsync(vgpu_CUdeviceptr dptr, vgpu_CUstream hStream)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_stream_ctx(hStream, &c);
	struct simcu_alloc *a;
	struct sim_pool *p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	a = vgpu_simcu_table_find((uintptr_t)dptr, 0);
	if (!a || a->base != (uintptr_t)dptr || a->kind != SIMCU_DEVICE || !a->owner) {
		pthread_mutex_unlock(&vgpu_simcu.lock);
		return vgpu_simcu_mem_unmake((uintptr_t)dptr, 1u << SIMCU_DEVICE, VGPU_CUDA_ERROR_INVALID_VALUE);
	}
	p = a->owner;
	if (a->maplen)
		munmap((void *)a->base, a->maplen);
	p->used -= a->charged < p->used ? a->charged : p->used;
	if (p->destroyed) /* a destroyed pool keeps nothing */
		vgpu_simcu_uncharge(vgpu_simcu_dev(a->ordinal), a->charged, 0);
	else
		p->retained += a->charged;
	vgpu_simcu_table_del(a);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuMemFreeAsync_ptsz(vgpu_CUdeviceptr dptr, vgpu_CUstream hStream)
{
	return cuMemFreeAsync(dptr, hStream);
}

/* The pool cuMemAllocAsync draws from on a device. */
vgpu_CUresult cuDeviceGetMemPool(vgpu_CUmemoryPool *pool, vgpu_CUdevice dev)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	if (!pool)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	*pool = (vgpu_CUmemoryPool)(void *)(d->mem_pool && !d->mem_pool->destroyed ? d->mem_pool : &d->default_pool);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuDeviceSetMemPool(vgpu_CUdevice dev, vgpu_CUmemoryPool pool)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_dev *d;
	struct sim_pool *p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	d = vgpu_simcu_dev(dev);
	if (!d)
		return VGPU_CUDA_ERROR_INVALID_DEVICE;
	p = pool_check(pool);
	if (!p || p->ordinal != dev)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	d->mem_pool = p;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}
