/*
 * fuzz_plugargs.c - libFuzzer target for the SPANK plugin's plugstack.conf
 * arguments and line matcher (src/lib/vgpu_plugargs.c). The input (at most
 * 8 KiB, up to its first NUL): its first line, split on blanks, is argv
 * (at most 16 words); every further line is a plugstack.conf line matched
 * against "vgpu_spank.so" with those arguments. Checked: a refusal names an
 * index inside argv with a non-empty message; an accepted argv gives
 * absolute paths (or the empty shim) and a known level and preload; parsing
 * twice gives the same result; a line that matches has exactly argc words
 * after the plugin path; an include gives a non-empty pattern without
 * blanks.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_plugargs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 8192
#define ARGS_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[INPUT_MAX + 1], *argv[ARGS_MAX], *nl, *save = NULL, *w, *rest;
	vgpu_plugargs_t a, b;
	vgpu_err_t err;
	int argc = 0, bad = -1, bad2 = -1, rc;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	rest = nl ? nl + 1 : NULL;
	if (nl)
		*nl = '\0';
	for (w = strtok_r(text, " \t", &save); w && argc < ARGS_MAX; w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	rc = vgpu_plugargs_parse(argc, argv, &a, &bad, &err);
	if (rc != 0) {
		if (rc != -1 || bad < 0 || bad >= argc || !err.msg[0])
			abort();
	} else {
		if (a.conf_path[0] != '/' || (a.shim_path[0] && a.shim_path[0] != '/') ||
		    a.log_level > VGPU_LOG_DEBUG ||
		    (a.preload != VGPU_PLUGARGS_PRELOAD_ETC && a.preload != VGPU_PLUGARGS_PRELOAD_ENV))
			abort();
	}
	if (vgpu_plugargs_parse(argc, argv, &b, &bad2, &err) != rc || bad2 != bad ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	while (rest && *rest) {
		char line[INPUT_MAX + 1], copy[INPUT_MAX + 1], pat[64];
		char *e = strchr(rest, '\n'), *s2 = NULL;
		size_t n = e ? (size_t)(e - rest) : strlen(rest);
		int m, words = 0;

		memcpy(line, rest, n);
		line[n] = '\0';
		memcpy(copy, line, n + 1);
		rest = e ? e + 1 : NULL;
		m = vgpu_plugargs_match_line(line, "vgpu_spank.so", argc, argv, pat, sizeof(pat));
		if (m < 0 || m > 2)
			abort();
		if (m == 2 && (!pat[0] || strpbrk(pat, " \t\n#") || strlen(pat) >= sizeof(pat)))
			abort();
		if (m == 1) {
			char *h = strchr(copy, '#');

			if (h)
				*h = '\0';
			for (w = strtok_r(copy, " \t\n", &s2); w; w = strtok_r(NULL, " \t\n", &s2))
				words++;
			if (words != argc + 2)
				abort();
		}
	}
	return 0;
}
