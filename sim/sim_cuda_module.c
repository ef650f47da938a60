/*
 * sim_cuda_module.c - modules (cuModule*) and function handles of the
 * simulated libcuda.so.1 (doc/simulator.md, "Modules"); libraries and
 * kernels (cuLibrary*, cuKernel*) are sim_cuda_library.c, built on these.
 *
 * Images are PTX text (read by src/lib/vgpu_cuimage.c: `.entry` kernels,
 * `.global`/`.const` variables); cubins and fatbins are refused with
 * CUDA_ERROR_INVALID_IMAGE (nothing here could run their code anyway).
 *
 * A module lives in one context and takes device memory there, charged to
 * the process like an allocation: a code segment (the image's size rounded
 * up to 2 MiB) and, when it has globals, a data segment (their sizes summed,
 * rounded up to 2 MiB) that holds them, zero-filled (initialisers are not
 * applied). Both go at cuModuleUnload, with the context, and with the
 * process (its state record is reaped). A library is context-independent:
 * it is loaded into the current context (if any) by cuLibraryLoadData*, and
 * into another context at its first use there (cuLibraryGetModule,
 * cuKernelGetFunction, cuLibraryGetGlobal, a launch of one of its kernels).
 *
 * Handles are pointers into fixed per-process tables (here: modules and
 * functions; libraries and kernels in sim_cuda_library.c): checking one is a range test and a magic number,
 * never a dereference of a pointer the caller made up. Slots are reused
 * round robin, so a stale handle is an error until its slot is reused, as
 * a real driver's may be. Everything here is guarded by vgpu_simcu.lock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sim_cuda.h"
#include "vgpu_cuimage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOD_MAGIC 0x444f4d53u  /* "SMOD" */
#define FUNC_MAGIC 0x434e5546u /* "FUNC" */
#define MAX_MODULES 4096
#define MAX_FUNCS 65536
#define MAX_FILE (256ull << 20) /* cuModuleLoad / cuLibraryLoadFromFile */
#define GLOBAL_ALIGN 16

struct sim_global {
	char *name;
	uint64_t size, offset; /* in the data segment */
};

/* A parsed image: owned by its module, or by its library (shared by the
 * library's modules). */
struct simcu_image {
	struct vgpu_cuimage info;
	char **entries;
	unsigned int nentries;
	struct sim_global *globals;
	unsigned int nglobals;
	uint64_t data_len; /* the data segment's mapped length (globals aligned) */
};

struct simcu_module {
	uint32_t magic;
	struct sim_ctx *ctx;
	struct simcu_image *img;
	const void *owner;       /* its library (sim_cuda_library.c); NULL: loaded with cuModuleLoad* */
	uint64_t code_charged;
	uintptr_t data;          /* the data segment (a SIMCU_DEVICE range), 0 when none */
	uint32_t *funcs;         /* the function slot of each entry */
};

struct sim_func {
	uint32_t magic;
	struct simcu_module *mod;
	unsigned int entry;
};

static struct simcu_module modules[MAX_MODULES];
static struct sim_func funcs[MAX_FUNCS];
static unsigned int next_module, next_func; /* round-robin cursors */

/* A slot of table (n entries of size sz) whose handle is h, or -1. */
static long slot_of(const void *table, size_t n, size_t sz, const void *h)
{
	uintptr_t p = (uintptr_t)h, b = (uintptr_t)table;

	if (p < b || p >= b + n * sz || (p - b) % sz)
		return -1;
	return (long)((p - b) / sz);
}

static struct simcu_module *module_of(const void *h)
{
	long i = slot_of(modules, MAX_MODULES, sizeof(modules[0]), h);

	return i >= 0 && modules[i].magic == MOD_MAGIC ? &modules[i] : NULL;
}

static struct sim_func *func_of(const void *h)
{
	long i = slot_of(funcs, MAX_FUNCS, sizeof(funcs[0]), h);

