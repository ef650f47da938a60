/*
 * shim_module.c - module and library loads take device memory: the code
 * (SASS, JIT-compiled PTX) and the __device__ / __constant__ variables.
 * They are charged to the slice like an allocation (doc/shim.md, "Modules").
 *
 * No driver reports what a module took, and the GPU's used memory before
 * and after a load counts every other process's allocations too, so the
 * charge is an estimate made from the image BEFORE the driver is asked
 * (src/lib/vgpu_cuimage.c): its size rounded up to 2 MiB, plus its global
 * variables' sizes (PTX declarations; a cubin's .nv.global sections; the
 * largest uncompressed cubin of a fatbin) rounded up to 2 MiB. An image the
 * reader does not know is charged one granule. A load that does not fit
 * the slice is CUDA_ERROR_OUT_OF_MEMORY without calling the driver; a load
 * the driver refuses gives the reservation back; cuModuleUnload /
 * cuLibraryUnload give it back, a destroyed context gives back what was
 * charged in it, and a dead process's charge is reclaimed by the ledger.
 *
 * The charge stands as estimated (no settling afterwards): the simulator
 * charges the GPU by the same rule, so tests see the physical effect.
 *
 * A library (cuLibraryLoad*) is charged once, on the GPU of the context
 * current at the load, and dies with that context; with no current context
 * it is not charged (a lazy-loading driver loads it into a context at first
 * use, which the shim does not see).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shim.h"
#include "vgpu_cuimage.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A reservation made before calling the driver. */
struct load {
	const char *what;
	int gpu;        /* -1: nothing charged */
	uintptr_t ctx;
	uint64_t bytes;
};

/* Device bytes an image in memory takes (length unknown: the driver reads
 * it by its headers, and so does the estimate). */
static uint64_t estimate_image(const void *image)
{
	struct vgpu_cuimage im;

	vgpu_cuimage_scan(image, SIZE_MAX, &im, NULL, NULL);
	return vgpu_cuimage_device_bytes(&im); /* unknown: bytes 0 -> one granule */
}

/* Device bytes the image in a file takes; 0 when it cannot be read (the
 * driver will say why). */
static uint64_t estimate_file(const char *path)
{
	struct vgpu_cuimage im;
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t bytes = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			vgpu_cuimage_scan(p, (size_t)st.st_size, &im, NULL, NULL);
			if (im.bytes == 0 || im.bytes > (uint64_t)st.st_size)
				im.bytes = (uint64_t)st.st_size; /* at least the file is loaded */
			bytes = vgpu_cuimage_device_bytes(&im);
			munmap(p, (size_t)st.st_size);
		}
	}
	close(fd);
	return bytes;
}

/* Reserve bytes on the current context's GPU. CUDA_SUCCESS with l->gpu -1
 * when there is nothing to charge (no current context: the caller decides,
 * or nothing to estimate); OUT_OF_MEMORY when the slice has no room or the
 * GPU is not the step's. */
static vgpu_CUresult begin(struct load *l, const char *what, uint64_t bytes)
{
	vgpu_CUcontext c = NULL;
	vgpu_CUdevice dev = -1;

	l->what = what;
	l->gpu = -1;
	l->ctx = 0;
	l->bytes = bytes;
	if (!bytes || CU_REAL(cuCtxGetDevice)(&dev) != VGPU_CUDA_SUCCESS ||
	    CU_REAL(cuCtxGetCurrent)(&c) != VGPU_CUDA_SUCCESS || !c)
		return VGPU_CUDA_SUCCESS;
	l->ctx = (uintptr_t)c;
	l->gpu = vgpu_shim_gpu_of_ordinal(dev);
	if (l->gpu < 0) {
		SHIM_WARN("%s: the device is not a GPU of this step", what);
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	}
	if (vgpu_shim_charge(l->gpu, bytes, what) != VGPU_CUDA_SUCCESS) {
		l->gpu = -1;
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	}
	return VGPU_CUDA_SUCCESS;
}

/* After the driver call: record the handle (success) or give the
 * reservation back. */
static vgpu_CUresult finish(const struct load *l, vgpu_CUresult rc, int kind, uint64_t key)
{
	struct vgpu_track t = { .key = key, .bytes = l->bytes, .ctx = l->ctx, .kind = kind, .gpu = l->gpu };
	struct vgpu_track stale;

	if (l->gpu < 0)
		return rc;
	if (rc != VGPU_CUDA_SUCCESS) {
		vgpu_shim_uncharge(l->gpu, l->bytes);
		return rc;
	}
	if (vgpu_track_take(kind, key, &stale) == 0 && stale.gpu >= 0)
		vgpu_shim_uncharge(stale.gpu, stale.bytes); /* unloaded behind our back */
	if (vgpu_track_add(&t) != 0)
		SHIM_ERROR("%s: out of host memory to track %#llx: its %llu bytes stay charged", l->what,
			   (unsigned long long)key, (unsigned long long)l->bytes);
	return rc;
}

/* An unload: take the record, call the driver, give the bytes back (or put
 * the record back when the driver refuses). */
#define UNLOAD_BODY(sym, kind, h)                                                          \
	do {                                                                               \
		struct vgpu_track t;                                                       \
		int found;                                                                 \
                                                                                           \
		if (!vgpu_shim_enter() || !(h)) {                                          \
			rc = CU_REAL(sym)(h);                                              \
			break;                                                             \
		}                                                                          \
		found = vgpu_track_take((kind), (uint64_t)(uintptr_t)(h), &t) == 0;        \
		rc = CU_REAL(sym)(h);                                                      \
		if (found && rc == VGPU_CUDA_SUCCESS && t.gpu >= 0)                        \
			vgpu_shim_uncharge(t.gpu, t.bytes);                                \
		else if (found && rc != VGPU_CUDA_SUCCESS)                                 \
			vgpu_track_add(&t);                                                \
	} while (0)

