/*
 * fuzz_trace.c - libFuzzer target for the trace CSV parser
 * (src/lib/vgpu_trace.c; doc/replay.md). The input, at most 64 KiB, is a
 * trace. Checked: a refusal leaves no jobs and names the input ("fuzz");
 * an accepted trace is sorted by submit time and every job keeps the
 * format's rules (times bounded, duration > 0, nodes and GPUs >= 1, a
 * slice on one GPU per node, cores <= 100, a kind of allowed characters);
 * what the writer prints parses back to the same jobs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 65536

static void check_job(const vgpu_trace_job_t *j)
{
	size_t n = strlen(j->kind);

	if (j->submit_ms > VGPU_TRACE_TIME_MAX_MS || j->duration_ms == 0 ||
	    j->duration_ms > VGPU_TRACE_TIME_MAX_MS || j->nodes < 1 || j->nodes > VGPU_TRACE_NODES_MAX ||
	    j->gpus_per_node < 1 || j->gpus_per_node > VGPU_TRACE_GPUS_MAX ||
	    j->gpu_mem_mib > VGPU_TRACE_MEM_MAX_MIB || j->gpu_cores_pct > 100 ||
	    (j->gpu_mem_mib && j->gpus_per_node != 1) ||
	    (!j->gpu_mem_mib && j->gpu_cores_pct != 0 && j->gpu_cores_pct != 100) || n == 0 ||
	    n >= VGPU_TRACE_KIND_MAX ||
	    strspn(j->kind, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vgpu_trace_t t, u;
	vgpu_err_t err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	if (vgpu_trace_parse((const char *)data, size, "fuzz", &t, &err) < 0) {
		if (t.jobs || t.n || strncmp(err.msg, "fuzz", 4) != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < t.n; i++) {
		check_job(&t.jobs[i]);
		if (i && t.jobs[i].submit_ms < t.jobs[i - 1].submit_ms)
			abort();
	}
	if (!(f = open_memstream(&buf, &len)) || vgpu_trace_write(f, &t) < 0)
		abort();
	fclose(f);
	if (vgpu_trace_parse(buf, len, "fuzz", &u, &err) < 0 || u.n != t.n)
		abort();
	for (size_t i = 0; i < t.n; i++) {
		t.jobs[i].line = u.jobs[i].line = 0;
		if (memcmp(&t.jobs[i], &u.jobs[i], sizeof(t.jobs[i])) != 0)
			abort();
	}
	free(buf);
	vgpu_trace_free(&u);
	vgpu_trace_free(&t);
	return 0;
}
