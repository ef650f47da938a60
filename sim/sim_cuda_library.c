/*
 * sim_cuda_library.c - libraries and kernels (cuLibrary*, cuKernel*; CUDA
 * 12) of the simulated libcuda.so.1 (doc/simulator.md, "Modules").
 *
 * A library is a parsed PTX image and one CUkernel per `.entry`; it is
 * context-independent. It is loaded, as a module of sim_cuda_module.c owned
 * by the library, into the current context (if any) by cuLibraryLoadData*,
 * and into another context at its first use there (cuLibraryGetModule,
 * cuKernelGetFunction, cuLibraryGetGlobal, a launch of one of its kernels).
 * Each such module takes device memory like any module; all of them go at
 * cuLibraryUnload (and each with its context).
 *
 * Handles are pointers into fixed per-process tables, checked by range and
 * magic number (as in sim_cuda_module.c). Guarded by vgpu_simcu.lock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"

#include <stdlib.h>
#include <string.h>

#define LIB_MAGIC 0x5342494cu  /* "LIBS" */
#define KERN_MAGIC 0x4e52454bu /* "KERN" */
#define LIB_DYING 0x444e4c55u  /* "UNLD": being unloaded (its slot is not free yet) */
#define MAX_LIBRARIES 1024
#define MAX_KERNELS 65536
#define UNLOAD_BATCH 64

struct sim_library {
	uint32_t magic;
	struct simcu_image *img;
	uint32_t *kernels; /* the kernel slot of each entry */
};

struct sim_kernel {
	uint32_t magic;
	struct sim_library *lib;
	unsigned int entry;
};

static struct sim_library libraries[MAX_LIBRARIES];
static struct sim_kernel kernels[MAX_KERNELS];
static unsigned int next_library, next_kernel; /* round-robin cursors */

static long slot_of(const void *table, size_t n, size_t sz, const void *h)
{
	uintptr_t p = (uintptr_t)h, b = (uintptr_t)table;

	if (p < b || p >= b + n * sz || (p - b) % sz)
		return -1;
	return (long)((p - b) / sz);
}

static struct sim_library *library_of(const void *h)
{
	long i = slot_of(libraries, MAX_LIBRARIES, sizeof(libraries[0]), h);

	return i >= 0 && libraries[i].magic == LIB_MAGIC ? &libraries[i] : NULL;
}

static struct sim_kernel *kernel_of(const void *h)
{
	long i = slot_of(kernels, MAX_KERNELS, sizeof(kernels[0]), h);

	return i >= 0 && kernels[i].magic == KERN_MAGIC ? &kernels[i] : NULL;
}

int vgpu_simcu_kernel_live(const void *h)
{
	return kernel_of(h) != NULL;
}

/* The library behind a handle (checked under the lock). */
static struct sim_library *library_checked(const void *h)
{
	struct sim_library *l;

	pthread_mutex_lock(&vgpu_simcu.lock);
	l = library_of(h);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return l;
}

/* The module of library l in context c, loading it there when it is not
 * yet (the lock is NOT held; *out is valid until the library or context
 * goes). */
static vgpu_CUresult library_module(struct sim_library *l, struct sim_ctx *c, struct simcu_module **out)
{
	struct simcu_module *m = NULL, *made = NULL;
	vgpu_CUresult rc;
	uintptr_t data = 0;

	for (int pass = 0; pass < 2; pass++) {
		pthread_mutex_lock(&vgpu_simcu.lock);
		if (l->magic != LIB_MAGIC) {
			pthread_mutex_unlock(&vgpu_simcu.lock);
			return VGPU_CUDA_ERROR_INVALID_HANDLE;
		}
		m = vgpu_simcu_module_find(l, c, made);
		if (m && made) /* another thread loaded it meanwhile: drop ours */
			data = vgpu_simcu_module_drop(made);
		pthread_mutex_unlock(&vgpu_simcu.lock);
		vgpu_simcu_module_data_free(data);
		if (m || made)
			break;
		rc = vgpu_simcu_module_make(c, l->img, l, &made);
		if (rc != VGPU_CUDA_SUCCESS)
			return rc;
	}
	*out = m ? m : made;
	return VGPU_CUDA_SUCCESS;
}

