/*
 * fuzz_hostlist.c - libFuzzer target for the hostlist syntax
 * (src/lib/vgpu_hostlist.c). The input, up to its first NUL and at most
 * 4 KiB, is a hostlist. Checked: a refusal has a message that quotes
 * "hostlist" and no names; an accepted list has at most VGPU_HOSTLIST_MAX
 * names, each non-empty, without separators or brackets; compress then
 * expand gives the same names in the same order; expanding twice gives
 * the same result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_hostlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[INPUT_MAX + 1], **a, **b, *c;
	size_t na, nb;
	vgpu_err_t err;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	if (vgpu_hostlist_expand(text, &a, &na, &err) < 0) {
		if (a || !strstr(err.msg, "hostlist"))
			abort();
		return 0;
	}
	if (na > VGPU_HOSTLIST_MAX)
		abort();
	for (size_t i = 0; i < na; i++)
		if (!a[i][0] || strpbrk(a[i], ",[] \t\n\r"))
			abort();
	if (!(c = vgpu_hostlist_compress((const char *const *)a, na)))
		abort();
	if (vgpu_hostlist_expand(c, &b, &nb, &err) < 0 || nb != na)
		abort();
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			abort();
	vgpu_hostlist_free(b, nb);
	if (vgpu_hostlist_expand(text, &b, &nb, &err) < 0 || nb != na)
		abort();
	vgpu_hostlist_free(b, nb);
	vgpu_hostlist_free(a, na);
	free(c);
	return 0;
}