	return i >= 0 && funcs[i].magic == FUNC_MAGIC ? &funcs[i] : NULL;
}

int vgpu_simcu_take_slots(const uint32_t *magic0, size_t stride, unsigned int size, unsigned int *cursor,
			  unsigned int n, uint32_t *out)
{
	unsigned int got = 0;

	for (unsigned int tries = 0; got < n && tries < size; tries++) {
		unsigned int i = (*cursor + tries) % size;
		const uint32_t *m = (const uint32_t *)(const void *)((const char *)magic0 + (size_t)i * stride);

		if (*m == 0)
			out[got++] = i;
	}
	if (got < n)
		return -1;
	*cursor = (out[n - 1] + 1) % size;
	return 0;
}

/* ---- images ------------------------------------------------------------- */

void vgpu_simcu_image_free(struct simcu_image *img)
{
	if (!img)
		return;
	for (unsigned int i = 0; i < img->nentries; i++)
		free(img->entries[i]);
	for (unsigned int i = 0; i < img->nglobals; i++)
		free(img->globals[i].name);
	free(img->entries);
	free(img->globals);
	free(img);
}

static int image_sym(void *arg, const char *name, size_t len, int entry, uint64_t size)
{
	struct simcu_image *img = arg;
	char *copy = strndup(name, len);

	if (!copy)
		return -1;
	if (entry) {
		img->entries[img->nentries++] = copy;
	} else {
		struct sim_global *g = &img->globals[img->nglobals++];

		g->name = copy;
		g->size = size;
		g->offset = img->data_len;
		img->data_len += (size + GLOBAL_ALIGN - 1) / GLOBAL_ALIGN * GLOBAL_ALIGN;
	}
	return 0;
}

vgpu_CUresult vgpu_simcu_image_parse(const void *code, size_t avail, struct simcu_image **out)
{
	struct vgpu_cuimage info;
	struct simcu_image *img;
	int rc = vgpu_cuimage_scan(code, avail, &info, NULL, NULL);

	if (rc == VGPU_CUIMAGE_EPARSE && info.kind == VGPU_CUIMAGE_PTX) {
		vgpu_sim_warn(info.error);
		return VGPU_CUDA_ERROR_INVALID_PTX;
	}
	if (rc != VGPU_CUIMAGE_OK || info.kind != VGPU_CUIMAGE_PTX)
		return VGPU_CUDA_ERROR_INVALID_IMAGE;
	img = calloc(1, sizeof(*img));
	if (!img)
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	img->entries = calloc(info.nentries + 1, sizeof(*img->entries));
	img->globals = calloc(info.nglobals + 1, sizeof(*img->globals));
	if (!img->entries || !img->globals ||
	    vgpu_cuimage_scan(code, avail, &img->info, image_sym, img) != VGPU_CUIMAGE_OK) {
		vgpu_simcu_image_free(img);
		return VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	}
	if (img->info.globals && img->data_len < img->info.globals)
		img->data_len = img->info.globals; /* (saturated sizes) */
	*out = img;
	return VGPU_CUDA_SUCCESS;
}

unsigned int vgpu_simcu_image_nentries(const struct simcu_image *img)
{
	return img->nentries;
}

int vgpu_simcu_image_entry(const struct simcu_image *img, const char *name)
{
	for (unsigned int i = 0; i < img->nentries; i++)
		if (strcmp(img->entries[i], name) == 0)
			return (int)i;
	return -1;
}

static const struct sim_global *global_of(const struct simcu_image *img, const char *name)
{
	for (unsigned int i = 0; i < img->nglobals; i++)
		if (strcmp(img->globals[i].name, name) == 0)
			return &img->globals[i];
	return NULL;
}

vgpu_CUresult vgpu_simcu_read_file(const char *path, char **out, size_t *len)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	vgpu_CUresult rc = VGPU_CUDA_ERROR_FILE_NOT_FOUND;

	if (fd < 0)
		return rc;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	rc = VGPU_CUDA_ERROR_INVALID_IMAGE;
	if ((uint64_t)st.st_size > MAX_FILE)
		goto out;
	rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got + 1;
	buf = NULL;
	rc = VGPU_CUDA_SUCCESS;