/* Lock held. */
static void library_free(struct sim_library *l)
{
	for (unsigned int i = 0; i < vgpu_simcu_image_nentries(l->img) && l->kernels; i++)
		kernels[l->kernels[i]].magic = 0;
	vgpu_simcu_image_free(l->img);
	free(l->kernels);
	memset(l, 0, sizeof(*l));
}

static vgpu_CUresult library_load(vgpu_CUlibrary *library, const void *code, size_t avail,
				  vgpu_CUjit_option *jitOptions, void **jitOptionsValues, unsigned int numJitOptions,
				  vgpu_CUlibraryOption *libraryOptions, void **libraryOptionValues,
				  unsigned int numLibraryOptions)
{
	struct simcu_image *img = NULL;
	struct sim_library *l;
	struct sim_ctx *c = NULL;
	struct simcu_module *m;
	uint32_t lslot, *kslots;
	unsigned int n;
	vgpu_CUresult rc;

	if (!library || !code || (numJitOptions && (!jitOptions || !jitOptionsValues)) ||
	    (numLibraryOptions && (!libraryOptions || !libraryOptionValues)))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	for (unsigned int i = 0; i < numJitOptions; i++)
		if ((unsigned int)jitOptions[i] >= VGPU_CU_JIT_NUM_OPTIONS)
			return VGPU_CUDA_ERROR_INVALID_VALUE;
	for (unsigned int i = 0; i < numLibraryOptions; i++)
		if ((unsigned int)libraryOptions[i] >= VGPU_CU_LIBRARY_NUM_OPTIONS)
			return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = vgpu_simcu_image_parse(code, avail, &img);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	n = vgpu_simcu_image_nentries(img);
	kslots = calloc(n + 1, sizeof(*kslots));
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (!kslots ||
	    vgpu_simcu_take_slots(&libraries[0].magic, sizeof(libraries[0]), MAX_LIBRARIES, &next_library, 1, &lslot) != 0 ||
	    (n && vgpu_simcu_take_slots(&kernels[0].magic, sizeof(kernels[0]), MAX_KERNELS, &next_kernel, n, kslots) != 0)) {
		pthread_mutex_unlock(&vgpu_simcu.lock);
		free(kslots);
		vgpu_simcu_image_free(img);
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	}
	l = &libraries[lslot];
	l->img = img;
	l->kernels = kslots;
	for (unsigned int i = 0; i < n; i++) {
		kernels[kslots[i]].lib = l;
		kernels[kslots[i]].entry = i;
		kernels[kslots[i]].magic = KERN_MAGIC;
	}
	l->magic = LIB_MAGIC;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	/* loaded into the current context now (when there is one) */
	if (vgpu_simcu_current(&c) == VGPU_CUDA_SUCCESS) {
		rc = library_module(l, c, &m);
		if (rc != VGPU_CUDA_SUCCESS) {
			pthread_mutex_lock(&vgpu_simcu.lock);
			library_free(l);
			pthread_mutex_unlock(&vgpu_simcu.lock);
			return rc;
		}
	}
	*library = (vgpu_CUlibrary)(void *)l;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuLibraryLoadData(vgpu_CUlibrary *library, const void *code, vgpu_CUjit_option *jitOptions,
				void **jitOptionsValues, unsigned int numJitOptions,
				vgpu_CUlibraryOption *libraryOptions, void **libraryOptionValues,
				unsigned int numLibraryOptions)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	return library_load(library, code, SIZE_MAX, jitOptions, jitOptionsValues, numJitOptions, libraryOptions,
			    libraryOptionValues, numLibraryOptions);
}

