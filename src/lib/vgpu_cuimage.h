/*
 * vgpu_cuimage.h - what a CUDA module image takes in device memory, read
 * from the image itself (no CUDA library needed). Shared by the simulated
 * driver (sim/sim_cuda_module.c: it loads PTX and charges exactly this) and
 * the shim (src/shim/shim_module.c: it reserves this before a load).
 *
 * The rule (doc/simulator.md, "Modules"): a loaded image takes a code
 * segment of its size rounded up to 2 MiB (at least 2 MiB) plus a data
 * segment of its global variables' sizes summed and rounded up to 2 MiB
 * (none when it has none).
 *
 * Images understood:
 *  - PTX text (starts, after blank space and comments, with ".version"):
 *    size = the text's length + 1; `.entry NAME` are its kernels; `.global`
 *    and `.const` variables at file scope (not `.extern`), with a type
 *    (.b8 .u16 .s32 .f64 ...), optional `.align N`, `.v2`/`.v4`, array
 *    dimensions `[N]` (nested too) and initialisers, are its globals;
 *  - an ELF cubin: size from its section headers, globals = the sum of its
 *    `.nv.global*` sections, kernels = its `.text.NAME` sections;
 *  - a fatbin (magic 0xBA55ED50): size from its header; globals = the most
 *    any uncompressed ELF inside it declares (compressed ones are not seen);
 *  - the runtime's fatbin wrapper (magic 0x466243b1, pointing at a fatbin).
 */
#ifndef VGPU_CUIMAGE_H
#define VGPU_CUIMAGE_H

#include <stddef.h>
#include <stdint.h>

enum vgpu_cuimage_kind {
	VGPU_CUIMAGE_UNKNOWN = 0,
	VGPU_CUIMAGE_PTX,
	VGPU_CUIMAGE_ELF,
	VGPU_CUIMAGE_FATBIN
};

/* Results of vgpu_cuimage_scan. */
#define VGPU_CUIMAGE_OK 0
#define VGPU_CUIMAGE_EUNKNOWN (-1) /* not an image this parser knows */
#define VGPU_CUIMAGE_EPARSE (-2)   /* looks like one, but malformed or not understood */
#define VGPU_CUIMAGE_ECALLBACK (-3) /* the callback returned non-zero */

struct vgpu_cuimage {
	enum vgpu_cuimage_kind kind;
	uint64_t bytes;   /* the image's size */
	uint64_t globals; /* its global variables' bytes */
	unsigned int nentries, nglobals;
	char error[160];  /* with EPARSE: what was not understood, and where */
};

/* Called for each kernel (entry != 0, size 0) and each global variable
 * (entry == 0, its size) of a PTX image or a cubin's kernels; name is not
 * NUL-terminated (len bytes). Non-zero stops the scan. */
typedef int (*vgpu_cuimage_sym_fn)(void *arg, const char *name, size_t len, int entry, uint64_t size);

/* Read image (at most avail bytes of it are read: SIZE_MAX when the caller
 * does not know its length, as cuModuleLoadData) into *out and report its
 * symbols to fn (may be NULL). Returns VGPU_CUIMAGE_OK or an error above;
 * *out is filled as far as known either way. */
int vgpu_cuimage_scan(const void *image, size_t avail, struct vgpu_cuimage *out, vgpu_cuimage_sym_fn fn,
		      void *arg);

/* Device bytes a loaded image takes by the rule above (saturates). */
uint64_t vgpu_cuimage_device_bytes(const struct vgpu_cuimage *im);

/* The code and data segments apart (each rounded to 2 MiB). */
uint64_t vgpu_cuimage_code_bytes(const struct vgpu_cuimage *im);
uint64_t vgpu_cuimage_data_bytes(const struct vgpu_cuimage *im);

#endif