out:
	free(buf);
	close(fd);
	return rc;
}

/* ---- modules --------------------------------------------------------------- */

/* The data segment first (the memory table takes the lock itself), then
 * the code charge and the handles under the lock. */
vgpu_CUresult vgpu_simcu_module_make(struct sim_ctx *c, struct simcu_image *img, const void *owner,
				     struct simcu_module **out)
{
	struct sim_dev *d = vgpu_simcu_dev(c->ordinal);
	uint64_t code = vgpu_cuimage_code_bytes(&img->info);
	uint32_t *fslots = calloc(img->nentries + 1, sizeof(*fslots)), mslot;
	uintptr_t data = 0;
	vgpu_CUresult rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	struct simcu_module *m;

	if (!fslots)
		return rc;
	if (img->data_len) {
		rc = vgpu_simcu_mem_make(c, c->ordinal, (size_t)img->data_len, vgpu_cuimage_data_bytes(&img->info),
					 SIMCU_DEVICE, NULL, &data);
		if (rc != VGPU_CUDA_SUCCESS) {
			free(fslots);
			return rc;
		}
	}
	pthread_mutex_lock(&vgpu_simcu.lock);
	if (c->magic != SIMCU_CTX_MAGIC || (c->primary && !c->active)) {
		rc = VGPU_CUDA_ERROR_CONTEXT_IS_DESTROYED;
		goto fail;
	}
	rc = VGPU_CUDA_ERROR_OUT_OF_MEMORY;
	if (vgpu_simcu_take_slots(&modules[0].magic, sizeof(modules[0]), MAX_MODULES, &next_module, 1, &mslot) != 0 ||
	    (img->nentries && vgpu_simcu_take_slots(&funcs[0].magic, sizeof(funcs[0]), MAX_FUNCS, &next_func, img->nentries,
					 fslots) != 0))
		goto fail;
	rc = vgpu_simcu_charge(d, code, 0);
	if (rc != VGPU_CUDA_SUCCESS)
		goto fail;
	m = &modules[mslot];
	m->ctx = c;
	m->img = img;
	m->owner = owner;
	m->code_charged = code;
	m->data = data;
	m->funcs = fslots;
	for (unsigned int i = 0; i < img->nentries; i++) {
		funcs[fslots[i]].mod = m;
		funcs[fslots[i]].entry = i;
		funcs[fslots[i]].magic = FUNC_MAGIC;
	}
	m->magic = MOD_MAGIC;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	*out = m;
	return VGPU_CUDA_SUCCESS;
fail:
	pthread_mutex_unlock(&vgpu_simcu.lock);
	free(fslots);
	if (data)
		vgpu_simcu_mem_unmake(data, 1u << SIMCU_DEVICE, VGPU_CUDA_SUCCESS);
	return rc;
}

uintptr_t vgpu_simcu_module_drop(struct simcu_module *m)
{
	uintptr_t data = m->data;

	for (unsigned int i = 0; i < m->img->nentries; i++)
		funcs[m->funcs[i]].magic = 0;
	vgpu_simcu_uncharge(vgpu_simcu_dev(m->ctx->ordinal), m->code_charged, 0);
	if (!m->owner)
		vgpu_simcu_image_free(m->img);
	free(m->funcs);
	memset(m, 0, sizeof(*m));
	return data;
}

void vgpu_simcu_modules_drop_ctx(struct sim_ctx *ctx)
{
	/* the data segments are ranges of ctx: vgpu_simcu_mem_drop_ctx frees them */
	for (unsigned int i = 0; i < MAX_MODULES; i++)
		if (modules[i].magic == MOD_MAGIC && modules[i].ctx == ctx)
			(void)vgpu_simcu_module_drop(&modules[i]);
}

