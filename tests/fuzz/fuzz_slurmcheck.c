/*
 * fuzz_slurmcheck.c - libFuzzer target for the checks of the Slurm
 * slurm-vgpu runs under (src/lib/vgpu_slurmcheck.c). The input is, at once:
 *  - slurm.conf text for vgpu_slurmcheck_conf_scan: at most FINDINGS kept,
 *    warnings first, each "f.conf:LINE: ..." and NUL-terminated; a warning
 *    only when the setting is on, which needs MULTIPLE_SHARING_GRES_PJ (any
 *    case) in the text; the same result twice;
 *  - a SelectTypeParameters value, a GRES string and a GPU list (up to the
 *    first NUL): the setting only with its name in the text, a slice only
 *    with "shard" or "vgpu" in it, a count of 0 only for "", of 2 or more
 *    without ',' only with a range;
 *  - three lines, a slice step's SLURM_STEP_GPUS, SLURM_JOB_GPUS and
 *    CUDA_VISIBLE_DEVICES: an accepted step's index is 0-1023 and the
 *    number (digits only) of the variable it came from, and no variable
 *    names two GPUs; a refusal has a message;
 *  - two lines that are releases: a parsed release prints back and parses
 *    to itself; release_match says the same release matches, and a
 *    mismatch has a message that names both releases.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vgpu_slurmcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 16384

static int has_word_icase(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(text + i, word, n) == 0)
			return 1;
	return 0;
}

static void check_conf(const char *data, size_t size)
{
	static vgpu_slurmcheck_conf_t a, b;

	vgpu_slurmcheck_conf_scan(data, size, "f.conf", &a);
	vgpu_slurmcheck_conf_scan(data, size, "f.conf", &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if (a.nfind > VGPU_SLURMCHECK_FINDINGS || a.nwarn > a.nfind || (a.nwarn && !a.multi_sharing))
		abort();
	if (a.multi_sharing && !has_word_icase(data, size, VGPU_SLURMCHECK_MULTI_SHARING))
		abort();
	if (a.multi_sharing && a.nwarn == 0 && a.dropped == 0)
		abort();
	for (unsigned i = 0; i < a.nfind; i++)
		if (!memchr(a.findings[i], '\0', sizeof(a.findings[i])) ||
		    strncmp(a.findings[i], "f.conf:", 7) != 0)
			abort();
}

static void check_text(const char *text)
{
	size_t len = strlen(text);
	int n;

	if (vgpu_slurmcheck_multi_sharing(text) && !has_word_icase(text, len, VGPU_SLURMCHECK_MULTI_SHARING))
		abort();
	if (vgpu_slurmcheck_gres_slice(text) && !strstr(text, "shard") && !strstr(text, "vgpu"))
		abort();
	n = vgpu_slurmcheck_gpu_count(text);
	if (n < -1 || (n == 0) != (len == 0) || (n >= 2 && !strchr(text, ',') && !strchr(text, '-')))
		abort();
}

static void check_step(char *lines[3])
{
	vgpu_slurmcheck_step_env_t env = { lines[0], lines[1], lines[2] };
	unsigned idx = 12345;
	vgpu_err_t err;
	const char *from;

	memset(&err, 'x', sizeof(err));
	if (vgpu_slurmcheck_slice_gpu(&env, &idx, &err) != 0) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)) || err.msg[0] == '\0')
			abort();
		return;
	}
	from = lines[0] && lines[0][0] ? lines[0] : lines[1];
	if (idx > 1023 || !from || strspn(from, "0123456789") != strlen(from) ||
	    strtoul(from, NULL, 10) != idx)
		abort();
	for (int i = 0; i < 3; i++)
		if (lines[i] && vgpu_slurmcheck_gpu_count(lines[i]) >= 2)
			abort();
}

static void check_release(char *lines[3])
{
	vgpu_slurmcheck_slurm_t a = { 0, 0 }, b = { 0, 0 };
	char text[32], msg[VGPU_SLURMCHECK_MSG_MAX], ta[32], tb[32];
	unsigned v;

	if (!lines[0] || vgpu_slurmcheck_release_parse(lines[0], &a.release, NULL) != 0)
		return;
	if (a.release > 0xffffffu)
		abort();
	vgpu_slurmcheck_release_text(a.release, text, sizeof(text));
	if (vgpu_slurmcheck_release_parse(text, &v, NULL) != 0 || v != a.release)
		abort();
	if (vgpu_slurmcheck_release_match("p", &a, &a, VGPU_SLURMCHECK_EXACT, msg, sizeof(msg)) != 0)
		abort();
	if (!lines[1] || vgpu_slurmcheck_release_parse(lines[1], &b.release, NULL) != 0 || !a.release ||
	    !b.release)
		return;     /* 0.00.0 is "unknown" to release_match */
	for (int m = 0; m < 2; m++) {
		int r = vgpu_slurmcheck_release_match("p", &a, &b, (vgpu_slurmcheck_match_t)m, msg, sizeof(msg));
		unsigned mask = m == 0 ? 0xffffffu : 0xffff00u;

		if (!memchr(msg, '\0', sizeof(msg)) || r != ((a.release & mask) != (b.release & mask)))
			abort();
		if (r && (!a.release || !b.release ||
			  !strstr(msg, vgpu_slurmcheck_release_text(a.release, ta, sizeof(ta))) ||
			  !strstr(msg, vgpu_slurmcheck_release_text(b.release, tb, sizeof(tb)))))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[INPUT_MAX + 1];
	char *lines[3] = { NULL, NULL, NULL }, *p;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	check_conf((const char *)data, size);
	memcpy(text, data, size);
	text[size] = '\0';
	check_text(text);
	p = text;
	for (int i = 0; i < 3 && p; i++) {
		char *nl = strchr(p, '\n');

		lines[i] = p;
		if (nl)
			*nl++ = '\0';
		p = nl;
	}
	check_step(lines);
	check_release(lines);
	return 0;
}
