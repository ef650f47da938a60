/*
 * fuzz_elfid.c - libFuzzer target for the shim identity reader
 * (src/lib/vgpu_elfid.c): the input is a file's bytes (at most 1 MiB).
 * Checked: the kind is one of the five; only a shim gives an identity,
 * which is printable text inside the caller's buffer (also a 5-byte one);
 * scanning twice gives the same result.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_elfid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[VGPU_ELFID_ID_MAX], id2[VGPU_ELFID_ID_MAX], small[5];
	vgpu_elfid_kind_t k, k2;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memset(id, 'x', sizeof(id));
	k = vgpu_elfid_scan_mem(data, size, id, sizeof(id));
	if (k > VGPU_ELFID_NO_NOTE || !memchr(id, '\0', sizeof(id)))
		abort();
	if (k != VGPU_ELFID_SHIM && id[0])
		abort();
	for (const char *p = id; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	k2 = vgpu_elfid_scan_mem(data, size, id2, sizeof(id2));
	if (k2 != k || strcmp(id, id2) != 0)
		abort();
	if (vgpu_elfid_scan_mem(data, size, small, sizeof(small)) != k || strlen(small) >= sizeof(small) ||
	    strncmp(small, id, strlen(small)) != 0)
		abort();
	return 0;
}