static vgpu_CUresult load(vgpu_CUmodule *module, const void *image, size_t avail)
{
	struct sim_ctx *c = NULL;
	vgpu_CUresult rc = vgpu_simcu_current(&c);
	struct simcu_image *img = NULL;
	struct simcu_module *m = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!module || !image)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = vgpu_simcu_image_parse(image, avail, &img);
	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	rc = vgpu_simcu_module_make(c, img, NULL, &m);
	if (rc != VGPU_CUDA_SUCCESS) {
		vgpu_simcu_image_free(img);
		return rc;
	}
	*module = (vgpu_CUmodule)(void *)m;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuModuleLoadData(vgpu_CUmodule *module, const void *image)
{
	return load(module, image, SIZE_MAX);
}

vgpu_CUresult cuModuleLoadDataEx(vgpu_CUmodule *module, const void *image, unsigned int numOptions,
				 vgpu_CUjit_option *options, void **optionValues)
{
	vgpu_CUresult rc = vgpu_simcu_ready();

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (numOptions && (!options || !optionValues))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	for (unsigned int i = 0; i < numOptions; i++)
		if ((unsigned int)options[i] >= VGPU_CU_JIT_NUM_OPTIONS)
			return VGPU_CUDA_ERROR_INVALID_VALUE;
	return load(module, image, SIZE_MAX); /* JIT options change nothing here */
}

vgpu_CUresult cuModuleLoadFatBinary(vgpu_CUmodule *module, const void *fatCubin)
{
	return load(module, fatCubin, SIZE_MAX);
}

vgpu_CUresult cuModuleLoad(vgpu_CUmodule *module, const char *fname)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	char *buf = NULL;
	size_t len = 0;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!module || !fname)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	rc = vgpu_simcu_read_file(fname, &buf, &len);
	if (rc == VGPU_CUDA_SUCCESS)
		rc = load(module, buf, len);
	free(buf);
	return rc;
}

vgpu_CUresult cuModuleUnload(vgpu_CUmodule hmod)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct simcu_module *m;
	uintptr_t data = 0;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	pthread_mutex_lock(&vgpu_simcu.lock);
	m = module_of(hmod);
	if (!m || m->owner) /* a library's modules go with their library */
		rc = VGPU_CUDA_ERROR_INVALID_HANDLE;
	else
		data = vgpu_simcu_module_drop(m);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	vgpu_simcu_module_data_free(data);
	return rc;
}

vgpu_CUresult cuModuleGetFunction(vgpu_CUfunction *hfunc, vgpu_CUmodule hmod, const char *name)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct simcu_module *m;
	int i;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!hfunc || !name)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	m = module_of(hmod);
	if (!m) {
		rc = VGPU_CUDA_ERROR_INVALID_HANDLE;
	} else if ((i = vgpu_simcu_image_entry(m->img, name)) < 0) {
		rc = VGPU_CUDA_ERROR_NOT_FOUND;
	} else {
		*hfunc = (vgpu_CUfunction)(void *)&funcs[m->funcs[i]];
	}
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

vgpu_CUresult vgpu_simcu_module_global(const struct simcu_module *m, const char *name, vgpu_CUdeviceptr *dptr,
				   size_t *bytes)
{
	const struct sim_global *g = global_of(m->img, name);

	if (!g)
		return VGPU_CUDA_ERROR_NOT_FOUND;
	if (dptr)
		*dptr = (vgpu_CUdeviceptr)(m->data + g->offset);
	if (bytes)
		*bytes = (size_t)g->size;
	return VGPU_CUDA_SUCCESS;
}

vgpu_CUresult cuModuleGetGlobal_v2(vgpu_CUdeviceptr *dptr, size_t *bytes, vgpu_CUmodule hmod, const char *name)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct simcu_module *m;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!name || (!dptr && !bytes))
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	m = module_of(hmod);
	rc = m ? vgpu_simcu_module_global(m, name, dptr, bytes) : VGPU_CUDA_ERROR_INVALID_HANDLE;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return rc;
}

