/*
 * fuzz_gresconf.c - libFuzzer target for the gres.conf Links= reader and
 * the GPU-set description built on it.
 *
 * The input is gres.conf text, read for node "n1". Invariants (abort() on
 * violation):
 *  - a failure leaves a non-empty, NUL-terminated message and a zeroed
 *    result;
 *  - a success has at most VGPU_GRESCONF_GPUS_MAX GPUs, a NUL-terminated
 *    note that is empty exactly when the links are known, and known links
 *    have -1 on the diagonal;
 *  - describing the set of all the node's GPUs (and its first two) never
 *    counts more linked pairs than pairs, and its state agrees with them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_gresconf.h"
#include "vgpu_show.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vgpu_gresconf_links_t links;     /* large: not on the stack */

static void check_set(unsigned ngpus, const unsigned *gpus, unsigned n)
{
	vgpu_show_gpuset_t set;

	vgpu_show_gpuset_describe(&links, "none", ngpus, gpus, n, &set);
	if (!memchr(set.text, '\0', sizeof(set.text)) || set.linked > set.pairs)
		abort();
	if (set.nvlink == VGPU_SHOW_NVLINK_ALL && set.linked != set.pairs)
		abort();
	if (set.nvlink == VGPU_SHOW_NVLINK_NONE && set.linked != 0)
		abort();
	if (set.nvlink == VGPU_SHOW_NVLINK_UNKNOWN && links.known && n >= 2 && ngpus == links.ngpus)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned gpus[VGPU_GRESCONF_GPUS_MAX], i;
	vgpu_err_t err;

	if (vgpu_gresconf_node_links((const char *)data, size, "gres.conf", "n1", &links, &err) != 0) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)) || err.msg[0] == '\0' ||
		    links.ngpus || links.known || links.note[0])
			abort();
		return 0;
	}
	if (links.ngpus > VGPU_GRESCONF_GPUS_MAX || !memchr(links.note, '\0', sizeof(links.note)) ||
	    (links.known != 0) != (links.note[0] == '\0'))
		abort();
	for (i = 0; links.known && i < links.ngpus; i++)
		if (links.links[i][i] != -1)
			abort();
	for (i = 0; i < links.ngpus; i++)
		gpus[i] = links.ngpus - 1 - i;
	check_set(links.ngpus, gpus, links.ngpus);
	if (links.ngpus >= 2)
		check_set(links.ngpus, gpus + links.ngpus - 2, 2);
	return 0;
}
