/*
 * fuzz_admit.c - libFuzzer target for the controller's admission checks
 * (vgpu_admit_check): the input is up to four TRES strings separated by
 * '\n' (tres_per_node, per_job, per_socket, per_task). Invariants (abort()
 * on violation):
 *  - a refusal leaves a non-empty, NUL-terminated message;
 *  - an accepted job has no vgpu item, not both gpu and shard, and its
 *    largest shard count is within the GPU's;
 *  - the same input with no size limit is never refused when it was
 *    accepted with one.
 * The whole input is also an sbatch comment for vgpu_admit_comment_take:
 * taken, the request is the non-empty text between the tag and the first
 * ']' (only request characters) and the comment keeps exactly what
 * followed; not taken, the comment is unchanged and the request empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_admit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 8192
#define MAX_SHARDS 100u

static void check_comment(const char *text)
{
	static char comment[INPUT_MAX + 1];
	char req[64];
	size_t tag = strlen(VGPU_ADMIT_COMMENT_TAG), n;
	const char *close;

	memcpy(comment, text, strlen(text) + 1);
	if (vgpu_admit_comment_take(comment, req, sizeof(req)) == 0) {
		if (req[0] != '\0' || strcmp(comment, text) != 0)
			abort();
		return;
	}
	close = strchr(text, ']');
	n = strlen(req);
	if (!close || n == 0 || n >= sizeof(req) || strncmp(text, VGPU_ADMIT_COMMENT_TAG, tag) != 0 ||
	    (size_t)(close - text) != tag + n || strncmp(text + tag, req, n) != 0 ||
	    strcmp(comment, close + 1) != 0 ||
	    strspn(req, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=:._-%/") != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[INPUT_MAX + 1];
	vgpu_admit_job_t job = { { NULL, NULL, NULL, NULL } };
	vgpu_admit_info_t info;
	vgpu_err_t err;
	char *p;
	int i, rc;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memcpy(text, data, size);
	text[size] = '\0';
	check_comment(text);
	p = text;
	for (i = 0; i < VGPU_ADMIT_FIELDS && p; i++) {
		char *nl = strchr(p, '\n');

		job.tres[i] = p;
		if (nl)
			*nl++ = '\0';
		p = nl;
	}
	memset(&err, 'x', sizeof(err));
	rc = vgpu_admit_check(&job, MAX_SHARDS, (size & 1) ? "h100" : NULL, &info, &err);
	if (rc != 0) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)) || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (info.has_vgpu || (info.has_gpu && info.has_shard) || info.shards > MAX_SHARDS)
		abort();
	if (vgpu_admit_check(&job, 0, NULL, NULL, &err) != 0)
		abort();
	return 0;
}