void vgpu_simcu_module_data_free(uintptr_t data)
{
	if (data)
		vgpu_simcu_mem_unmake(data, 1u << SIMCU_DEVICE, VGPU_CUDA_SUCCESS);
}

struct simcu_module *vgpu_simcu_module_find(const void *owner, const struct sim_ctx *c,
					    const struct simcu_module *except)
{
	for (unsigned int i = 0; i < MAX_MODULES; i++)
		if (modules[i].magic == MOD_MAGIC && modules[i].owner == owner && (!c || modules[i].ctx == c) &&
		    &modules[i] != except)
			return &modules[i];
	return NULL;
}

int vgpu_simcu_module_live(const struct simcu_module *m, const void *owner)
{
	return m->magic == MOD_MAGIC && m->owner == owner;
}

void *vgpu_simcu_module_func(const struct simcu_module *m, const void *owner, unsigned int entry)
{
	if (!vgpu_simcu_module_live(m, owner) || entry >= m->img->nentries)
		return NULL;
	return &funcs[m->funcs[entry]];
}

/* ---- checks for launches and graphs ------------------------------------- */

vgpu_CUresult vgpu_simcu_func_resolve(const void *h, struct sim_ctx *c)
{
	struct sim_func *f;
	int ok;

	pthread_mutex_lock(&vgpu_simcu.lock);
	f = func_of(h);
	ok = f && f->mod->ctx == c;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	if (f)
		return ok ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_HANDLE;
	return vgpu_simcu_kernel_function(h, c, NULL); /* a CUkernel passed as a CUfunction (CUDA 12) */
}

vgpu_CUresult vgpu_simcu_func_check(const void *func, const void *kern)
{
	int ok;

	pthread_mutex_lock(&vgpu_simcu.lock);
	ok = func ? (func_of(func) != NULL || vgpu_simcu_kernel_live(func)) : vgpu_simcu_kernel_live(kern);
	pthread_mutex_unlock(&vgpu_simcu.lock);
	return ok ? VGPU_CUDA_SUCCESS : VGPU_CUDA_ERROR_INVALID_HANDLE;
}

vgpu_CUresult cuFuncGetAttribute(int *pi, vgpu_CUfunction_attribute attrib, vgpu_CUfunction hfunc)
{
	vgpu_CUresult rc = vgpu_simcu_ready();
	struct sim_func *f;
	struct sim_ctx *c = NULL;
	const struct vgpu_sim_gpu *g = NULL;

	if (rc != VGPU_CUDA_SUCCESS)
		return rc;
	if (!pi || (int)attrib < 0 || attrib >= VGPU_CU_FUNC_ATTRIBUTE_MAX)
		return VGPU_CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&vgpu_simcu.lock);
	f = func_of(hfunc);
	if (f)
		c = f->mod->ctx;
	pthread_mutex_unlock(&vgpu_simcu.lock);
	if (!f) {
		if (vgpu_simcu_current(&c) != VGPU_CUDA_SUCCESS ||
		    vgpu_simcu_func_resolve(hfunc, c) != VGPU_CUDA_SUCCESS)
			return VGPU_CUDA_ERROR_INVALID_HANDLE;
	}
	g = vgpu_simcu_gpu(vgpu_simcu_dev(c->ordinal));
	switch (attrib) {
	case VGPU_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK:
		*pi = 1024;
		break;
	case VGPU_CU_FUNC_ATTRIBUTE_PTX_VERSION:
	case VGPU_CU_FUNC_ATTRIBUTE_BINARY_VERSION:
		*pi = g->cc_major * 10 + g->cc_minor;
		break;
	default:
		*pi = 0; /* no registers, shared, constant or local memory: nothing runs */
		break;
	}
	return VGPU_CUDA_SUCCESS;
}
