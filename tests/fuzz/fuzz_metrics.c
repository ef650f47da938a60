/*
 * fuzz_metrics.c - libFuzzer target for the counter-file parser
 * (src/lib/vgpu_metrics_count.c), which `vgpu metrics` runs on files the
 * plugins write in StateDir.
 *
 * Invariants (abort() on violation):
 *  - a failure leaves a NUL-terminated message starting "fuzz.counters:";
 *  - an accepted file has at most VGPU_METRICS_COUNTERS_MAX entries, each
 *    with a known counter and a NUL-terminated reason;
 *  - formatting it and parsing the text gives the same entries back;
 *  - bumping an accepted entry adds exactly one;
 *  - every entry renders as one sample line of the exposition.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vgpu_counters_t c, again;
	static char text[VGPU_METRICS_FILE_MAX * 2];
	vgpu_metrics_t *m;
	vgpu_err_t err;
	char *out;
	int n;

	memset(&err, 'x', sizeof(err));
	if (vgpu_metrics_counters_parse((const char *)data, size, "fuzz.counters", &c, &err) != 0) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)) || strncmp(err.msg, "fuzz.counters", 13) != 0)
			abort();
		return 0;
	}
	if (c.n > VGPU_METRICS_COUNTERS_MAX)
		abort();
	for (size_t i = 0; i < c.n; i++)
		if ((unsigned)c.v[i].counter > VGPU_C_JOBS_REFUSED ||
		    !memchr(c.v[i].reason, '\0', sizeof(c.v[i].reason)))
			abort();
	n = vgpu_metrics_counters_format(&c, text, sizeof(text));
	if (n < 0 || vgpu_metrics_counters_parse(text, (size_t)n, "fuzz.counters", &again, &err) != 0 ||
	    again.n != c.n)
		abort();
	for (size_t i = 0; i < c.n; i++)
		if (again.v[i].counter != c.v[i].counter || again.v[i].value != c.v[i].value ||
		    strcmp(again.v[i].reason, c.v[i].reason) != 0)
			abort();
	if (c.n && c.v[0].value < UINT64_MAX) {
		uint64_t before = c.v[0].value;

		if (vgpu_metrics_counters_bump(&c, c.v[0].counter, c.v[0].reason) != 0 ||
		    c.v[0].value != before + 1)
			abort();
	}
	if (!(m = vgpu_metrics_new()))
		return 0;
	for (size_t i = 0; i < again.n; i++) {
		const char *l[] = { "node", "fuzz", "reason", again.v[i].reason, NULL };

		if (vgpu_metrics_add(m, VGPU_M_STEPS_STARTED + (int)again.v[i].counter, l,
				     (double)again.v[i].value, &err) != 0)
			abort();
	}
	if ((out = vgpu_metrics_render(m, VGPU_METRICS_OPENMETRICS, NULL)) != NULL) {
		if (!strstr(out, "# EOF\n"))
			abort();
		free(out);
	}
	vgpu_metrics_free(m);
	return 0;
}
