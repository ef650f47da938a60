/*
 * fuzz_request.c - libFuzzer target for the request grammar and sizes.
 *
 * For every input: vgpu_size_parse on the raw bytes, vgpu_request_parse on
 * them as a string. Invariants (abort() on violation):
 *  - every failure leaves a non-empty, NUL-terminated message and, for a
 *    request, a zeroed result;
 *  - an accepted size formats (1024-based) to text that parses back to it;
 *  - an accepted request is valid (mem or cores, ranges, lower-case type),
 *    its canonical form parses back to an equal request and formats again
 *    to the same text;
 *  - its shards on a fixed GPU type, in both accounting modes, never exceed
 *    the GPU's and their limits cover the request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_account.h"
#include "vgpu_request.h"
#include "vgpu_size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 1024

static void check_msg(const vgpu_err_t *err)
{
	if (!memchr(err->msg, '\0', sizeof(err->msg)) || err->msg[0] == '\0')
		abort();
}

static void check_size(const uint8_t *data, size_t size)
{
	vgpu_err_t err;
	uint64_t v = 0, back = 0;
	char buf[64];

	memset(&err, 'x', sizeof(err));
	if (vgpu_size_parse((const char *)data, size, "fuzz", &v, &err) != 0) {
		check_msg(&err);
		return;
	}
	if (v == 0)
		abort();
	if (vgpu_size_format(v, buf, sizeof(buf)) >= (int)sizeof(buf))
		abort();
	if (vgpu_size_parse(buf, strlen(buf), "fuzz", &back, &err) != 0 || back != v)
		abort();
	if (vgpu_size_human(v, buf, sizeof(buf)) >= (int)sizeof(buf))
		abort();
}

static void check_account(const vgpu_request_t *req)
{
	vgpu_conf_t conf;
	vgpu_gpu_type_t *t;
	vgpu_limits_t lim;
	vgpu_err_t err;
	unsigned k, gpu;
	int mode;

	vgpu_conf_init(&conf);
	t = &conf.types[conf.ntypes++];
	strcpy(t->name, req->type[0] ? req->type : "h100");
	t->mem_bytes = (uint64_t)81559 << 20;
	t->sms = 132;
	t->reserve_bytes = (uint64_t)1 << 30;
	t->reserve_set = 1;
	for (mode = 0; mode < 2; mode++) {
		conf.mode = mode ? VGPU_MODE_MEMORY : VGPU_MODE_STRICT;
		gpu = vgpu_account_gpu_shards(&conf, t, &err);
		if (gpu == 0)
			abort();
		memset(&err, 'x', sizeof(err));
		if (vgpu_account_shards(&conf, t, req, &k, &err) != 0) {
			check_msg(&err);
			continue;
		}
		if (k < 1 || k > gpu)
			abort();
		if (vgpu_account_limits(&conf, t, k, req, &lim, &err) != 0)
			abort();
		if (lim.mem_bytes <= lim.ctx_bytes || lim.mem_bytes - lim.ctx_bytes < req->mem_bytes ||
		    lim.shards != k)
			abort();
		if (lim.sm_share < 1 || lim.sm_share > VGPU_SHARE_FULL)
			abort();
		if (!mode && lim.sm_share < req->cores_pct * 100)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const vgpu_request_t zero;
	char text[INPUT_MAX + 1], canon[VGPU_REQUEST_TEXT_MAX + 64], again[sizeof(canon)];
	vgpu_request_t req, back;
	vgpu_err_t err;
	size_t i;
	int n;

	check_size(data, size);
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&err, 'x', sizeof(err));
	memset(&req, 'x', sizeof(req));
	if (vgpu_request_parse(text, (size & 1) ? "--gres" : NULL, &req, &err) != 0) {
		check_msg(&err);
		if (memcmp(&req, &zero, sizeof(req)) != 0)
			abort();
		return 0;
	}
	if (!req.mem_bytes && !req.cores_pct && !vgpu_request_relative(&req))
		abort();
	if (req.cores_pct > 100 || req.gpus > VGPU_REQUEST_GPUS_MAX || req.mem_pct > 100)
		abort();
	if (req.mem_bytes && req.mem_pct)
		abort();
	if (req.share_den && (req.mem_bytes || req.mem_pct || req.cores_pct || req.share_num < 1 ||
			      req.share_num > req.share_den || req.share_den > VGPU_REQUEST_SHARE_MAX))
		abort();
	if (!memchr(req.type, '\0', sizeof(req.type)))
		abort();
	for (i = 0; req.type[i]; i++)
		if (req.type[i] >= 'A' && req.type[i] <= 'Z')
			abort();
	n = vgpu_request_format(&req, canon, sizeof(canon));
	if (n <= 0 || n >= VGPU_REQUEST_TEXT_MAX)
		abort();
	if (vgpu_request_parse(canon, "canonical", &back, &err) != 0)
		abort();
	if (memcmp(&req, &back, sizeof(req)) != 0)
		abort();
	vgpu_request_format(&back, again, sizeof(again));
	if (strcmp(canon, again) != 0)
		abort();
	check_account(&req);
	return 0;
}
