/*
 * fuzz_stepdesc.c - libFuzzer target for the per-step description parser
 * (src/lib/vgpu_stepdesc.c), which the shim runs in every process of a step.
 *
 * Invariants (abort() on violation):
 *  - a failure leaves a NUL-terminated message starting "fuzz.desc:" and the
 *    description exactly as vgpu_stepdesc_init makes it;
 *  - an accepted description passes vgpu_stepdesc_check (terminated strings,
 *    absolute paths, GPUs in range, no duplicate), every GPU is found again
 *    by vgpu_stepdesc_find_gpu;
 *  - formatting it and parsing the text gives the same structure back;
 *  - parsing is deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_stepdesc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vgpu_stepdesc_t d, again, fresh;
	static char text[VGPU_STEPDESC_FILE_MAX];
	vgpu_err_t err;
	int n;

	memset(&err, 'x', sizeof(err));
	memset(&d, 'x', sizeof(d));
	vgpu_stepdesc_init(&fresh);
	if (vgpu_stepdesc_parse((const char *)data, size, "fuzz.desc", &d, &err) != 0) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)) || strncmp(err.msg, "fuzz.desc:", 10) != 0)
			abort();
		if (memcmp(&d, &fresh, sizeof(d)) != 0)
			abort();
		return 0;
	}
	if (vgpu_stepdesc_check(&d, &err) != 0)
		abort();
	for (size_t i = 0; i < d.ngpus; i++)
		if (vgpu_stepdesc_find_gpu(&d, d.gpus[i].uuid) != &d.gpus[i])
			abort();
	n = vgpu_stepdesc_format(&d, text, sizeof(text), &err);
	if (n <= 0 || (size_t)n != strlen(text))
		abort();
	memset(&again, 'y', sizeof(again));
	if (vgpu_stepdesc_parse(text, (size_t)n, "fuzz.desc", &again, &err) != 0 || memcmp(&d, &again, sizeof(d)) != 0)
		abort();
	memset(&again, 'z', sizeof(again));
	if (vgpu_stepdesc_parse((const char *)data, size, "fuzz.desc", &again, &err) != 0 ||
	    memcmp(&d, &again, sizeof(d)) != 0)
		abort();
	return 0;
}
