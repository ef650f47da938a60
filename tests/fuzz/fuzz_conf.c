/*
 * fuzz_conf.c - libFuzzer target for the vgpu.conf parser.
 *
 * Invariants (abort() on violation):
 *  - a failure leaves a NUL-terminated message starting "fuzz.conf:" and the
 *    conf exactly as vgpu_conf_init makes it;
 *  - an accepted conf holds values in their documented ranges, NUL-terminated
 *    strings, valid lower-case type names found by vgpu_conf_find_type, and
 *    every type offers at least one shard;
 *  - parsing is deterministic (the same text gives the same conf).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_account.h"
#include "vgpu_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_ok(const vgpu_conf_t *c)
{
	vgpu_err_t err;
	size_t i, j;

	if (c->mode != VGPU_MODE_STRICT && c->mode != VGPU_MODE_MEMORY)
		abort();
	if (c->shards_per_gpu < VGPU_CONF_SHARDS_MIN || c->shards_per_gpu > VGPU_CONF_SHARDS_MAX)
		abort();
	if (c->shard_bytes < VGPU_CONF_MIN_BYTES || c->default_cores < 1 || c->default_cores > 100)
		abort();
	if (!terminated(c->state_dir, sizeof(c->state_dir)) || c->state_dir[0] != '/' ||
	    !terminated(c->shim_path, sizeof(c->shim_path)) || c->shim_path[0] != '/' ||
	    !terminated(c->nvml_path, sizeof(c->nvml_path)) || !c->nvml_path[0] ||
	    !terminated(c->cuda_path, sizeof(c->cuda_path)) || !c->cuda_path[0])
		abort();
	if (c->ntypes > VGPU_CONF_TYPES_MAX)
		abort();
	for (i = 0; i < c->ntypes; i++) {
		const vgpu_gpu_type_t *t = &c->types[i];

		if (!terminated(t->name, sizeof(t->name)) || !terminated(t->model, sizeof(t->model)))
			abort();
		if (vgpu_request_check_name(t->name, "fuzz", &err) != 0)
			abort();
		for (j = 0; t->name[j]; j++)
			if (t->name[j] >= 'A' && t->name[j] <= 'Z')
				abort();
		if (vgpu_conf_find_type(c, t->name) != t)
			abort();
		if (t->mem_bytes < VGPU_CONF_MIN_BYTES || t->sms < 1 || t->sms > VGPU_CONF_SMS_MAX)
			abort();
		if (vgpu_conf_type_reserve(c, t) >= t->mem_bytes)
			abort();
		if (vgpu_account_gpu_shards(c, t, &err) == 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vgpu_conf_t conf, again, fresh;
	vgpu_err_t err;

	memset(&err, 'x', sizeof(err));
	memset(&conf, 'x', sizeof(conf));
	vgpu_conf_init(&fresh);
	if (vgpu_conf_parse((const char *)data, size, "fuzz.conf", &conf, &err) != 0) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)) ||
		    strncmp(err.msg, "fuzz.conf:", 10) != 0)
			abort();
		if (memcmp(&conf, &fresh, sizeof(conf)) != 0)
			abort();
		return 0;
	}
	check_ok(&conf);
	if (vgpu_conf_parse((const char *)data, size, "fuzz.conf", &again, &err) != 0 ||
	    memcmp(&conf, &again, sizeof(conf)) != 0)
		abort();
	return 0;
}
