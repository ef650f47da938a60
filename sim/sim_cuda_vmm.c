/*
 * sim_cuda_vmm.c - virtual memory management of the simulated
 * libcuda.so.1 (cuMemCreate / cuMemMap / cuMemSetAccess, as PyTorch's
 * expandable segments and NCCL use them).
 *
 * A physical allocation is a memfd of its size, charged to its GPU from
 * cuMemCreate until it is both released and unmapped everywhere (the real
 * driver keeps mapped memory alive after cuMemRelease). A reservation is a
 * PROT_NONE mapping; cuMemMap maps the memfd over part of it (still
 * inaccessible) and cuMemSetAccess makes it readable/writable, so data
 * written through one mapping is seen through every other.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HANDLE_MAGIC 0x4d4d5648u /* "HVMM" */

struct vmm_handle {
	uint32_t magic;
	int ordinal;
	size_t size;
	int fd;
	int released;
	unsigned int maps;
	struct vmm_handle *next;
};

struct vmm_va {
	uintptr_t base;
	size_t size;
	struct vmm_va *next;
};

static struct vmm_handle *handles;
static struct vmm_va *reservations;

/* A live (created, not released) handle; lock held. */
static struct vmm_handle *handle_check(vgpu_CUmemGenericAllocationHandle h)
{
	for (struct vmm_handle *v = handles; v; v = v->next)
		if ((vgpu_CUmemGenericAllocationHandle)(uintptr_t)v == h && v->magic == HANDLE_MAGIC && !v->released)
			return v;
	return NULL;
}

/* Free a handle that is released and unmapped; lock held. */
static void handle_gc(struct vmm_handle *v)
{
	struct vmm_handle **pp;

	if (!v->released || v->maps > 0)
		return;
	for (pp = &handles; *pp && *pp != v; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = v->next;
	vgpu_simcu_uncharge(vgpu_simcu_dev(v->ordinal), v->size, 0);
	close(v->fd);
	v->magic = 0;
	free(v);
}

/* A device allocation property: pinned, on a valid device. */
static vgpu_CUresult check_prop(const vgpu_CUmemAllocationProp *prop)
{
	if (!prop || prop->type != VGPU_CU_MEM_ALLOCATION_TYPE_PINNED ||
	    prop->location.type != VGPU_CU_MEM_LOCATION_TYPE_DEVICE)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	return vgpu_simcu_dev(prop->location.id) ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_DEVICE;
}

vgpu_CUresult cuMemGetAllocationGranularity(size_t *granularity, const vgpu_CUmemAllocationProp *prop,
					    vgpu_CUmemAllocationGranularity_flags option)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!granularity || (option != VGPU_CU_MEM_ALLOC_GRANULARITY_MINIMUM &&
			     option != VGPU_CU_MEM_ALLOC_GRANULARITY_RECOMMENDED))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = check_prop(prop);
	if (rc == VGPU_CUDA_SUCCESS)
		*granularity = SIMCU_GRANULE;
	return rc;
}

vgpu_CUresult cuMemCreate(vgpu_CUmemGenericAllocationHandle *handle, size_t size,
			  const vgpu_CUmemAllocationProp *prop, unsigned long long flags)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct vmm_handle *v;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!handle || flags || !size || size % SIMCU_GRANULE)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = check_prop(prop);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	v = calloc(1, sizeof(*v));
	if (!v)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	v->fd = memfd_create("vgpu-sim-vmm", MFD_CLOEXEC);
	if (v->fd < 0 || ftruncate(v->fd, (off_t)size) != 0) {
		if (v->fd >= 0)
			close(v->fd);
		free(v);
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	}
	v->magic = HANDLE_MAGIC;
	v->ordinal = prop->location.id;
	v->size = size;
	pthread_mutex_lock(&vgpu_simcu.lock);
	rc = vgpu_simcu_charge(vgpu_simcu_dev(v->ordinal), size, 0);
	if (rc == VGPU_CUDA_SUCCESS) {
		v->next = handles;
		handles = v;
		*handle = (vgpu_CUmemGenericAllocationHandle)(uintptr_t)v;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	if (rc != VGPU_CUDA_SUCCESS) {
		close(v->fd);
		free(v);
	}
	return rc;
}

vgpu_CUresult cuMemRelease(vgpu_CUmemGenericAllocationHandle handle)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct vmm_handle *v;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	v = handle_check(handle);
	if (v) {
		v->released = 1;
		handle_gc(v);
	} else {
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemAddressReserve(vgpu_CUdeviceptr *ptr, size_t size, size_t alignment, vgpu_CUdeviceptr addr,
				  unsigned long long flags)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	size_t align = alignment > SIMCU_GRANULE ? alignment : SIMCU_GRANULE;
	uintptr_t base, start;
	struct vmm_va *va;
	void *p;

	(void)addr; /* a hint only */
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!ptr || !size || size % SIMCU_GRANULE || flags || (alignment & (alignment - 1)) ||
	    size > SIZE_MAX - align)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	va = calloc(1, sizeof(*va));
	if (!va)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	p = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		free(va);
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	}
	base = (uintptr_t)p;
	start = (base + align - 1) / align * align;
	if (start > base)
		munmap(p, start - base);
	if (base + size + align > start + size)
		munmap((void *)(start + size), base + size + align - (start + size));
	va->base = start;
	va->size = size;
	pthread_mutex_lock(&vgpu_simcu.lock);
	va->next = reservations;
	reservations = va;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	*ptr = (vgpu_CUdeviceptr)start;
	return VGPU_CUDA_SUCCESS;
}

