/*
 * fuzz_stepplan.c - libFuzzer target for the StateDir file formats and the
 * step plan's inputs (src/lib/vgpu_stepplan.c). The first byte picks:
 *   o  owner "PID START"      g  gpu "IDX HOST[ whole]" lines
 *   c  cap "UUID MEM SM"      n  a StateDir entry name
 *   s  SLURM_SHARDS_ON_NODE;SLURM_STEP_GPUS;CUDA_VISIBLE_DEVICES of a step
 *   w  SLURM_JOB_GPUS;HOST of a whole-GPU step
 * the rest (at most 8 KiB) is the text. Checked: what parses formats, and
 * the formatted text parses back to the same values; a refusal has a
 * reason starting "vgpu: "; an entry name's job and node print back.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_stepplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 8192

static void check_plan(const vgpu_stepplan_t *p)
{
	if (p->state == VGPU_STEPPLAN_REFUSED && strncmp(p->why, "vgpu: ", 6) != 0)
		abort();
	if (p->state == VGPU_STEPPLAN_SLICE && (p->shards == 0 || p->index > VGPU_STEPPLAN_INDEX_MAX))
		abort();
	if ((p->state == VGPU_STEPPLAN_WHOLE || p->state == VGPU_STEPPLAN_WHOLE_PLAIN) && p->whole.n == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[INPUT_MAX + 1], out[VGPU_STEPPLAN_FILE_MAX * 2];
	vgpu_err_t err;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1 > INPUT_MAX ? INPUT_MAX : size - 1;
	memcpy(text, data + 1, n);
	text[n] = '\0';
	switch (data[0]) {
	case 'o': {
		long pid, pid2;
		unsigned long long st, st2;

		if (vgpu_stepplan_owner_parse(text, n, &pid, &st) == 0) {
			if (vgpu_stepplan_owner_format(pid, st, out, sizeof(out)) != 0 ||
			    vgpu_stepplan_owner_parse(out, strlen(out), &pid2, &st2) != 0 || pid != pid2 || st != st2)
				abort();
		}
		break;
	}
	case 'g': {
		vgpu_stepplan_gpus_t g, g2;

		if (vgpu_stepplan_gpus_parse(text, n, "gpu", &g, &err) == 0) {
			if (vgpu_stepplan_gpus_format(&g, out, sizeof(out)) != 0 ||
			    vgpu_stepplan_gpus_parse(out, strlen(out), "gpu", &g2, &err) != 0 ||
			    memcmp(&g, &g2, sizeof(g)) != 0)
				abort();
		} else if (!err.msg[0]) {
			abort();
		}
		break;
	}
	case 'c': {
		char u[64], u2[64];
		uint64_t m, m2;
		unsigned s, s2;

		if (vgpu_stepplan_cap_parse(text, n, "cap", u, sizeof(u), &m, &s, &err) == 0) {
			if (vgpu_stepplan_cap_format(u, m, s, out, sizeof(out)) != 0 ||
			    vgpu_stepplan_cap_parse(out, strlen(out), "cap", u2, sizeof(u2), &m2, &s2, &err) != 0 ||
			    strcmp(u, u2) != 0 || m != m2 || s != s2)
				abort();
		} else if (!err.msg[0]) {
			abort();
		}
		break;
	}
	case 'n': {
		unsigned long job = 0, node = 0;
		int k = vgpu_stepplan_name(text, &job, &node);

		if (k != 0 && k != 1 && k != 2 && k != 11 && k != 12)
			abort();
		if (k == 2 || k == 12) {
			snprintf(out, sizeof(out), "job.%lu.%lu%s", job, node, k == 12 ? ".new" : "");
			if (strlen(text) < strlen(out) && strcmp(text, out) != 0)
				abort(); /* leading zeros may make the input longer, never shorter */
		}
		break;
	}
	case 's':
	case 'w': {
		char *f[3] = { text, NULL, NULL };
		vgpu_stepplan_in_t in;
		vgpu_stepplan_t p;

		for (int i = 1; i < 3; i++) {
			char *c = f[i - 1] ? strchr(f[i - 1], ';') : NULL;

			if (c) {
				*c = '\0';
				f[i] = c + 1;
			}
		}
		memset(&in, 0, sizeof(in));
		in.job = 7;
		in.guard = 1;
		if (data[0] == 's') {
			in.host = "n1";
			in.shards_on_node = f[0];
			in.step_gpus = f[1];
			in.cuda_visible = f[2];
		} else {
			in.job_gpus = f[0];
			in.host = f[1] ? f[1] : "n1";
		}
		vgpu_stepplan_begin(&in, &p);
		check_plan(&p);
		break;
	}
	default:
		break;
	}
	return 0;
}
