/*
 * sim_cuda_mem.c - memory of the simulated libcuda.so.1: device
 * allocations (plain, pitched, arrays, stream-ordered and pools), managed and
 * host memory, copies, and cuMemGetInfo.
 *
 * Device memory is host address space (mmap MAP_NORESERVE: pages exist only
 * once written), so data round-trips through copies. What a GPU has used is
 * the shared state (sim_state.c): each allocation charges its size rounded
 * up to 2 MiB, and fails with CUDA_ERROR_OUT_OF_MEMORY when the GPU's
 * memory, counting every process and every context, would run out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static struct simcu_alloc *table;
static size_t table_len, table_cap;

uint64_t vgpu_simcu_round(uint64_t bytes)
{
	if (bytes > UINT64_MAX - SIMCU_GRANULE)
		return 0;
	return (bytes + SIMCU_GRANULE - 1) / SIMCU_GRANULE * SIMCU_GRANULE;
}

/* Index of the first entry whose base is > p. */
static size_t upper(uintptr_t p)
{
	size_t lo = 0, hi = table_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (table[mid].base <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int vgpu_simcu_table_add(const struct simcu_alloc *a)
{
	size_t i = upper(a->base);

	if ((i > 0 && table[i - 1].base + table[i - 1].size > a->base) ||
	    (i < table_len && a->base + a->size > table[i].base))
		return -1;
	if (table_len == table_cap) {
		size_t cap = table_cap ? table_cap * 2 : 64;
		struct simcu_alloc *t = realloc(table, cap * sizeof(*t));

		if (!t)
			return -1;
		table = t;
		table_cap = cap;
	}
	memmove(&table[i + 1], &table[i], (table_len - i) * sizeof(*table));
	table[i] = *a;
	table_len++;
	return 0;
}

struct simcu_alloc *vgpu_simcu_table_find(uintptr_t p, size_t n)
{
	size_t i = upper(p);
	struct simcu_alloc *a;

	if (i == 0)
		return NULL;
	a = &table[i - 1];
	if (p - a->base >= a->size || n > a->size - (p - a->base))
		return NULL;
	return a;
}

void vgpu_simcu_table_del(struct simcu_alloc *a)
{
	size_t i = (size_t)(a - table);

	memmove(&table[i], &table[i + 1], (table_len - i - 1) * sizeof(*table));
	table_len--;
}

/* Unmap and uncharge an entry, then remove it. Lock held. */
static void release(struct simcu_alloc *a)
{
	if (a->maplen)
		munmap((void *)a->base, a->maplen);
	vgpu_simcu_uncharge(vgpu_simcu_dev(a->ordinal), a->charged, 0);
	vgpu_simcu_table_del(a);
}

void vgpu_simcu_mem_drop_ctx(struct sim_ctx *ctx)
{
	size_t i = 0;

	while (i < table_len) {
		if (table[i].ctx == ctx)
			release(&table[i]);
		else
			i++;
	}
}

vgpu_CUresult vgpu_simcu_mem_make(struct sim_ctx *c, int ordinal, size_t bytes, uint64_t charge, enum simcu_kind kind,
			  void *owner, uintptr_t *out)
{
	struct simcu_alloc a = { 0 };
	size_t maplen = (size_t)vgpu_simcu_round(bytes);
	vgpu_CUresult rc = VGPU_CUDA_SUCCESS;
	void *p;

	if (bytes == 0)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (maplen == 0)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (charge)
		rc = vgpu_simcu_charge(vgpu_simcu_dev(ordinal), charge, 0);
	if (rc != VGPU_CUDA_SUCCESS)
		goto out;
	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
		goto undo;
	}
	a.base = (uintptr_t)p;
	a.size = bytes;
	a.maplen = maplen;
	a.charged = charge;
	a.ordinal = ordinal;
	a.kind = kind;
	a.ctx = c;
	a.owner = owner;
	if (vgpu_simcu_table_add(&a) != 0) {
		munmap(p, maplen);
		rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
		goto undo;
	}
	*out = a.base;
	goto out;
undo:
	if (charge)
		vgpu_simcu_uncharge(vgpu_simcu_dev(ordinal), charge, 0);
out:
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult vgpu_simcu_mem_unmake(uintptr_t p, unsigned int mask, vgpu_CUresult err)
{
	struct simcu_alloc *a;
	vgpu_CUresult rc = err;

	pthread_mutex_lock(&vgpu_simcu.lock);
	a = vgpu_simcu_table_find(p, 0);
	if (a && a->base == p && (mask & (1u << a->kind))) {
		release(a);
		rc = VGPU_CUDA_SUCCESS;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

/* ---- device memory ----------------------------------------------------- */

vgpu_CUresult cuMemAlloc_v2(vgpu_CUdeviceptr *dptr, size_t bytesize)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	uintptr_t p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!dptr)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = vgpu_simcu_mem_make(c, c->ordinal, bytesize, vgpu_simcu_round(bytesize), SIMCU_DEVICE, NULL, &p);
	if (rc == VGPU_CUDA_SUCCESS)
		*dptr = (vgpu_CUdeviceptr)p;
	return rc;
}

vgpu_CUresult cuMemFree_v2(vgpu_CUdeviceptr dptr)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return vgpu_simcu_mem_unmake((uintptr_t)dptr, 1u << SIMCU_DEVICE | 1u << SIMCU_MANAGED, VGPU_CUDA_ERROR_INVALID_VALUE);
}

vgpu_CUresult cuMemAllocPitch_v2(vgpu_CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height,
				 unsigned int ElementSizeBytes)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	size_t pitch;
	uintptr_t p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!dptr || !pPitch || !WidthInBytes || !Height ||
	    (ElementSizeBytes != 4 && ElementSizeBytes != 8 && ElementSizeBytes != 16) ||
	    WidthInBytes > SIZE_MAX - 512)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pitch = (WidthInBytes + 511) / 512 * 512;
	if (Height > SIZE_MAX / pitch)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	rc = vgpu_simcu_mem_make(c, c->ordinal, pitch * Height, vgpu_simcu_round(pitch * Height), SIMCU_DEVICE, NULL, &p);
	if (rc == VGPU_CUDA_SUCCESS) {
		*dptr = (vgpu_CUdeviceptr)p;
		*pPitch = pitch;
	}
	return rc;
}