/* Does [p, p + size) lie inside one reservation? Lock held. */
static int reserved(uintptr_t p, size_t size)
{
	for (struct vmm_va *va = reservations; va; va = va->next)
		if (p >= va->base && size <= va->size && p - va->base <= va->size - size)
			return 1;
	return 0;
}

/* Is [p, p + size) exactly covered by whole mappings? Lock held. */
static int tiled(uintptr_t p, size_t size)
{
	uintptr_t end = p + size;

	while (p < end) {
		struct simcu_alloc *a = vgpu_simcu_table_find(p, 0);

		if (!a || a->kind != SIMCU_VMM || a->base != p || a->size > end - p)
			return 0;
		p += a->size;
	}
	return size > 0;
}

vgpu_CUresult cuMemAddressFree(vgpu_CUdeviceptr ptr, size_t size)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct vmm_va **pp, *va = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	for (pp = &reservations; *pp; pp = &(*pp)->next)
		if ((*pp)->base == (uintptr_t)ptr && (*pp)->size == size)
			break;
	va = *pp;
	if (!va) {
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	} else {
		for (uintptr_t p = va->base; p < va->base + va->size && rc == VGPU_CUDA_SUCCESS; p += SIMCU_GRANULE)
			if (vgpu_simcu_table_find(p, 0))
				rc = VGPU_CUDA_ERROR_INVALID_VALUE; /* still mapped */
		if (rc == VGPU_CUDA_SUCCESS) {
			*pp = va->next;
			munmap((void *)va->base, va->size);
			free(va);
		}
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemMap(vgpu_CUdeviceptr ptr, size_t size, size_t offset, vgpu_CUmemGenericAllocationHandle handle,
		       unsigned long long flags)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct simcu_alloc a = { 0 };
	struct vmm_handle *v;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (flags || !size || size % SIMCU_GRANULE || offset % SIMCU_GRANULE)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	v = handle_check(handle);
	if (!v) {
		rc = VGPU_CUDA_ERROR_INVALID_HANDLE;
	} else if (offset > v->size || size > v->size - offset || !reserved((uintptr_t)ptr, size)) {
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	} else {
		a.base = (uintptr_t)ptr;
		a.size = size;
		a.ordinal = v->ordinal;
		a.kind = SIMCU_VMM;
		a.owner = v;
		a.access = VGPU_CU_MEM_ACCESS_FLAGS_PROT_NONE;
		if (vgpu_simcu_table_add(&a) != 0)
			rc = VGPU_CUDA_ERROR_INVALID_VALUE; /* overlaps a mapping */
		else if (mmap((void *)a.base, size, PROT_NONE, MAP_SHARED | MAP_FIXED, v->fd, (off_t)offset) ==
			 MAP_FAILED) {
			vgpu_simcu_table_del(vgpu_simcu_table_find(a.base, 0));
			rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
		} else {
			v->maps++;
		}
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemUnmap(vgpu_CUdeviceptr ptr, size_t size)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	uintptr_t p = (uintptr_t)ptr, end = p + size;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (!tiled(p, size)) {
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	while (p < end) {
		struct simcu_alloc *a = vgpu_simcu_table_find(p, 0);
		struct vmm_handle *v = a->owner;
		size_t n = a->size;

		/* Back to an inaccessible reservation. */
		mmap((void *)p, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		vgpu_simcu_table_del(a);
		v->maps--;
		handle_gc(v);
		p += n;
	}
out:
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemSetAccess(vgpu_CUdeviceptr ptr, size_t size, const vgpu_CUmemAccessDesc *desc, size_t count)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	uintptr_t p = (uintptr_t)ptr, end = p + size;
	int access = VGPU_CU_MEM_ACCESS_FLAGS_PROT_NONE, prot;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!desc || !count)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	for (size_t i = 0; i < count; i++) {
		if (desc[i].location.type != VGPU_CU_MEM_LOCATION_TYPE_DEVICE ||
		    (desc[i].flags != VGPU_CU_MEM_ACCESS_FLAGS_PROT_NONE &&
		     desc[i].flags != VGPU_CU_MEM_ACCESS_FLAGS_PROT_READ &&
		     desc[i].flags != VGPU_CU_MEM_ACCESS_FLAGS_PROT_READWRITE))
			return VGPU_CUDA_ERROR_INVALID_VALUE;
		if (!vgpu_simcu_dev(desc[i].location.id))
			return VGPU_CUDA_ERROR_INVALID_DEVICE;
		if ((int)desc[i].flags > access)
			access = (int)desc[i].flags;
	}
	prot = access == VGPU_CU_MEM_ACCESS_FLAGS_PROT_READWRITE ? PROT_READ | PROT_WRITE
	       : access == VGPU_CU_MEM_ACCESS_FLAGS_PROT_READ	 ? PROT_READ
								 : PROT_NONE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (!tiled(p, size)) {
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	} else {
		while (p < end) {
			struct simcu_alloc *a = vgpu_simcu_table_find(p, 0);

			mprotect((void *)p, a->size, prot);
			a->access = access;
			p += a->size;
		}
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}