/* ---- modules -------------------------------------------------------------- */

/* A module load of estimated bytes; call is the driver call. */
#define MODULE_LOAD_BODY(sym, module, bytes_expr, call)                                        \
	do {                                                                                   \
		struct load l;                                                                 \
                                                                                               \
		if (!vgpu_shim_enter() || !(module)) {                                         \
			rc = call;                                                             \
			break;                                                                 \
		}                                                                              \
		rc = begin(&l, #sym, (bytes_expr));                                            \
		if (rc != VGPU_CUDA_SUCCESS)                                                   \
			break;                                                                 \
		rc = call;                                                                     \
		rc = finish(&l, rc, VGPU_TRACK_MODULE,                                         \
			    rc == VGPU_CUDA_SUCCESS ? (uint64_t)(uintptr_t)*(module) : 0);     \
	} while (0)

VGPU_SHIM_HOOK(cuModuleLoadData);
vgpu_CUresult cuModuleLoadData(vgpu_CUmodule *module, const void *image)
{
	vgpu_CUresult rc;

	MODULE_LOAD_BODY(cuModuleLoadData, module, image ? estimate_image(image) : 0,
			 CU_REAL(cuModuleLoadData)(module, image));
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuModuleLoadDataEx);
vgpu_CUresult cuModuleLoadDataEx(vgpu_CUmodule *module, const void *image, unsigned int numOptions,
				 vgpu_CUjit_option *options, void **optionValues)
{
	vgpu_CUresult rc;

	MODULE_LOAD_BODY(cuModuleLoadDataEx, module, image ? estimate_image(image) : 0,
			 CU_REAL(cuModuleLoadDataEx)(module, image, numOptions, options, optionValues));
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuModuleLoadFatBinary);
vgpu_CUresult cuModuleLoadFatBinary(vgpu_CUmodule *module, const void *fatCubin)
{
	vgpu_CUresult rc;

	MODULE_LOAD_BODY(cuModuleLoadFatBinary, module, fatCubin ? estimate_image(fatCubin) : 0,
			 CU_REAL(cuModuleLoadFatBinary)(module, fatCubin));
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuModuleLoad);
vgpu_CUresult cuModuleLoad(vgpu_CUmodule *module, const char *fname)
{
	vgpu_CUresult rc;

	MODULE_LOAD_BODY(cuModuleLoad, module, fname ? estimate_file(fname) : 0, CU_REAL(cuModuleLoad)(module, fname));
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuModuleUnload);
vgpu_CUresult cuModuleUnload(vgpu_CUmodule hmod)
{
	vgpu_CUresult rc;

	UNLOAD_BODY(cuModuleUnload, VGPU_TRACK_MODULE, hmod);
	vgpu_shim_leave();
	return rc;
}

/* ---- libraries -------------------------------------------------------------- */

#define LIBRARY_LOAD_BODY(sym, library, bytes_expr, call)                                      \
	do {                                                                                   \
		struct load l;                                                                 \
                                                                                               \
		if (!vgpu_shim_enter() || !(library)) {                                        \
			rc = call;                                                             \
			break;                                                                 \
		}                                                                              \
		rc = begin(&l, #sym, (bytes_expr));                                            \
		if (rc != VGPU_CUDA_SUCCESS)                                                   \
			break;                                                                 \
		if (l.gpu < 0)                                                                 \
			SHIM_DEBUG("%s: no current context: not charged", #sym);               \
		rc = call;                                                                     \
		rc = finish(&l, rc, VGPU_TRACK_LIBRARY,                                        \
			    rc == VGPU_CUDA_SUCCESS ? (uint64_t)(uintptr_t)*(library) : 0);    \
	} while (0)

VGPU_SHIM_HOOK(cuLibraryLoadData);
vgpu_CUresult cuLibraryLoadData(vgpu_CUlibrary *library, const void *code, vgpu_CUjit_option *jitOptions,
				void **jitOptionsValues, unsigned int numJitOptions,
				vgpu_CUlibraryOption *libraryOptions, void **libraryOptionValues,
				unsigned int numLibraryOptions)
{
	vgpu_CUresult rc;

	LIBRARY_LOAD_BODY(cuLibraryLoadData, library, code ? estimate_image(code) : 0,
			  CU_REAL(cuLibraryLoadData)(library, code, jitOptions, jitOptionsValues, numJitOptions,
						     libraryOptions, libraryOptionValues, numLibraryOptions));
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuLibraryLoadFromFile);
vgpu_CUresult cuLibraryLoadFromFile(vgpu_CUlibrary *library, const char *fileName, vgpu_CUjit_option *jitOptions,
				    void **jitOptionsValues, unsigned int numJitOptions,
				    vgpu_CUlibraryOption *libraryOptions, void **libraryOptionValues,
				    unsigned int numLibraryOptions)
{
	vgpu_CUresult rc;

	LIBRARY_LOAD_BODY(cuLibraryLoadFromFile, library, fileName ? estimate_file(fileName) : 0,
			  CU_REAL(cuLibraryLoadFromFile)(library, fileName, jitOptions, jitOptionsValues,
							 numJitOptions, libraryOptions, libraryOptionValues,
							 numLibraryOptions));
	vgpu_shim_leave();
	return rc;
}

VGPU_SHIM_HOOK(cuLibraryUnload);
vgpu_CUresult cuLibraryUnload(vgpu_CUlibrary library)
{
	vgpu_CUresult rc;

	UNLOAD_BODY(cuLibraryUnload, VGPU_TRACK_LIBRARY, library);
	vgpu_shim_leave();
	return rc;
}
