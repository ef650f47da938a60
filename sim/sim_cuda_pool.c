/*
 * sim_cuda_pool.c - the stream-ordered allocator of the simulated
 * libcuda.so.1: memory pools, cuMemAllocAsync, cuMemAllocFromPoolAsync,
 * cuMemFreeAsync.
 *
 * Streams complete at once here, so an asynchronous allocation is charged
 * when it is made and given back when it is freed; a pool keeps no memory
 * in reserve (a real pool may hold freed memory up to its release
 * threshold until the next synchronisation or cuMemPoolTrimTo).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <stdlib.h>

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
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuMemPoolTrimTo(vgpu_CUmemoryPool pool, size_t minBytesToKeep)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	(void)minBytesToKeep;
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return pool_check(pool) ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_VALUE;
}

static vgpu_CUresult alloc_from(vgpu_CUdeviceptr *dptr, size_t bytesize, struct sim_pool *p, vgpu_CUstream s)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_stream_ctx(s, &c);
	uintptr_t out;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!dptr)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (!p)
		p = &vgpu_simcu.dev[c->ordinal].default_pool;
	rc = vgpu_simcu_mem_make(c, p->ordinal, bytesize, vgpu_simcu_round(bytesize), SIMCU_DEVICE, p, &out);
	if (rc == VGPU_CUDA_SUCCESS)
		*dptr = (vgpu_CUdeviceptr)out;
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

vgpu_CUresult cuMemFreeAsync(vgpu_CUdeviceptr dptr, vgpu_CUstream hStream)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_stream_ctx(hStream, &c);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return vgpu_simcu_mem_unmake((uintptr_t)dptr, 1u << SIMCU_DEVICE, VGPU_CUDA_ERROR_INVALID_VALUE);
}

vgpu_CUresult cuMemFreeAsync_ptsz(vgpu_CUdeviceptr dptr, vgpu_CUstream hStream)
{
	return cuMemFreeAsync(dptr, hStream);
}