/* Managed memory migrates on demand and may exceed the GPU's memory: it is
 * host memory here and is not charged to the GPU. */
vgpu_CUresult cuMemAllocManaged(vgpu_CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	uintptr_t p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!dptr || (flags != VGPU_CU_MEM_ATTACH_GLOBAL && flags != VGPU_CU_MEM_ATTACH_HOST))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = vgpu_simcu_mem_make(c, c->ordinal, bytesize, 0, SIMCU_MANAGED, NULL, &p);
	if (rc == VGPU_CUDA_SUCCESS)
		*dptr = (vgpu_CUdeviceptr)p;
	return rc;
}

vgpu_CUresult cuMemGetAddressRange_v2(vgpu_CUdeviceptr *pbase, size_t *psize, vgpu_CUdeviceptr dptr)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	struct simcu_alloc *a;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	a = vgpu_simcu_table_find((uintptr_t)dptr, 0);
	if (a && (a->kind == SIMCU_DEVICE || a->kind == SIMCU_MANAGED || a->kind == SIMCU_VMM)) {
		if (pbase)
			*pbase = (vgpu_CUdeviceptr)a->base;
		if (psize)
			*psize = a->size;
	} else {
		rc = VGPU_CUDA_ERROR_NOT_FOUND;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

static size_t format_size(vgpu_CUarray_format f)
{
	switch (f) {
	case VGPU_CU_AD_FORMAT_UNSIGNED_INT8:
	case VGPU_CU_AD_FORMAT_SIGNED_INT8:
		return 1;
	case VGPU_CU_AD_FORMAT_UNSIGNED_INT16:
	case VGPU_CU_AD_FORMAT_SIGNED_INT16:
	case VGPU_CU_AD_FORMAT_HALF:
		return 2;
	case VGPU_CU_AD_FORMAT_UNSIGNED_INT32:
	case VGPU_CU_AD_FORMAT_SIGNED_INT32:
	case VGPU_CU_AD_FORMAT_FLOAT:
		return 4;
	default:
		return 0;
	}
}

/* An array's device bytes: width x height x depth elements (a height or
 * depth of 0 counts as 1; a layered array's depth is its layers, a
 * cubemap's its faces), summed over its mipmap levels (width, height and a
 * 3D array's depth halve at each level, never below 1). Rows are not padded:
 * each array is charged this rounded up to 2 MiB, like every allocation.
 * Sparse and deferred-mapping arrays have no memory of their own (their
 * tiles are VMM memory, charged at cuMemCreate). CUDA_SUCCESS and *bytes,
 * or the driver's error for the description. */
static vgpu_CUresult array_bytes(size_t w, size_t h, size_t d, vgpu_CUarray_format format, unsigned int ch,
				 unsigned int flags, unsigned int levels, uint64_t *bytes)
{
	const unsigned int known = 0xffu; /* CUDA_ARRAY3D_* flags of CUDA 13.0 */
	int layered = (flags & VGPU_CUDA_ARRAY3D_LAYERED) != 0, cube = (flags & VGPU_CUDA_ARRAY3D_CUBEMAP) != 0;
	uint64_t elem = format_size(format), total = 0;
	size_t big, maxlevels = 0;

	*bytes = 0;
	if (!w || (ch != 1 && ch != 2 && ch != 4) || (flags & ~known) || !levels)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (!elem)
		return VGPU_CUDA_ERROR_NOT_SUPPORTED; /* video and block-compressed formats: not simulated */
	if (!h && d && !layered)
		return VGPU_CUDA_ERROR_INVALID_VALUE; /* a 1D array has no depth */
	if (cube && (w != h || !d || d % 6 != 0 || (!layered && d != 6)))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	big = w > h ? w : h;
	if (!layered && !cube && d > big)
		big = d;
	for (; big; big >>= 1)
		maxlevels++;
	if (levels > maxlevels)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	if (flags & (VGPU_CUDA_ARRAY3D_SPARSE | VGPU_CUDA_ARRAY3D_DEFERRED_MAPPING))
		return VGPU_CUDA_SUCCESS;
	elem *= ch;
	for (unsigned int l = 0; l < levels; l++) {
		uint64_t lw = w >> l ? w >> l : 1, lh = h ? (h >> l ? h >> l : 1) : 1;
		uint64_t ld = d ? ((layered || cube) ? d : (d >> l ? d >> l : 1)) : 1;

		if (lw > UINT64_MAX / elem / lh || lw * elem * lh > UINT64_MAX / ld ||
		    lw * elem * lh * ld > UINT64_MAX - total)
			return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
		total += lw * elem * lh * ld;
	}
	*bytes = total;
	return VGPU_CUDA_SUCCESS;
}

/* Make an array (kind SIMCU_ARRAY or SIMCU_MIPMAP) in the current context. */
static vgpu_CUresult make_array(uintptr_t *out, enum simcu_kind kind, size_t w, size_t h, size_t d,
				vgpu_CUarray_format format, unsigned int ch, unsigned int flags, unsigned int levels)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	uint64_t bytes = 0, charge;

	if (rc == VGPU_CUDA_SUCCESS)
		rc = array_bytes(w, h, d, format, ch, flags, levels, &bytes);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	charge = vgpu_simcu_round(bytes);
	if (bytes && !charge)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	/* a handle without memory still needs an address: one byte of map */
	return vgpu_simcu_mem_make(c, c->ordinal, bytes ? (size_t)bytes : 1, charge, kind, NULL, out);
}

