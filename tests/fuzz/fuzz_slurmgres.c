/*
 * fuzz_slurmgres.c - libFuzzer target for the parser of Slurm GRES strings
 * and the show model fed with them.
 *
 * For every input, as a string: vgpu_slurmgres_parse. Invariants (abort()
 * on violation):
 *  - a failure leaves a non-empty, NUL-terminated message and an empty
 *    result;
 *  - an accepted string has at most VGPU_SLURMGRES_ITEMS_MAX items, each
 *    with a non-empty NUL-terminated name, a NUL-terminated type, has_idx
 *    set exactly when the mask is not empty, count 1 when none was given;
 *    per-GPU counts (has_gpu_count) exactly when 1..64 fields were read,
 *    none beyond them, and then the mask is exactly the GPUs with a count
 *    above 0;
 *  - the input used as a node's gres and as a job's detail on a fixed
 *    4-GPU node never gives a GPU more holders than it records, and the
 *    free amounts never exceed the usable ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_show.h"
#include "vgpu_slurmgres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 8192

static vgpu_show_node_t node;   /* large: not on the stack */

static void check_msg(const vgpu_err_t *err)
{
	if (!memchr(err->msg, '\0', sizeof(err->msg)) || err->msg[0] == '\0')
		abort();
}

static void check_model(const char *text)
{
	vgpu_conf_t conf;
	vgpu_gpu_type_t *t;
	vgpu_err_t err;
	unsigned g;

	vgpu_conf_init(&conf);
	conf.shards_per_gpu = 100; /* the GRES below has 100 per GPU (the default is 120) */
	t = &conf.types[conf.ntypes++];
	strcpy(t->name, "h100");
	t->mem_bytes = (uint64_t)81559 << 20;
	t->sms = 132;
	if (vgpu_show_node_init(&node, "n1", "gpu:h100:4,shard:h100:400", &err) != 0)
		abort();
	memset(&err, 'x', sizeof(err));
	if (vgpu_show_node_add_job(&node, 7, "u", text, &err) != 0)
		check_msg(&err);
	vgpu_show_node_finish(&node, &conf);
	for (g = 0; g < node.ngpus; g++) {
		const vgpu_show_gpu_t *gpu = &node.gpus[g];

		if (gpu->nholders > VGPU_SHOW_HOLDERS_MAX || !gpu->known)
			abort();
		if (vgpu_show_mem_free(gpu) > gpu->mem_usable ||
		    vgpu_show_sm_free(gpu) > VGPU_SHARE_FULL)
			abort();
	}
	memset(&err, 'x', sizeof(err));
	if (vgpu_show_node_init(&node, "n2", text, &err) != 0)
		check_msg(&err);
	else if (node.ngpus > VGPU_SHOW_GPUS_MAX)
		abort();
}

static void check_gpu_count(const vgpu_slurmgres_item_t *it)
{
	unsigned b;

	if ((it->has_gpu_count != 0) != (it->ngpus != 0) || it->ngpus > VGPU_SLURMGRES_IDX_MAX)
		abort();
	for (b = 0; b < VGPU_SLURMGRES_IDX_MAX; b++) {
		if (b >= it->ngpus && it->gpu_count[b] != 0)
			abort();
		if (it->has_gpu_count && (it->idx_mask >> b & 1) != (it->gpu_count[b] > 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const vgpu_slurmgres_t zero;
	static char text[INPUT_MAX + 1];
	static vgpu_slurmgres_t g;
	vgpu_err_t err;
	unsigned i;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&err, 'x', sizeof(err));
	memset(&g, 'x', sizeof(g));
	if (vgpu_slurmgres_parse(text, &g, &err) != 0) {
		check_msg(&err);
		if (memcmp(&g, &zero, sizeof(g)) != 0)
			abort();
	} else {
		if (g.nitems > VGPU_SLURMGRES_ITEMS_MAX)
			abort();
		for (i = 0; i < g.nitems; i++) {
			const vgpu_slurmgres_item_t *it = &g.items[i];

			if (!memchr(it->name, '\0', sizeof(it->name)) || !it->name[0] ||
			    !memchr(it->type, '\0', sizeof(it->type)))
				abort();
			if ((it->has_idx != 0) != (it->idx_mask != 0))
				abort();
			if (!it->has_count && it->count != 1)
				abort();
			check_gpu_count(it);
		}
	}
	check_model(text);
	return 0;
}
