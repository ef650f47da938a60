/*
 * fuzz_place.c - libFuzzer target for placement at submit (vgpu_place): the
 * first 24 bytes are the job's counts (min/max nodes, tasks, tasks per
 * node, segment, switches as six little-endian u32; bit 0 of byte 24: it
 * asks for GPUs, bit 1: this Slurm has --segment; byte 25 % 3: the topology
 * plugin, byte 25 / 3 % 4 topology/block's layout: none, base 2 containing
 * 4, base 2 containing 2, base 1 containing 1), the rest is the --comment, then '\n', then the --constraint.
 * The map is fixed: partitions of 4, 4 and 2 nodes. Invariants (abort() on
 * violation):
 *  - a job without GPUs, or opted out, is passed untouched;
 *  - a refusal has a message; nothing else has one;
 *  - a change never lets a job out of one partition: max_nodes within the
 *    largest, --switches=1 with the long wait on topology/tree, a
 *    constraint naming only partitions, in brackets when several;
 *  - on topology/block a job passed without a change is within what the
 *    layout contains, or opted out, or segmented, or has its own constraint;
 *  - a job larger than every partition (no segment, not opted out) is
 *    refused;
 *  - the same input decides the same way twice.
 * The comment is also SchedulerParameters for vgpu_place_max_switch_wait:
 * the default unless the text holds "max_switch_wait=".
 */
#define _GNU_SOURCE /* strcasestr */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpu_place.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 4096

static vgpu_cm_node_t nodes[10];
static vgpu_cm_partition_t parts[3];
static vgpu_cliquemap_t map;

static void make_map(void)
{
	static const size_t sizes[3] = { 4, 4, 2 };
	size_t k = 0;

	if (map.nparts)
		return;
	for (size_t i = 0; i < 3; i++) {
		snprintf(parts[i].name, sizeof(parts[i].name), "nvl%zu", i + 1);
		parts[i].nodes = &nodes[k];
		parts[i].nnodes = sizes[i];
		for (size_t j = 0; j < sizes[i]; j++, k++)
			snprintf(nodes[k].name, sizeof(nodes[k].name), "n%zu", k + 1);
	}
	map.parts = parts;
	map.nparts = 3;
}

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_features(const char *f)
{
	size_t n = strlen(f);
	char copy[VGPU_PLACE_FEATURES_MAX];
	int several = n > 0 && f[0] == '[';

	if (n == 0)
		return;
	if (several && f[n - 1] != ']')
		abort();
	snprintf(copy, sizeof(copy), "%.*s", (int)(several ? n - 2 : n), several ? f + 1 : f);
	for (char *tok = strtok(copy, "|"); tok; tok = strtok(NULL, "|"))
		if (strcmp(tok, "nvl1") && strcmp(tok, "nvl2") && strcmp(tok, "nvl3"))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[INPUT_MAX + 1];
	vgpu_place_job_t job;
	vgpu_place_answer_t a, b;
	vgpu_place_topo_t topo;
	static const vgpu_place_block_t layouts[4] = { { 0, 0 }, { 2, 4 }, { 2, 2 }, { 1, 1 } };
	const vgpu_place_block_t *block;
	vgpu_err_t err, err2;
	char *nl;
	int v;

	if (size < 26)
		return 0;
	make_map();
	memset(&job, 0, sizeof(job));
	job.min_nodes = u32(data) % 70000;
	job.max_nodes = u32(data + 4) % 70000;
	job.num_tasks = u32(data + 8);
	job.tasks_per_node = u32(data + 12) % 70000;
	job.segment = u32(data + 16) % 70000;
	job.switches = u32(data + 20) % 8;
	job.gpus = data[24] & 1;
	job.can_segment = (data[24] >> 1) & 1;
	topo = (vgpu_place_topo_t)(data[25] % 3);
	block = data[25] / 3 % 4 ? &layouts[data[25] / 3 % 4] : NULL;
	size -= 26;
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	memcpy(text, data + 26, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	job.comment = text;
	if (nl) {
		*nl = '\0';
		job.features = nl + 1;
	}
	err.msg[0] = '\0';
	v = vgpu_place_decide(&job, &map, topo, block, &a, &err);
	if (v != (int)a.verdict)
		abort();
	if ((!job.gpus || vgpu_place_optout(job.comment)) && v != VGPU_PLACE_PASS)
		abort();
	if ((v == VGPU_PLACE_REFUSE) != (err.msg[0] != '\0'))
		abort();
	if (v == VGPU_PLACE_REFUSE && strlen(err.msg) >= sizeof(err.msg))
		abort();
	if (v != VGPU_PLACE_CHANGE && (a.switches || a.max_nodes || a.features[0]))
		abort();
	if (v == VGPU_PLACE_CHANGE) {
		if (a.max_nodes > 4 || a.nodes > 4)
			abort();
		if (topo == VGPU_PLACE_TOPO_TREE &&
		    (a.switches != 1 || a.switch_wait != VGPU_PLACE_SWITCH_WAIT))
			abort();
		if (topo != VGPU_PLACE_TOPO_TREE && a.switches)
			abort();
		check_features(a.features);
	}
	if (topo == VGPU_PLACE_TOPO_BLOCK && v == VGPU_PLACE_PASS && job.gpus && a.nodes > 1 &&
	    !vgpu_place_optout(job.comment) && job.segment == 0 &&
	    !(block && a.nodes <= block->contained) && !(job.features && *job.features &&
	    strcmp(job.features, "(null)")))
		abort();
	if (job.gpus && !vgpu_place_optout(job.comment) && job.segment == 0 && a.nodes > 4 &&
	    v != VGPU_PLACE_REFUSE)
		abort();
	if (!strcasestr(job.comment, "max_switch_wait=") &&
	    vgpu_place_max_switch_wait(job.comment) != VGPU_PLACE_SLURM_SWITCH_WAIT)
		abort();
	err2.msg[0] = '\0';
	if ((int)vgpu_place_decide(&job, &map, topo, block, &b, &err2) != v || strcmp(err.msg, err2.msg) ||
	    strcmp(a.why, b.why) || strcmp(a.features, b.features) || a.max_nodes != b.max_nodes)
		abort();
	return 0;
}