vgpu_CUresult cuArrayCreate_v2(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY_DESCRIPTOR *d)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	uintptr_t p;

	if (rc == VGPU_CUDA_SUCCESS && (!pHandle || !d))
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	if (rc == VGPU_CUDA_SUCCESS)
		rc = make_array(&p, SIMCU_ARRAY, d->Width, d->Height, 0, d->Format, d->NumChannels, 0, 1);
	if (rc == VGPU_CUDA_SUCCESS)
		*pHandle = (vgpu_CUarray)(void *)p;
	return rc;
}

vgpu_CUresult cuArrayCreate(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY_DESCRIPTOR_v1 *d)
{
	vgpu_CUDA_ARRAY_DESCRIPTOR d2;

	if (!d)
		return cuArrayCreate_v2(pHandle, NULL);
	d2.Width = d->Width;
	d2.Height = d->Height;
	d2.Format = d->Format;
	d2.NumChannels = d->NumChannels;
	return cuArrayCreate_v2(pHandle, &d2);
}

vgpu_CUresult cuArray3DCreate_v2(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR *d)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	uintptr_t p;

	if (rc == VGPU_CUDA_SUCCESS && (!pHandle || !d))
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	if (rc == VGPU_CUDA_SUCCESS)
		rc = make_array(&p, SIMCU_ARRAY, d->Width, d->Height, d->Depth, d->Format, d->NumChannels, d->Flags, 1);
	if (rc == VGPU_CUDA_SUCCESS)
		*pHandle = (vgpu_CUarray)(void *)p;
	return rc;
}