vgpu_CUresult cuLibraryLoadFromFile(vgpu_CUlibrary *library, const char *fileName, vgpu_CUjit_option *jitOptions,
				    void **jitOptionsValues, unsigned int numJitOptions,
				    vgpu_CUlibraryOption *libraryOptions, void **libraryOptionValues,
				    unsigned int numLibraryOptions)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	char *buf = NULL;
	size_t len = 0;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!library || !fileName)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	for (unsigned int i = 0; libraryOptions && i < numLibraryOptions; i++)
		if (libraryOptions[i] == VGPU_CU_LIBRARY_BINARY_IS_PRESERVED)
			return VGPU_CUDA_ERROR_INVALID_VALUE; /* as cuda.h says */
	rc = vgpu_simcu_read_file(fileName, &buf, &len);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = library_load(library, buf, len, jitOptions, jitOptionsValues, numJitOptions, libraryOptions,
				  libraryOptionValues, numLibraryOptions);
	free(buf);
	return rc;
}

vgpu_CUresult cuLibraryUnload(vgpu_CUlibrary library)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_library *l;
	struct simcu_module *m;
	uintptr_t data[UNLOAD_BATCH];
	unsigned int n;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	l = library_of(library);
	if (!l) {
		pthread_mutex_unlock(&vgpu_simcu.lock);
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	}
	l->magic = LIB_DYING; /* no new module from here on */
	pthread_mutex_unlock(&vgpu_simcu.lock);
	do { /* its modules, in batches (their data segments are freed unlocked) */
		n = 0;
		pthread_mutex_lock(&vgpu_simcu.lock);
		while (n < UNLOAD_BATCH && (m = vgpu_simcu_module_find(l, NULL, NULL)) != NULL)
			data[n++] = vgpu_simcu_module_drop(m);
		if (n == 0)
			library_free(l);
		pthread_mutex_unlock(&vgpu_simcu.lock);
		for (unsigned int i = 0; i < n; i++)
			vgpu_simcu_module_data_free(data[i]);
	} while (n);
	return rc;
}

vgpu_CUresult cuLibraryGetKernel(vgpu_CUkernel *pKernel, vgpu_CUlibrary library, const char *name)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_library *l;
	int i;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pKernel || !name)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	l = library_of(library);
	if (!l)
		rc = VGPU_CUDA_ERROR_INVALID_HANDLE;
	else if ((i = vgpu_simcu_image_entry(l->img, name)) < 0)
		rc = VGPU_CUDA_ERROR_NOT_FOUND;
	else
		*pKernel = (vgpu_CUkernel)(void *)&kernels[l->kernels[i]];
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult cuLibraryGetModule(vgpu_CUmodule *pMod, vgpu_CUlibrary library)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	struct sim_library *l;
	struct simcu_module *m = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pMod)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	l = library_checked(library);
	if (!l)
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	rc = library_module(l, c, &m);
	if (rc == VGPU_CUDA_SUCCESS)
		*pMod = (vgpu_CUmodule)(void *)m;
	return rc;
}

vgpu_CUresult cuLibraryGetGlobal(vgpu_CUdeviceptr *dptr, size_t *bytes, vgpu_CUlibrary library, const char *name)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	struct sim_library *l;
	struct simcu_module *m = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!name || (!dptr && !bytes))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	l = library_checked(library);
	if (!l)
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	rc = library_module(l, c, &m);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	rc = vgpu_simcu_module_live(m, l) ? vgpu_simcu_module_global(m, name, dptr, bytes)
					   : VGPU_CUDA_ERROR_INVALID_HANDLE;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult vgpu_simcu_kernel_function(const void *h, struct sim_ctx *c, void **func)
{
	struct sim_kernel *k;
	struct sim_library *l = NULL;
	struct simcu_module *m = NULL;
	unsigned int entry = 0;
	vgpu_CUresult rc;
	void *f;

	pthread_mutex_lock(&vgpu_simcu.lock);
	k = kernel_of(h);
	if (k) {
		l = k->lib;
		entry = k->entry;
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	if (!k)
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	rc = library_module(l, c, &m);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	f = vgpu_simcu_module_func(m, l, entry);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	if (!f)
		return VGPU_CUDA_ERROR_INVALID_HANDLE;
	if (func)
		*func = f;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuKernelGetFunction(vgpu_CUfunction *pFunc, vgpu_CUkernel kernel)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	void *f = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pFunc)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = vgpu_simcu_kernel_function(kernel, c, &f);
	if (rc == VGPU_CUDA_SUCCESS)
		*pFunc = (vgpu_CUfunction)f;
	return rc;
}
