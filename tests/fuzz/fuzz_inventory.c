/*
 * fuzz_inventory.c - libFuzzer target for the inventory JSON reader, type
 * names and bus ids.
 *
 * Invariants (abort() on violation):
 *  - a refused document leaves a non-empty message naming the input and a
 *    zeroed inventory;
 *  - for an accepted document x: from_json(to_json(x)) is accepted and equal
 *    to x, and to_json of that gives the same text again;
 *  - a type name derived from the input as a model name is a valid NAME
 *    ([a-z][a-z0-9_.-]{0,30});
 *  - a bus id the input canonicalises to is canonical: it maps to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_MAX 512

static vgpu_inventory_t inv, back;
static const vgpu_inventory_t zero;

static void check_names(const uint8_t *data, size_t size)
{
	char text[TEXT_MAX + 1], name[VGPU_NAME_MAX], bus[VGPU_BUSID_MAX], bus2[VGPU_BUSID_MAX];
	size_t n = size < TEXT_MAX ? size : TEXT_MAX;

	memcpy(text, data, n);
	text[n] = '\0';
	if (vgpu_inventory_type_name(text, name, sizeof(name)) == 0) {
		size_t len = strlen(name);

		if (len == 0 || len > 31 || name[0] < 'a' || name[0] > 'z' ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
			abort();
	}
	if (vgpu_inventory_busid(text, bus, sizeof(bus), NULL) == 0) {
		if (vgpu_inventory_busid(bus, bus2, sizeof(bus2), NULL) != 0 || strcmp(bus, bus2) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *again;
	vgpu_err_t err;

	check_names(data, size);
	memset(&err, 'x', sizeof(err));
	memset(&inv, 'x', sizeof(inv));
	if (vgpu_inventory_from_json((const char *)data, size, "fuzz.json", &inv, &err) != 0) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)) || strncmp(err.msg, "fuzz.json: ", 11) != 0)
			abort();
		if (memcmp(&inv, &zero, sizeof(inv)) != 0)
			abort();
		return 0;
	}
	text = vgpu_inventory_to_json(&inv);
	if (!text)
		abort();
	if (vgpu_inventory_from_json(text, strlen(text), "again.json", &back, &err) != 0)
		abort();
	if (vgpu_inventory_compare(&inv, &back, NULL, 0) != 0)
		abort();
	again = vgpu_inventory_to_json(&back);
	if (!again || strcmp(text, again) != 0)
		abort();
	free(text);
	free(again);
	return 0;
}
