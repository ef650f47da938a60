/*
 * fuzz_cuimage.c - libFuzzer target for the module image reader
 * (src/lib/vgpu_cuimage.c), which the shim runs in every process that loads
 * a CUDA module (cuModuleLoadData, cuLibraryLoadData, ...) and the simulator
 * at every load: PTX text, ELF cubins, fatbins.
 *
 * The input is the whole image and its length is given (avail = size), so a
 * read past it is a bug ASan reports. Inputs starting with the runtime's
 * fatbin-wrapper magic are skipped: a wrapper holds a pointer to the
 * fatbin, which only the CUDA runtime makes, so it cannot come from bytes.
 *
 * Invariants (abort() on violation):
 *  - the result is OK, EUNKNOWN or EPARSE (no callback here stops it);
 *  - the error text is NUL-terminated, and non-empty with EPARSE;
 *  - every name the callback gets lies inside the input, has no NUL and is
 *    not empty; PTX reports exactly nentries kernels and nglobals globals,
 *    a cubin nentries kernels;
 *  - OK: a known kind, a size of at least one byte, device bytes = code +
 *    data, code at least the size and at least 2 MiB, both 2 MiB multiples,
 *    data 0 exactly when there are no global bytes;
 *  - a second scan gives the same result and the same structure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_cuimage.h"

#define MIB2 (UINT64_C(2) << 20)
#define WRAPPER_MAGIC 0x466243b1u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const uint8_t *data;
	size_t size;
	unsigned int entries, globals;
};

static int on_symbol(void *arg, const char *name, size_t len, int entry, uint64_t bytes)
{
	struct seen *s = arg;
	const uint8_t *p = (const uint8_t *)name;

	if (len == 0 || p < s->data || len > s->size || p > s->data + (s->size - len) || memchr(name, '\0', len))
		abort();
	if (entry) {
		if (bytes != 0)
			abort();
		s->entries++;
	} else {
		s->globals++;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vgpu_cuimage a, b;
	struct seen s = { data, size, 0, 0 };
	uint64_t code, dat;
	uint32_t magic;
	int r;

	if (size >= 4) {
		memcpy(&magic, data, 4);
		if (magic == WRAPPER_MAGIC)
			return 0;
	}
	memset(&a, 'x', sizeof(a));
	r = vgpu_cuimage_scan(data, size, &a, on_symbol, &s);
	if (r != VGPU_CUIMAGE_OK && r != VGPU_CUIMAGE_EUNKNOWN && r != VGPU_CUIMAGE_EPARSE)
		abort();
	if (!memchr(a.error, '\0', sizeof(a.error)) || (r == VGPU_CUIMAGE_EPARSE && a.error[0] == '\0'))
		abort();
	if (r == VGPU_CUIMAGE_OK) {
		if (a.kind == VGPU_CUIMAGE_UNKNOWN || a.bytes == 0)
			abort();
		if (a.kind == VGPU_CUIMAGE_PTX && (s.entries != a.nentries || s.globals != a.nglobals))
			abort();
		if (a.kind == VGPU_CUIMAGE_ELF && s.entries != a.nentries)
			abort();
		code = vgpu_cuimage_code_bytes(&a);
		dat = vgpu_cuimage_data_bytes(&a);
		if (vgpu_cuimage_device_bytes(&a) != code + dat || code < MIB2 || code % MIB2 || dat % MIB2 ||
		    (a.bytes <= UINT64_MAX - MIB2 && code < a.bytes) || (dat == 0) != (a.globals == 0))
			abort();
	}
	memset(&b, 'x', sizeof(b));
	if (vgpu_cuimage_scan(data, size, &b, NULL, NULL) != r || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	return 0;
}
