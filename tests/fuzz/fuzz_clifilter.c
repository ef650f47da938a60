/*
 * fuzz_clifilter.c - libFuzzer target for the clients' admission of
 * --gres=vgpu (vgpu_clifilter_run), which parses user text. Input: one byte
 * choosing the client (bits 0-1: srun, sbatch, salloc, other) and vgpu.conf
 * (bit 2: memory accounting with one h100, else strict with h100, a100 and
 * l40s), then up to eight lines: gres, constraint, comment, export, gpus,
 * gpus-per-node, gpus-per-task, gpus-per-socket (a missing line: unset).
 * The seeds use '0'..'7' as that byte. Invariants (abort() on violation):
 *  - without vgpu.conf the answer is NONE, REFUSED or NEED_CONF, and with
 *    it the same (NONE, or REFUSED with the same message) or, after
 *    NEED_CONF, CHANGED or REFUSED;
 *  - a refusal has a non-empty, NUL-terminated message; NONE sets nothing;
 *  - CHANGED: --gres ends with the item "shard:N" of the answer (N > 0);
 *    the canonical request parses and has no ',' or space; sbatch gets the
 *    comment marker in front of its comment, srun and other clients the
 *    export list (or ALL) with "VGPU_REQUEST=CANONICAL" (srun: first, other:
 *    last), salloc neither;
 *    a new constraint names a vgpu_ feature;
 *  - the same input gives the same answer twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_admit.h"
#include "vgpu_clifilter.h"
#include "vgpu_conf.h"
#include "vgpu_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 65536
#define NLINES 8

static const char memory_conf[] =
	"AccountingMode=memory\nShardMemory=1G\nGpuType=h100 Memory=81559M SMs=132\n";
static const char three_conf[] =
	"AccountingMode=strict\nShardsPerGpu=100\nGpuType=H100 Memory=81559M SMs=132\n"
	"GpuType=a100 Memory=40G SMs=108\nGpuType=l40s Memory=46068M SMs=142\n";

static vgpu_conf_t confs[2];
static vgpu_clifilter_out_t out, again;

static void load_confs(void)
{
	static int done;

	if (done)
		return;
	if (vgpu_conf_parse(memory_conf, strlen(memory_conf), "memory", &confs[0], NULL) != 0 ||
	    vgpu_conf_parse(three_conf, strlen(three_conf), "three", &confs[1], NULL) != 0)
		abort();
	done = 1;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

static void check_changed(const vgpu_clifilter_in_t *in)
{
	static char want[2 * VGPU_CLIFILTER_OPT_MAX + 64];
	char item[40];
	vgpu_request_t req;
	size_t n;

	snprintf(item, sizeof(item), "shard:%lu", out.shards);
	n = strlen(out.gres) - strlen(item);
	if (out.shards == 0 || !ends_with(out.gres, item) || (n > 0 && out.gres[n - 1] != ','))
		abort();
	if (!out.canon[0] || strpbrk(out.canon, ", \t\n") ||
	    vgpu_request_parse(out.canon, NULL, &req, NULL) != 0)
		abort();
	if (out.set_comment != (in->client == VGPU_CLIFILTER_SBATCH) ||
	    out.set_export != (in->client == VGPU_CLIFILTER_SRUN || in->client == VGPU_CLIFILTER_OTHER))
		abort();
	if (out.set_comment) {
		snprintf(want, sizeof(want), "%s%s]%s", VGPU_ADMIT_COMMENT_TAG, out.canon,
			 in->comment ? in->comment : "");
		if (strcmp(out.comment, want) != 0)
			abort();
	}
	if (out.set_export) {
		const char *user = in->export_env && *in->export_env ? in->export_env : "ALL";

		if (in->client == VGPU_CLIFILTER_SRUN) {
			/* the request first, once; the rest of the list after it */
			snprintf(want, sizeof(want), "VGPU_REQUEST=%s,", out.canon);
			const char *p = out.export_env + strlen(want);

			if (strncmp(out.export_env, want, strlen(want)) != 0 || *p == '\0')
				abort();
			while (*p) {
				size_t len = strcspn(p, ",");

				if (len >= 12 && strncmp(p, "VGPU_REQUEST", 12) == 0 &&
				    (len == 12 || p[12] == '='))
					abort();
				p += len;
				if (*p == ',')
					p++;
			}
		} else {
			snprintf(want, sizeof(want), "%s,VGPU_REQUEST=%s", user, out.canon);
			if (strcmp(out.export_env, want) != 0)
				abort();
		}
	}
	if (out.set_constraint && !strstr(out.constraint, "vgpu_"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[INPUT_MAX + 1];
	const char *lines[NLINES] = { NULL };
	vgpu_clifilter_in_t in;
	const vgpu_conf_t *conf;
	vgpu_err_t err0, err, err2;
	char *p;
	int r0, r, r2, i;

	load_confs();
	if (size < 1)
		return 0;
	if (size - 1 > INPUT_MAX)
		size = INPUT_MAX + 1;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	memset(&in, 0, sizeof(in));
	in.client = (vgpu_clifilter_client_t)(data[0] & 3);
	conf = &confs[(data[0] >> 2) & 1];
	p = text;
	for (i = 0; i < NLINES && p; i++) {
		lines[i] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	in.gres = lines[0];
	in.constraint = lines[1];
	in.comment = lines[2];
	in.export_env = lines[3];
	for (i = 0; i < VGPU_CLIFILTER_NGPUOPTS; i++)
		in.gpus[i] = lines[4 + i];

	r0 = vgpu_clifilter_run(&in, NULL, &out, &err0);
	r = vgpu_clifilter_run(&in, conf, &out, &err);
	if (r0 == VGPU_CLIFILTER_NEED_CONF) {
		if (r != VGPU_CLIFILTER_CHANGED && r != VGPU_CLIFILTER_REFUSED)
			abort();
	} else if (r0 != r || (r0 != VGPU_CLIFILTER_NONE && r0 != VGPU_CLIFILTER_REFUSED)) {
		abort();
	} else if (r0 == VGPU_CLIFILTER_REFUSED && strcmp(err0.msg, err.msg) != 0) {
		abort();
	}
	if (r == VGPU_CLIFILTER_REFUSED &&
	    (err.msg[0] == '\0' || strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg)))
		abort();
	if (r == VGPU_CLIFILTER_NONE &&
	    (out.gres[0] || out.set_comment || out.set_export || out.set_constraint))
		abort();
	if (r == VGPU_CLIFILTER_CHANGED)
		check_changed(&in);
	r2 = vgpu_clifilter_run(&in, conf, &again, &err2);
	if (r2 != r || (r == VGPU_CLIFILTER_REFUSED && strcmp(err.msg, err2.msg) != 0) ||
	    (r == VGPU_CLIFILTER_CHANGED &&
	     (strcmp(out.gres, again.gres) != 0 || strcmp(out.constraint, again.constraint) != 0 ||
	      strcmp(out.comment, again.comment) != 0 ||
	      strcmp(out.export_env, again.export_env) != 0)))
		abort();
	return 0;
}