vgpu_CUresult cuArray3DCreate(vgpu_CUarray *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR_v1 *d)
{
	vgpu_CUDA_ARRAY3D_DESCRIPTOR d2;

	if (!d)
		return cuArray3DCreate_v2(pHandle, NULL);
	d2.Width = d->Width;
	d2.Height = d->Height;
	d2.Depth = d->Depth;
	d2.Format = d->Format;
	d2.NumChannels = d->NumChannels;
	d2.Flags = d->Flags;
	return cuArray3DCreate_v2(pHandle, &d2);
}

vgpu_CUresult cuMipmappedArrayCreate(vgpu_simcu_mipmap_t *pHandle, const vgpu_CUDA_ARRAY3D_DESCRIPTOR *d,
				     unsigned int numMipmapLevels)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	uintptr_t p;

	if (rc == VGPU_CUDA_SUCCESS && (!pHandle || !d))
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	if (rc == VGPU_CUDA_SUCCESS)
		rc = make_array(&p, SIMCU_MIPMAP, d->Width, d->Height, d->Depth, d->Format, d->NumChannels, d->Flags,
				numMipmapLevels);
	if (rc == VGPU_CUDA_SUCCESS)
		*pHandle = (vgpu_simcu_mipmap_t)(void *)p;
	return rc;
}

vgpu_CUresult cuMipmappedArrayDestroy(vgpu_simcu_mipmap_t h)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return vgpu_simcu_mem_unmake((uintptr_t)h, 1u << SIMCU_MIPMAP, VGPU_CUDA_ERROR_INVALID_HANDLE);
}

vgpu_CUresult cuArrayDestroy(vgpu_CUarray hArray)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return vgpu_simcu_mem_unmake((uintptr_t)(void *)hArray, 1u << SIMCU_ARRAY, VGPU_CUDA_ERROR_INVALID_HANDLE);
}

/* ---- host memory: never device memory ------------------------------------ */

vgpu_CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	uintptr_t p;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pp || (Flags & ~0x7u))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = vgpu_simcu_mem_make(c, c->ordinal, bytesize, 0, SIMCU_HOST, NULL, &p);
	if (rc == VGPU_CUDA_SUCCESS)
		*pp = (void *)p;
	return rc;
}

vgpu_CUresult cuMemAllocHost_v2(void **pp, size_t bytesize)
{
	return cuMemHostAlloc(pp, bytesize, 0);
}

vgpu_CUresult cuMemFreeHost(void *p)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return vgpu_simcu_mem_unmake((uintptr_t)p, 1u << SIMCU_HOST, VGPU_CUDA_ERROR_INVALID_VALUE);
}

vgpu_CUresult cuMemHostRegister_v2(void *p, size_t bytesize, unsigned int Flags)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	struct simcu_alloc a = { 0 };

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!p || !bytesize || (Flags & ~0xfu) || (uintptr_t)p > UINTPTR_MAX - bytesize)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	a.base = (uintptr_t)p;
	a.size = bytesize;
	a.ordinal = c->ordinal;
	a.kind = SIMCU_REGISTERED;
	a.ctx = c;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (vgpu_simcu_table_add(&a) != 0)
		rc = VGPU_CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemHostRegister(void *p, size_t bytesize, unsigned int Flags)
{
	return cuMemHostRegister_v2(p, bytesize, Flags);
}

vgpu_CUresult cuMemHostUnregister(void *p)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return vgpu_simcu_mem_unmake((uintptr_t)p, 1u << SIMCU_REGISTERED, VGPU_CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED);
}

/* ---- copies and sets --------------------------------------------------- */

/* Is [p, p + n) device-accessible memory (writable when write)? Lock held. */
static int device_range(uintptr_t p, size_t n, int write)
{
	const struct simcu_alloc *a = vgpu_simcu_table_find(p, n);

	if (!a)
		return 0;
	if (a->kind == SIMCU_VMM)
		return write ? a->access == VGPU_CU_MEM_ACCESS_FLAGS_PROT_READWRITE
			     : a->access != VGPU_CU_MEM_ACCESS_FLAGS_PROT_NONE;
	return a->kind == SIMCU_DEVICE || a->kind == SIMCU_MANAGED;
}

