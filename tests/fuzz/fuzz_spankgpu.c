/*
 * fuzz_spankgpu.c - libFuzzer target for the SPANK plugin's two parsers of
 * outside data (plugins/spank/spank_gpu.c): the first byte chooses.
 *  - even: the rest is an ld.so.cache image, searched for "libcuda.so.1"
 *    and "libnvidia-ml.so.1" (vgpu_spank_gpu_cache_find);
 *  - odd: the rest is a job's gres_detail_str from slurmctld
 *    ("shard:20(IDX:0)" of 22.05, "shard:30(30/100,0/100)" of 23.11 on),
 *    asked for GPU index (byte >> 1) % 4 (vgpu_spank_gpu_job_shards).
 * Invariants (abort() on violation): a found path is absolute,
 * NUL-terminated inside the buffer, shorter than it; a found shard count is
 * 1..1000000, only for a string vgpu_slurmgres_parse accepts, and, when the
 * string is one shard item with per-GPU counts, that GPU's count; nothing
 * is written on failure; ASan checks the reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spank_gpu.h"
#include "vgpu_slurmgres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (1 << 16)

static vgpu_slurmgres_t g;      /* large: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "libcuda.so.1", "libnvidia-ml.so.1" };
	char out[64];
	unsigned char *copy;
	unsigned count;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	/* exact-size heap copies: ASan sees any read past the end (the cache
	 * image has no terminator; the detail string gets one) */
	copy = malloc((data[0] & 1) == 0 && size > 1 ? size - 1 : size);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if ((data[0] & 1) == 0) {
		for (size_t i = 0; i < 2; i++) {
			memset(out, 'x', sizeof(out));
			if (vgpu_spank_gpu_cache_find(copy, size - 1, names[i], out, sizeof(out)) == 0) {
				if (out[0] != '/' || !memchr(out, '\0', sizeof(out)))
					abort();
			} else if (out[0] != 'x') {
				abort();
			}
		}
	} else {
		copy[size - 1] = '\0';
		count = 0;
		unsigned index = (data[0] >> 1) % 4;

		if (vgpu_spank_gpu_job_shards((const char *)copy, index, &count) == 0) {
			if (count < 1 || count > 1000000)
				abort();
			if (vgpu_slurmgres_parse((const char *)copy, &g, NULL) != 0)
				abort();
			if (g.nitems == 1 && g.items[0].has_gpu_count &&
			    g.items[0].gpu_count[index] != count)
				abort();
		} else if (count != 0) {
			abort();
		}
	}
	free(copy);
	return 0;
}