/* dst/src: device address, or host pointer when the flag says so. */
static vgpu_CUresult copy(uintptr_t dst, int dst_dev, uintptr_t src, int src_dev, size_t n)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);

	if (rc != VGPU_CUDA_SUCCESS || n == 0)
		return rc;
	if ((!dst_dev && !dst) || (!src_dev && !src))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if ((dst_dev && !device_range(dst, n, 1)) || (src_dev && !device_range(src, n, 0)))
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	else
		memmove((void *)dst, (const void *)src, n);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemcpyHtoD_v2(vgpu_CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
{
	return copy((uintptr_t)dstDevice, 1, (uintptr_t)srcHost, 0, ByteCount);
}

vgpu_CUresult cuMemcpyHtoD_v2_ptds(vgpu_CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
{
	return cuMemcpyHtoD_v2(dstDevice, srcHost, ByteCount);
}

vgpu_CUresult cuMemcpyDtoH_v2(void *dstHost, vgpu_CUdeviceptr srcDevice, size_t ByteCount)
{
	return copy((uintptr_t)dstHost, 0, (uintptr_t)srcDevice, 1, ByteCount);
}

vgpu_CUresult cuMemcpyDtoH_v2_ptds(void *dstHost, vgpu_CUdeviceptr srcDevice, size_t ByteCount)
{
	return cuMemcpyDtoH_v2(dstHost, srcDevice, ByteCount);
}

vgpu_CUresult cuMemcpyDtoD_v2(vgpu_CUdeviceptr dstDevice, vgpu_CUdeviceptr srcDevice, size_t ByteCount)
{
	return copy((uintptr_t)dstDevice, 1, (uintptr_t)srcDevice, 1, ByteCount);
}

vgpu_CUresult cuMemcpyDtoD_v2_ptds(vgpu_CUdeviceptr dstDevice, vgpu_CUdeviceptr srcDevice, size_t ByteCount)
{
	return cuMemcpyDtoD_v2(dstDevice, srcDevice, ByteCount);
}

vgpu_CUresult cuMemsetD8_v2(vgpu_CUdeviceptr dstDevice, unsigned char uc, size_t N)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);

	if (rc != VGPU_CUDA_SUCCESS || N == 0)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (!device_range((uintptr_t)dstDevice, N, 1))
		rc = VGPU_CUDA_ERROR_INVALID_VALUE;
	else
		memset((void *)(uintptr_t)dstDevice, uc, N);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuMemsetD8_v2_ptds(vgpu_CUdeviceptr dstDevice, unsigned char uc, size_t N)
{
	return cuMemsetD8_v2(dstDevice, uc, N);
}

/* ---- cuMemGetInfo --------------------------------------------------------- */

vgpu_CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total)
{
	struct vgpu_sim_proc_info none;
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	const struct vgpu_sim_gpu *g;
	struct sim_dev *d;
	uint64_t used = 0, cap;
	int n;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!free_bytes || !total)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	d = vgpu_simcu_dev(c->ordinal);
	g = vgpu_simcu_gpu(d);
	cap = g->memory_bytes - g->reserved_bytes;
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (!d->state || vgpu_sim_state_query(d->state, &used, &none, 0, &n) != 0)
		rc = VGPU_CUDA_ERROR_UNKNOWN;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	if (rc == VGPU_CUDA_SUCCESS) {
		*free_bytes = (size_t)(used < cap ? cap - used : 0);
		*total = (size_t)cap;
	}
	return rc;
}

/* ---- the pre-3.2 32-bit entry points: not supported ---------------------- */

vgpu_CUresult cuMemGetInfo(unsigned int *free_bytes, unsigned int *total)
{
	(void)free_bytes;
	(void)total;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}

vgpu_CUresult cuMemAlloc(vgpu_CUdeviceptr_v1 *dptr, unsigned int bytesize)
{
	(void)dptr;
	(void)bytesize;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}

vgpu_CUresult cuMemFree(vgpu_CUdeviceptr_v1 dptr)
{
	(void)dptr;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}

vgpu_CUresult cuMemAllocPitch(vgpu_CUdeviceptr_v1 *dptr, unsigned int *pPitch, unsigned int WidthInBytes,
			      unsigned int Height, unsigned int ElementSizeBytes)
{
	(void)dptr;
	(void)pPitch;
	(void)WidthInBytes;
	(void)Height;
	(void)ElementSizeBytes;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}

vgpu_CUresult cuMemAllocHost(void **pp, unsigned int bytesize)
{
	(void)pp;
	(void)bytesize;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}

vgpu_CUresult cuMemcpyHtoD(vgpu_CUdeviceptr_v1 dstDevice, const void *srcHost, unsigned int ByteCount)
{
	(void)dstDevice;
	(void)srcHost;
	(void)ByteCount;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}

vgpu_CUresult cuMemcpyDtoH(void *dstHost, vgpu_CUdeviceptr_v1 srcDevice, unsigned int ByteCount)
{
	(void)dstHost;
	(void)srcDevice;
	(void)ByteCount;
	return VGPU_CUDA_ERROR_NOT_SUPPORTED;
}
